"""What the report notebooks display: cover, tables, charts and Dutch text generated from numbers.

The notebooks hold no logic of their own: each code cell calls one function or method here, which
computes through the library (``wijklib.monitor``, ``wijklib.its``, ``wijklib.did``, ...) and displays
the result. Shared building blocks (cover page, disclosure-safe tables, Dutch number formatting, the
headline record for the batch manifest) live at the top; the report types follow:

- :class:`WardReport` — the evaluation of one ward of any city (``wijklib.monitor``): the demo city, The
  Hague's police-only placebo run, any configuration of delivered sources.
- :class:`CityReport` — all wijkraden in one table and a map.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wijklib import nl
from wijklib.disclosure import SECONDARY, derivable_cells, format_count, suppression_mask
from wijklib.geo import maps as _geo_maps
from wijklib.labels import label
from wijklib.labels import outcome as outcome_label
from wijklib.report.settings import ReportConfig, load_config

HEADLINE_MIME = "application/vnd.wijklib.headline+json"
#: Every source a run can deliver (``wijklib.report.evaluations.SOURCES``, repeated to keep imports light).
_SOURCES_ALL = ("meldingen", "handhaving", "handhaving_uren", "politie", "wijkprofiel", "focusgebieden",
                "wijkakkoorden", "netwerk_overleggen", "netwerk_samenwerking", "signalen", "interventie")


# ------------------------------------------------------------------------------------ formatting
# Dutch numbers, p-values, dates and counted nouns: the one formatter of wijklib.nl, under the names the
# notebooks and report modules use.
nl_number = nl.number
nl_pct = nl.pct
nl_p = nl.p_text
nl_date = nl.date
nl_month = nl.month
count_noun = nl.count_noun


def ratio_text(rr: float, low: float, high: float) -> str:
    """A rate ratio with its interval as a Dutch percentage change: ``−12% (95%-interval −20% tot −3%)``.

    Examples
    --------
    >>> ratio_text(0.88, 0.80, 0.97)
    '−12% (95%-interval −20% tot −3%)'
    """
    return f"{nl_pct(rr - 1, signed=True)} (95%-interval {nl_pct(low - 1, signed=True)} tot {nl_pct(high - 1, signed=True)})"


# ----------------------------------------------------------------------------------- display
def _display(obj: Any) -> None:
    from IPython.display import display

    display(obj)


def show_html(markup: str) -> None:
    """Display raw HTML in the notebook (and so in the report)."""
    from IPython.display import HTML

    _display(HTML(markup))


#: Markdown that would turn data into markup: raw HTML (``<script>``, ``<img onerror=...>``, autolinks)
#: and link/image syntax (``[tekst](url)``, ``![x](url)``). Report text never uses either on purpose.
_MD_MARKUP = str.maketrans({"<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]"})
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~<>-])")


def md_safe(text: str) -> str:
    """Markdown text with raw HTML and link/image syntax neutralised (shown literally, never rendered).

    :func:`show_md` applies this to everything it displays, so a ward name, theme or quote holding
    ``<script>`` or ``[klik](https://...)`` is printed as text in HTML and PDF.

    Examples
    --------
    >>> md_safe("**Let op:** <script>x</script> [klik](https://evil.example)")
    '**Let op:** &lt;script&gt;x&lt;/script&gt; \\\\[klik\\\\](https&#58;//evil.example)'
    """
    # "://" -> "&#58;//": the Markdown renderer of nbconvert turns bare URLs into links otherwise.
    return str(text).translate(_MD_MARKUP).replace("://", "&#58;//")


def md_escape(text: str) -> str:
    """A data-derived string for inside generated Markdown: every Markdown-special character escaped
    (emphasis, headings, code, tables too), on top of what :func:`md_safe` does.

    Examples
    --------
    >>> print(md_escape("*vet* _en_ `code`"))
    \\*vet\\* \\_en\\_ \\`code\\`
    """
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def show_md(text: str) -> None:
    """Display Markdown text generated from numbers (the narrative of a section).

    Raw HTML and link syntax are neutralised (:func:`md_safe`): the narrative holds data-derived strings
    (ward names, themes, error messages), which must never become markup.
    """
    _display(_Markdown(md_safe(text)))


class _Markdown:
    """Markdown for ``display``. Not ``IPython.display.Markdown``: that one treats a text starting with
    ``http`` as a URL to download, or an existing path as a file to read, instead of as the text."""

    def __init__(self, data: str) -> None:
        self.data = data

    def _repr_markdown_(self) -> str:
        return self.data

    def __repr__(self) -> str:
        return self.data


def _is_year_column(col: object) -> bool:
    """Column names that hold a year or a survey edition (``jaar``, ``editie_voor``, ...).

    Examples
    --------
    >>> _is_year_column("editie_laatst"), _is_year_column("Jaar"), _is_year_column("aantal")
    (True, True, False)
    """
    name = str(col).lower()
    return name.startswith(("jaar", "editie")) or name.endswith(("_jaar", "_editie"))


def table_html(
    df: pd.DataFrame, *, counts: Iterable[str] = (), digits: Mapping[str, int] | None = None,
    caption: str | None = None, pct: Iterable[str] = (), raw_html: Iterable[str] = (),
    note: str | None = None, hidden: pd.DataFrame | None = None, landscape: bool = False,
    css_class: str | None = None, widths: Sequence[float] | None = None,
) -> str:
    """An HTML table with Dutch column labels, Dutch numbers and small counts shown as ``<5``.

    Parameters
    ----------
    df
        The table (not modified); column names are translated with :func:`wijklib.labels.label`.
    counts
        Count columns: 1–4 become ``<5`` (disclosure rule).
    digits
        Decimals per numeric column (default 1 for floats, 0 for integers).
    pct
        Columns holding fractions, shown as percentages.
    raw_html
        Columns whose values are trusted HTML (e.g. verdict chips made by :func:`chip`).
    hidden
        Boolean frame (row positions x columns), e.g. from :func:`wijklib.disclosure.suppression_mask`:
        those cells are hidden too (a small count ``<5``, anything else ``x``: hidden so that a small count
        cannot be derived).
    landscape
        Print the table on A4 landscape pages (``@page landscape`` in the stylesheet): for tables with more
        columns than the portrait text width holds without wrapping every cell.
    css_class
        A class on the ``<table>`` for its own styling in the stylesheet.
    widths
        Relative column widths (one per column, any positive numbers): a fixed table layout, so long
        cells wrap inside their column instead of squeezing the others.

    Columns may be two-level (a :class:`pandas.MultiIndex`): the first level becomes a header spanning
    its sub-columns (``("aantal prioriteiten", "op koers")``), a column whose second level is empty spans
    both header rows.

    Examples
    --------
    >>> "&lt;5" in table_html(pd.DataFrame({"wijk": ["A"], "aantal": [3]}), counts=["aantal"])
    True
    """
    digits = dict(digits or {})
    counts, pct, raw_html = set(counts), set(pct), set(raw_html)
    head = _header_html(df)
    body = []
    for i, row in enumerate(df.itertuples(index=False, name=None)):
        cells = []
        for col, v in zip(df.columns, row, strict=True):
            numeric = pd.api.types.is_numeric_dtype(df[col]) and not isinstance(v, str)
            if col in raw_html:
                text = str(v)
            elif hidden is not None and col in hidden.columns and bool(hidden[col].iloc[i]):
                text = html.escape(format_count(v) if col in counts and 0 < float(v) < 5 else SECONDARY)
            elif col in counts:
                text = html.escape(format_count(v))
            elif col in pct:
                text = html.escape(nl_pct(v, digits.get(col, 0)))
            elif numeric and _is_year_column(col):
                # Years and survey editions are labels, not quantities: "2024", never "2.024".
                text = "–" if pd.isna(v) else str(int(v))
            elif numeric:
                d = digits.get(col, 0 if pd.api.types.is_integer_dtype(df[col]) else 1)
                text = html.escape(nl_number(None if pd.isna(v) else v, d))
            else:
                text = "–" if v is None or (not isinstance(v, str) and pd.isna(v)) else html.escape(str(v))
            cells.append(f'<td class="{"num" if numeric or col in counts else ""}">{text}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    foot = f'<p class="note">{html.escape(note)}</p>' if note else ""
    cls = f' class="{html.escape(css_class)}"' if css_class else ""
    cols = ""
    if widths is not None:
        if len(widths) != df.shape[1] or not all(w > 0 for w in widths):
            raise ValueError(f"table_html: widths {list(widths)} must be {df.shape[1]} positive numbers, one per column")
        total = float(sum(widths))
        cols = "<colgroup>" + "".join(f'<col style="width: {100 * w / total:.2f}%"/>' for w in widths) + "</colgroup>"
        cls = cls[:-1] + ' fixed"' if cls else ' class="fixed"'
    out = f'<table{cls}>{cap}{cols}<thead>{head}</thead><tbody>{"".join(body)}</tbody></table>{foot}'
    return f'<div class="landscape">{out}</div>' if landscape else out


def _header_html(df: pd.DataFrame) -> str:
    """The ``<thead>`` rows of :func:`table_html`: one row, or two for two-level columns."""
    def th(text: str, col: Any, attrs: str = "") -> str:
        num = "num" if col is not None and pd.api.types.is_numeric_dtype(df[col]) else ""
        return f'<th class="{num}"{attrs}>{html.escape(label(str(text)))}</th>'

    if not isinstance(df.columns, pd.MultiIndex):
        return "<tr>" + "".join(th(c, c) for c in df.columns) + "</tr>"
    if df.columns.nlevels != 2:
        raise ValueError(f"table_html: columns have {df.columns.nlevels} levels; expected 1 or 2")
    top, sub = [], []
    cols = list(df.columns)
    i = 0
    while i < len(cols):
        group, leaf = cols[i]
        if not leaf:  # a single column: spans both rows
            top.append(th(group, cols[i], ' rowspan="2"'))
            i += 1
            continue
        j = i
        while j < len(cols) and cols[j][0] == group and cols[j][1]:
            sub.append(th(cols[j][1], cols[j]))
            j += 1
        top.append(f'<th class="group" colspan="{j - i}">{html.escape(label(str(group)))}</th>')
        i = j
    return "<tr>" + "".join(top) + "</tr><tr>" + "".join(sub) + "</tr>"


def show_table(df: pd.DataFrame, **kwargs: Any) -> None:
    """Display :func:`table_html`."""
    show_html(table_html(df, **kwargs))


def chip(text: str, kind: str | None = None) -> str:
    """A coloured label for a verdict or RAG rating (HTML).

    Examples
    --------
    >>> chip("Groen")
    '<span class="chip groen">Groen</span>'
    """
    cls = (kind or text).lower().replace(" ", "-")
    return f'<span class="chip {html.escape(cls)}">{html.escape(text)}</span>'


def cover_html(
    *, kicker: str, title: str, subtitle: str, meta: Sequence[tuple[str, str]], demodata: bool,
    placebo: str | None = None, foot: str | None = None,
) -> str:
    """The cover page: report type, unit, year, date and data status; demo and placebo banners.

    Examples
    --------
    >>> "SYNTHETISCHE DEMODATA" in cover_html(kicker="k", title="t", subtitle="s", meta=[], demodata=True)
    True
    """
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in meta)
    banner = ""
    if demodata:
        banner += ('<div class="banner">SYNTHETISCHE DEMODATA<small>Alle cijfers in dit rapport zijn verzonnen '
                   "door een rekenmodel (wijklib.demo). Ze zeggen niets over de echte wijk en zijn alleen "
                   "bedoeld om de rapportage te tonen.</small></div>")
    if placebo:
        banner += f'<div class="banner placebo">PLACEBOTOETS<small>{html.escape(placebo)}</small></div>'
    foot_html = f'<div class="foot">{html.escape(foot)}</div>' if foot else ""
    return (f'<section class="cover"><div class="kicker">{html.escape(kicker)}</div>'
            f"<h1>{html.escape(title)}</h1><div class=\"subtitle\">{html.escape(subtitle)}</div>"
            f'<table class="meta">{rows}</table>{banner}{foot_html}</section>')


def record_headline(values: Mapping[str, Any]) -> None:
    """Publish the headline numbers of a report for the batch manifest (invisible in HTML/PDF).

    Values must be JSON scalars; the runner reads them from the executed notebook.
    """
    from IPython.display import display

    clean = {str(k): (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}
    display({HEADLINE_MIME: json.dumps(clean, ensure_ascii=False), "text/plain": ""}, raw=True)


def today() -> str:
    """Today's date in Dutch words (printed on the cover)."""
    return nl_date(_dt.date.today())


def sources_html(cfg: ReportConfig) -> str:
    """The source list of a run configuration as an HTML list (name — date)."""
    items = "".join(f"<li>{html.escape(b.get('naam', ''))} — {html.escape(b.get('datum', ''))}</li>"
                    for b in cfg.bronnen)
    return f"<ul>{items}</ul>"


# ------------------------------------------------------------------------------------ dispatch
def units(cfg: ReportConfig, year: int) -> list[tuple[str, str]]:
    """All report units of a run configuration as ``(id, name)`` pairs (its geography's units, or the
    fixed ``eenheden`` of the YAML)."""
    if cfg.eenheden:
        return list(cfg.eenheden)
    from wijklib.report import evaluations

    return evaluations.geography_units(cfg)


def resolve_unit(cfg: ReportConfig, year: int, text: str) -> tuple[str, str]:
    """A unit code or name -> ``(id, name)``; unknown names raise ``ValueError`` listing close ones."""
    if cfg.eenheden:
        for code, name in cfg.eenheden:
            if str(text).strip().lower() in (code.lower(), name.lower()):
                return code, name
        raise ValueError(f"{cfg.path}: unknown unit {text!r}; units are {[c for c, _ in cfg.eenheden]}")
    from wijklib.report import evaluations

    return evaluations.resolve_unit(cfg, text)


def prepare(cfg: ReportConfig, year: int, wards: Sequence[str] | None = None) -> dict[str, str]:
    """Checks and shared work done once in the batch parent before the workers start.

    Fails early (one clear error instead of one per ward) when the data of the run are absent. Evaluates
    the units once (``wards``: only these; a placebo run always all) and caches the result on disk.

    Returns environment variables the runner exports to its workers and kernels (the pinned cache).
    """
    if cfg.eenheden:
        return {}  # nothing shared to compute: each notebook reads its own inputs
    from wijklib.report import evaluations

    intake_check(cfg, year)
    folder = evaluations.prepare(cfg, year, wards=None if wards is None else list(wards))
    return {evaluations.PINNED_ENV: str(folder)}


class IntakeCheckFailed(ValueError):
    """``wijklib check`` found a source the batch cannot use; the message holds its full text."""


def intake_check(cfg: ReportConfig, year: int) -> Path | None:
    """Run ``wijklib check`` on the run's sources before any evaluation; stop the batch when it fails.

    The page (``gegevenscontrole.html``) is written next to the batch's cache; a passed check is
    remembered there, so a rerun on the same inputs (same cache fingerprint) does not read them again.

    Raises
    ------
    IntakeCheckFailed
        With the check's text (per source what is wrong) and where the page is.
    """
    from wijklib import check as wcheck
    from wijklib.report import evaluations

    if cfg.sources is None:
        return None
    folder = evaluations.cache_dir(cfg, year)
    passed = folder / "check.ok"
    page = folder / "gegevenscontrole.html"
    if passed.is_file():
        return page
    folder.mkdir(parents=True, exist_ok=True)
    res = wcheck.check(cfg.sources, html=page, geography=evaluations.geo_of(cfg) if cfg.geografie else None)
    if not res.ok:
        raise IntakeCheckFailed(f"{cfg.path}: the data intake check failed, no report was made "
                                f"(details: {page}):\n{res.text()}")
    passed.write_text(res.text(), encoding="utf-8")
    return page


def setup_notebook() -> None:
    """Kernel set-up of a report notebook: chart style, SVG figures, warnings silenced (they would land
    in the PDF otherwise; the batch keeps the log)."""
    import warnings

    from wijklib import plots

    warnings.filterwarnings("ignore")
    plots.setup()


# ======================================================================================= ward
_VERDICT_CLASS = {"op koers": "gunstig", "geen aantoonbare verandering": "geen-effect",
                  "ongunstige ontwikkeling": "ongunstig", "onvoldoende gegevens": "onvoldoende-gegevens"}
#: Verdict -> colour of the schematic city map: the geographic maps' colours (one verdict, one colour in
#: every map), plus the light grey the schematic map gives a ward without a verdict (its cells have no
#: outline, so white would vanish).
VERDICT_MAP_COLORS = {**_geo_maps.VERDICT_COLORS, "geen wijkakkoord": "#EEEEEE"}


def verdict_chip(verdict: str) -> str:
    """Coloured chip for a monitor verdict (``op koers`` green, ``ongunstige ontwikkeling`` red, ...).

    Examples
    --------
    >>> verdict_chip("op koers")
    '<span class="chip gunstig">op koers</span>'
    """
    return chip(verdict, _VERDICT_CLASS.get(verdict, "onzeker"))


def effect_text(scale: str | None, est: float, low: float, high: float, digits: int = 2, unit: str = "") -> str:
    """An effect with interval: ratios as % change, differences as signed numbers (with ``unit``).

    Examples
    --------
    >>> effect_text("ratio", 0.84, 0.79, 0.90)
    '−16% (95%-interval −21% tot −10%)'
    >>> effect_text("difference", 0.142, 0.032, 0.267)
    '+0,14 (95%-interval +0,03 tot +0,27)'
    >>> effect_text("difference", -5.38, float("nan"), float("nan"))
    '−5,38 (geen interval)'
    >>> effect_text("difference", -1.0, -6.94, 4.94, 1, " procentpunt")
    '−1,0 procentpunt (95%-interval −6,9 tot +4,9)'
    """
    if est is None or not math.isfinite(float(est)):
        return "niet te schatten"
    if low is None or high is None or not (math.isfinite(float(low)) and math.isfinite(float(high))):
        point = nl_pct(est - 1, signed=True) if scale == "ratio" else ("+" if est > 0 else "") + nl_number(est, digits)
        return f"{point}{unit if scale != 'ratio' else ''} (geen interval)"
    if scale == "ratio":
        return ratio_text(est, low, high)

    def s(x: float) -> str:
        return ("+" if x > 0 else "") + nl_number(x, digits)

    return f"{s(est)}{unit} (95%-interval {s(low)} tot {s(high)})"


def honest_sentence(h: Any) -> str:
    """One sentence on the ward's breakdown value (Rambachan & Roth), from the monitor's ``HonestCheck``.

    How large may a parallel-trend violation after the start be, relative to the largest one before it,
    before the effect is no longer shown; or plainly why that question does not arise or cannot be
    answered for this ward.
    """
    lead = "Gevoeligheid voor trendverschillen (Rambachan & Roth 2023): "
    if h.result is None:
        return lead + f"voor deze wijk niet te berekenen, want {h.reason}."
    span = ("het eerste kwartaal" if h.n_post == 1 else f"de eerste {nl.number(h.n_post)} kwartalen") + " na de start"
    if not h.significant:
        return (lead + f"niet van toepassing: ook als de trends precies gelijk lopen, is het gemiddelde effect over "
                f"{span} niet van nul te onderscheiden.")
    change = "daling" if h.direction < 0 else "stijging"
    rule = ("het trendverschil met de vergelijkingswijken na de start per kwartaal hooguit {m} keer zo sterk "
            "verandert als de grootste verandering per kwartaal vóór de start")
    if not math.isfinite(h.breakdown):
        return (lead + f"de {change} over {span} blijft aantoonbaar zolang "
                + rule.format(m=nl.auto(h.below)) + " (de grootste onderzochte waarde; breekpunt daarboven).")
    if not h.below > 0:
        return (lead + f"de {change} over {span} is alleen aantoonbaar als de trends na de start precies gelijk "
                f"blijven lopen; een trendverschil van {nl.auto(h.breakdown)} keer de grootste verandering vóór de "
                f"start kan haar al verklaren (breekpunt {nl.auto(h.breakdown)}).")
    return (lead + f"de {change} over {span} blijft aantoonbaar zolang " + rule.format(m=nl.auto(h.below))
            + f"; bij {nl.auto(h.breakdown)} keer niet meer (breekpunt {nl.auto(h.breakdown)}).")


def _multiple_testing_note(p_values: pd.Series, alpha: float = 0.05) -> str:
    """One sentence on chance findings when a table shows many p-values (empty for fewer than 5).

    Examples
    --------
    >>> _multiple_testing_note(pd.Series([0.01] * 20))
    ' Bij 20 uitkomstmaten komen er ook zonder enig effect gemiddeld 1,0 op p < 0,05 uit; het oordeel kijkt alleen naar de prioriteiten van het wijkakkoord.'
    """
    n = int(pd.to_numeric(p_values, errors="coerce").notna().sum())
    if n < 5:
        return ""
    return (f" Bij {n} uitkomstmaten komen er ook zonder enig effect gemiddeld {nl_number(alpha * n, 1)} "
            f"op p < {nl_number(alpha, 2)} uit; het oordeel kijkt alleen naar de prioriteiten van het wijkakkoord.")


def _too_wide(scale: Any, low: Any, high: Any, max_width: float) -> bool:
    """Is a ratio's interval wider than the verdict rule's ``max_relative_width`` (too little data)?"""
    return (scale == "ratio" and nl.finite(low) and nl.finite(high) and max_width > 0
            and float(high) - float(low) > max_width)


def bounded_effect_text(scale: Any, est: Any, low: Any, high: Any, max_width: float) -> str:
    """:func:`effect_text`, or "onvoldoende gegevens" when the interval is wider than the verdict rule
    allows (``verdict.max_relative_width``): the data cannot carry such an estimate, so it is not printed.

    Examples
    --------
    >>> bounded_effect_text("ratio", 1.13, 0.04, 33.5, 1.0)
    'onvoldoende gegevens'
    >>> bounded_effect_text("ratio", 0.84, 0.79, 0.90, 1.0)
    '−16% (95%-interval −21% tot −10%)'
    """
    if _too_wide(scale, low, high, max_width):
        return "onvoldoende gegevens"
    return effect_text(scale, est, low, high)


def _too_wide_note(frame: pd.DataFrame, max_width: float) -> str:
    """The table note for rows left at "onvoldoende gegevens" (empty when there are none)."""
    n = sum(_too_wide(s, lo, hi, max_width) for s, lo, hi in zip(frame["schaal"], frame["conf_low"], frame["conf_high"],
                                                                  strict=True))
    if not n:
        return ""
    return (f" Onvoldoende gegevens: het 95%-interval is breder dan {nl.pct(max_width)} (te weinig gebeurtenissen "
            "om iets over de verandering te zeggen), dus de schatting staat er niet.")


def quality_subject(key: Any, code: Any = "") -> str:
    """What a data-log row is about, in words: an outcome's label, a source's name for a source's missing
    months (``code`` "ontbrekende_maanden": "Politiecijfers ..."), or "hele wijk" for a flag on the ward.

    Examples
    --------
    >>> quality_subject("afval"), quality_subject("politie", "ontbrekende_maanden"), quality_subject("")
    ('Meldingen afval', 'Politiecijfers (geregistreerde misdrijven)', 'Hele wijk')
    >>> quality_subject("meldingen", "kanaalwissel")
    'Meldingen (totaal)'
    """
    from wijklib.monitor.view import SOURCE_NAMES

    k = "" if key is None or (isinstance(key, float) and math.isnan(key)) else str(key)
    if not k:
        return "Hele wijk"
    if code == "ontbrekende_maanden" and k in SOURCE_NAMES:
        name = SOURCE_NAMES[k]
        return name[:1].upper() + name[1:]
    return outcome_label(k)


def priority_effect_text(row: Any) -> str:
    """A wijkakkoord priority's estimate as the report prints it (:func:`wijklib.monitor.priorities.change_text`):
    a ratio as a percentage change; a difference in its unit: a share (naleving) and a Wijkprofiel percentage
    in percentage points, a follow-up time in days, an index score in index points.

    ``row`` is a row of the priorities table (``soort``, ``sleutel``, ``indicator``, ``schaal``, ``schatting``,
    ``conf_low``, ``conf_high``).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.Series({"soort": "wijkprofiel", "sleutel": "% voelt zich onveilig", "indicator": "% voelt zich onveilig",
    ...                "schaal": "difference", "schatting": 2.04, "conf_low": -1.5, "conf_high": 5.6})
    >>> priority_effect_text(r)
    '+2,0 procentpunt (95%-interval −1,5 tot +5,6)'
    """
    from wijklib.monitor.priorities import change_text

    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    return change_text(str(get("soort", "") or ""), str(get("sleutel", "") or ""), str(get("indicator", "")),
                       get("schaal"), get("schatting"), get("conf_low"), get("conf_high"))


def signal_chart_data(signals: pd.DataFrame, threshold: int = 5) -> tuple[pd.DataFrame, str]:
    """Signals per theme (and tone) summed over all years, safe to chart under the disclosure rule.

    A chart shows exact bar lengths, so no bar may stand for 1–4 signals: tones are merged per theme
    when a theme x tone cell is small, and themes that stay small are left out (and named in the note).

    Examples
    --------
    >>> s = pd.DataFrame({"jaar": [2024, 2025, 2025], "thema": ["afval", "afval", "jeugd"],
    ...                   "toon": ["negatief", "negatief", "positief"], "aantal": [4, 3, 2]})
    >>> d, note = signal_chart_data(s)
    >>> d.to_dict("records"), note
    ([{'thema': 'afval', 'toon': 'negatief', 'aantal': 7}], 'Niet in de grafiek (minder dan 5 signalen): jeugd.')
    """
    by_tone = signals.groupby(["thema", "toon"], as_index=False)["aantal"].sum()
    by_tone = by_tone[by_tone["aantal"] > 0]
    if not by_tone.empty and (by_tone["aantal"] >= threshold).all():
        return by_tone.reset_index(drop=True), ""
    totals = signals.groupby("thema", as_index=False)["aantal"].sum()
    small_cells = by_tone[by_tone["aantal"] < threshold]
    if small_cells.empty:
        return by_tone.reset_index(drop=True), ""
    dropped = sorted(totals.loc[(totals["aantal"] > 0) & (totals["aantal"] < threshold), "thema"])
    themes_ok = set(totals.loc[totals["aantal"] >= threshold, "thema"])
    # Keep the tone split only where every tone of that theme is large enough.
    clean = by_tone[by_tone["thema"].isin(themes_ok)]
    if (clean["aantal"] >= threshold).all():
        out = clean
    else:
        out = totals[totals["thema"].isin(themes_ok)]
    note = f"Niet in de grafiek (minder dan {threshold} signalen): {', '.join(dropped)}." if dropped else ""
    return out.reset_index(drop=True), note


def signal_publication(signals: pd.DataFrame, threshold: int = 5) -> tuple[pd.DataFrame, str, pd.DataFrame, pd.DataFrame]:
    """The signals chart, its note, the theme x year table and that table's suppression mask, together.

    The chart publishes the total of every theme it shows (no yearly totals are published), so the
    table's mask protects those rows (:func:`wijklib.disclosure.suppression_mask`). A theme whose
    non-zero years are all small can still be given away by its total (4, 4, 0, 4 with a bar of 12): such
    a theme leaves the chart (named in the note) instead of the table losing its rows.

    Examples
    --------
    >>> s = pd.DataFrame({"jaar": [2022, 2023, 2025, 2024, 2025], "thema": ["afval"] * 3 + ["jeugd"] * 2,
    ...                   "toon": "negatief", "aantal": [4, 4, 4, 6, 7]})
    >>> d, note, w, hide = signal_publication(s)
    >>> d["thema"].tolist(), note
    (['jeugd'], 'Niet in de grafiek (het totaal zou een klein aantal in de tabel verraden): afval.')
    """
    d, note = signal_chart_data(signals, threshold)
    w = signals.pivot_table(index="thema", columns="jaar", values="aantal", aggfunc="sum").fillna(0).astype(int)
    w.columns = [str(c) for c in w.columns]
    charted = set(d["thema"]) if not d.empty else set()
    withheld: list[str] = []
    while True:
        hide = suppression_mask(w, threshold, rows=charted, columns=False)
        exposed = {r for r, _ in derivable_cells(w, hide, threshold, rows=charted, columns=False)}
        if not exposed:
            break
        charted -= exposed
        withheld += sorted(exposed)
    if withheld:
        d = d[~d["thema"].isin(withheld)].reset_index(drop=True)
        note = (note + " " if note else "") + \
            f"Niet in de grafiek (het totaal zou een klein aantal in de tabel verraden): {', '.join(withheld)}."
    return d, note, w, hide


def partner_publication(partners: pd.DataFrame, threshold: int = 5) -> tuple[pd.DataFrame, pd.DataFrame, str | None]:
    """The partners table of a year, its suppression mask and note, safe under the disclosure rule.

    Two things beside a partner's count tell a reader about it: the year's number of collaborations (the
    network table: the column's total, so complements are hidden) and the partner's active quarters (at
    least one collaboration each, a lower bound). A ``<5`` beside 4 quarters is 4, so the quarters of a
    small count are shown only below ``threshold - 1`` (else ``x``); the bounds that stay enter the audit.

    Examples
    --------
    >>> pa = pd.DataFrame({"partner": ["welzijn", "politie", "jongerenwerk"], "aantal": [4, 30, 3],
    ...                    "kwartalen": [4, 4, 2]})
    >>> t, hide, note = partner_publication(pa)
    >>> hide.to_dict("list")
    {'aantal': [True, False, True], 'kwartalen': [True, False, False]}
    """
    pa = partners.reset_index(drop=True)
    small = (pa["aantal"] > 0) & (pa["aantal"] < threshold)
    lower = pd.DataFrame({"aantal": 0}, index=pa.index)
    masked_q = pd.Series(False, index=pa.index)
    if "kwartalen" in pa:
        masked_q = small & (pa["kwartalen"] >= threshold - 1)
        lower["aantal"] = pa["kwartalen"].where(~masked_q, 0)
    hide = suppression_mask(pa[["aantal"]], threshold, rows=False, columns=True, lower=lower)
    exposed = derivable_cells(pa[["aantal"]], hide, threshold, rows=False, columns=True, lower=lower)
    if "kwartalen" in pa:
        hide = hide.assign(kwartalen=masked_q)
    if exposed:
        # Every partner's count is small and the year's total gives them away (4 + 4 of 8): no counts.
        return (pa.drop(columns="aantal"), hide.drop(columns="aantal"),
                "Aantallen per partner niet getoond: met het jaartotaal zouden kleine aantallen af te leiden zijn.")
    parts = []
    if (hide["aantal"] & (pa["aantal"] >= threshold)).any():
        parts.append("x bij een aantal = verborgen zodat een klein aantal niet uit het jaartotaal is af te leiden")
    if masked_q.any():
        parts.append("x bij kwartalen = verborgen, want het aantal actieve kwartalen zou een klein aantal verraden")
    note = "; ".join(parts) + "." if parts else None
    return pa, hide, note


def rising_text(rising: pd.DataFrame, year: int, table: pd.DataFrame | None = None,
                hidden: pd.DataFrame | None = None) -> str:
    """The sentence on themes with notably more signals, safe under the disclosure rule.

    The mean of the earlier years times their number is the sum of the theme's earlier cells of the table
    "Signalen per thema en jaar": printed only when none of those cells is hidden there (else it could pin
    a ``<5``, e.g. ``<5, <5, 0`` with mean 2,7 gives 4 and 4). Without the table nothing is known to be
    shown, so the mean is left out too.

    Examples
    --------
    >>> ri = pd.DataFrame({"thema": ["afval"], "aantal": [6], "gemiddeld_eerder": [8 / 3]})
    >>> t = pd.DataFrame({"2022": [4], "2023": [4], "2024": [0], "2025": [6]}, index=["afval"])
    >>> rising_text(ri, 2025, t, t > 0)
    "**Opvallend stijgende thema's:** afval (6 signalen in 2025; meer dan in de eerdere jaren)."
    >>> rising_text(ri, 2025, t, t < 0)
    "**Opvallend stijgende thema's:** afval (6 signalen in 2025, eerder gemiddeld 2,7 per jaar)."
    """
    earlier = [] if table is None else [c for c in table.columns if str(c).isdigit() and int(c) < year]
    parts = []
    for r in rising.itertuples():
        shown = False
        if earlier and hidden is not None and r.thema in table.index:
            shown = not hidden.loc[r.thema, earlier].to_numpy(dtype=bool).any()
        tail = f", eerder gemiddeld {nl_number(r.gemiddeld_eerder, 1)} per jaar" if shown \
            else "; meer dan in de eerdere jaren"
        parts.append(f"{r.thema} ({format_count(r.aantal)} signalen in {year}{tail})")
    return "**Opvallend stijgende thema's:** " + "; ".join(parts) + "."


class WardReport:
    """The evaluation report of one wijkraad for one year (numbers from ``wijklib.monitor``).

    The evaluation comes from the batch cache (:mod:`wijklib.report.evaluations`): the monitor evaluates
    the whole city once per batch and each notebook reads its ward's JSON.

    Examples
    --------
    >>> r = WardReport("Tarwewijk", 2025, "config/demo.yaml")  # doctest: +SKIP
    >>> r.headline()["wijkraad_id"]  # doctest: +SKIP
    'tarwewijk'
    """

    def __init__(self, wijkraad: str, jaar: int, config_path: str) -> None:
        from wijklib.monitor import view
        from wijklib.report import evaluations

        setup_notebook()
        self.cfg = load_config(config_path)
        self.jaar = int(jaar)
        self.code, _ = evaluations.resolve_unit(self.cfg, wijkraad)
        self.ev = evaluations.load_ward(self.cfg, self.jaar, self.code)
        self.naam = self.ev.wijkraad
        self._panel: pd.DataFrame | None = None
        self._evaluations = evaluations
        self._view: Any = None
        self.delivered = evaluations.delivered(self.cfg, self.jaar)
        self.not_delivered = view.not_delivered(self.delivered)
        self.intake = evaluations.intake(self.cfg, self.jaar)
        self.placebo = evaluations.load_placebo(self.cfg, self.jaar)
        #: What the city calls its report unit ("wijkraad", "wijk"), for the cover and the text.
        self.eenheid = self.cfg.eenheid

    # -- data ------------------------------------------------------------------------------
    @property
    def view(self) -> Any:
        """The monitor's estimates shown besides the verdicts (:func:`wijklib.monitor.view.ward_view`),
        computed once per report."""
        if self._view is None:
            from wijklib.monitor import view

            self._view = view.ward_view(self.ev, self.panel,
                                        cache_key=self._evaluations.cache_dir(self.cfg, self.jaar),
                                        alpha=float(self.ev.config.get("verdict", {}).get("alpha", 0.05)))
        return self._view

    @property
    def per_inwoners(self) -> bool:
        """Are rates per 1,000 residents known (the geography has a population)?"""
        return bool(self.intake.get("inwoners_bekend", True))

    def _missing(self, level: str) -> bool:
        """Show the 'not delivered' statement of a level; True when none of its sources was delivered."""
        text = self.not_delivered.get(level)
        if text:
            show_md(f"*{text}*")
        return bool(text) and text.endswith("niet worden beschreven.")

    @property
    def panel(self) -> pd.DataFrame:
        if self._panel is None:
            pnl = self._evaluations.load_panel(self.cfg, self.jaar)
            if self.cfg.option("placebo_start") is not None:  # as evaluated: this unit alone starts then
                from wijklib.monitor import view

                pnl = view.placebo_panel(pnl, self.code, self.cfg.option("placebo_start"))
            self._panel = pnl
        return self._panel

    def start(self) -> pd.Timestamp | None:
        """Start of ward-based enforcement in this ward (None when never)."""
        if "first_treated" not in self.panel.columns:  # no interventie delivered, no placebo start
            return None
        sub = self.panel.loc[self.panel["unit"] == self.code, "first_treated"]
        v = pd.to_datetime(sub).dropna()
        return None if v.empty else pd.Timestamp(v.iloc[0])

    def priorities(self) -> pd.DataFrame:
        """The wijkakkoord priorities with estimate, interval and verdict (monitor's table)."""
        return self.ev.to_frame("priorities")

    def headline(self) -> dict[str, Any]:
        """Headline numbers: the monitor's ``headline()`` plus the printed effect texts per priority."""
        h = dict(self.ev.headline())
        h["effecten"] = {f"{r.thema} | {r.indicator}": priority_effect_text(r)
                         for r in self.priorities().itertuples()}
        h["niet_geleverd"] = sorted(set(_SOURCES_ALL) - set(self.delivered))
        main = self._main_effect()
        if main is not None:
            h["hoofduitkomst"] = {"uitkomst": main["uitkomst"], "schatting": _num(main["schatting"]),
                                  "conf_low": _num(main["conf_low"]), "conf_high": _num(main["conf_high"]),
                                  "p_value": _num(main["p_value"]), "ontwerp": main["ontwerp"]}
        if self.placebo is not None:
            h["placebo"] = {"start": self.placebo["start"], "aandeel": self.placebo["alle_uitkomsten"]["aandeel"],
                            "n_tests": self.placebo["alle_uitkomsten"]["n_tests"],
                            "aandeel_totaal": self.placebo["totaal"]["aandeel"]}
        return h

    def _main_effect(self) -> pd.Series | None:
        """The effects-table row of the outcome the charts follow (None when there is none)."""
        o = self.view.outcome
        eff = self.ev.to_frame("effects")
        row = eff[eff["uitkomst"] == o] if o is not None and not eff.empty else eff.iloc[0:0]
        return None if row.empty else row.iloc[0]

    def development(self, kind: str, key: str) -> str:
        """One line on how an indicator developed from the year before the start (or the first year) to now.

        Panel outcomes: rate per 1,000 residents, ward and city; enforcement: the yearly share; Wijkprofiel:
        the score per edition. Empty when the indicator has no yearly series.
        """
        start = self.start()
        each = ""  # a unit after every number (a share: "67% (2021) → 81% (2025)")
        if kind == "panel":
            tr = self.ev.to_frame("trends")
            d = tr[tr["uitkomst"] == key].set_index("jaar").sort_index()
            unit, col_w, col_c, digits = (" per 1.000 inwoners", "wijk", "stad", 1) if self.per_inwoners else \
                (" per jaar (aantal, omgerekend naar 12 maanden; stad: gemiddelde per wijk)", "wijk", "stad", 0)
        elif kind == "handhaving":
            en = self.ev.to_frame("enforcement")
            d = en[(en["indicator"] == key) & (en["thema"].fillna("") == "")].set_index("jaar").sort_index()
            unit, col_w, col_c, digits = "", "schatting", None, 2
            from wijklib.monitor.priorities import DAY_INDICATORS, SHARE_INDICATORS

            if key in SHARE_INDICATORS:  # a share reads as a percentage: 67% -> 81%
                d = d.assign(schatting=100 * pd.to_numeric(d["schatting"], errors="coerce"))
                unit, digits = "", 0
                each = "%"
            elif key in DAY_INDICATORS:
                unit = " dagen"
        elif kind == "wijkprofiel":
            sv = self.ev.to_frame("survey")
            d = sv[sv["indicator"] == key].set_index("editie").sort_index()
            from wijklib.monitor.level2 import is_percentage

            unit = " (% van de respondenten)" if is_percentage(key) else " (index)"
            col_w, col_c, digits = "waarde", "stad", 0
        else:
            return ""
        d = d[d[col_w].notna()] if col_w in d else d.iloc[0:0]
        if len(d) < 2:
            return ""
        years = list(d.index)
        base = start.year - 1 if start is not None and (start.year - 1) in years else years[0]
        last = years[-1]
        text = (f"Ontwikkeling: {nl_number(d.loc[base, col_w], digits)}{each} ({base}) → "
                f"{nl_number(d.loc[last, col_w], digits)}{each} ({last}){unit}")
        if col_c and col_c in d and pd.notna(d.loc[base, col_c]) and pd.notna(d.loc[last, col_c]):
            text += f"; stad {nl_number(d.loc[base, col_c], digits)} → {nl_number(d.loc[last, col_c], digits)}"
        return text + "."

    def _main_outcome(self) -> str | None:
        """Panel outcome that drives the ITS/DiD charts (:func:`wijklib.monitor.view.main_outcome`)."""
        return self.view.outcome

    # -- sections --------------------------------------------------------------------------
    def cover(self) -> None:
        """Display the cover page (demo banner when the configuration says the data are synthetic)."""
        start = self.start()
        q = self.ev.to_frame("quality")
        rag = q["rag"].value_counts().to_dict() if "rag" in q else {}
        words = {"R": "rood", "A": "oranje", "G": "groen", "red": "rood", "amber": "oranje", "green": "groen"}
        status = (", ".join(f"{n}× {words.get(str(k), k)}" for k, n in sorted(rag.items()))
                  + " (gegevenslogboek achterin)") if rag else "geen opmerkingen"
        placebo = self.placebo is not None
        started = (f"verzonnen start {nl_month(start)} (placebotoets)" if placebo and start is not None
                   else f"sinds {nl_month(start)}" if start is not None else "(nog) niet gestart")
        meta = [(self.eenheid.capitalize(), self.naam), ("Jaar", str(self.jaar)),
                ("Gemaakt op", today()), ("Wijkgericht handhaven", started), ("Gegevens", self.cfg.naam)]
        if self.not_delivered:
            absent = sorted(set(_SOURCES_ALL) - set(self.delivered))
            from wijklib.monitor.view import SOURCE_NAMES

            meta.append(("Niet geleverd", ", ".join(SOURCE_NAMES[a] for a in absent)))
        meta.append(("Status gegevens", status))
        show_html(cover_html(
            kicker=f"{self.cfg.titel}" + (" · Wijk aan Zet" if "wijkakkoorden" in self.delivered else ""),
            title=self.naam, subtitle=f"Evaluatie {self.jaar}",
            meta=meta,
            demodata=self.cfg.demodata,
            placebo=(f"In deze gegevens is geen echte interventie bekend. De 'effecten' in dit rapport zijn geschat "
                     f"bij een verzonnen startdatum ({nl_month(start)}) om te laten zien hoe vaak de methoden ten "
                     "onrechte een effect vinden." if placebo and start is not None else None),
            foot="Gemaakt met wijklib. Alle getallen en zinnen in dit rapport zijn uit de gegevens berekend; "
                 "niets is met de hand overgetypt.",
        ))

    def summary(self) -> None:
        """'In het kort': per priority development, effect with interval, verdict, herijk advice."""
        pr = self.priorities()
        herijk = {h["thema"]: h for h in self.ev.herijk}
        if pr.empty and "wijkakkoorden" not in self.delivered:
            show_md(f"*{self.not_delivered['akkoord']}* Er zijn dus geen prioriteiten om te beoordelen; hieronder "
                    "staat wat de geleverde bronnen over de wijk zeggen.")
            self._summary_without_priorities()
        elif pr.empty:
            show_md(f"Voor {self.naam} is voor {self.jaar} geen wijkakkoord met prioriteiten vastgelegd.")
        # The summary line first (what a council member reads), then one block per priority. The block
        # does not repeat the monitor's full sentence (estimate and interval are already on its first
        # line), so the section stays on one page.
        counts = self.ev.headline()["verdicts"]
        if pr.empty:
            record_headline(self.headline())
            return
        by_key = {(p.thema, p.indicator): p for p in self.ev.priorities}
        methods = [p.measure.method for p in self.ev.priorities if p.measure is not None and p.measure.method]
        # The method most priorities share is said once, above the blocks ("In het kort" stays one page).
        shared = max(set(methods), key=methods.count) if methods else ""
        shared = shared if methods.count(shared) >= 2 else ""
        show_md("**Samengevat:** " + verdict_summary(counts) +
                (". Herijk-advies voor: " + ", ".join(h["thema"] for h in self.ev.herijk) + "."
                 if self.ev.herijk else ". Geen herijk-advies.")
                + (f" Waar niet anders vermeld, gemeten als {md_safe(shared)}." if shared else ""))
        blocks = []
        for thema, grp in pr.groupby("thema", sort=False):
            lines = []
            for r in grp.itertuples():
                p = by_key.get((r.thema, r.indicator))
                dev = self.development(p.kind, p.key) if p is not None else ""
                method = p.measure.method if p is not None and p.measure is not None else ""
                why = f"Oordeel: {r.oordeel}, want {r.reden}." if str(r.reden) else f"Oordeel: {r.oordeel}."
                lines.append(
                    f"<p><b>{html.escape(str(getattr(r, 'indicator_naam', None) or r.indicator))}</b> "
                    f"({html.escape(str(r.richting))} gewenst): "
                    f"<span class=\"getal\">{priority_effect_text(r)}</span> "
                    f"{verdict_chip(str(r.oordeel))}<br/>"
                    + (f"<i>{html.escape(dev)}</i> " if dev else "")
                    + (f"Gemeten als {html.escape(method)}. " if method and method != shared else "")
                    + f"{html.escape(why)}</p>")
            if thema in herijk:
                h = herijk[thema]
                kind = "eerst meetbaar maken" if h.get("advies") == "eerst meetbaar maken" else "herijken"
                lines.append(f'<p class="herijk">Herijk-advies ({kind}): {html.escape(str(h.get("bewijs", "")))}</p>')
            blocks.append(f'<div class="kort"><h4>{html.escape(str(thema))}</h4>{"".join(lines)}</div>')
        show_html("".join(blocks))
        record_headline(self.headline())

    def _summary_without_priorities(self) -> None:
        """'In het kort' without a wijkakkoord: the development and the effect of the main outcome, and the
        placebo statement of a placebo run."""
        o = self.view.outcome
        blocks = []
        if o is not None:
            dev = self.development("panel", o)
            main = self._main_effect()
            eff = (f"<span class=\"getal\">{effect_text(main['schaal'], main['schatting'], main['conf_low'], main['conf_high'])}"
                   f"</span> ({nl_p(main['p_value'])}; {html.escape(str(main['methode']))})" if main is not None
                   else "niet te schatten")
            label_ = "Placebo-effect" if self.placebo is not None else "Geschat effect"
            blocks.append(f'<div class="kort"><h4>{html.escape(outcome_label(o))}</h4><p>'
                          + (f"<i>{html.escape(dev)}</i><br/>" if dev else "")
                          + f"{label_} sinds de start: {eff}.</p></div>")
        if self.placebo is not None:
            from wijklib.monitor.view import placebo_statement

            blocks.append('<div class="kort"><h4>Placebotoets</h4><p>'
                          + html.escape(placebo_statement(self.placebo, self.code)) + "</p></div>")
        show_html("".join(blocks))

    def level1(self) -> None:
        """Level 1: rates vs the city, effect table, ITS and event-study charts, enforcement trends."""
        self._missing("level1")

        tr = self.ev.to_frame("trends")
        outs = [p.key for p in self.ev.priorities if p.kind == "panel"]
        outs = list(dict.fromkeys(o for o in outs if o in set(tr["uitkomst"]))) or sorted(tr["uitkomst"].unique())[:4]
        self._trend_grid(tr, outs)
        eff = self.ev.to_frame("effects")
        is_effect = eff["ontwerp"].isin(["did", "placebo", "its", "its_controlled", "synth", "dcdh"]) if not eff.empty else None
        effects = eff[is_effect] if not eff.empty else eff
        developments = eff[~is_effect & (eff["ontwerp"] == "ontwikkeling")] if not eff.empty else eff
        width = float((self.ev.config or {}).get("verdict", {}).get("max_relative_width", 1.0))
        if not effects.empty:
            t = pd.DataFrame({
                "uitkomst": effects["uitkomst"].map(outcome_label),
                "effect": [bounded_effect_text(s, e, lo, hi, width) for s, e, lo, hi in
                           zip(effects["schaal"], effects["schatting"], effects["conf_low"], effects["conf_high"],
                               strict=True)],
                "p_value": [nl.p_value(p, missing="–") for p in effects["p_value"]],
                "maanden_voor": effects["maanden_voor"], "maanden_na": effects["maanden_na"],
            })
            methods = sorted(set(effects["methode"].dropna()))
            show_table(t.rename(columns={"p_value": "p-waarde", "maanden_voor": "maanden vóór de start",
                                         "maanden_na": "maanden erna"}),
                       caption="Geschat effect sinds de start, per uitkomst", css_class="effecten",
                       note="Gemeten als " + "; ".join(methods) + ". Effect: procentuele verandering ten opzichte "
                            "van de verwachting zonder wijkgericht handhaven." + _multiple_testing_note(effects["p_value"])
                            + _too_wide_note(effects, width))
        elif self.start() is None or (self.start() is not None and self.start().year > self.jaar):
            show_md(f"**Nog geen effect te meten.** Wijkgericht handhaven is in {self.naam} in {self.jaar} (nog) niet "
                    "gestart. Een effect kan pas worden gemeten als er maanden na de start zijn; hieronder staat "
                    "alleen hoe de wijk zich ontwikkelde, vergeleken met de rest van de stad.")
        if not developments.empty:
            wide = [_too_wide(sc, lo, hi, width) for sc, lo, hi in
                    zip(developments["schaal"], developments["conf_low"],
                        developments["conf_high"], strict=True)]
            ok = developments[[not x for x in wide]]
            left_out = [outcome_label(u) for u, x in zip(developments["uitkomst"], wide, strict=True) if x]
            caption = f"Ontwikkeling {self.jaar - 1} → {self.jaar}, vergeleken met de rest van de stad"
            few = (f"te weinig gebeurtenissen in {self.naam}: het 95%-interval van de vergelijking is breder dan "
                   f"{nl.pct(width)}")
            if ok.empty:
                show_md(f"**{caption}:** voor geen enkele uitkomst te zeggen ({few}).")
            else:
                t = pd.DataFrame({
                    "uitkomst": ok["uitkomst"].map(outcome_label),
                    "verandering t.o.v. de rest van de stad": [
                        effect_text(sc, e, lo, hi) for sc, e, lo, hi in
                        zip(ok["schaal"], ok["schatting"], ok["conf_low"], ok["conf_high"], strict=True)],
                })
                show_table(t, caption=caption,
                           note=f"De verandering van {self.jaar - 1} op {self.jaar} in deze wijk, gedeeld door dezelfde "
                                "verandering in de andere wijken (95%-interval). Dit beschrijft een ontwikkeling, geen "
                                "effect van wijkgericht handhaven."
                                + (f" Niet te zeggen ({few}): {nl.join(left_out)}." if left_out else ""))
        self._its_chart()
        self._event_study_chart()
        self._enforcement()
        fo = self.ev.to_frame("focus")
        if not fo.empty:
            show_table(self._focus_table(fo), caption="(Hyper)focusgebieden in deze wijkraad",
                       note="Veiligheidsindex: score van de Veiligheidsindex (hoger is veiliger), bij de editie "
                            "vóór de start en de laatste editie. Verschil met de stad: de verandering in het gebied "
                            "min die in de hele stad over dezelfde edities.")

    def _area_names(self) -> dict[str, str]:
        """Code -> name of every area of the run's geography at every level (for monitor texts)."""
        names = dict(self._evaluations.ward_names(self.cfg, self.jaar))
        try:
            g = self._evaluations.geo_of(self.cfg)
            for level in g.levels:
                frame = g.units(level)
                code_col, name_col = f"{level}_code", level
                if code_col in frame.columns and name_col in frame.columns:
                    names.update({str(c): str(n) for c, n in zip(frame[code_col], frame[name_col], strict=True)
                                  if isinstance(n, str) and n})
        except Exception:  # noqa: BLE001 - without a geography only the ward names are known
            pass
        return names

    def _focus_table(self, fo: pd.DataFrame) -> pd.DataFrame:
        """The focus areas for a reader: area names, Dutch periods and spelled-out headers."""
        try:
            g = self._evaluations.geo_of(self.cfg)
        except Exception:  # noqa: BLE001 - without a geography the codes are shown as they are
            g = None

        def area(code: Any) -> str:
            for level in ("buurt", "wijk", self.eenheid):
                try:
                    name = (g.name(code, level) if g is not None else None) or ""
                except (KeyError, ValueError, TypeError):
                    continue
                if name and name != code:
                    return name
            return str(code)

        def period(start: Any, end: Any) -> str:
            begin = nl.month_short(start) if isinstance(start, str) and start else "?"
            return f"{begin} – {nl.month_short(end)}" if isinstance(end, str) and end else f"sinds {begin}"

        def finite(x: Any) -> bool:
            return isinstance(x, (int, float)) and math.isfinite(x)

        def vi(score: Any, edition: Any) -> str:
            return f"{nl_number(score, 1)} ({int(edition)})" if finite(score) and finite(edition) else "–"

        def signed(x: Any) -> str:
            return ("+" if finite(x) and round(x, 1) > 0 else "") + nl_number(x if finite(x) else None, 1)

        return pd.DataFrame({
            "gebied": fo["wijk_code"].map(area),
            "soort": fo["niveau"].map(lambda n: f"{n}­gebied" if isinstance(n, str) else "–"),
            "periode": [period(a, b) for a, b in zip(fo["start"], fo["eind"], strict=True)],
            "Veiligheidsindex vóór de start": [vi(a, b) for a, b in zip(fo["vi_voor"], fo["editie_voor"], strict=True)],
            "Veiligheidsindex laatst": [vi(a, b) for a, b in zip(fo["vi_laatst"], fo["editie_laatst"], strict=True)],
            "verandering": fo["vi_verschil"].map(signed),
            "verschil met de stad": fo["verschil_tov_stad"].map(signed),
        })

    def _trend_grid(self, tr: pd.DataFrame, outs: list[str]) -> None:
        import matplotlib.pyplot as plt

        from wijklib import plots

        n = len(outs)
        ncols = 2 if n > 1 else 1
        nrows = math.ceil(n / ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(plots.TEXT_WIDTH, 1.9 * nrows + 0.4), layout="constrained",
                                 squeeze=False)
        for ax, o in zip(axes.flat, outs, strict=False):
            d = tr[tr["uitkomst"] == o].sort_values("jaar")
            ax.plot(d["jaar"], d["wijk"], color=plots.COLORS["wijk"], marker="o", markersize=2.5, label=self.naam)
            ax.plot(d["jaar"], d["stad"], color=plots.COLORS["stad"], linestyle="--", label="Stad")
            ax.set_title(plots.wrap(outcome_label(o) + " per 1.000 inwoners", 45), fontsize=8, loc="left")
            plots.years_axis(ax)
            plots.dutch_numbers(ax)
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        axes.flat[0].legend(loc="best")
        start = self.start()
        if start is not None:
            for ax in list(axes.flat)[:n]:
                ax.axvline(start.year + (start.month - 1) / 12, color=plots.COLORS["start"], linestyle=":", linewidth=1)
        fig.suptitle("Ontwikkeling per jaar: wijk tegenover de stad"
                     + (" (stippellijn: start wijkgericht handhaven)" if start is not None else ""),
                     fontsize=8.5, x=0.01, ha="left")
        plots.show(fig)

    def _its_chart(self) -> None:
        from wijklib import plots

        v = self.view
        o, start = v.outcome, v.start
        if o is None or start is None:
            show_md("Geen tijdreeksgrafiek: " + ("wijkgericht handhaven is hier niet gestart." if start is None
                                                   else "geen prioriteit die in de maandcijfers te volgen is."))
            return
        if v.its is None:
            show_md(f"Geen tijdreeksgrafiek voor {outcome_label(o).lower()}: {v.its_error}")
            return
        res = v.its
        cf = res.counterfactual().rename(columns={"period": "periode", "observed": "waargenomen",
                                                  "counterfactual": "contrafeitelijk", "counterfactual_low": "conf_low",
                                                  "counterfactual_high": "conf_high"})
        cf.loc[~cf["post"], ["contrafeitelijk", "conf_low", "conf_high"]] = float("nan")
        fig, ax = plots.observed_vs_counterfactual(
            cf, start=start, title=f"{outcome_label(o)}: waargenomen en verwacht zonder wijkgericht handhaven",
            ylabel="Aantal per maand")
        plots.show(fig)
        text = res.effect_summary(outcome=f"het aantal {outcome_label(o).lower()}", technical=False).text
        if res.method.get("controlled"):
            text += (" De verwachting volgt de eigen trend van de wijk vóór de start, en neemt veranderingen mee "
                     "die ook de wijken zonder wijkgericht handhaven troffen"
                     + (" (zoals de overstap op de MeldR-app)." if "meldingen" in self.delivered else "."))
        eff = self.ev.to_frame("effects")
        row = eff[eff["uitkomst"] == o]
        if not row.empty and row["ontwerp"].iloc[0] not in ("its", "its_controlled"):
            text += " " + robustness_sentence(row.iloc[0], res.level_change)
        show_md(text)

    def _event_study(self):
        """The ward's event study and its outcome (from :attr:`view`), or the ValueError it raised."""
        v = self.view
        if v.event_study_error is not None:
            raise ValueError(v.event_study_error)
        return v.event_study, v.outcome

    def _event_study_chart(self) -> None:
        from wijklib import plots

        try:
            es, o = self._event_study()
        except ValueError as exc:
            show_md(f"Geen event study: {exc}")
            return
        if es is None:
            return
        per = self.view.scale == "per 1.000 inwoners"
        fig, ax = plots.event_study(es.table, title=(f"{outcome_label(o)} per 1.000 inwoners: {self.naam} " if per else
                                                      f"{outcome_label(o)}: {self.naam} ")
                                    + "tegenover wijken zonder wijkgericht handhaven, per maand rond de start",
                                    ylabel="Verschil per 1.000 inwoners" if per else "Verschil in log(1 + aantal)",
                                    xlabel="Maanden t.o.v. de start")
        plots.show(fig)
        pre = self.view.pretest
        e = es.effect
        n = int(es.method.get("n_placebos") or 0)
        threshold = float(self.ev.config.get("verdict", {}).get("pretrend_alpha", 0.10))
        size = (f"{effect_text('difference', e.estimate, e.conf_low, e.conf_high, 2)} per 1.000 inwoners per maand"
                if per else f"{effect_text('difference', e.estimate, e.conf_low, e.conf_high, 3)} op de log-schaal "
                f"(≈ {nl_pct(math.expm1(e.estimate), signed=True)} per maand; zonder inwonertal geen cijfers per "
                "1.000 inwoners)")
        eff = self.ev.to_frame("effects")
        row = eff[eff["uitkomst"] == o]
        show_md(event_study_text(self.naam, outcome_label(o), n, pre.p_value, int(pre.df), threshold, size,
                                 e.estimate, None if row.empty else row.iloc[0], e.conf_low, e.conf_high))

    def _enforcement(self) -> None:
        import matplotlib.pyplot as plt

        from wijklib import plots

        en = self.ev.to_frame("enforcement")
        en = en[en["thema"].fillna("") == ""]  # ward-wide indicators; per-theme shares go in the tables
        if en.empty:
            return
        inds = list(dict.fromkeys(en["indicator"]))[:4]
        fig, axes = plt.subplots(1, len(inds), figsize=(plots.TEXT_WIDTH, 2.2), layout="constrained", squeeze=False)
        for ax, ind in zip(axes.flat, inds, strict=False):
            d = en[en["indicator"] == ind].groupby("jaar", as_index=False)[["schatting", "conf_low", "conf_high"]].mean()
            ax.fill_between(d["jaar"], d["conf_low"], d["conf_high"], color=plots.COLORS["band"], alpha=0.5, linewidth=0)
            ax.plot(d["jaar"], d["schatting"], color=plots.COLORS["wijk"], marker="o", markersize=2.5)
            ax.set_title(plots.wrap(label(str(ind)), 22), fontsize=7.5, loc="left")
            plots.years_axis(ax)
            plots.dutch_numbers(ax)
            ax.tick_params(labelsize=6.5)
        fig.suptitle("Handhaving: naleving en opvolging per jaar (band: 95%-interval)", fontsize=8.5, x=0.01, ha="left")
        plots.show(fig)

    def level2(self) -> None:
        """Level 2: survey indicators over editions vs the city, signals by theme, rising themes, quotes."""
        import matplotlib.pyplot as plt

        from wijklib import plots
        from wijklib.disclosure import scrub

        if self._missing("level2"):
            return
        sv = self.ev.to_frame("survey")
        if not sv.empty:
            # The wijkakkoord's own survey indicators first, then the others, six panels at most.
            own = [p.key for p in self.ev.priorities if p.kind == "wijkprofiel"]
            inds = list(dict.fromkeys([i for i in own if i in set(sv["indicator"])] + list(sv["indicator"])))[:6]
            ncols = 3
            nrows = math.ceil(len(inds) / ncols)
            fig, axes = plt.subplots(nrows, ncols, figsize=(plots.TEXT_WIDTH, 1.8 * nrows + 0.4),
                                     layout="constrained", squeeze=False)
            for ax, ind in zip(axes.flat, inds, strict=False):
                d = sv[sv["indicator"] == ind].sort_values("editie")
                ax.errorbar(d["editie"], d["waarde"], yerr=d["marge"].fillna(0), color=plots.COLORS["wijk"],
                            marker="o", markersize=2.5, capsize=2, linewidth=1.2)
                ax.plot(d["editie"], d["stad"], color=plots.COLORS["stad"], linestyle="--", linewidth=1)
                ax.set_title(plots.wrap(str(ind), 28), fontsize=7.5, loc="left")
                ax.set_xticks(sorted(d["editie"].unique()))
                plots.dutch_numbers(ax)
                ax.tick_params(labelsize=6.5)
            for ax in list(axes.flat)[len(inds):]:
                ax.set_visible(False)
            fig.suptitle(f"Wijkprofiel per editie: {self.naam} (blauw, met foutmarge) en de stad (grijs)",
                         fontsize=8.5, x=0.01, ha="left")
            plots.show(fig)
        sg = self.ev.to_frame("signals")
        if not sg.empty:
            d, note, w, hide = signal_publication(sg)
            if not d.empty:
                years = f"{int(sg['jaar'].min())}–{int(sg['jaar'].max())}"
                fig, ax = plots.bars(d, x="thema", y="aantal", hue="toon" if "toon" in d else None,
                                     ylabel="Aantal signalen", horizontal=True, size="wide",
                                     title=f"Signalen uit de wijk {years}, per thema" + (" en toon" if "toon" in d else ""))
                ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=3) if "toon" in d else None
                plots.show(fig)
            if note:
                show_md(note)
            show_table(w.reset_index(), counts=list(w.columns), caption="Signalen per thema en jaar",
                       hidden=hide.reset_index(drop=True),
                       note="Aantallen van 1 tot en met 4 staan als <5; x = verborgen zodat een klein aantal niet "
                            "uit een totaal in de grafiek is af te leiden.")
        else:
            w = hide = None
        ri = self.ev.to_frame("rising")
        if not ri.empty:
            show_md(rising_text(ri, self.jaar, w, hide))
        qu = self.ev.to_frame("quotes")
        if not qu.empty:
            # The same remark often comes in through several channels: show it once, with every source.
            def _join(v: pd.Series) -> str:
                return ", ".join(dict.fromkeys(str(x) for x in v))

            qu = (qu.assign(tekst=qu["tekst"].astype(str)).groupby("tekst", sort=False, as_index=False)
                  .agg(thema=("thema", _join), bron=("bron", _join)))
            items = "".join(f"<li>“{html.escape(scrub(str(r.tekst)))}” <span class=\"note\">({html.escape(str(r.thema))}, "
                            f"{html.escape(str(r.bron))})</span></li>" for r in qu.head(6).itertuples())
            show_html(f"<h4>Uit de wijk (publiceerbare signalen, zonder persoonsgegevens)</h4><ul>{items}</ul>")

    def level3(self) -> None:
        """Level 3: embedding in the ward network (score and components per year, partners)."""
        from wijklib import plots

        if self._missing("level3"):
            return
        nw = self.ev.to_frame("network")
        if not nw.empty:
            fig, ax = plots.bars(nw.assign(jaar=nw["jaar"].astype(str)), x="jaar", y="score", size="half",
                                 title="Netwerkscore (0–100)", ylabel="Score")
            plots.show(fig)
            cols = [c for c in ["jaar", "overleggen", "aanwezigheid", "partners_actief", "regelmaat", "samenwerkingen",
                                "score"] if c in nw.columns]
            l3 = (self.ev.config or {}).get("level3", {}) if isinstance(self.ev.config, dict) else {}
            core = list(l3.get("core_partners", []))
            w = dict(l3.get("weights", {}))
            heads = {"jaar": "jaar", "overleggen": "wijkoverleggen", "aanwezigheid": "aanwezig bij overleggen",
                     "partners_actief": f"kernpartners actief (van {len(core)})" if core else "kernpartners actief",
                     "regelmaat": "regelmaat", "samenwerkingen": "samenwerkingen (alle partners)",
                     "score": "netwerkscore"}
            table = nw[cols].rename(columns=heads)
            note = ("Aanwezig bij overleggen: aandeel van de wijkoverleggen waar handhaving bij was. Kernpartners: "
                    + (", ".join(core) if core else "de partners uit de monitorconfiguratie")
                    + "; actief = minstens één samenwerking in het jaar. Regelmaat: aandeel van de kwartalen waarin "
                    "elke kernpartner samenwerkte. Samenwerkingen: alle samenwerkingen, ook met andere partners "
                    "(per partner in de tabel hieronder).")
            if w:
                note += (f" Netwerkscore = 100 × ({nl_number(w.get('aanwezigheid', 0), 2)} × aanwezigheid + "
                         f"{nl_number(w.get('breedte', 0), 2)} × aandeel actieve kernpartners + "
                         f"{nl_number(w.get('regelmaat', 0), 2)} × regelmaat).")
            show_table(table, counts=[heads[c] for c in ("overleggen", "samenwerkingen") if c in cols],
                       pct=[heads[c] for c in ("aanwezigheid", "regelmaat") if c in cols],
                       caption="Verankering in het wijknetwerk per jaar", note=note)
        pa = self.ev.to_frame("partners")
        if not pa.empty:
            pa, hide, note = partner_publication(pa)
            show_table(pa, counts=["aantal"], caption=f"Samenwerking met partners in {self.jaar}",
                       hidden=hide, note=note)
        show_md(f"Netwerkscore {self.jaar}: **{nl_number(self.ev.level3.score, 0)}** van 100.")

    def akkoord(self) -> None:
        """Wijkakkoord cycle: comparison with last year and herijk advice."""
        if self._missing("akkoord"):
            return
        cmp = self.ev.to_frame("comparison")
        if not cmp.empty:
            pr = self.priorities()
            names = dict(zip(zip(pr["thema"], pr["indicator"], strict=True), pr["indicator_naam"], strict=True)) \
                if "indicator_naam" in pr else {}
            c = cmp.assign(oordeel_vorig=cmp["oordeel_vorig"].fillna("–").map(lambda v: verdict_chip(v) if v != "–" else v),
                           oordeel=cmp["oordeel"].map(verdict_chip),
                           indicator=[names.get(k, k[1]) for k in zip(cmp["thema"], cmp["indicator"], strict=True)])
            show_table(c[["thema", "indicator", "oordeel_vorig", "oordeel"]].rename(columns={"oordeel_vorig": "vorig jaar"}),
                       raw_html=["vorig jaar", "oordeel"], caption=f"Oordeel {self.jaar} tegenover {self.jaar - 1}")
        hj = self.ev.to_frame("herijk")
        if hj.empty:
            show_md("Geen prioriteit komt in aanmerking voor herijking: geen enkele prioriteit liet "
                    f"{self.ev.config.get('herijk', {}).get('years', 2)} jaar achter elkaar geen of een ongunstige ontwikkeling zien.")
        else:
            show_table(hj[["thema", "jaren", "advies", "bewijs"]].rename(
                columns={"jaren": "jaren op rij zonder 'op koers'", "bewijs": "oordeel per jaar"}),
                caption="Herijk-advies")

    def method(self) -> None:
        """Method and caveats: design per outcome and why, inference, the verdict rule, the data log."""
        from wijklib import monitor
        from wijklib.monitor.glossary import glossary_markdown

        said: list[str] = []  # the method section's text, for the glossary of the terms it uses
        eff = self.ev.to_frame("effects")
        if not eff.empty:
            g = (eff.assign(uitkomst=eff["uitkomst"].map(outcome_label))
                 .groupby(["methode_technisch", "inferentie", "vergelijkingswijken", "waarom"], as_index=False,
                          dropna=False)
                 .agg(uitkomsten=("uitkomst", lambda v: ", ".join(v))))
            names = self._evaluations.ward_names(self.cfg, self.jaar)
            g["waarom"] = g["waarom"].map(lambda t: with_names(t, names))
            said += [" ".join(map(str, g[c])) for c in ("methode_technisch", "inferentie", "waarom")]
            show_html(design_blocks_html(g))
        v = self.view
        es = v.event_study
        pre_txt = ""
        threshold = float(self.ev.config.get("verdict", {}).get("pretrend_alpha", 0.10))
        if es is not None:
            pre = v.pretest
            fired = threshold > 0 and pre.p_value < threshold
            pre_txt = (f"De placebotoets op de {count_noun(int(pre.df), 'maand', 'maanden')} vóór de start "
                       f"({outcome_label(v.outcome or '').lower()}: de afwijking van de wijk vergeleken met die van "
                       f"{count_noun(int(es.method.get('n_placebos') or 0), 'placebowijk', 'placebowijken')}) geeft "
                       f"{nl_p(pre.p_value)}"
                       + (": de wijk liep vóór de start al uiteen met haar vergelijkingswijken, dus een oordeel aan "
                          "één kant werd 'onzeker' (beslisregel hieronder). " if fired else
                          f". Zo'n toets heeft met één wijk en {count_noun(int(pre.df), 'maand', 'maanden')} weinig "
                          "onderscheidend vermogen (Roth 2022): een uitkomst boven de drempel sluit een "
                          "trendverschil van de orde van het effect niet uit. "))
            # numbers from wijklib.diagnostics on this ward's event study (outcome of the chart), via the monitor
            pre_txt += v.power_text + " " + (honest_sentence(v.honest) if v.honest is not None else v.bounds_text) + " "
        said.append(
            "**Parallelle trends en gevoeligheid.** " + pre_txt +
            "Een trendverschil van de grootte van het grootste verschil vóór de start kan een klein effect volledig "
            "verklaren (Rambachan & Roth 2023). Daarom toetst de monitor vóór elk oordeel aan één kant twee dingen "
            "over de tijd vóór de start, en maakt hij het oordeel 'onzeker' als een van beide aanslaat (zie de "
            "beslisregel).\n\n"
            "**Weinig wijken.** Er zijn maar enkele tientallen wijkraden; standaardfouten geclusterd per wijk zijn dan "
            "te klein als er weinig behandelde wijken zijn (Conley & Taber 2011; MacKinnon & Webb). De monitor "
            "gebruikt daarom bootstrap- of randomisatie-inferentie waar dat kan (kolom *inferentie*). De event study "
            "van deze ene wijk haalt haar intervallen uit placebo-analyses: elke vergelijkingswijk krijgt op haar "
            "beurt dezelfde startdatum, en de spreiding van die placebo-effecten is de onzekerheid (Arkhangelsky "
            "e.a. 2021). Een placebotoets "
            "op echte politiecijfers (Den Haag 2011–2017) laat zien hoe vaak de "
            "methoden zonder echte interventie toch een 'effect' vinden.\n\n"
            "**Uitstraling.** Handhaving kan overlast verplaatsen naar buurwijken of ook daar verminderen; buurwijken "
            "zijn dan geen zuivere vergelijking. **Regressie naar het gemiddelde.** Wijken die na een slecht jaar "
            "extra aandacht krijgen, verbeteren vaak vanzelf; de opzet met vergelijkingswijken en een lange voorperiode "
            "dempt dit. **Meldgedrag.** Meer handhavers op straat en nieuwe kanalen (MeldR) kunnen het aantal meldingen "
            "eerst doen stijgen zonder dat er meer overlast is; meldingen zijn geen directe maat voor overlast."
        )
        show_md(said[-1])
        if self.placebo is not None:
            from wijklib.monitor.view import placebo_statement

            said.append("**Placebotoets.** " + placebo_statement(self.placebo, self.code))
            show_md(said[-1])
        said.append("**Beslisregel van het oordeel.**\n\n" + monitor.rules_text())
        show_md(said[-1])
        q = self.ev.to_frame("quality")
        if not q.empty:
            rag_nl = {"R": "Rood", "A": "Oranje", "G": "Groen", "red": "Rood", "amber": "Oranje", "green": "Groen"}
            codes = q["code"] if "code" in q else pd.Series([""] * len(q), index=q.index)
            qq = (q.assign(uitkomst=[quality_subject(u, c) for u, c in zip(q["uitkomst"], codes, strict=True)])
                  .groupby(["rag", "toelichting"], as_index=False, sort=False)
                  .agg(uitkomst=("uitkomst", lambda v: ", ".join(dict.fromkeys(v)))))
            order = {"R": 0, "red": 0, "A": 1, "amber": 1, "G": 2, "green": 2}
            qq = qq.sort_values("rag", key=lambda r: r.map(order).fillna(3), kind="stable")
            qq["rag"] = qq["rag"].map(lambda v: chip(rag_nl.get(str(v), str(v))))
            area_names = self._area_names()
            qq["toelichting"] = qq["toelichting"].map(lambda t: with_names(t, area_names))
            show_table(qq[["uitkomst", "rag", "toelichting"]], raw_html=["rag"],
                       caption="Gegevenslogboek: kwaliteit per bron en uitkomst (Rood/Oranje/Groen)")
            said.append("Rood/Oranje/Groen")
        self._intake_log()
        show_md(glossary_markdown("\n".join(said)))

    def _intake_log(self) -> None:
        """Which sources were read (rows, rows outside the geography), which not, and a missing population."""
        from wijklib.monitor.view import SOURCE_NAMES

        rows = []
        for name, info in self.intake.get("bronnen", {}).items():
            outside = int(info.get("buiten_geografie", 0))
            rows.append({"bron": SOURCE_NAMES.get(name, name), "geleverd": "ja", "rijen": info.get("rijen"),
                         "toelichting": (f"{nl_number(outside)} rijen buiten de geografie "
                                         f"({self.intake.get('geografie', '')}) niet meegeteld" if outside else "")})
        for name in sorted(set(_SOURCES_ALL) - set(self.delivered)):
            rows.append({"bron": SOURCE_NAMES[name], "geleverd": "nee", "rijen": None,
                         "toelichting": "niet geleverd"})
        if not self.per_inwoners:
            rows.append({"bron": "inwonertal", "geleverd": "nee", "rijen": None,
                         "toelichting": "ontbreekt in de geografie: aantallen en verhoudingen van aantallen, geen "
                                        "cijfers per 1.000 inwoners"})
        if self.not_delivered or not self.per_inwoners or any(r["toelichting"] for r in rows):
            show_table(pd.DataFrame(rows, columns=["bron", "geleverd", "rijen", "toelichting"]).astype({"rijen": "Int64"}),
                       caption="Gegevenslogboek: geleverde en niet geleverde bronnen")

    def sources(self) -> None:
        """Sources with dates."""
        show_html(sources_html(self.cfg))


def _plural(unit: str) -> str:
    """Dutch plural of a unit name.

    Examples
    --------
    >>> _plural("wijkraad"), _plural("wijk"), _plural("stadsdeel")
    ('wijkraden', 'wijken', 'stadsdelen')
    """
    known = {"wijkraad": "wijkraden", "wijk": "wijken", "buurt": "buurten", "gebied": "gebieden",
             "stadsdeel": "stadsdelen", "gemeente": "gemeenten"}
    return known.get(unit, f"eenheden ({unit})")


def _num(x: Any) -> float | None:
    """A JSON-safe float (None for missing)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def wijkrapport(wijkraad: str, jaar: int, config_path: str) -> WardReport:
    """Build the evaluation report of one wijkraad (see :class:`WardReport`)."""
    return WardReport(wijkraad, jaar, config_path)


# ======================================================================================= city
def verdict_summary(counts: Mapping[str, int]) -> str:
    """A ward's verdict counts as its report's "Samengevat" line says them (the city table repeats it).

    Examples
    --------
    >>> verdict_summary({"op koers": 3, "onzeker": 1, "ongunstige ontwikkeling": 0})
    '3× op koers, 1× onzeker'
    """
    return ", ".join(f"{n}× {k}" for k, n in counts.items() if n)


def overall_verdict(counts: Mapping[str, int]) -> str:
    """One verdict for a ward from its verdict counts (for the city map).

    Any unfavourable priority makes the ward 'ongunstige ontwikkeling'; otherwise a majority of
    'op koers' gives 'op koers'; only 'onvoldoende gegevens' stays that; anything else is
    'geen aantoonbare verandering'. No priorities at all: 'geen wijkakkoord'.

    Examples
    --------
    >>> overall_verdict({"op koers": 3, "geen aantoonbare verandering": 1})
    'op koers'
    >>> overall_verdict({"op koers": 3, "ongunstige ontwikkeling": 1})
    'ongunstige ontwikkeling'
    >>> overall_verdict({})
    'geen wijkakkoord'
    """
    total = sum(counts.values())
    if total == 0:
        return "geen wijkakkoord"
    if counts.get("ongunstige ontwikkeling", 0):
        return "ongunstige ontwikkeling"
    if counts.get("op koers", 0) * 2 > total:
        return "op koers"
    if counts.get("onvoldoende gegevens", 0) == total:
        return "onvoldoende gegevens"
    return "geen aantoonbare verandering"


class CityReport:
    """The city overview: all wijkraden in one table and a (schematic) map coloured by verdict.

    Examples
    --------
    >>> r = CityReport(2025, "config/demo.yaml")  # doctest: +SKIP
    """

    def __init__(self, jaar: int, config_path: str) -> None:
        from wijklib.report import evaluations

        setup_notebook()
        self.cfg = load_config(config_path)
        self.jaar = int(jaar)
        self.evs, self.failures = evaluations.load_city(self.cfg, self.jaar)
        self._evaluations = evaluations

    def table(self) -> pd.DataFrame:
        """One row per wijkraad: priorities, verdict counts, overall verdict, network score, herijk."""
        rows = []
        failures = dict(self.failures)
        for w, ev in sorted(self.evs.items(), key=lambda kv: kv[1].wijkraad):
            try:  # one ward whose evaluation cannot be summarised is listed as failed, not fatal
                rows.append(self._row(w, ev))
            except Exception as exc:  # noqa: BLE001 - reported in the table with its reason
                failures[w] = f"{type(exc).__name__}: {exc}"
        names = self._evaluations.ward_names(self.cfg, self.jaar)
        for w, reason in sorted(failures.items()):
            rows.append({"wijkraad": names.get(w, w), "wijkraad_id": w, "prioriteit": "–", "effect": "–",
                         "op_koers": 0, "geen_verandering": 0, "ongunstig": 0, "onzeker": 0, "onvoldoende": 0,
                         "oordeel": "niet geëvalueerd", "netwerkscore": float("nan"), "herijk": "–",
                         "prioriteit_oordeel": "", "oordelen": "", "reden": short_reason(reason)})
        return pd.DataFrame(rows)

    def _row(self, w: str, ev: Any) -> dict[str, Any]:
        """One ward's row of :meth:`table`."""
        h = ev.headline()
        c = h["verdicts"]
        pr = ev.to_frame("priorities")
        main = pr.iloc[0] if not pr.empty else None
        return {
            "wijkraad": ev.wijkraad, "wijkraad_id": w,
            "prioriteit": f"{main['thema']}: {main.get('indicator_naam') or main['indicator']}"
            if main is not None else "–",
            "oordelen": verdict_summary(c),
            "effect": (html.escape(priority_effect_text(main))
                       if main is not None else "–"),
            "prioriteit_oordeel": str(main["oordeel"]) if main is not None else "",
            "op_koers": c.get("op koers", 0), "geen_verandering": c.get("geen aantoonbare verandering", 0),
            "ongunstig": c.get("ongunstige ontwikkeling", 0), "onzeker": c.get("onzeker", 0),
            "onvoldoende": c.get("onvoldoende gegevens", 0), "oordeel": overall_verdict(c), "netwerkscore": h["network_score"],
            "herijk": ", ".join(x["thema"] + (" (eerst meetbaar maken)" if x.get("advies") == "eerst meetbaar maken"
                                              else "") for x in ev.herijk) or "–",
            "reden": "",
        }

    def cover(self) -> None:
        """Display the cover page of the city overview."""
        show_html(cover_html(
            kicker=f"{self.cfg.titel} · stadsoverzicht", title="Alle wijkraden",
            subtitle=f"Evaluatie {self.jaar}",
            meta=[("Wijkraden", f"{len(self.evs)} geëvalueerd" + (f", {len(self.failures)} niet" if self.failures else "")),
                  ("Jaar", str(self.jaar)), ("Gemaakt op", today()), ("Gegevens", self.cfg.naam)],
            demodata=self.cfg.demodata,
            foot="Gemaakt met wijklib; dezelfde cijfers als in de rapporten per wijkraad.",
        ))

    def summary(self) -> None:
        """City totals of the verdicts and the wards with herijk advice."""
        t = self.table()
        counts = t["oordeel"].value_counts()
        show_md(f"In {self.jaar} zijn {len(self.evs)} wijkraden geëvalueerd. Totaaloordeel per wijkraad: " +
                ", ".join(f"{n}× {k}" for k, n in counts.items()) + ". " +
                (f"Herijk-advies in {int((t['herijk'] != '–').sum())} wijkraden." if (t["herijk"] != "–").any()
                 else "Nergens herijk-advies."))
        record_headline({"n_wijkraden": len(self.evs), "n_mislukt": len(self.failures),
                         **{f"oordeel_{k}": int(n) for k, n in counts.items()}})

    def overview_table(self) -> None:
        """All wards in one table (main effect, verdict counts, network score, overall verdict, herijk).

        Printed on landscape pages: ten columns do not fit the portrait text width without wrapping the
        verdict labels over three lines. The verdict counts are five columns under one spanning header.
        """
        t = self.table()
        effect = t["effect"].str.replace(" (95%-interval ", " <small>(", regex=False).str.replace(
            ")", ")</small>", regex=False)
        # The first priority's effect carries its own verdict, the same as in the ward's report; the
        # overall verdict (the map's colour) sums up all priorities.
        if "prioriteit_oordeel" in t.columns:
            effect = [f"{e}<br/><small>oordeel: {html.escape(str(v))}</small>" if v else e
                      for e, v in zip(effect, t["prioriteit_oordeel"], strict=True)]
        group = "aantal prioriteiten per oordeel"
        view = pd.DataFrame({
            ("wijkraad", ""): t["wijkraad"], ("eerste prioriteit", ""): t["prioriteit"],
            ("geschat effect (95%-interval)", ""): effect,
            (group, "op koers"): t["op_koers"], (group, "geen veran\u00addering"): t["geen_verandering"],
            (group, "ongun\u00adstig"): t["ongunstig"], (group, "on\u00adzeker"): t["onzeker"],
            (group, "onvol\u00addoende gege\u00advens"): t["onvoldoende"],
            ("net\u00adwerk\u00adscore", ""): t["netwerkscore"], ("totaaloordeel", ""): t["oordeel"].map(verdict_chip),
            ("herijk-advies", ""): t["herijk"],
        })
        view.columns = pd.MultiIndex.from_tuples(view.columns)
        show_table(view, raw_html=[("totaaloordeel", ""), ("geschat effect (95%-interval)", "")],
                   digits={("net\u00adwerk\u00adscore", ""): 0}, landscape=True, css_class="overzicht",
                   widths=[78, 88, 150, 37, 37, 37, 37, 37, 36, 97, 95],  # pt of the 728
                   caption=f"Wijkraden {self.jaar}: eerste prioriteit, geschat effect (95%-interval), "
                           "oordelen en netwerkscore",
                   note="Aantal prioriteiten per oordeel: van alle prioriteiten in het wijkakkoord van de "
                        "wijkraad ('geen verandering': geen aantoonbare verandering). Netwerkscore: 0–100, de inbedding in het wijknetwerk (niveau 3). "
                        "Herijk-advies: prioriteiten die in aanmerking komen voor herijking.")
        failed = t[t["oordeel"] == "niet geëvalueerd"]
        if not failed.empty:  # which wards are missing from the verdicts, and why
            show_table(failed[["wijkraad", "reden"]], caption="Niet geëvalueerde wijkraden en de reden")

    def map(self) -> None:
        """Schematic map of the wards coloured by their overall verdict."""
        from wijklib import plots
        from wijklib.report import evaluations

        t = self.table()
        cats = dict(zip(t["wijkraad_id"], t["oordeel"], strict=True))
        g = evaluations.geography(self.cfg)  # the run's geography (the package's when none is configured)
        fig, ax = plots.choropleth(g.polygons, cats, colors=VERDICT_MAP_COLORS,
                                   title=f"Totaaloordeel per {self.cfg.eenheid}, {self.jaar}",
                                   note="Schematische kaart: vlakken rond buurtmiddelpunten, geen echte grenzen."
                                   if g.schematic else None)
        pts = [pt for shape in g.polygons.values()
               for ring in ([shape] if len(shape) and np.ndim(shape[0]) == 1 else shape) for pt in ring]
        lat = round(sum(p[1] for p in pts) / len(pts), 1) if pts else 51.9  # 0.1 degree is ample for the aspect
        ax.set_aspect(1 / math.cos(math.radians(lat)))  # lon/lat degrees at the city's latitude
        plots.show(fig)

    def method(self) -> None:
        """The verdict rule and the meaning of the overall verdict."""
        from wijklib import monitor
        from wijklib.monitor.glossary import glossary_markdown

        text = ("**Totaaloordeel op de kaart.** Eén ongunstige prioriteit maakt het totaaloordeel 'ongunstige "
                "ontwikkeling'; anders is het 'op koers' als meer dan de helft van de prioriteiten op koers is. "
                "Het totaaloordeel is een samenvatting voor de kaart; het oordeel per prioriteit staat in het "
                "rapport van de wijkraad.\n\n**Beslisregel per prioriteit.**\n\n" + monitor.rules_text())
        show_md(text)
        show_md(glossary_markdown(text))

    def sources(self) -> None:
        """Sources with dates."""
        show_html(sources_html(self.cfg))


def design_blocks_html(designs: pd.DataFrame) -> str:
    """The chosen designs of a ward report, one block per design: a two-column list (what, text).

    ``designs`` has one row per design with ``uitkomsten`` (the outcomes it estimates, comma-separated),
    ``methode_technisch``, ``inferentie``, ``vergelijkingswijken`` and ``waarom``. Blocks instead of a
    five-column table: the outcome lists and explanations are long, and five columns on the A4 text width
    wrapped every cell to a word or two per line.

    Examples
    --------
    >>> d = pd.DataFrame({"uitkomsten": ["Meldingen afval"], "methode_technisch": ["DiD"],
    ...                   "inferentie": ["bootstrap"], "vergelijkingswijken": [14], "waarom": ["omdat"]})
    >>> "<th>Vergelijkingswijken</th><td>14</td>" in design_blocks_html(d)
    True
    """
    blocks = []
    for n, r in enumerate(designs.itertuples(index=False), start=1):
        k = r.vergelijkingswijken
        rows = [("Uitkomsten", r.uitkomsten), ("Methode", r.methode_technisch), ("Inferentie", r.inferentie),
                ("Vergelijkingswijken", "–" if k is None or pd.isna(k) else nl_number(k, 0)),
                ("Toelichting", r.waarom)]
        body = "".join(f"<tr><th>{html.escape(a)}</th><td>{html.escape(str(b))}</td></tr>" for a, b in rows)
        head = (f"Gekozen onderzoeksopzet {n} van {len(designs)}" if len(designs) > 1
                else "Gekozen onderzoeksopzet en waarom")
        blocks.append(f'<table class="opzet"><caption>{html.escape(head)}</caption><tbody>{body}</tbody></table>')
    return "".join(blocks)


def robustness_sentence(main: Any, check: Any) -> str:
    """One sentence on whether a second design agrees with the headline estimate of an outcome.

    ``main`` is the outcome's row of the effects table (the monitor's chosen design); ``check`` an
    :class:`~wijklib.results.Effect` on the ratio scale from another design (the ward's own time series).

    Examples
    --------
    >>> from types import SimpleNamespace as N
    >>> robustness_sentence({"schaal": "ratio", "schatting": 0.84, "methode": "vergelijking met wijken"},
    ...                     N(estimate=0.87, conf_low=0.56, conf_high=1.36))[:60]
    'De hoofdschatting is −16% (vergelijking met wijken); deze gr'
    """
    if main.get("schaal") != "ratio" or not all(
            isinstance(x, (int, float)) and math.isfinite(x) and x > 0
            for x in (main.get("schatting"), check.estimate, check.conf_low, check.conf_high)):
        return (f"De hoofdschatting komt uit een andere opzet ({main.get('methode')}); deze grafiek is een "
                "aanvullend beeld van de wijk zelf.")
    m, c = float(main["schatting"]) - 1, float(check.estimate) - 1
    same = (m < 0) == (c < 0)
    inside = check.conf_low <= main["schatting"] <= check.conf_high
    verdict = ("wijst dezelfde kant op" if same else "wijst de andere kant op") + (
        " en haar interval omvat de hoofdschatting" if inside else ", maar haar interval omvat de hoofdschatting niet")
    return (f"De hoofdschatting is {nl_pct(m, signed=True)} ({main.get('methode')}); deze grafiek is een controle "
            f"met een andere opzet, de eigen reeks van de wijk ({nl_pct(c, signed=True)}). Die controle {verdict}"
            + ("." if same and inside else "; lees het effect met voorzichtigheid."))


def event_study_text(naam: str, outcome: str, n_placebos: int, p_pre: float, months: int, threshold: float,
                     size: str, estimate: float, main: Any = None, low: float | None = None,
                     high: float | None = None) -> str:
    """What the ward's event-study chart shows, in plain Dutch: first the check before the start (the
    placebo check of the verdict rule, with the rule's own threshold and what it did), then the average
    difference after the start as a check of the headline estimate, with one sentence on whether it agrees.

    ``main`` is the outcome's row of the effects table (the headline estimate), ``None`` when it has none.

    Examples
    --------
    >>> t = event_study_text("Tarwewijk", "Meldingen afval", 14, 1 / 15, 11, 0.10, "−1,7 (95%-interval −2,5 tot "
    ...                      "−0,9) per 1.000 inwoners per maand", -1.7,
    ...                      {"schaal": "ratio", "schatting": 0.83, "ontwerp": "did", "methode": "vergelijking"})
    >>> "meer af dan alle 14" in t and "'onzeker'" in t and "wijst dezelfde kant op" in t
    True
    """
    extreme = p_pre <= 1 / (n_placebos + 1) + 1e-9
    head = (f"Controle vóór de start: vóór de start horen de verschillen rond nul te liggen. Voor deze controle kreeg "
            f"elk van de {count_noun(n_placebos, 'vergelijkingswijk', 'vergelijkingswijken')} op haar beurt dezelfde "
            f"startdatum (een placebo); de band is de spreiding van die placebo's. ")
    if threshold > 0 and p_pre < threshold:
        head += (f"In de {count_noun(months, 'maand', 'maanden')} vóór de start week {naam} meer af dan "
                 f"{'alle' if extreme else 'bijna alle'} {n_placebos} ({nl_p(p_pre)}"
                 + (f", met {n_placebos} vergelijkingswijken de kleinste mogelijke uitkomst" if extreme else "")
                 + f"). Volgens de beslisregel wordt een oordeel 'op koers' of 'ongunstige ontwikkeling' voor "
                 f"{outcome.lower()} daarom 'onzeker'.")
    else:
        head += (f"In de {count_noun(months, 'maand', 'maanden')} vóór de start week {naam} niet uitzonderlijk af "
                 f"({nl_p(p_pre)}; de beslisregel grijpt in onder p = {nl_number(threshold, 2)}). Dat bewijst geen "
                 "gelijke ontwikkeling, maar er is geen aanwijzing voor het tegendeel.")
    tail = f" Na de start: gemiddeld verschil {size}."
    if main is not None and main.get("ontwerp") == "placebo":
        tail += " Dit is dezelfde opzet als de hoofdschatting, maand voor maand."
    elif main is not None and main.get("schaal") == "ratio" and _finite_number(main.get("schatting")) \
            and _finite_number(estimate):
        m = float(main["schatting"]) - 1
        same = (m < 0) == (float(estimate) < 0)
        covers_zero = _finite_number(low) and _finite_number(high) and float(low) <= 0 <= float(high)
        tail += (f" Deze vergelijking van {naam} alleen is een controle van de hoofdschatting "
                 f"({nl_pct(m, signed=True)}) en " + (
                     "wijst dezelfde kant op." if same else
                     "wijst de andere kant op, maar haar interval omvat geen verandering, dus zij spreekt de "
                     "hoofdschatting niet duidelijk tegen." if covers_zero
                     else "wijst de andere kant op; lees het effect met voorzichtigheid."))
    return head + tail


def _finite_number(x: Any) -> bool:
    return isinstance(x, (int, float, np.floating)) and math.isfinite(float(x))


def with_names(text: Any, names: Mapping[str, str]) -> Any:
    """Replace the unit codes in a monitor text by the units' names (readers know names, not codes).

    Examples
    --------
    >>> with_names("het hele cohort (oud-noord, kralingen)", {"oud-noord": "Oud-Noord", "kralingen": "Kralingen"})
    'het hele cohort (Oud-Noord, Kralingen)'
    """
    if not isinstance(text, str) or not names:
        return text
    codes = sorted((c for c in names if c and c != names[c]), key=len, reverse=True)
    if not codes:
        return text
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, codes)) + r")(?![\w-])")
    return pattern.sub(lambda m: names[m.group(1)], text)


def short_reason(reason: str, limit: int = 300) -> str:
    """A failure reason for a report table: folders dropped from file paths, at most ``limit`` characters.

    Examples
    --------
    >>> short_reason("ValueError: /tmp/x/cache/evaluations/kralingen_2025.json: not a valid evaluation JSON")
    'ValueError: kralingen_2025.json: not a valid evaluation JSON'
    """
    text = re.sub(r"(?:/[^/\s:]+)+/([^/\s:]+)", r"\1", str(reason))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stadsoverzicht(jaar: int, config_path: str) -> CityReport:
    """Build the city overview (see :class:`CityReport`)."""
    return CityReport(jaar, config_path)
