"""Layout ``msb``: Rotterdam's legacy MSB (Meldingen Stadsbeheer) export of meldingen, one table.

The MSB melding record (public source: https://github.com/forza-mor-rotterdam/profilr-api-services,
``profilr_api_services/msb.py``) flattened to one CSV row: ``id``/``mldId``,
``datumMelding``, ``datumAfhandeling``, ``datumDoorverwezen``, ``status`` (Nieuw, Inbehandeling, Doorverwezen gekregen,
Heropend, Afgehandeld), ``meldingType`` (S/O/N; N = not taken into handling, with
``redenAfhandelenNiet``), ``onderwerp.omschrijving`` (subject, e.g. "Grofvuil op straat"),
``locatie.buurtNummer`` (Rotterdam's own buurt number, not a CBS code), ``locatie.x``/``locatie.y``
(RD New metres), ``herkomstCode`` (``BUR`` = a resident, ``SBM`` = Stadsbeheer Mobiel, i.e. staff)
and ``omschrijving``. Nested names may also be written without the prefix (``buurtNummer``, ``x``)
or camel-cased (``onderwerpOmschrijving``).

Units: by point (RD x/y in the geography), else ``locatie.buurtNummer`` / ``buurtnaam`` through the
value map ``values: {buurt: {<number>: <buurt name or CBS code>}}`` (MSB numbers are not CBS codes;
without a map they cannot be placed). Staff reports (``SBM``) measure the city's own inspection
rounds, which ward-based enforcement changes: they are left out by default and counted
(``options: {herkomst: [BUR, SBM]}`` keeps them). The channel is not in the record: give it as
``options: {kanaal: ...}`` or map a ``kanaal`` column.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wijklib import io as wio
from wijklib.load._engine import FILE, ROW
from wijklib.load._exports import Table, assign_units, finish, kanaal, map_values, overig_note
from wijklib.load._layouts import Layout, register
from wijklib.load._meldingen import RD_X, RD_Y

ALIASES: dict[str, list[str]] = {
    "id": ["mldId", "id", "meldingId"],
    "datum_melding": ["datumMelding", "datum_melding"],
    "datum_afhandeling": ["datumAfhandeling", "datum_afhandeling"],
    "datum_doorverwezen": ["datumDoorverwezen", "datum_doorverwezen"],
    "status": ["status"],
    "melding_type": ["meldingType", "melding_type"],
    "reden_niet": ["redenAfhandelenNiet"],
    "onderwerp": ["onderwerp.omschrijving", "onderwerpOmschrijving", "onderwerp_omschrijving", "onderwerp"],
    "onderwerp_id": ["onderwerp.id", "onderwerpId", "onderwerp_id"],
    "buurt": ["locatie.buurtNummer", "buurtNummer", "buurtnummer"],
    "buurtnaam": ["locatie.buurtNaam", "buurtnaam"],
    "x": ["locatie.x", "x", "xCoord"],
    "y": ["locatie.y", "y", "yCoord"],
    "herkomst": ["herkomstCode", "melder.herkomst", "herkomst"],
    "kanaal": ["kanaal"],
    "omschrijving": ["omschrijving"],
}
REQUIRED = ["id", "datum_melding", "status", "onderwerp", "herkomst"]

#: MSB status -> wijklib status.
MSB_STATUS = {"nieuw": "open", "inbehandeling": "open", "in behandeling": "open", "heropend": "open",
              "doorverwezen gekregen": "doorgezet", "doorverwezen": "doorgezet", "afgehandeld": "afgehandeld"}
#: herkomstCode values: resident or staff.
HERKOMST = {"BUR": "burger", "SBM": "medewerker", "burger": "burger", "stadsbeheer mobiel": "medewerker"}

#: Legacy MSB subjects (profilr-api mock of 2022: 22 groups, 133 subjects) -> wijklib category, by
#: words in the subject text; the first rule that matches wins, the rest is 'overig'.
MSB_RULES: tuple[tuple[str, str], ...] = (
    ("fietswrak", "fietswrakken"), ("wrak", "fietswrakken"), ("grofvuil", "grofvuil"),
    ("zwerfvuil", "zwerfvuil"), ("zwerfafval", "zwerfvuil"), ("vuil op straat", "zwerfvuil"),
    ("huisvuil", "afval"), ("container", "afval"), ("afval", "afval"),
    ("parkeer", "parkeren"), ("geparkeerd", "parkeren"), ("aanhanger", "parkeren"),
    ("graffiti", "verwaarlozing"), ("wildplak", "verwaarlozing"), ("bestrating", "verwaarlozing"),
    ("tegel", "verwaarlozing"), ("straatmeubilair", "verwaarlozing"), ("lantaarnpaal", "verwaarlozing"),
)


def _msb_category(subject: pd.Series) -> pd.Series:
    def one(text: str) -> str:
        low = text.lower()
        return next((cat for word, cat in MSB_RULES if word in low), "overig")

    return wio.map_unique(subject.astype(str), lambda u: u.map(one))


def read_msb(
    files: list[Path],
    *,
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    options: Mapping[str, Any] | None = None,
    lenient: bool = False,
) -> pd.DataFrame:
    """Read a legacy MSB export into the canonical ``meldingen`` table (see the module docs)."""
    values, options = dict(values or {}), dict(options or {})
    log = wio.ProblemLog()
    t = Table("", files, ALIASES, REQUIRED, log, dict(columns or {}))
    d = t.df
    ontvangen = t.timestamp("datum_melding")
    afgehandeld = t.timestamp("datum_afhandeling", required=False)
    doorverwezen = t.timestamp("datum_doorverwezen", required=False)
    t.flag(afgehandeld < ontvangen, "datum_afhandeling", "closed before it was received (datumMelding)")
    status, bad_status = map_values(t.raw("status"), MSB_STATUS, values.get("status"), None)
    t.flag(bad_status | (t.raw("status") == ""), "status",
           f"expected an MSB status ({', '.join(sorted(set(MSB_STATUS)))}) or a value map under values: {{status: ...}}")
    # meldingType N: not taken into handling ('niet in behandeling genomen').
    niet = t.raw("melding_type").str.upper() == "N"
    status = status.where(~niet, "vervallen")
    status = status.where(~(status.eq("open") & afgehandeld.notna()), "afgehandeld")
    herkomst = wio.map_unique(t.raw("herkomst"), lambda u: u.map(lambda v: HERKOMST.get(v, HERKOMST.get(v.lower()))))
    t.flag(herkomst.isna(), "herkomst", "expected herkomstCode BUR (resident) or SBM (staff)")
    keep_codes = [str(c).upper() for c in options.get("herkomst", ["BUR"])]
    keep_kinds = {HERKOMST[c] for c in keep_codes if c in HERKOMST}
    staff_out = herkomst.notna() & ~herkomst.isin(list(keep_kinds))
    x = t.number("x")
    y = t.number("y")
    zero = (x == 0) & (y == 0)  # MSB writes 0,0 for "no point"
    x, y = x.where(~zero), y.where(~zero)
    t.flag(x.notna() & ~x.between(*RD_X), "x", "expected an RD New x (metres)")
    t.flag(y.notna() & ~y.between(*RD_Y), "y", "expected an RD New y (metres)")
    lat = lon = pd.Series(np.nan, index=d.index)
    pt = x.between(*RD_X) & y.between(*RD_Y)
    if pt.any():
        from wijklib import geo

        la, lo = geo.rd_to_wgs84(x[pt].to_numpy(float), y[pt].to_numpy(float))
        lat = pd.Series(np.nan, index=d.index)
        lon = pd.Series(np.nan, index=d.index)
        lat[pt], lon[pt] = la, lo
    buurt_map = {str(k): str(v) for k, v in (values.get("buurt") or {}).items()}
    by_number = t.raw("buurt").map(buurt_map)
    code, how = assign_units(lat, lon, [by_number, t.raw("buurtnaam").where(t.raw("buurtnaam") != "")])
    if "kanaal" in t.columns:
        kan, bad_kan = kanaal(t.raw("kanaal"), values.get("kanaal"), options.get("kanaal"))
        t.flag(bad_kan | kan.isna(), "kanaal", "unknown channel; expected 14010, MeldR, BuitenBeter or web (or a value map)")
    elif "kanaal" in options:
        kan = pd.Series(str(options["kanaal"]), index=d.index, dtype=object)
    else:
        raise wio.DataError(f"{', '.join(p.name for p in files)}: the MSB export has no channel column; declare the "
                            "channel of these meldingen as options: {kanaal: MeldR} (or 14010, web, BuitenBeter), "
                            "or map a column with columns: {kanaal: <header>}")
    subject = t.raw("onderwerp")
    user_cat = values.get("categorie")
    mapped, _ = map_values(subject, {}, user_cat, None)
    categorie = mapped.where(mapped.notna(), _msb_category(subject))
    out = pd.DataFrame({
        "melding_id": t.raw("id").where(t.raw("id") != "").astype("str"),
        "ontvangen": ontvangen,
        # Closing date; for a forwarded report the date it was forwarded (datumDoorverwezen).
        "afgehandeld": afgehandeld.where(status.isin(["afgehandeld", "vervallen"]),
                                         doorverwezen.where(status == "doorgezet")),
        "kanaal": kan, "categorie": categorie, "subcategorie": subject.where(subject != "").astype("str"),
        "buurt_code": code.astype("str"), "x": x.where(pt), "y": y.where(pt), "status": status,
        "omschrijving": t.raw("omschrijving").where(t.raw("omschrijving") != "").astype("str"),
        "herkomst": herkomst.astype("str"), "msb_status": t.raw("status").astype("str"),
        "systeem": "MSB", "eenheid_via": how.astype("str"), FILE: d[FILE], ROW: d[ROW],
    }, index=d.index)
    t.flag(out["melding_id"].duplicated(keep=False) & out["melding_id"].notna(), "id", "duplicate melding id")
    notes = overig_note(out["subcategorie"], out["categorie"], "msb")
    excluded = {}
    if staff_out.any():
        excluded["staff reports (herkomstCode SBM) left out: they count inspection rounds, not residents' reports"] = int(staff_out.sum())
    out = out.loc[~staff_out]
    log_kept = log
    return finish(out, log_kept, lenient=lenient, reports=t.reports, how=how.loc[out.index], excluded=excluded,
                  notes=notes, layout="msb", headers={"melding_id": "mldId", "ontvangen": "datumMelding"})


register(Layout(
    name="msb", source="meldingen", read=read_msb,
    description="Rotterdam legacy MSB export (mldId, datumMelding, datumAfhandeling, status, meldingType, "
                "onderwerp.omschrijving, locatie.buurtNummer, locatie.x/y in RD, herkomstCode)",
    columns=tuple(ALIASES), options=("kanaal", "herkomst"), value_columns=("categorie", "status", "kanaal", "buurt"),
))
