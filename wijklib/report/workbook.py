"""The batch's tables as one Excel workbook: the city table and every ward's priorities.

Researchers and council staff re-use the report's figures in their own tables; a PDF is no source for
that, and a comma CSV opens in one column in Dutch Excel. So every batch also writes
``tabellen_<jaar>.xlsx`` next to the manifest: real numbers (Excel shows them with the reader's decimal
comma), Dutch headers, one sheet per table and a sheet that explains the columns.

Only what the reports publish goes in: estimates, intervals and verdicts per priority, the verdict counts
per ward (numbers of priorities, not of people) and the network score. Count tables of the reports
(signals, partners) are not repeated here; they stay in the PDF with their disclosure suppression.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from wijklib.report.pdf import atomic_write

#: Column -> (header, explanation) of the priority sheet, in sheet order.
PRIORITY_COLUMNS: dict[str, tuple[str, str]] = {
    "wijkraad": ("Wijkraad", "naam van de wijkraad"),
    "wijkraad_id": ("Code", "code van de wijkraad in de geografie van de run"),
    "jaar": ("Jaar", "evaluatiejaar"),
    "thema": ("Thema", "prioriteit uit het wijkakkoord"),
    "indicator": ("Indicator", "wat er geteld of gemeten is"),
    "bron": ("Bron", "gegevensbron van de indicator"),
    "richting": ("Gewenste richting", "omhoog of omlaag, volgens het wijkakkoord"),
    "ontwerp": ("Methode", "hoe het effect geschat is (zie de methodeparagraaf van het rapport)"),
    "rel_verschil": ("Geschat verschil", "relatief verschil met de verwachting zonder wijkgericht handhaven"),
    "rel_low": ("Ondergrens 95%-interval", "ondergrens van het relatieve verschil"),
    "rel_high": ("Bovengrens 95%-interval", "bovengrens van het relatieve verschil"),
    "schatting": ("Schatting (eigen schaal)", "de schatting op de schaal in de kolom Schaal"),
    "conf_low": ("Ondergrens (eigen schaal)", "ondergrens van het 95%-interval op die schaal"),
    "conf_high": ("Bovengrens (eigen schaal)", "bovengrens van het 95%-interval op die schaal"),
    "schaal": ("Schaal", "verhouding: ten opzichte van de verwachting (1 = gelijk); verschil: absoluut verschil"),
    "oordeel": ("Oordeel", "het oordeel van de monitor over deze prioriteit"),
    "reden": ("Reden van het oordeel", "waarom dit oordeel"),
}

#: Column -> (header, explanation) of the city sheet.
CITY_COLUMNS: dict[str, tuple[str, str]] = {
    "wijkraad": ("Wijkraad", "naam van de wijkraad"),
    "wijkraad_id": ("Code", "code van de wijkraad"),
    "prioriteiten": ("Prioriteiten", "aantal beoordeelde prioriteiten"),
    "op_koers": ("Op koers", "aantal prioriteiten op koers"),
    "geen_verandering": ("Geen aantoonbare verandering", "aantal prioriteiten zonder aantoonbare verandering"),
    "ongunstig": ("Ongunstige ontwikkeling", "aantal prioriteiten met een ongunstige ontwikkeling"),
    "onzeker": ("Onzeker", "aantal prioriteiten waarvan de controle vóór de start niet slaagde"),
    "onvoldoende": ("Onvoldoende gegevens", "aantal prioriteiten waarover niets te zeggen is"),
    "oordeel": ("Totaaloordeel", "samenvatting van de oordelen (regel: zie het stadsoverzicht)"),
    "netwerkscore": ("Netwerkscore (0–100)", "verankering in het wijknetwerk, niveau 3"),
    "herijk": ("Herijk-advies", "prioriteiten waarvoor herijking wordt geadviseerd"),
    "reden": ("Reden niet geëvalueerd", "alleen bij wijkraden die niet geëvalueerd zijn"),
}

_PERCENT = {"rel_verschil", "rel_low", "rel_high"}
_SCALES = {"ratio": "verhouding", "difference": "verschil", "level": "niveau"}


def tables(evaluations: dict[str, Any], failures: dict[str, str] | None = None,
           names: dict[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The city table and the long priority table of a batch, with the report's verdicts.

    ``evaluations`` maps a ward code to its :class:`wijklib.monitor.WardEvaluation`; ``failures`` maps
    the codes of wards that could not be evaluated to the reason (they get a row, never vanish).
    """
    from wijklib.report.content import overall_verdict, short_reason

    city, prios = [], []
    for code, ev in sorted(evaluations.items(), key=lambda kv: kv[1].wijkraad):
        h = ev.headline()
        counts = h["verdicts"]
        pr = ev.to_frame("priorities")
        pr.insert(0, "wijkraad", ev.wijkraad)
        prios.append(pr)
        city.append({
            "wijkraad": ev.wijkraad, "wijkraad_id": code, "prioriteiten": int(len(pr)),
            "op_koers": int(counts.get("op koers", 0)),
            "geen_verandering": int(counts.get("geen aantoonbare verandering", 0)),
            "ongunstig": int(counts.get("ongunstige ontwikkeling", 0)),
            "onzeker": int(counts.get("onzeker", 0)),
            "onvoldoende": int(counts.get("onvoldoende gegevens", 0)),
            "oordeel": overall_verdict(counts), "netwerkscore": h["network_score"],
            "herijk": ", ".join(x["thema"] for x in ev.herijk) or "", "reden": "",
        })
    for code, reason in sorted((failures or {}).items()):
        city.append({"wijkraad": (names or {}).get(code, code), "wijkraad_id": code, "prioriteiten": 0,
                     "op_koers": 0, "geen_verandering": 0, "ongunstig": 0, "onzeker": 0,
                     "onvoldoende": 0, "oordeel": "niet geëvalueerd", "netwerkscore": float("nan"), "herijk": "",
                     "reden": short_reason(reason)})
    from wijklib.monitor.design import DESIGN_LABELS

    city_df = pd.DataFrame(city, columns=list(CITY_COLUMNS))
    prio_df = (pd.concat(prios, ignore_index=True) if prios else pd.DataFrame(columns=list(PRIORITY_COLUMNS)))
    prio_df = prio_df.reindex(columns=list(PRIORITY_COLUMNS))
    # Codes as words, as in the reports: the design's label, the scale in Dutch.
    prio_df["ontwerp"] = prio_df["ontwerp"].map(lambda d: DESIGN_LABELS.get(d, d) if isinstance(d, str) else d)
    prio_df["schaal"] = prio_df["schaal"].map(lambda x: _SCALES.get(x, x) if isinstance(x, str) else x)
    return city_df, prio_df


def _sheet(ws: Any, df: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.append([columns[c][0] for c in df.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in df.itertuples(index=False):
        ws.append([None if (isinstance(v, float) and v != v) else (v.item() if hasattr(v, "item") else v)
                   for v in row])
    for j, col in enumerate(df.columns, start=1):
        letter = get_column_letter(j)
        fmt = "0%" if col in _PERCENT else ("0.000" if df[col].dtype.kind == "f" else None)
        if fmt:
            for cell in ws[letter][1:]:
                cell.number_format = fmt
        width = max([len(columns[col][0])] + [len(str(v)) for v in df[col].head(200)]) + 2
        ws.column_dimensions[letter].width = min(max(width, 8), 60)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions


def write(path: str | Path, city: pd.DataFrame, priorities: pd.DataFrame, *, year: int,
          title: str, sources: Iterable[str] = ()) -> Path:
    """Write the workbook (sheets Wijkraden, Prioriteiten, Toelichting) atomically; return its path.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> city = pd.DataFrame([{c: None for c in CITY_COLUMNS}])
    >>> prios = pd.DataFrame(columns=list(PRIORITY_COLUMNS))
    >>> p = write(pathlib.Path(tempfile.mkdtemp()) / "t.xlsx", city, prios, year=2025, title="Demo")
    >>> pd.read_excel(p, sheet_name=None).keys()
    dict_keys(['Wijkraden', 'Prioriteiten', 'Toelichting'])
    """
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Wijkraden"
    _sheet(ws, city, CITY_COLUMNS)
    _sheet(wb.create_sheet("Prioriteiten"), priorities, PRIORITY_COLUMNS)
    notes = wb.create_sheet("Toelichting")
    notes.append([f"{title}: tabellen bij de rapporten van {year}"])
    notes.append(["Dezelfde cijfers en oordelen als in de rapporten per wijkraad en het stadsoverzicht."])
    notes.append(["Relatieve verschillen zijn fracties (−0,16 = 16% lager); Excel toont ze als percentage."])
    for s in sources:
        notes.append([f"Bron: {s}"])
    notes.append([])
    for sheet, cols in (("Wijkraden", CITY_COLUMNS), ("Prioriteiten", PRIORITY_COLUMNS)):
        notes.append([f"Blad {sheet}", "Uitleg"])
        for header, explanation in cols.values():
            notes.append([header, explanation])
        notes.append([])
    notes.column_dimensions["A"].width = 34
    notes.column_dimensions["B"].width = 90
    wb.properties.title = f"{title} {year}"
    wb.properties.creator = "wijklib"
    return atomic_write(Path(path), wb.save)


def write_for_batch(cfg: Any, year: int, out_dir: Path, units: Iterable[str] | None = None) -> Path:
    """The batch's workbook ``<out_dir>/tabellen_<year>.xlsx``, from the evaluations the reports used.

    ``units`` limits it to the wards of a partial run (default: every evaluated ward of the city).
    """
    from wijklib.report import evaluations

    if units is None:
        evs, failures = evaluations.load_city(cfg, year)
    else:  # a partial run evaluated only its own wards: read those, never evaluate the city for this
        evs, failures = {}, {}
        for u in units:
            try:
                evs[u] = evaluations.load_ward(cfg, year, u)
            except Exception as exc:  # noqa: BLE001 - the ward is listed as not evaluated, with the reason
                failures[u] = f"{type(exc).__name__}: {exc}"
    city, prios = tables(evs, failures, evaluations.ward_names(cfg, year))
    return write(Path(out_dir) / f"tabellen_{year}.xlsx", city, prios, year=year, title=cfg.titel,
                 sources=[cfg.naam] if getattr(cfg, "naam", None) else ())
