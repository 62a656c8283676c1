"""Write meldingen in the real platform layouts (MOR data warehouse, legacy MSB) for the demo and tests.

The inverse of :mod:`wijklib.load._mor` / :mod:`wijklib.load._msb`: from a frame with one row per
melding (``melding_id``, ``ontvangen``, ``afgehandeld``, ``status`` (wijklib status), ``onderwerp``
(platform subject), ``lat``/``lon`` or ``x``/``y``, ``buurtnaam``, ``wijknaam``, ``omschrijving``)
to the files a municipality would deliver.
"""

from __future__ import annotations

import uuid as _uuid
from pathlib import Path

import numpy as np
import pandas as pd

from wijklib.load._mor import MOR_TAXONOMY

_NS = _uuid.UUID("6f1c2b1e-8a53-4d0e-9a43-2f0f3c8b9d11")

#: wijklib status -> MOR status name written (open reports spread over the open MOR states).
_MOR_STATUS_OUT = {"afgehandeld": "afgehandeld", "vervallen": "geannuleerd", "open": "in_behandeling",
                   "doorgezet": "in_behandeling"}


def _uuid_of(text: str) -> str:
    return str(_uuid.uuid5(_NS, text))


def _pg_time(ts: pd.Series) -> np.ndarray:
    """PostgreSQL ``timestamptz`` text in Europe/Amsterdam (``2024-03-05 14:22:11+01``); NaT -> empty."""
    t = pd.to_datetime(ts)
    # The repeated autumn hour is read as winter time; a spring wall time that does not exist moves on.
    local = t.dt.tz_localize("Europe/Amsterdam", ambiguous=np.zeros(len(t), dtype=bool), nonexistent="shift_forward")
    text = local.dt.strftime("%Y-%m-%d %H:%M:%S%z").str.replace(r"(\+|-)(\d{2})00$", r"\1\2", regex=True)
    return text.fillna("").to_numpy(dtype=object)


def write_mor(frame: pd.DataFrame, folder: str | Path, prefix: str = "production-") -> list[Path]:
    """Write the six MOR data-warehouse tables for ``frame`` into ``folder`` (comma CSV, header).

    Examples
    --------
    >>> import tempfile
    >>> f = pd.DataFrame({"melding_id": ["1"], "ontvangen": pd.to_datetime(["2024-03-05 14:22"]),
    ...     "afgehandeld": pd.to_datetime(["2024-03-07 09:00"]), "status": ["afgehandeld"],
    ...     "onderwerp": ["Grofvuil"], "lat": [51.893], "lon": [4.483], "buurtnaam": ["Tarwewijk"],
    ...     "wijknaam": ["Charlois"], "omschrijving": ["matras"]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     names = sorted(p.name for p in write_mor(f, d))
    >>> names[0]
    'production-dwh_categories_category.csv'
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    n = len(frame)
    ids = frame["melding_id"].astype(str)
    # The DWH id is an integer; numeric melding ids are kept, others are numbered 1..n.
    mid = ids.to_numpy(dtype=object) if ids.str.fullmatch(r"\d+").all() else np.arange(1, n + 1)
    row = np.arange(1, n + 1)
    groups = pd.DataFrame({"uuid": [_uuid_of("g:" + g) for g in MOR_TAXONOMY], "name": list(MOR_TAXONOMY)})
    cats = pd.DataFrame([(_uuid_of("c:" + s), s, s.lower().replace(" ", "-"), _uuid_of("g:" + g))
                         for g, subs in MOR_TAXONOMY.items() for s in subs],
                        columns=["uuid", "name", "slug", "group_id"])
    cat_uuid = dict(zip(cats["name"], cats["uuid"], strict=True))
    grp_of = dict(zip(cats["name"], cats["group_id"], strict=True))
    subj = frame["onderwerp"].astype(str)
    unknown = sorted(set(subj) - set(cat_uuid))
    if unknown:
        raise ValueError(f"write_mor: subjects not in the MOR taxonomy: {unknown[:5]}")
    status = frame["status"].astype(str).map(_MOR_STATUS_OUT)
    closed = status.isin(["afgehandeld", "geannuleerd"])
    melding = pd.DataFrame({
        "id": mid, "uuid": [_uuid_of(f"m:{i}") for i in frame["melding_id"]],
        "aangemaakt_op": _pg_time(frame["ontvangen"]), "aangepast_op": _pg_time(frame["ontvangen"]),
        "origineel_aangemaakt": _pg_time(frame["ontvangen"]),
        "afgesloten_op": np.where(closed, _pg_time(frame["afgehandeld"]), ""),
        "meta": "{}", "rotterdam_email": 0, "has_adoptantnummer": 0,
        "meta__kanaal_field": frame["kanaal"].fillna("").to_numpy(dtype=object) if "kanaal" in frame else "",
        "meta__omschrijving_field": frame["omschrijving"].fillna("").to_numpy(dtype=object),
        "meta__meldinsgnummer_field": "", "meta__aanvullende_informatie_field": "",
        "resolutie": np.where(status == "afgehandeld", "opgelost", ""),
        "status_id": row, "urgentie": 0.2, "referentie_locatie_id": row,
        "afhandelreden": "", "specificatie_id": "",
    })
    statuses = pd.DataFrame({"id": row, "uuid": [_uuid_of(f"s:{i}") for i in row],
                             "aangemaakt_op": melding["aangemaakt_op"], "aangepast_op": melding["aangemaakt_op"],
                             "naam": status.to_numpy(), "melding_id": mid})
    locatie = pd.DataFrame({
        "id": row, "uuid": [_uuid_of(f"l:{i}") for i in row], "aangemaakt_op": melding["aangemaakt_op"],
        "aangepast_op": melding["aangemaakt_op"], "locatie_type": "adres", "geometrie": "",
        "lat": frame["lat"].map(lambda v: "" if pd.isna(v) else f"{v:.7f}").to_numpy(dtype=object),
        "lon": frame["lon"].map(lambda v: "" if pd.isna(v) else f"{v:.7f}").to_numpy(dtype=object),
        "bron": "", "naam": "", "straatnaam": "", "huisnummer": "", "huisletter": "", "toevoeging": "",
        "postcode": "", "lichtmast_id": "", "plaatsnaam": "Rotterdam", "begraafplaats": "", "grafnummer": "",
        "vak": "", "melding_id": mid, "buurtnaam": frame["buurtnaam"].fillna("").to_numpy(dtype=object),
        "wijknaam": frame["wijknaam"].fillna("").to_numpy(dtype=object), "gebruiker_id": "", "gewicht": 0.25,
        "signaal_id": "",
    })
    link = pd.DataFrame({
        "id": row, "melding_id": mid, "onderwerpalias_id": row,
        "uuid": [_uuid_of(f"a:{i}") for i in row],
        "bron_url": [f"https://onderwerpen.forzamor.nl/api/v1/group/{grp_of[s]}/category/{cat_uuid[s]}/" for s in subj],
    })
    written = []
    for name, df in (("dwh_meldingen_melding", melding), ("dwh_status_status", statuses),
                     ("dwh_locatie_locatie", locatie), ("dwh_meldingen_melding_onderwerpen", link),
                     ("dwh_categories_category", cats.assign(public_name=cats["name"], is_active="t")),
                     ("dwh_groups_group", groups)):
        p = out / f"{prefix}{name}.csv"
        df.to_csv(p, index=False, encoding="utf-8", lineterminator="\n")
        written.append(p)
    return written


#: wijklib status -> (MSB status, meldingType) written.
_MSB_STATUS_OUT = {"open": ("Inbehandeling", "S"), "afgehandeld": ("Afgehandeld", "S"),
                   "doorgezet": ("Doorverwezen gekregen", "S"), "vervallen": ("Afgehandeld", "N")}


def write_msb(frame: pd.DataFrame, path: str | Path, *, buurt_number: dict[str, str],
              staff_every: int = 0) -> Path:
    """Write a legacy MSB export (``;``, decimal-comma RD coordinates, ISO dates) for ``frame``.

    ``frame`` holds ``melding_id, ontvangen, afgehandeld, status, onderwerp, x, y, buurt_code, kanaal,
    omschrijving``; ``buurt_number`` maps CBS buurt codes to the MSB's own buurt numbers. With
    ``staff_every = k`` every k-th report gets a staff-generated twin (``herkomstCode`` SBM).

    Examples
    --------
    >>> import tempfile
    >>> f = pd.DataFrame({"melding_id": ["1"], "ontvangen": pd.to_datetime(["2022-03-05 14:22"]),
    ...     "afgehandeld": pd.to_datetime([None]), "status": ["open"], "onderwerp": ["Grofvuil op straat"],
    ...     "x": [92345.6], "y": [433210.1], "buurt_code": ["BU05991571"], "kanaal": ["MeldR"], "omschrijving": [""]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     print(write_msb(f, Path(d) / "msb.csv", buurt_number={"BU05991571": "71"}).read_text().splitlines()[1])
    1;2022-03-05T14:22:00;;;Inbehandeling;S;Grofvuil op straat;71;92345,60;433210,10;BUR;MeldR;
    """
    st = frame["status"].astype(str).map(_MSB_STATUS_OUT)
    closed = frame["status"].isin(["afgehandeld", "vervallen"]).to_numpy()

    def num(v: pd.Series) -> np.ndarray:
        return v.map(lambda z: "" if pd.isna(z) else f"{z:.2f}".replace(".", ",")).to_numpy(dtype=object)

    out = pd.DataFrame({
        "mldId": frame["melding_id"].astype(str).to_numpy(dtype=object),
        "datumMelding": pd.to_datetime(frame["ontvangen"]).dt.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object),
        "datumAfhandeling": np.where(closed, pd.to_datetime(frame["afgehandeld"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
                                     .fillna("").to_numpy(dtype=object), ""),
        "datumDoorverwezen": np.where(frame["status"].eq("doorgezet").to_numpy(),
                                      pd.to_datetime(frame["afgehandeld"]).dt.strftime("%Y-%m-%dT%H:%M:%S")
                                      .fillna("").to_numpy(dtype=object), ""),
        "status": st.str[0].to_numpy(dtype=object), "meldingType": st.str[1].to_numpy(dtype=object),
        "onderwerp.omschrijving": frame["onderwerp"].astype(str).to_numpy(dtype=object),
        "locatie.buurtNummer": frame["buurt_code"].map(buurt_number).fillna("").to_numpy(dtype=object),
        "locatie.x": num(frame["x"]), "locatie.y": num(frame["y"]), "herkomstCode": "BUR",
        "kanaal": frame["kanaal"].astype(str).to_numpy(dtype=object),
        "omschrijving": frame["omschrijving"].fillna("").to_numpy(dtype=object),
    })
    if staff_every:
        staff = out.iloc[::staff_every].copy()
        staff["mldId"] = staff["mldId"] + "-SBM"
        staff["herkomstCode"] = "SBM"
        staff["omschrijving"] = "Geconstateerd tijdens schouw"
        out = pd.concat([out, staff]).sort_values("datumMelding", kind="stable")
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(p, sep=";", index=False, encoding="utf-8", lineterminator="\r\n")
    return p
