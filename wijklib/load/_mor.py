"""Layout ``mor``: Rotterdam's MOR platform (forza-mor-rotterdam) data-warehouse export of meldingen.

The export is one CSV per database view (``\\copy ... csv header``, comma separated, PostgreSQL text:
empty = NULL, timestamps like ``2024-03-05 14:22:11.123456+01``), often with a prefix such as
``production-``. The export and its views are documented by the platform's public source code:
https://github.com/forza-mor-rotterdam/dwh-exporter (the ``\\copy`` export) and
https://github.com/forza-mor-rotterdam/mor-core (the ``dwh_*`` views, defined in the migrations of
``app/apps/meldingen``, ``status`` and ``locatie``); see also data/raw/meldingen/README.md. Tables used:

=========================  ==========================================================================
table                      columns read
=========================  ==========================================================================
``dwh_meldingen_melding``  ``id``, ``origineel_aangemaakt`` (received), ``afgesloten_op`` (closed),
                           ``status_id``, ``referentie_locatie_id``, ``resolutie``, ``afhandelreden``,
                           ``meta__kanaal_field``, ``meta__omschrijving_field`` (optional)
``dwh_status_status``      ``id``, ``naam`` (openstaand, in_behandeling, controle, wachten_melder,
                           pauze, afgehandeld, geannuleerd), ``melding_id``
``dwh_locatie_locatie``    ``id``, ``lat``, ``lon`` (WGS84), ``buurtnaam``, ``wijknaam``, ``melding_id``
``dwh_meldingen_melding_   ``melding_id``, ``bron_url`` (``.../group/<uuid>/category/<uuid>/``)
onderwerpen``
``dwh_categories_category`` ``uuid``, ``name`` (subject, e.g. "Grofvuil"), ``group_id``
``dwh_groups_group``       ``uuid``, ``name`` (e.g. "Afval") - optional
=========================  ==========================================================================

No CBS codes: the buurt comes from the point (``geo.locate``), else from ``buurtnaam``; the counts
per way are in ``df.attrs["units"]``. Status: ``afgehandeld`` -> afgehandeld, ``geannuleerd`` ->
vervallen, every other (open or paused) status -> open; ``afgehandeld`` = ``afgesloten_op``.
The subject (``subcategorie``) maps to wijklib's categories through :data:`MOR_CATEGORIES` (the
platform covers physical public space only: no jeugd/overlast subjects); other subjects are
``overig``. Extra columns: ``onderwerp_groep``, ``mor_status``, ``resolutie``, ``afhandelreden``,
``systeem`` (``MOR``), ``eenheid_via`` (punt/naam).
"""

from __future__ import annotations

import re
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

#: The MOR subject taxonomy (onderwerpen fixture: 10 groups, 53 subjects; plus the 7 subjects that
#: msb-api-service routes but the fixture lacks) -> wijklib category. Subjects without a wijklib
#: category are 'overig'. Voertuigwrak is the only wreck subject (cars and bikes alike).
MOR_TAXONOMY: dict[str, tuple[str, ...]] = {
    "Afval": ("Afval naast wijkcontainer", "Afvalbak", "Drugsafval", "Gevaarlijk afval", "Grofvuil",
              "Huiscontainer", "Wijkcontainer", "Zwerfafval"),
    "Voertuigen": ("Deel(brom-)fiets", "Parkeeroverlast (brom-)fiets", "Parkeeroverlast aanhangwagen",
                   "Parkeeroverlast voertuig", "Voertuigwrak", "Parkeeroverlast Deelscooter",
                   "Parkeeroverlast Deel(bak-)fiets", "Winkelwagen"),
    "Groen": ("Blad of bloesem", "Bomen", "Gras", "Onkruid", "Planten", "Kerstboom"),
    "Meubilair": ("Bank of tafel", "Informatie- of reclamezuil", "Klok", "Sport- of speeltoestel",
                  "Verkeers- of straatnaambord", "Graffiti"),
    "Dieren": ("Dode dieren", "Overlast insecten", "Overlast ongedierte", "Uitwerpselen"),
    "Verlichting": ("Verlichting beschadigd", "Verlichting brandt overdag", "Verlichting doet het niet",
                    "Verlichting overig"),
    "Wateroverlast": ("Gemaal of sluis", "Rioolafvoer verstopt", "Rioollucht", "Wateroverlast"),
    "Sloten en singels": ("Fontein", "Kade of kant beschadigd", "Vervuiling in het water"),
    "Weg, pad en brug": ("Bestrating ongelijk of beschadigd", "Gat in de weg", "Gladheid"),
    "Begraafplaats": ("Beplanting", "Gaten", "Konijnen", "Muizen", "Overig", "Schoonmaken",
                      "Verdwenen materiaal", "Verzakking algemeen", "Verzakking graf", "Wespennest",
                      "Zerk reinigen"),
    "Overig": ("Iets anders", "Vuurwerkoverlast"),
}

MOR_CATEGORIES: dict[str, str] = {
    "Afval naast wijkcontainer": "afval", "Afvalbak": "afval", "Drugsafval": "afval",
    "Gevaarlijk afval": "afval", "Huiscontainer": "afval", "Wijkcontainer": "afval",
    "Grofvuil": "grofvuil", "Zwerfafval": "zwerfvuil",
    "Deel(brom-)fiets": "parkeren", "Parkeeroverlast (brom-)fiets": "parkeren",
    "Parkeeroverlast aanhangwagen": "parkeren", "Parkeeroverlast voertuig": "parkeren",
    "Parkeeroverlast Deelscooter": "parkeren", "Parkeeroverlast Deel(bak-)fiets": "parkeren",
    "Voertuigwrak": "fietswrakken",
    # Neglect and damage of the public space.
    "Graffiti": "verwaarlozing", "Bestrating ongelijk of beschadigd": "verwaarlozing",
    "Gat in de weg": "verwaarlozing", "Kade of kant beschadigd": "verwaarlozing",
    "Bank of tafel": "verwaarlozing", "Sport- of speeltoestel": "verwaarlozing",
    "Verkeers- of straatnaambord": "verwaarlozing", "Informatie- of reclamezuil": "verwaarlozing",
    "Verlichting beschadigd": "verwaarlozing",
}

#: MOR status names -> wijklib status.
MOR_STATUS: dict[str, str] = {
    "openstaand": "open", "in_behandeling": "open", "controle": "open", "wachten_melder": "open",
    "pauze": "open", "afgehandeld": "afgehandeld", "geannuleerd": "vervallen",
}

TABLES = ("dwh_meldingen_melding", "dwh_status_status", "dwh_locatie_locatie",
          "dwh_meldingen_melding_onderwerpen", "dwh_categories_category", "dwh_groups_group")
_SHORT = {"melding": "dwh_meldingen_melding", "status": "dwh_status_status", "locatie": "dwh_locatie_locatie",
          "melding_onderwerpen": "dwh_meldingen_melding_onderwerpen", "categories": "dwh_categories_category",
          "groups": "dwh_groups_group"}

ALIASES: dict[str, dict[str, list[str]]] = {
    "dwh_meldingen_melding": {
        "id": ["id"], "origineel_aangemaakt": ["origineel_aangemaakt"], "afgesloten_op": ["afgesloten_op"],
        "status_id": ["status_id"], "referentie_locatie_id": ["referentie_locatie_id"],
        "resolutie": ["resolutie"], "afhandelreden": ["afhandelreden"],
        "kanaal": ["meta__kanaal_field"], "omschrijving": ["meta__omschrijving_field"],
        "meldingsnummer": ["meta__meldinsgnummer_field", "meta__meldingsnummer_field"],
    },
    "dwh_status_status": {"id": ["id"], "naam": ["naam"], "melding_id": ["melding_id"],
                          "aangemaakt_op": ["aangemaakt_op"]},
    "dwh_locatie_locatie": {"id": ["id"], "lat": ["lat"], "lon": ["lon"], "buurtnaam": ["buurtnaam"],
                            "wijknaam": ["wijknaam"], "melding_id": ["melding_id"], "gewicht": ["gewicht"]},
    "dwh_meldingen_melding_onderwerpen": {"id": ["id"], "melding_id": ["melding_id"], "bron_url": ["bron_url"]},
    "dwh_categories_category": {"uuid": ["uuid"], "name": ["name"], "group_id": ["group_id"]},
    "dwh_groups_group": {"uuid": ["uuid"], "name": ["name"]},
}
REQUIRED = {
    "dwh_meldingen_melding": ["id", "origineel_aangemaakt", "afgesloten_op", "status_id", "referentie_locatie_id"],
    "dwh_status_status": ["id", "naam"],
    "dwh_locatie_locatie": ["id", "lat", "lon", "buurtnaam"],
    "dwh_meldingen_melding_onderwerpen": ["melding_id", "bron_url"],
    "dwh_categories_category": ["uuid", "name"],
    "dwh_groups_group": ["uuid", "name"],
}
_CATEGORY_URL = re.compile(r"/category/([0-9a-fA-F-]{8,36})/?")
#: PlanR's fall-back point when an RD conversion fails (https://github.com/forza-mor-rotterdam/PlanR,
#: ``app/apps/main/forms.py``): not a real location.
PLANR_FALLBACK = (51.93254212, 4.43995901)


def _columns_for(table: str, columns: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for key, header in columns.items():
        t, _, c = key.partition(".")
        if _SHORT.get(t, t) == table:
            out[c] = header
    return out


def read_mor(
    files: Mapping[str, list[Path]],
    *,
    columns: Mapping[str, str] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    options: Mapping[str, Any] | None = None,
    lenient: bool = False,
) -> pd.DataFrame:
    """Join the MOR data-warehouse tables into the canonical ``meldingen`` table (see the module docs).

    Parameters
    ----------
    files
        Table name (``dwh_meldingen_melding`` ..., or the short names ``melding``, ``status``,
        ``locatie``, ``melding_onderwerpen``, ``categories``, ``groups``) -> files.
    columns
        ``{"<table>.<column>": "<header in your file>"}``, e.g. ``{"melding.origineel_aangemaakt": "ontvangen_op"}``.
    values
        ``categorie`` (subject or group name -> wijklib category), ``status`` (MOR status -> wijklib
        status), ``kanaal`` (channel text -> wijklib channel).
    options
        ``kanaal``: channel for meldingen whose export has no channel text (default ``MeldR``: the
        platform's intake; ``meta__kanaal_field`` is empty for meldingen made after January 2024).
    """
    columns, values, options = dict(columns or {}), dict(values or {}), dict(options or {})
    files = {_SHORT.get(k, k): v for k, v in files.items()}
    missing = [t for t in TABLES[:5] if t not in files]
    if missing:
        raise wio.DataError(f"the MOR export needs the table(s) {', '.join(missing)}; found "
                            f"{', '.join(files) or '(none)'} (files are matched by the end of their name, "
                            f"e.g. production-{missing[0]}.csv)")
    log = wio.ProblemLog()
    tab = {t: Table(t, files[t], ALIASES[t], REQUIRED[t], log, _columns_for(t, columns)) for t in TABLES if t in files}
    mel, st, loc, link, cat = (tab[t] for t in TABLES[:5])
    m = mel.df
    ontvangen = mel.timestamp("origineel_aangemaakt")
    gesloten = mel.timestamp("afgesloten_op", required=False)
    mel.flag(mel.raw("id") == "", "id", "expected the melding id; the cell is empty")

    # Current status: the status row the melding points at.
    status_name = st.raw("naam").str.lower()
    by_status_id = pd.Series(status_name.to_numpy(), index=st.raw("id").to_numpy())
    by_status_id = by_status_id[~by_status_id.index.duplicated()]
    mor_status = m["status_id"].map(by_status_id)
    mel.flag(mor_status.isna(), "status_id", "expected the id of a row in dwh_status_status")
    status, unknown_status = map_values(mor_status.fillna(""), MOR_STATUS, values.get("status"), None)
    mel.flag(unknown_status, "status_id",
             "status '" + mor_status.fillna("").astype(str) + "' is not a MOR status; expected one of "
             + ", ".join(MOR_STATUS) + " (or map it under values: {status: ...})")
    closed = status.isin(["afgehandeld", "vervallen"])
    # afgesloten_op is reset on reopening; an open melding with a closing date is an inconsistency.
    notes: list[str] = []
    n_open_dated = int((~closed & gesloten.notna() & status.notna()).sum())
    if n_open_dated:
        notes.append(f"{n_open_dated} open meldingen carry an afgesloten_op (reopened?): their closing date is ignored")
    afgehandeld = gesloten.where(closed)
    n_closed_undated = int((closed & gesloten.isna()).sum())
    if n_closed_undated:
        notes.append(f"{n_closed_undated} closed meldingen have no afgesloten_op: no follow-up time for them")
    mel.flag(afgehandeld < ontvangen, "afgesloten_op", "closed before it was received (origineel_aangemaakt)")

    # Location: the reference location, else the heaviest location row of the melding.
    lat = loc.number("lat")
    lon = loc.number("lon")
    bad_pt = lat.notna() & lon.notna() & ~(lat.between(*NL_LAT) & lon.between(*NL_LON))
    loc.flag(bad_pt, "lat", "expected a WGS84 point in the Netherlands (lat 50.7-53.7, lon 3.2-7.3); lat/lon swapped?")
    dummy = (lat.sub(PLANR_FALLBACK[0]).abs() < 1e-7) & (lon.sub(PLANR_FALLBACK[1]).abs() < 1e-7)
    if dummy.any():
        notes.append(f"{int(dummy.sum())} locations carry PlanR's fall-back point {PLANR_FALLBACK}: placed by name instead")
    lat, lon = lat.where(~dummy & ~bad_pt), lon.where(~dummy & ~bad_pt)
    ldf = pd.DataFrame({"id": loc.raw("id"), "melding_id": loc.raw("melding_id"), "lat": lat, "lon": lon,
                        "buurtnaam": loc.raw("buurtnaam"), "wijknaam": loc.raw("wijknaam"),
                        "gewicht": pd.to_numeric(loc.raw("gewicht"), errors="coerce")})
    by_loc = ldf.drop_duplicates("id").set_index("id")
    ref = m["referentie_locatie_id"]
    loc_row = by_loc.reindex(ref.where(ref != "").to_numpy())
    loc_row.index = m.index
    no_ref = ref == ""
    if no_ref.any() and (ldf["melding_id"] != "").any():
        best = (ldf[ldf["melding_id"] != ""].sort_values("gewicht", ascending=False, kind="stable")
                .drop_duplicates("melding_id").set_index("melding_id"))
        alt = best.reindex(m.loc[no_ref, "id"].to_numpy())
        alt.index = m.index[no_ref]
        loc_row.loc[no_ref, alt.columns.intersection(loc_row.columns)] = alt[alt.columns.intersection(loc_row.columns)]
        notes.append(f"{int(no_ref.sum())} meldingen without referentie_locatie_id: their heaviest location row is used")
    mel.flag((ref != "") & ~ref.isin(by_loc.index), "referentie_locatie_id",
             "expected the id of a row in dwh_locatie_locatie")
    code, how = assign_units(loc_row["lat"].astype(float), loc_row["lon"].astype(float), [loc_row["buurtnaam"]])

    # Subject: first onderwerp link of the melding -> category uuid in the bron_url -> category name.
    lk = link.df.assign(cat_uuid=link.raw("bron_url").str.extract(_CATEGORY_URL, expand=False).str.lower())
    link.flag(lk["cat_uuid"].isna(), "bron_url", "expected an onderwerpen URL .../category/<uuid>/")
    lk["_order"] = pd.to_numeric(link.raw("id"), errors="coerce") if link.has("id") else np.arange(len(lk))
    multi = lk.dropna(subset=["cat_uuid"]).groupby("melding_id").size()
    lk_first = lk.dropna(subset=["cat_uuid"]).sort_values("_order", kind="stable").drop_duplicates("melding_id")
    cat_of_melding = pd.Series(lk_first["cat_uuid"].to_numpy(), index=lk_first["melding_id"].to_numpy())
    if (multi > 1).any():
        notes.append(f"{int((multi > 1).sum())} meldingen have several onderwerpen: the first is used")
    cats = cat.df.assign(uuid=cat.raw("uuid").str.lower())
    cat_name = pd.Series(cats["name"].to_numpy(), index=cats["uuid"].to_numpy())
    cat_name = cat_name[~cat_name.index.duplicated()]
    uuid = m["id"].map(cat_of_melding)
    subject = uuid.map(cat_name)
    mel.flag(uuid.isna(), "id", "melding has no onderwerp in dwh_meldingen_melding_onderwerpen")
    mel.flag(uuid.notna() & subject.isna(), "id",
             "its onderwerp (category " + uuid.fillna("").astype(str) + ") is not in dwh_categories_category")
    group = pd.Series(np.nan, index=m.index, dtype=object)
    if "dwh_groups_group" in tab and cat.has("group_id"):
        g = tab["dwh_groups_group"].df
        gname = pd.Series(g["name"].to_numpy(), index=g["uuid"].str.lower().to_numpy())
        gname = gname[~gname.index.duplicated()]
        group_of_cat = pd.Series(cats["group_id"].str.lower().map(gname).to_numpy(), index=cats["uuid"].to_numpy())
        group_of_cat = group_of_cat[~group_of_cat.index.duplicated()]
        group = uuid.map(group_of_cat)
    user_cat = values.get("categorie")
    categorie, _ = map_values(subject.fillna(""), MOR_CATEGORIES, user_cat, "overig")
    if user_cat:
        # A value map may also name a whole group ("Groen: verwaarlozing"); a subject entry wins.
        by_group, _ = map_values(group.fillna(""), {}, user_cat, None)
        by_subject, _ = map_values(subject.fillna(""), {}, user_cat, None)
        categorie = categorie.where(by_subject.notna() | by_group.isna(), by_group)

    kan, bad_kan = kanaal(mel.raw("kanaal"), values.get("kanaal"), str(options.get("kanaal", "MeldR")))
    mel.flag(bad_kan, "kanaal", "unknown channel text; map it under values: {kanaal: {<text>: MeldR|14010|web|BuitenBeter}}")
    if mel.raw("kanaal").eq("").any():
        notes.append(f"{int(mel.raw('kanaal').eq('').sum())} meldingen without channel text: kanaal = "
                     f"{options.get('kanaal', 'MeldR')} (the platform's intake; options.kanaal changes it)")
    x = pd.Series(np.nan, index=m.index)
    y = pd.Series(np.nan, index=m.index)
    pt = loc_row["lat"].notna() & loc_row["lon"].notna()
    if pt.any():
        from wijklib import geo

        xx, yy = geo.wgs84_to_rd(loc_row.loc[pt, "lat"].to_numpy(float), loc_row.loc[pt, "lon"].to_numpy(float))
        x[pt], y[pt] = np.round(np.asarray(xx, float), 2), np.round(np.asarray(yy, float), 2)
    out = pd.DataFrame({
        "melding_id": m["id"].where(m["id"] != "").astype("str"),
        "ontvangen": ontvangen, "afgehandeld": afgehandeld.astype("datetime64[ns]"),
        "kanaal": kan, "categorie": categorie, "subcategorie": subject.astype("str"),
        "buurt_code": code.astype("str"), "x": x, "y": y, "status": status,
        "omschrijving": mel.raw("omschrijving").where(mel.raw("omschrijving") != "").astype("str"),
        "onderwerp_groep": group.astype("str"), "mor_status": mor_status.astype("str"),
        "resolutie": mel.raw("resolutie").where(mel.raw("resolutie") != "").astype("str"),
        "afhandelreden": mel.raw("afhandelreden").where(mel.raw("afhandelreden") != "").astype("str"),
        "systeem": "MOR", "eenheid_via": how.astype("str"),
        FILE: m[FILE], ROW: m[ROW],
    }, index=m.index)
    dup = out["melding_id"].duplicated(keep=False) & out["melding_id"].notna()
    mel.flag(dup, "id", "duplicate melding id")
    notes += overig_note(out["subcategorie"], out["categorie"], "mor")
    reports = [r for t in TABLES if t in tab for r in tab[t].reports]
    return finish(out, log, lenient=lenient, reports=reports, how=how, excluded={}, notes=notes, layout="mor",
                  headers={"melding_id": "id", "ontvangen": "origineel_aangemaakt", "afgehandeld": "afgesloten_op"})


def _mor_columns() -> tuple[str, ...]:
    short = {v: k for k, v in _SHORT.items()}
    return tuple(f"{name}.{c}" for t in TABLES for c in ALIASES[t] for name in (short[t], t))


register(Layout(
    name="mor", source="meldingen", read=read_mor,
    description="Rotterdam MOR platform data-warehouse export (dwh_meldingen_melding, dwh_status_status, "
                "dwh_locatie_locatie, dwh_meldingen_melding_onderwerpen, dwh_categories_category, dwh_groups_group)",
    tables=TABLES + tuple(_SHORT), columns=_mor_columns(), options=("kanaal",),
    value_columns=("categorie", "status", "kanaal"),
))
