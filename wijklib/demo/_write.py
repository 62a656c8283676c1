"""Write the demo city as raw files in the messy layouts of real municipal exports.

Byte-for-byte determinism: CSV text is produced by pandas from deterministic frames; ``.xlsx``
files are written as minimal OOXML with fixed zip time stamps and fixed document properties.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import yaml

from wijklib.demo._city import DemoCity

SYNTHETIC_NOTE = "SYNTHETISCHE DEMODATA"
_FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
_FIXED_XML_TIME = "2026-01-01T00:00:00Z"


def _dmy(s: pd.Series, with_time: bool = False) -> pd.Series:
    fmt = "%d-%m-%Y %H:%M" if with_time else "%d-%m-%Y"
    out = s.dt.strftime(fmt)
    return out.fillna("").astype(object)


def _decimal_comma(values: pd.Series | np.ndarray, decimals: int) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    text = np.char.replace(np.char.mod(f"%.{decimals}f", arr), ".", ",").astype(object)
    text[np.isnan(arr)] = ""
    return text


def _ja_nee(s: pd.Series) -> np.ndarray:
    return np.where(s.to_numpy(dtype=bool), "ja", "nee").astype(object)


def _csv(df: pd.DataFrame, path: Path, *, sep: str, encoding: str, crlf: bool = False) -> None:
    text = df.to_csv(sep=sep, index=False, lineterminator="\r\n" if crlf else "\n")
    path.write_bytes(text.encode(encoding))


def _names(lookup: pd.Series, codes: pd.Series) -> np.ndarray:
    """Names for codes (the exports carry ward, wijk and buurt names, not codes)."""
    return lookup.reindex(codes).to_numpy(dtype=object)


def _col_letter(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out


def _sheet_xml(rows: list[list[object]], sst: dict[str, int]) -> bytes:
    """Worksheet XML; text goes to the shared-string table ``sst`` (read ~2x faster than inline)."""
    letters = [_col_letter(i) for i in range(max((len(r) for r in rows), default=1))]
    # The dimension element lets streaming readers size rows whose trailing cells are empty.
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f'<dimension ref="A1:{letters[-1]}{max(len(rows), 1)}"/><sheetData>']
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, v in enumerate(row):
            ref = f"{letters[c]}{r}"
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            if isinstance(v, (bool, np.bool_)):
                v = "ja" if v else "nee"
            if isinstance(v, (float, np.floating)):
                cells.append(f'<c r="{ref}"><v>{float(v)!r}</v></c>')
            elif isinstance(v, (int, np.integer)):
                cells.append(f'<c r="{ref}"><v>{int(v)}</v></c>')
            else:
                k = sst.setdefault(str(v), len(sst))
                cells.append(f'<c r="{ref}" t="s"><v>{k}</v></c>')
        parts.append(f'<row r="{r}">{"".join(cells)}</row>')
    parts.append("</sheetData></worksheet>")
    return "".join(parts).encode("utf-8")


def _xlsx(df: pd.DataFrame, path: Path, sheet: str) -> None:
    """Write one data sheet plus a note sheet ``LEESMIJ`` as a minimal, byte-deterministic .xlsx.

    Hand-written OOXML rather than openpyxl: openpyxl needs ~0.3 ms per cell (seconds for the
    hours register) and stamps the current time into the file.
    """
    data = [list(df.columns)] + [list(r) for r in df.itertuples(index=False, name=None)]
    note = [[SYNTHETIC_NOTE],
            ["Gegenereerd door wijklib.demo; verzonnen cijfers, geen echte gemeentelijke data."]]
    ns_main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    ns_rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ns_pkg = "http://schemas.openxmlformats.org/package/2006/relationships"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    files = {
        "[Content_Types].xml": head + (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '</Types>'),
        "_rels/.rels": head + (
            f'<Relationships xmlns="{ns_pkg}">'
            f'<Relationship Id="rId1" Type="{ns_rel}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            '</Relationships>'),
        "docProps/core.xml": head + (
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:title>{SYNTHETIC_NOTE}</dc:title><dc:creator>wijklib.demo</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{_FIXED_XML_TIME}</dcterms:created>'
            '</cp:coreProperties>'),
        "xl/workbook.xml": head + (
            f'<workbook xmlns="{ns_main}" xmlns:r="{ns_rel}"><sheets>'
            f'<sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/>'
            '<sheet name="LEESMIJ" sheetId="2" r:id="rId2"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": head + (
            f'<Relationships xmlns="{ns_pkg}">'
            f'<Relationship Id="rId1" Type="{ns_rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{ns_rel}/worksheet" Target="worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId3" Type="{ns_rel}/sharedStrings" Target="sharedStrings.xml"/>'
            '</Relationships>'),
    }
    sst: dict[str, int] = {}
    sheets = {"xl/worksheets/sheet1.xml": _sheet_xml(data, sst),
              "xl/worksheets/sheet2.xml": _sheet_xml(note, sst)}
    strings = "".join(f'<si><t xml:space="preserve">{escape(t)}</t></si>' for t in sst)
    sheets["xl/sharedStrings.xml"] = (head + f'<sst xmlns="{ns_main}" count="{len(sst)}" '
                                      f'uniqueCount="{len(sst)}">{strings}</sst>').encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME), text.encode("utf-8"),
                       compress_type=zipfile.ZIP_DEFLATED)
        for name, blob in sheets.items():
            z.writestr(zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME), blob,
                       compress_type=zipfile.ZIP_DEFLATED)
    path.write_bytes(out.getvalue())


def write(city: DemoCity, out_dir: str | Path) -> list[Path]:
    """Write every raw file of ``city`` into ``out_dir`` (created if needed); returns the paths.

    Examples
    --------
    >>> import tempfile
    >>> from wijklib.demo import simulate
    >>> with tempfile.TemporaryDirectory() as d:
    ...     names = sorted(p.name for p in write(simulate(scale=0.02), d))
    >>> "interventie.csv" in names and "truth.json" in names
    True
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t = city.tables
    names = pd.Series(city.meta["wijkraad_names"])
    buurt_name = city.geography.set_index("buurt_code")["buurt"]
    wijk_name = city.geography.drop_duplicates("wijk_code").set_index("wijk_code")["wijk"]
    written: list[Path] = []

    def save(name: str, frame: pd.DataFrame, **layout) -> None:
        p = out / name
        if name.endswith(".xlsx"):
            _xlsx(frame, p, **layout)
        else:
            _csv(frame, p, **layout)
        written.append(p)

    # --- meldingen: three systems, as a city delivers them --------------------------------------------
    # overlast/jeugd: the 14010 nuisance register in the invented municipal layout (meldingen_14010_<jaar>.csv);
    # public-space reports: the old MSB export until the ward's subject moved platform, the MOR
    # data-warehouse tables from then on (see PLATFORM_SWITCHES in wijklib.demo._city).
    m = t["meldingen"]
    system = m["systeem"].astype(str).to_numpy()
    reg = m[system == "14010-register"]
    raw = pd.DataFrame({
        "Meldingnummer": reg["melding_id"].astype(object),
        "Datum melding": _dmy(reg["ontvangen"], with_time=True),
        "Datum afhandeling": _dmy(reg["afgehandeld"], with_time=True),
        "Kanaal": reg["kanaal"].astype(object),
        "Hoofdcategorie": reg["categorie"].astype(object),
        "Subcategorie": reg["subcategorie"].astype(object),
        "Buurtcode": reg["buurt_code"].astype(object),
        "X-coördinaat": _decimal_comma(reg["x"], 2),
        "Y-coördinaat": _decimal_comma(reg["y"], 2),
        "Status": reg["status"].astype(object),
        "Omschrijving": reg["omschrijving"].astype(object),
    })
    years = reg["ontvangen"].dt.year.to_numpy()
    for year in np.unique(years):
        save(f"meldingen_14010_{year}.csv", raw[years == year], sep=";", encoding="cp1252", crlf=True)
    from wijklib.demo._platforms import write_mor, write_msb

    msb = m[system == "MSB"]
    numbers = msb_buurt_numbers(city.geography)
    msb_frame = msb.assign(onderwerp=msb["subcategorie"].map(MSB_SUBJECTS))
    msb_years = msb["ontvangen"].dt.year.to_numpy()
    for year in np.unique(msb_years):
        written.append(write_msb(msb_frame[msb_years == year], out / "msb" / f"msb_meldingen_{year}.csv",
                                 buurt_number=numbers, staff_every=STAFF_EVERY))
    mor = m[system == "MOR"]
    lat, lon = _wgs84(mor)
    mor_frame = pd.DataFrame({
        "melding_id": mor["melding_id"].to_numpy(), "ontvangen": mor["ontvangen"].to_numpy(),
        "afgehandeld": mor["afgehandeld"].to_numpy(), "status": mor["status"].to_numpy(),
        "onderwerp": mor["subcategorie"].map(MOR_SUBJECTS).to_numpy(), "lat": lat, "lon": lon,
        "buurtnaam": _names(buurt_name, mor["buurt_code"]), "wijknaam": "",
        "kanaal": mor["kanaal"].to_numpy(), "omschrijving": mor["omschrijving"].to_numpy(),
    })
    written.extend(write_mor(mor_frame, out / "mor"))

    # --- handhaving_acties.csv (',', utf-8-sig) -----------------------------------------------------
    h = t["handhaving"]
    save("handhaving_acties.csv", pd.DataFrame({
        "Zaaknummer": h["actie_id"].astype(object), "Datum": _dmy(h["datum"]),
        "Buurt": _names(buurt_name, h["buurt_code"]),
        "Thema": h["thema"].astype(object), "Soort actie": h["actie"].astype(object),
        "Overtreding geconstateerd": _ja_nee(h["overtreding"]),
    }), sep=",", encoding="utf-8-sig")

    # --- handhaving_uren.xlsx ------------------------------------------------------------------------
    u = t["handhaving_uren"]
    save("handhaving_uren.xlsx", pd.DataFrame({
        "Wijkraad": _names(names, u["wijkraad_id"]),
        "Week": _dmy(u["week"]), "Inzet uren": _decimal_comma(u["uren"], 1),
    }), sheet="Inzet")

    # --- politie_misdrijven.csv (CBS StatLine layout, ';', utf-8) ------------------------------------
    pol = t["politie"].sort_values(["misdrijf_code", "buurt_code", "maand"], kind="stable")
    save("politie_misdrijven.csv", pd.DataFrame({
        "ID": np.arange(len(pol)),
        "SoortMisdrijf": pol["misdrijf_code"].astype(object).to_numpy(),
        "Omschrijving misdrijf": pol["misdrijf"].astype(object).to_numpy(),
        "WijkenEnBuurten": pol["buurt_code"].astype(object).to_numpy(),
        "Perioden": pol["maand"].dt.strftime("%YMM%m").to_numpy(dtype=object),
        "GeregistreerdeMisdrijven_1": pol["aantal"].to_numpy(),
    }), sep=";", encoding="utf-8")

    # --- wijkprofiel.xlsx ---------------------------------------------------------------------------
    w = t["wijkprofiel"]
    n_resp = w["n_respondenten"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    save("wijkprofiel.xlsx", pd.DataFrame({
        "Editie": w["editie"].astype(int).to_numpy(),
        "Wijk": _names(wijk_name, w["wijk_code"]),
        "Index": w["index"].astype(object).to_numpy(), "Thema": w["thema"].astype(object).to_numpy(),
        "Deel": w["deel"].astype(object).to_numpy(), "Indicator": w["indicator"].astype(object).to_numpy(),
        "Score": w["waarde"].astype(float).to_numpy(),
        "Aantal respondenten": [None if np.isnan(v) else int(v) for v in n_resp],
    }), sheet="Veiligheidsindex")

    # --- focusgebieden.csv (';') --------------------------------------------------------------------
    f = t["focusgebieden"]
    save("focusgebieden.csv", pd.DataFrame({
        "Gebied": _names(wijk_name, f["wijk_code"]),
        "Niveau": f["niveau"].astype(object), "Startdatum": _dmy(f["start"]),
        "Einddatum": _dmy(f["eind"]),
    }), sep=";", encoding="utf-8")

    # --- wijkakkoorden.csv (';', utf-8-sig) ---------------------------------------------------------
    a = t["wijkakkoorden"]
    save("wijkakkoorden.csv", pd.DataFrame({
        "Jaar": a["jaar"].astype(int), "Wijkraad": _names(names, a["wijkraad_id"]),
        "Prioriteit": a["thema"].astype(object), "Indicator": a["indicator"].astype(object),
        "Bron": a["bron"].astype(object),
        "Gewenste richting": np.where(a["richting"] == "omlaag", "daling", "stijging").astype(object),
    }), sep=";", encoding="utf-8-sig")

    # --- netwerk_overleggen.csv (',', cp1252) --------------------------------------------------------
    o = t["netwerk_overleggen"]
    save("netwerk_overleggen.csv", pd.DataFrame({
        "Datum": _dmy(o["datum"]), "Wijkraad": _names(names, o["wijkraad_id"]),
        "Soort overleg": o["type"].astype(object), "Handhaving aanwezig": _ja_nee(o["handhaving_aanwezig"]),
    }), sep=",", encoding="cp1252", crlf=True)

    # --- netwerk_samenwerking.csv (';') -------------------------------------------------------------
    s = t["netwerk_samenwerking"]
    q = s["periode"]
    save("netwerk_samenwerking.csv", pd.DataFrame({
        "Wijkraad": _names(names, s["wijkraad_id"]),
        "Partner": s["partner"].astype(object),
        "Kwartaal": (q.dt.year.astype(str) + "-K" + q.dt.quarter.astype(str)).astype(object),
        "Vorm": s["vorm"].astype(object), "Aantal": s["aantal"].astype(int),
    }), sep=";", encoding="utf-8")

    # --- signalen.csv (';', utf-8) ------------------------------------------------------------------
    g = t["signalen"]
    save("signalen.csv", pd.DataFrame({
        "Nr": g["signaal_id"].astype(object), "Datum": _dmy(g["datum"]),
        "Wijkraad": _names(names, g["wijkraad_id"]),
        "Bron": g["bron"].astype(object), "Thema": g["thema"].astype(object),
        "Toon": g["toon"].astype(object), "Samenvatting": g["tekst"].astype(object),
        "Publiceerbaar": _ja_nee(g["publiceerbaar"]),
    }), sep=";", encoding="utf-8")

    # --- interventie.csv (';') ----------------------------------------------------------------------
    i = t["interventie"]
    save("interventie.csv", pd.DataFrame({
        "Wijkraad": _names(names, i["wijkraad_id"]),
        "Startdatum": _dmy(i["start"]), "Uren per week": _decimal_comma(i["uren_per_week"], 1),
    }), sep=";", encoding="utf-8")

    # --- sources.yaml: the run config's sources section for these files -----------------------------
    p = out / "sources.yaml"
    p.write_text(SOURCES_HEADER + yaml.safe_dump(sources_config(city.truth["coverage"], numbers), sort_keys=False,
                                                 allow_unicode=True), encoding="utf-8")
    written.append(p)

    # --- truth.json and README.md ------------------------------------------------------------------
    p = out / "truth.json"
    p.write_text(json.dumps(city.truth, indent=2, ensure_ascii=False, sort_keys=False) + "\n",
                 encoding="utf-8")
    written.append(p)
    p = out / "README.md"
    p.write_text(readme_text(city.truth), encoding="utf-8")
    written.append(p)
    return written


#: Demo subcategory -> MOR subject (the real MOR taxonomy; wijklib.load._mor.MOR_CATEGORIES maps back).
MOR_SUBJECTS = {
    "naastplaatsing": "Afval naast wijkcontainer", "container vol": "Wijkcontainer",
    "container kapot": "Wijkcontainer", "bedrijfsafval": "Afval naast wijkcontainer",
    "grofvuil op straat": "Grofvuil", "grofvuil niet opgehaald": "Grofvuil",
    "zwerfvuil straat": "Zwerfafval", "zwerfvuil groen": "Zwerfafval", "hondenpoep": "Zwerfafval",
    "foutparkeren": "Parkeeroverlast voertuig", "parkeren op stoep": "Parkeeroverlast voertuig",
    "aanhanger of camper": "Parkeeroverlast aanhangwagen", "fietswrak": "Voertuigwrak",
    "fiets in de weg": "Voertuigwrak", "kapot straatmeubilair": "Bank of tafel",
    "losliggende tegels": "Bestrating ongelijk of beschadigd", "graffiti": "Graffiti",
    "straatverlichting": "Verlichting beschadigd",
}
#: Demo subcategory -> legacy MSB subject text (MSB's own taxonomy; read by word rules).
MSB_SUBJECTS = {
    "naastplaatsing": "Huisvuilzakken naast container", "container vol": "Container vol",
    "container kapot": "Container kapot", "bedrijfsafval": "Bedrijfsafval naast container",
    "grofvuil op straat": "Grofvuil op straat", "grofvuil niet opgehaald": "Grofvuil niet opgehaald",
    "zwerfvuil straat": "Zwerfvuil op straat", "zwerfvuil groen": "Zwerfvuil in plantsoen",
    "hondenpoep": "Zwerfvuil: hondenpoep", "foutparkeren": "Parkeeroverlast",
    "parkeren op stoep": "Hinderlijk geparkeerd op stoep", "aanhanger of camper": "Aanhangers/caravans",
    "fietswrak": "(Brom-)fietswrak", "fiets in de weg": "Fietswrak in de weg",
    "kapot straatmeubilair": "Straatmeubilair kapot", "losliggende tegels": "Bestrating: losse tegels",
    "graffiti": "Graffiti", "straatverlichting": "Lantaarnpaal kapot",
}
#: Every k-th MSB report has a staff twin (herkomstCode SBM: inspection rounds), which the loader leaves out.
STAFF_EVERY = 40


def msb_buurt_numbers(geography: pd.DataFrame) -> dict[str, str]:
    """The MSB's own buurt numbers in the demo (1, 2, ... in CBS code order; not CBS codes).

    Examples
    --------
    >>> msb_buurt_numbers(pd.DataFrame({"buurt_code": ["BU05990111", "BU05990110"]}))
    {'BU05990110': '1', 'BU05990111': '2'}
    """
    codes = sorted(geography["buurt_code"].astype(str).unique())
    return {c: str(i + 1) for i, c in enumerate(codes)}


def _wgs84(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    from wijklib import geo

    lat = np.full(len(df), np.nan)
    lon = np.full(len(df), np.nan)
    has = df["x"].notna().to_numpy()
    if has.any():
        la, lo = geo.rd_to_wgs84(df.loc[has, "x"].to_numpy(float), df.loc[has, "y"].to_numpy(float))
        lat[has], lon[has] = np.round(la, 7), np.round(lo, 7)
    return lat, lon


SOURCES_HEADER = """\
# Sources of the synthetic demo city (SYNTHETISCHE DEMODATA), written by wijklib.demo.
# The same shape as a real city's run config (config/example-real.yaml): per source its files,
# layout, the period that was delivered and the known gaps. Paths are relative to this folder.
"""

#: Demo file pattern per source (all in the invented municipal layout ``wijklib``).
DEMO_FILES: dict[str, str] = {
    "meldingen": "meldingen_14010_*.csv", "handhaving": "handhaving_acties.csv",
    "handhaving_uren": "handhaving_uren.xlsx", "politie": "politie_misdrijven.csv",
    "wijkprofiel": "wijkprofiel.xlsx", "focusgebieden": "focusgebieden.csv",
    "wijkakkoorden": "wijkakkoorden.csv", "netwerk_overleggen": "netwerk_overleggen.csv",
    "netwerk_samenwerking": "netwerk_samenwerking.csv", "signalen": "signalen.csv",
    "interventie": "interventie.csv",
}
#: Coverage key of truth.json per source (the two network tables share one delivery).
_COVERAGE_KEY = {"netwerk_overleggen": "netwerk", "netwerk_samenwerking": "netwerk"}


def sources_config(coverage: dict, numbers: dict[str, str] | None = None) -> dict:
    """The demo's ``sources`` config from the coverage in ``truth.json`` (what ``sources.yaml`` holds).

    Examples
    --------
    >>> cfg = sources_config({"politie": {"start": "2017-01", "end": "2025-11"}}, {"BU05991571": "7"})
    >>> cfg["sources"]["politie"]["period"], cfg["sources"]["politie"]["layout"]
    ({'start': '2017-01', 'end': '2025-11'}, 'cbs_statline')
    """
    out: dict = {}
    for source, pattern in DEMO_FILES.items():
        spec: dict = {"layout": "cbs_statline" if source == "politie" else "wijklib", "files": pattern}
        if source == "meldingen":
            spec = {"parts": [
                {"label": "14010-overlastregister", "layout": "wijklib", "files": "meldingen_14010_*.csv"},
                {"label": "MSB (oud meldingensysteem)", "layout": "msb", "files": "msb/msb_meldingen_*.csv",
                 "values": {"buurt": dict(sorted((v, k) for k, v in (numbers or {}).items()))}},
                {"label": "MOR (nieuw platform)", "layout": "mor", "files": "mor/*.csv"},
            ]}
        cov = coverage.get(_COVERAGE_KEY.get(source, source))
        if cov:
            spec["period"] = {"start": cov["start"], "end": cov["end"]}
            weeks = cov.get("missing_weeks") or []
            if weeks:
                spec["gaps"] = [{"start": w, "end": (pd.Timestamp(w) + pd.Timedelta(days=6)).strftime("%Y-%m-%d"),
                                 "reason": "registratie niet aangeleverd"} for w in weeks]
            if cov.get("missing_periods"):
                spec.setdefault("gaps", []).extend(cov["missing_periods"])
        out[source] = spec
    from wijklib.demo._city import PLATFORM_DEFAULT, PLATFORM_NEW, PLATFORM_SWITCHES

    platforms = {"meldingen": {"default": PLATFORM_DEFAULT, "switches": [
        {"system": PLATFORM_NEW, "from": when, "categories": list(cats),
         **({"areas": {"gebied": list(areas)}} if areas else {})}
        for when, cats, areas in PLATFORM_SWITCHES]}}
    return {"sources": out, "platforms": platforms}


def readme_text(truth: dict) -> str:
    """The README written next to the demo files (the committed ``data/raw/demo/README.md`` is the
    one for the default seed and scale).

    Examples
    --------
    >>> from wijklib.demo import simulate
    >>> readme_text(simulate(scale=0.02).truth).splitlines()[0]
    '# SYNTHETISCHE DEMODATA — synthetic demo city (not real data)'
    """
    tr = truth["treatment"]
    cohorts = {}
    for w, m in tr["start_month"].items():
        cohorts.setdefault(m, []).append(w)
    cohort_lines = "\n".join(f"| {m} | {len(ws)} | {', '.join(sorted(ws))} |"
                             for m, ws in sorted(cohorts.items()))
    eff = truth["effects"]["meldingen_rate_ratio"]
    eff_line = ", ".join(f"{k} x{v:.2f}" for k, v in eff.items())
    cov = truth["coverage"]
    return f"""# {SYNTHETIC_NOTE} — synthetic demo city (not real data)

**All files in this folder are SYNTHETIC.** They are generated by `wijklib.demo` (seed {truth['seed']},
scale {truth['scale']}) on real Rotterdam ward names and CBS codes, with invented numbers. Do not quote
them as facts about Rotterdam. Regenerate with:

```bash
python -m wijklib.demo --out data/raw/demo [--seed N] [--scale 0.1]
```

The files themselves are not in git; this README is (it is rewritten identically for the default seed).

## Files (raw layouts as real exports; `wijklib.load` maps the Dutch headers)
| file | layout | content |
|---|---|---|
| `meldingen_<jaar>.csv` | `;`, Windows-1252, CRLF, dates `dd-mm-jjjj HH:MM`, decimal-comma RD coordinates | public reports 14010 / BuitenBeter (until 2019) / MeldR (from 1-1-2020) / web; empty `Datum afhandeling` = still open; `Omschrijving` contains fake personal data in some rows |
| `handhaving_acties.csv` | `,`, UTF-8 with BOM | enforcement actions (controle, waarschuwing, bestuurlijke strafbeschikking, proces-verbaal) per buurt (name); from {cov['handhaving']['start']} |
| `handhaving_uren.xlsx` | sheet `Inzet`, week = Monday `dd-mm-jjjj`, hours as decimal-comma text | enforcement hours per wijkraad per week; from {cov['handhaving_uren']['start']}; weeks {', '.join(cov['handhaving_uren']['missing_weeks'])} are missing (system migration) |
| `politie_misdrijven.csv` | `;`, UTF-8, CBS StatLine layout (`Perioden` like `2021MM03`) | registered crimes per buurt per month, 10 crime types, zeros included; up to {cov['politie']['end']} (publication lag) |
| `wijkprofiel.xlsx` | sheet `Veiligheidsindex` | Veiligheidsindex per wijk, editions 2014–2024, themes x objectief/subjectief/totaal, 100 = city 2014, plus the share "% voelt zich weleens onveilig in de eigen buurt" (percent, with respondents) |
| `focusgebieden.csv` | `;` | NPRZ focus wijken (2012–) and safety hyperfocus wijken (2024–) |
| `wijkakkoorden.csv` | `;`, UTF-8 with BOM | priorities per wijkraad per year 2022–2025 with indicator, source and desired direction |
| `netwerk_overleggen.csv` | `,`, Windows-1252 | meetings per wijkraad and whether enforcement attended (from {cov['netwerk']['start']}) |
| `netwerk_samenwerking.csv` | `;`, quarter like `2023-K2` | collaborations with partners per quarter (zero rows absent) |
| `signalen.csv` | `;`, UTF-8 | coded signals from wijkraden, meetings and Wijkhub walk-ins; non-publishable texts contain fake names/addresses |
| `interventie.csv` | `;`, decimal comma | start of ward-based enforcement per wijkraad (empty = never treated) and hours per week |
| `truth.json` | JSON | the true effects, cohorts, selection rule, coverage and seed |

The `.xlsx` files carry a second sheet `LEESMIJ` with the note {SYNTHETIC_NOTE}; the data sheet is the first.

## Built-in truth (see `truth.json`)
- Staggered roll-out over wijkraden; {len(tr['never_treated'])} wijkraden never treated.

| start | n | wijkraden |
|---|---|---|
{cohort_lines}

- Effect on reports (rate ratio, from the start month): {eff_line}.
- Follow-up time x{truth['effects']['followup_time_ratio']:.2f}; compliance (share of controles without violation) +{truth['effects']['compliance_share_difference']:.2f}; police: vernieling and drugs/drankoverlast x0.90.
- Reporting app switch on {truth['reporting_app']['switch_date']} (BuitenBeter -> MeldR) raises reports (about +25%) without more nuisance.
- COVID period {truth['covid']['start']} .. {truth['covid']['end']}: more nuisance reports, fewer parking reports.
- Selection trap: {truth['selection_rule']}
"""
