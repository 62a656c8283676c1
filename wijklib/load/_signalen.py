"""Layout ``signalen``: the data-warehouse CSVs of Signalen (Amsterdam/signals, used by several cities).

Signalen's datawarehouse export is a zip of PostgreSQL-COPY CSVs (comma, header). Tables read:

===============  ===============================================================================
``signals``      ``id``, ``created_at`` (received), ``location_id``, ``category_assignment_id``,
                 ``status_id``, ``source``, ``text`` (free text; may hold personal data)
``locations``    ``id``, ``lat``, ``lng``, ``buurt_code`` (the city's own code), ``area_name``
``categories``   ``id``, ``main``, ``sub`` (category slugs)
``statuses``     ``id``, ``state`` (m, i, b, h, o, a, s, reopened, ...), ``created_at``
===============  ===============================================================================

Signalen fills ``lat`` from ST_X (the longitude) and ``lng`` from ST_Y; the reader checks per file
which column holds the latitude (the Netherlands' latitudes and longitudes do not overlap) and says
so in ``attrs["notes"]``. Units by point, else through ``values: {buurt: {<buurt_code>: <buurt>}}``
or ``area_name``. States: ``o`` -> afgehandeld (closed at the status' ``created_at``), ``a`` and
``s`` (split into new signals) -> vervallen, forwarding states -> doorgezet, the rest -> open.
Categories map by slug (:data:`SIGNALEN_RULES`, overridable with ``values: {categorie: {<sub or
main slug>: <categorie>}}``); other slugs are 'overig'.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wijklib import io as wio
from wijklib.load._engine import FILE, ROW
from wijklib.load._exports import (
    NL_LAT,
    NL_LON,
    Table,
    assign_units,
    finish,
    kanaal,
    map_values,
    overig_note,
)
from wijklib.load._layouts import Layout, register

TABLES = ("signals", "locations", "categories", "statuses")
ALIASES: dict[str, dict[str, list[str]]] = {
    "signals": {"id": ["id"], "created_at": ["created_at"], "location_id": ["location_id"],
                "category_assignment_id": ["category_assignment_id"], "status_id": ["status_id"],
                "source": ["source"], "text": ["text"]},
    "locations": {"id": ["id"], "lat": ["lat"], "lng": ["lng"], "buurt_code": ["buurt_code"],
                  "area_name": ["area_name"]},
    "categories": {"id": ["id"], "main": ["main"], "sub": ["sub"]},
    "statuses": {"id": ["id"], "state": ["state"], "created_at": ["created_at"]},
}
REQUIRED = {"signals": ["id", "created_at", "location_id", "category_assignment_id", "status_id"],
            "locations": ["id", "lat", "lng"], "categories": ["id", "main", "sub"],
            "statuses": ["id", "state", "created_at"]}

SIGNALEN_STATUS = {
    "m": "open", "i": "open", "b": "open", "h": "open", "ingepland": "open", "reopened": "open",
    "closure requested": "open", "reopen requested": "open", "reaction requested": "open",
    "reaction received": "open", "o": "afgehandeld", "a": "vervallen", "s": "vervallen",
    "forward to external": "doorgezet", "ready to send": "doorgezet", "sent": "doorgezet",
    "send failed": "doorgezet", "done external": "doorgezet",
}
#: Words in the category slugs (``main/sub``) -> wijklib category; first match wins, else 'overig'.
SIGNALEN_RULES: tuple[tuple[str, str], ...] = (
    ("grofvuil", "grofvuil"), ("grof-afval", "grofvuil"), ("zwerfvuil", "zwerfvuil"), ("zwerfafval", "zwerfvuil"),
    ("fietswrak", "fietswrakken"), ("wrak", "fietswrakken"), ("parkeeroverlast", "parkeren"),
    ("jongeren", "jeugd"), ("personen-of-groepen", "overlast"), ("overlast-van-en-door-personen", "overlast"),
    ("graffiti", "verwaarlozing"), ("container", "afval"), ("huisafval", "afval"), ("afval", "afval"),
)


def _category(main: pd.Series, sub: pd.Series) -> pd.Series:
    def one(text: str) -> str:
        return next((cat for word, cat in SIGNALEN_RULES if word in text), "overig")

    return wio.map_unique((main + "/" + sub).str.lower(), lambda u: u.map(one))


def read_signalen(
    files: Mapping[str, list[Path]],
    *,
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    options: Mapping[str, Any] | None = None,
    lenient: bool = False,
) -> pd.DataFrame:
    """Join Signalen's data-warehouse tables into the canonical ``meldingen`` table (see the module docs)."""
    columns, values, options = dict(columns or {}), dict(values or {}), dict(options or {})
    missing = [t for t in TABLES if t not in files]
    if missing:
        raise wio.DataError(f"the Signalen export needs the table(s) {', '.join(missing)}.csv; found "
                            f"{', '.join(files) or '(none)'}")
    log = wio.ProblemLog()
    tab = {}
    for t in TABLES:
        cols = {k.partition(".")[2]: v for k, v in columns.items() if k.partition(".")[0] == t}
        tab[t] = Table(t, files[t], ALIASES[t], REQUIRED[t], log, cols)
    sig, loc, cat, st = (tab[t] for t in TABLES)
    s = sig.df
    ontvangen = sig.timestamp("created_at")
    notes: list[str] = []
    # lat/lng: decide per file which column is the latitude.
    a, b = loc.number("lat"), loc.number("lng")
    lat = pd.Series(np.nan, index=loc.df.index)
    lon = pd.Series(np.nan, index=loc.df.index)
    for file, idx in loc.df.groupby(FILE).groups.items():
        aa, bb = a.loc[idx], b.loc[idx]
        swapped = aa.between(*NL_LON).mean() > 0.5 and bb.between(*NL_LAT).mean() > 0.5
        if swapped:
            lat.loc[idx], lon.loc[idx] = bb, aa
            notes.append(f"{file}: column 'lat' holds the longitude and 'lng' the latitude (as Signalen writes them)")
        else:
            lat.loc[idx], lon.loc[idx] = aa, bb
    bad = lat.notna() & lon.notna() & ~(lat.between(*NL_LAT) & lon.between(*NL_LON))
    loc.flag(bad, "lat", "expected a WGS84 point in the Netherlands")
    lat, lon = lat.where(~bad), lon.where(~bad)
    lrow = pd.DataFrame({"lat": lat, "lon": lon, "buurt_code": loc.raw("buurt_code"),
                         "area_name": loc.raw("area_name")})
    lrow.index = loc.raw("id").to_numpy()
    lrow = lrow[~lrow.index.duplicated()]
    L = lrow.reindex(s["location_id"].to_numpy())
    L.index = s.index
    sig.flag(~s["location_id"].isin(lrow.index), "location_id", "expected the id of a row in locations.csv")
    buurt_map = {str(k): str(v) for k, v in (values.get("buurt") or {}).items()}
    code, how = assign_units(L["lat"].astype(float), L["lon"].astype(float),
                             [L["buurt_code"].map(buurt_map), L["area_name"].where(L["area_name"] != "")])
    crow = pd.DataFrame({"main": cat.raw("main").to_numpy(), "sub": cat.raw("sub").to_numpy()},
                        index=cat.raw("id").to_numpy())
    crow = crow[~crow.index.duplicated()]
    C = crow.reindex(s["category_assignment_id"].to_numpy())
    C.index = s.index
    sig.flag(C["main"].isna(), "category_assignment_id", "expected the id of a row in categories.csv")
    main, sub = C["main"].fillna(""), C["sub"].fillna("")
    user = values.get("categorie")
    by_sub, _ = map_values(sub, {}, user, None)
    by_main, _ = map_values(main, {}, user, None)
    categorie = by_sub.where(by_sub.notna(), by_main).where(lambda v: v.notna(), _category(main, sub))
    srow = pd.DataFrame({"state": st.raw("state").str.lower().to_numpy(), "at": st.timestamp("created_at").to_numpy()},
                        index=st.raw("id").to_numpy())
    srow = srow[~srow.index.duplicated()]
    S = srow.reindex(s["status_id"].to_numpy())
    S.index = s.index
    sig.flag(S["state"].isna(), "status_id", "expected the id of a row in statuses.csv")
    status, bad_state = map_values(S["state"].fillna(""), SIGNALEN_STATUS, values.get("status"), None)
    sig.flag(bad_state, "status_id", "its state '" + S["state"].fillna("").astype(str) + "' is not a Signalen state")
    afgehandeld = S["at"].where(status.isin(["afgehandeld", "vervallen"]))
    sig.flag(afgehandeld < ontvangen, "status_id", "closed before it was received (created_at)")
    kan, bad_kan = kanaal(sig.raw("source"), {"online": "web", **(values.get("kanaal") or {})},
                          str(options.get("kanaal", "web")))
    sig.flag(bad_kan, "source", "unknown source; map it under values: {kanaal: {<source>: 14010|web|MeldR|BuitenBeter}}")
    x = pd.Series(np.nan, index=s.index)
    y = pd.Series(np.nan, index=s.index)
    pt = L["lat"].notna() & L["lon"].notna()
    if pt.any():
        from wijklib import geo

        xx, yy = geo.wgs84_to_rd(L.loc[pt, "lat"].to_numpy(float), L.loc[pt, "lon"].to_numpy(float))
        x[pt], y[pt] = np.round(np.asarray(xx, float), 2), np.round(np.asarray(yy, float), 2)
    out = pd.DataFrame({
        "melding_id": s["id"].astype("str"), "ontvangen": ontvangen, "afgehandeld": afgehandeld.astype("datetime64[ns]"),
        "kanaal": kan, "categorie": categorie, "subcategorie": (main + "/" + sub).astype("str"),
        "buurt_code": code.astype("str"), "x": x, "y": y, "status": status,
        "omschrijving": sig.raw("text").where(sig.raw("text") != "").astype("str"),
        "signalen_state": S["state"].astype("str"), "systeem": "Signalen", "eenheid_via": how.astype("str"),
        FILE: s[FILE], ROW: s[ROW],
    }, index=s.index)
    sig.flag(out["melding_id"].duplicated(keep=False), "id", "duplicate signal id")
    notes += overig_note(out["subcategorie"], out["categorie"], "signalen")
    reports = [r for t in TABLES for r in tab[t].reports]
    return finish(out, log, lenient=lenient, reports=reports, how=how, excluded={}, notes=notes, layout="signalen",
                  headers={"melding_id": "id", "ontvangen": "created_at"})


register(Layout(
    name="signalen", source="meldingen", read=read_signalen,
    description="Signalen (Amsterdam/signals) data-warehouse CSVs: signals, locations, categories, statuses",
    tables=TABLES, columns=tuple(f"{t}.{c}" for t in TABLES for c in ALIASES[t]), options=("kanaal",),
    value_columns=("categorie", "status", "kanaal", "buurt"),
))
