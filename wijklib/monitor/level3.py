"""Level 3 — embedding of enforcement in the ward network (council letter, third level).

Three shares per ward and year, each between 0 and 1, and a documented score (0-100):

- ``aanwezigheid``: ward meetings (``netwerk_overleggen``) attended by enforcement / all ward meetings;
- ``breedte``: core partners (``level3.core_partners`` in ``config/monitor.yaml``: police, youth work,
  housing corporations) with any cooperation in the year / number of core partners;
- ``regelmaat``: (core partner x quarter) cells with cooperation / (core partners x quarters on record);
  rewards structural cooperation over a single burst.

``score = 100 x (w_aanwezigheid x aanwezigheid + w_breedte x breedte + w_regelmaat x regelmaat)``
with the weights of ``level3.weights``. When a component cannot be measured (no meetings on record) the
score is left empty and a note says why, rather than re-weighting silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from wijklib.monitor.settings import MonitorConfig, load_config

COMPONENTS = ("aanwezigheid", "breedte", "regelmaat")


@dataclass(frozen=True, eq=False)  # holds DataFrames: compare via .to_dict()
class Level3:
    """Network embedding of one ward: the score of the evaluation year, its components and the trend."""

    year: int
    score: float | None
    components: dict[str, float | None]
    weights: dict[str, float]
    by_year: pd.DataFrame
    partners: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        from wijklib.monitor.serialize import frame_to_records

        return {
            "year": self.year,
            "score": self.score,
            "components": dict(self.components),
            "weights": dict(self.weights),
            "by_year": frame_to_records(self.by_year),
            "partners": frame_to_records(self.partners),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Level3:
        from wijklib.monitor.serialize import records_to_frame

        return cls(
            year=int(d["year"]),
            score=d["score"],
            components=dict(d["components"]),
            weights=dict(d["weights"]),
            by_year=records_to_frame(d["by_year"]),
            partners=records_to_frame(d["partners"]),
            notes=tuple(d.get("notes", ())),
        )


def _year(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.year


def network_by_year(
    overleggen: pd.DataFrame | None,
    samenwerking: pd.DataFrame | None,
    wijkraad_id: str,
    *,
    config: MonitorConfig | None = None,
) -> pd.DataFrame:
    """Components and score per year for one ward.

    Parameters
    ----------
    overleggen
        Canonical ``netwerk_overleggen`` table (datum, wijkraad_id, type, handhaving_aanwezig).
    samenwerking
        Canonical ``netwerk_samenwerking`` table (wijkraad_id, partner, periode, vorm, aantal).
    wijkraad_id
        The ward.

    Returns
    -------
    DataFrame
        One row per year: ``jaar, overleggen, overleggen_aanwezig, aanwezigheid, partners_actief,
        breedte, kwartalen, regelmaat, samenwerkingen, score``.

    Examples
    --------
    >>> ov = pd.DataFrame({"datum": pd.to_datetime(["2024-01-10", "2024-05-01"]), "wijkraad_id": "a",
    ...                    "type": "wijkoverleg", "handhaving_aanwezig": [True, False]})
    >>> sw = pd.DataFrame({"wijkraad_id": "a", "partner": ["politie"] * 4,
    ...                    "periode": pd.to_datetime(["2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01"]),
    ...                    "vorm": "overleg", "aantal": 2})
    >>> network_by_year(ov, sw, "a")[["aanwezigheid", "breedte", "regelmaat", "score"]].round(2).values.tolist()
    [[0.5, 0.33, 0.33, 41.67]]
    """
    cfg = load_config(config)
    core = list(cfg.level3["core_partners"])
    w = {k: float(v) for k, v in cfg.level3["weights"].items()}
    ov = overleggen if overleggen is not None else pd.DataFrame(columns=["datum", "wijkraad_id", "handhaving_aanwezig"])
    sw = samenwerking if samenwerking is not None else pd.DataFrame(columns=["wijkraad_id", "partner", "periode", "aantal"])

    ov_w = ov.loc[ov["wijkraad_id"] == wijkraad_id]
    ov_year = _year(ov_w["datum"])
    att = (
        pd.DataFrame({"jaar": ov_year, "aanwezig": ov_w["handhaving_aanwezig"].astype("boolean").fillna(False).astype(bool)})
        .groupby("jaar")["aanwezig"]
        .agg(overleggen="size", overleggen_aanwezig="sum")
    )

    # Quarters "on record" are those present for ANY ward: a quarter without data city-wide is a data
    # gap, not a quarter without cooperation.
    sw_all_q = pd.to_datetime(sw["periode"]).dt.to_period("Q")
    quarters_per_year = sw_all_q.drop_duplicates().groupby(sw_all_q.drop_duplicates().dt.year).size()
    sw_w = sw.loc[(sw["wijkraad_id"] == wijkraad_id) & (pd.to_numeric(sw["aantal"]) > 0)].copy()
    sw_w["q"] = pd.to_datetime(sw_w["periode"]).dt.to_period("Q")
    sw_w["jaar"] = sw_w["q"].dt.year
    core_w = sw_w.loc[sw_w["partner"].isin(core)]

    years = sorted(set(att.index.tolist()) | set(quarters_per_year.index.tolist()))
    rows = []
    for y in years:
        n_ov = int(att["overleggen"].get(y, 0))
        n_att = int(att["overleggen_aanwezig"].get(y, 0))
        aanw = n_att / n_ov if n_ov else np.nan
        cy = core_w.loc[core_w["jaar"] == y]
        n_q = int(quarters_per_year.get(y, 0))
        active = int(cy["partner"].nunique())
        breedte = active / len(core) if n_q else np.nan
        cells = int(cy[["partner", "q"]].drop_duplicates().shape[0])
        regelmaat = cells / (len(core) * n_q) if n_q else np.nan
        comps = {"aanwezigheid": aanw, "breedte": breedte, "regelmaat": regelmaat}
        score = (
            100 * sum(w[k] * comps[k] for k in COMPONENTS)
            if all(np.isfinite(comps[k]) for k in COMPONENTS)
            else np.nan
        )
        rows.append(
            {
                "jaar": int(y),
                "overleggen": n_ov,
                "overleggen_aanwezig": n_att,
                "aanwezigheid": aanw,
                "partners_actief": active,
                "breedte": breedte,
                "kwartalen": n_q,
                "regelmaat": regelmaat,
                "samenwerkingen": int(pd.to_numeric(sw_w.loc[sw_w["jaar"] == y, "aantal"]).sum()),
                "score": score,
            }
        )
    cols = ["jaar", "overleggen", "overleggen_aanwezig", "aanwezigheid", "partners_actief", "breedte",
            "kwartalen", "regelmaat", "samenwerkingen", "score"]
    return pd.DataFrame(rows, columns=cols)


def compute_level3(
    overleggen: pd.DataFrame | None,
    samenwerking: pd.DataFrame | None,
    wijkraad_id: str,
    year: int,
    *,
    config: MonitorConfig | None = None,
) -> Level3:
    """Level 3 for one ward and year: score, components, trend up to ``year`` and partner detail.

    Examples
    --------
    >>> ov = pd.DataFrame({"datum": pd.to_datetime(["2024-01-10"]), "wijkraad_id": "a",
    ...                    "type": "wijkoverleg", "handhaving_aanwezig": [True]})
    >>> sw = pd.DataFrame({"wijkraad_id": "a", "partner": ["politie", "jongerenwerk"],
    ...                    "periode": pd.to_datetime(["2024-01-01", "2024-01-01"]), "vorm": "overleg", "aantal": 1})
    >>> round(compute_level3(ov, sw, "a", 2024).score, 1)
    83.3
    """
    cfg = load_config(config)
    by_year = network_by_year(overleggen, samenwerking, wijkraad_id, config=cfg)
    by_year = by_year.loc[by_year["jaar"] <= year].reset_index(drop=True)
    row = by_year.loc[by_year["jaar"] == year]
    notes: list[str] = []
    if row.empty:
        comps: dict[str, float | None] = dict.fromkeys(COMPONENTS)
        score = None
        notes.append(f"geen netwerkgegevens voor {year}")
    else:
        r = row.iloc[0]
        comps = {k: (float(r[k]) if np.isfinite(r[k]) else None) for k in COMPONENTS}
        score = float(r["score"]) if np.isfinite(r["score"]) else None
        if comps["aanwezigheid"] is None:
            notes.append(f"geen wijkoverleggen geregistreerd in {year}: score niet te berekenen")
        if comps["breedte"] is None:
            notes.append(f"geen samenwerkingsgegevens in {year}: score niet te berekenen")
    sw = samenwerking if samenwerking is not None else pd.DataFrame(columns=["wijkraad_id", "partner", "periode", "vorm", "aantal"])
    sel = sw.loc[(sw["wijkraad_id"] == wijkraad_id) & (_year(sw["periode"]) == year)]
    partners = (
        sel.assign(aantal=pd.to_numeric(sel["aantal"]), kwartaal=pd.to_datetime(sel["periode"]).dt.quarter)
        .groupby(["partner", "vorm"], as_index=False)
        .agg(aantal=("aantal", "sum"), kwartalen=("kwartaal", "nunique"))
        .sort_values(["partner", "vorm"], ignore_index=True)
    )
    partners["partner"] = partners["partner"].astype(str)
    partners["vorm"] = partners["vorm"].astype(str)
    return Level3(
        year=int(year),
        score=score,
        components=comps,
        weights={k: float(v) for k, v in cfg.level3["weights"].items()},
        by_year=by_year,
        partners=partners.astype({"aantal": "int64", "kwartalen": "int64"}),
        notes=tuple(notes),
    )
