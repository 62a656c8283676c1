"""A synthetic NATIONAL demo (SYNTHETISCHE DEMODATA): every gemeente with its wijken and buurten.

Why a separate, leaner simulation than the demo city (:mod:`wijklib.demo._city`): the city simulates
every single melding, controle and signal of one city (about a million event rows); the national run is
there to exercise the monitor and the estimators at the scale of the Netherlands (about 342 gemeenten,
3,300 CBS wijken and 14,500 buurten at ``scale=1``), so it simulates the ward x month COUNTS the monitor
reads directly (the :mod:`wijklib.panel` layout), with a known truth.

- Geography: synthetic codes in the CBS formats (``GM0001``, ``WK000101``, ``BU00010101``; not real
  CBS codes) and square grid polygons in RD New (a gemeente is a block on a national grid, its wijken
  columns of that block, their buurten cells of a column). :func:`write_national` writes them in the
  geography-as-data conventions of :mod:`wijklib.geo`: one national buurt kaart (CBS download property
  names), one national kwb table, and per gemeente a ``geografie/<GM code>/geografie.yaml`` that
  ``wl.geo.load`` reads (national files are filtered to the gemeente).
- The ward is the CBS wijk (``wijkraad_id`` = wijk code in the hierarchy the monitor uses).
- Roll-out: a share of the gemeenten (``ADOPTION_SHARE``) start ward-based enforcement, in a
  staggered way: within an adopting gemeente its wijken are split over the cohorts of ``COHORTS``
  (at least one wijk of the gemeente stays untreated). The true effect on each outcome is a constant
  rate ratio (``TRUE_RATE_RATIO``) from the first treated month on, written to ``truth.json``.
- Counts: negative binomial (Poisson-gamma, shape 6) with a ward level, a gemeente x month shock
  (AR(1)), a common seasonal pattern and trend, exposure = residents / 1,000.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from wijklib.config import DEMO_END, DEMO_SEED, DEMO_START

#: Sizes of the Netherlands the national demo copies at ``scale=1`` (CBS wijk- en buurtkaart 2024:
#: 342 gemeenten, 3,326 wijken, 14,574 buurten; source: CBS StatLine "Kerncijfers wijken en buurten
#: 2024", table 85984NED, counts of the regio-types Gemeente/Wijk/Buurt).
N_GEMEENTEN, N_WIJKEN, N_BUURTEN = 342, 3326, 14574
#: Share of gemeenten that roll out ward-based enforcement.
ADOPTION_SHARE = 0.4
#: Roll-out cohorts (first treated month) an adopting gemeente's wijken are spread over.
COHORTS = ("2021-01", "2022-01", "2023-01", "2024-01")
#: True rate ratio from the start on, per outcome (1.0 = no effect: the null holds there).
TRUE_RATE_RATIO = {"overlast": 0.80, "afval": 0.90, "zwerfvuil": 1.00}
#: Monthly reports per 1,000 residents per outcome, before seasonality and ward levels.
BASE_RATE = {"overlast": 1.6, "afval": 2.4, "zwerfvuil": 1.2}
_GRID_M = 10_000.0  # side of a gemeente's block on the national grid (RD metres)
_X0, _Y0 = 10_000.0, 300_000.0


@dataclass(frozen=True)
class NationalDemo:
    """The simulated national demo in memory.

    Attributes
    ----------
    hierarchy : DataFrame
        One row per buurt: ``buurt_code, buurt, wijk_code, wijk, wijkraad_id, wijkraad, gemeente_code,
        gemeente`` (``wijkraad_id`` = ``wijk_code``: the ward is the CBS wijk).
    population : DataFrame
        ``buurt_code, year, population``.
    panel : DataFrame
        Wijk x month panel in the :mod:`wijklib.panel` layout (``unit, period, t, population, n_<outcome>,
        treated, first_treated, gemeente_code``).
    truth : dict
        Roll-out and true effects (also ``truth.json``).
    """

    hierarchy: pd.DataFrame
    population: pd.DataFrame
    panel: pd.DataFrame
    truth: dict[str, Any]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def gemeenten(self) -> list[str]:
        return sorted(self.hierarchy["gemeente_code"].unique())

    def gemeente(self, code: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(panel, hierarchy) of one gemeente, as :class:`wijklib.monitor.Context` takes them."""
        if code not in set(self.hierarchy["gemeente_code"]):
            raise ValueError(f"gemeente {code!r} is not in the national demo; e.g. {self.gemeenten[:3]}")
        p = self.panel.loc[self.panel["gemeente_code"] == code].reset_index(drop=True)
        h = self.hierarchy.loc[self.hierarchy["gemeente_code"] == code].reset_index(drop=True)
        return p, h


def _sizes(rng: np.random.Generator, total: int, parts: int, *, sigma: float, lo: int) -> np.ndarray:
    """``parts`` positive integers >= lo summing to ``total``, log-normally skewed (a few big cities)."""
    if total < lo * parts:
        raise ValueError(f"cannot split {total} units into {parts} parts of at least {lo}")
    w = rng.lognormal(0.0, sigma, parts)
    extra = total - lo * parts
    raw = w / w.sum() * extra
    out = np.floor(raw).astype(int)
    rem = extra - out.sum()
    out[np.argsort(-(raw - out), kind="stable")[:rem]] += 1
    return out + lo


def national_geography(scale: float = 1.0, seed: int = DEMO_SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic national hierarchy (one row per buurt) and buurt residents 2014..2025.

    ``scale`` is the share of the Netherlands: ``round(342 * scale)`` gemeenten (at least 2) with
    ``round(3326 * scale)`` wijken and ``round(14574 * scale)`` buurten.

    Examples
    --------
    >>> h, pop = national_geography(scale=0.02, seed=1)
    >>> h["gemeente_code"].nunique(), h["wijk_code"].nunique(), len(h)
    (7, 67, 291)
    """
    if not (scale > 0 and math.isfinite(scale)):
        raise ValueError(f"national demo: scale must be a positive finite number, got {scale!r}")
    rng = np.random.default_rng([int(seed), 101])
    n_gm = max(2, round(N_GEMEENTEN * scale))
    n_wk = max(3 * n_gm, round(N_WIJKEN * scale))
    n_bu = max(n_wk, round(N_BUURTEN * scale))
    if n_gm > 9999 or n_wk / n_gm > 99:
        raise ValueError(f"national demo: scale {scale} gives {n_gm} gemeenten / {n_wk} wijken; the CBS code "
                         "format holds at most 9999 gemeenten of 99 wijken")
    wk_per_gm = _sizes(rng, n_wk, n_gm, sigma=0.9, lo=3)
    while wk_per_gm.max() > 99:  # the CBS code holds 2 digits for the wijk
        over = wk_per_gm > 99
        spill = int((wk_per_gm[over] - 99).sum())
        wk_per_gm[over] = 99
        wk_per_gm[np.argsort(wk_per_gm, kind="stable")[:spill]] += 1
    bu_per_wk = _sizes(rng, n_bu, n_wk, sigma=0.5, lo=1)
    bu_per_wk = np.minimum(bu_per_wk, 99)
    rows = []
    k = 0
    for g in range(n_gm):
        gm = f"{g + 1:04d}"
        for w in range(wk_per_gm[g]):
            wk = f"WK{gm}{w + 1:02d}"
            for b in range(bu_per_wk[k]):
                rows.append((f"BU{gm}{w + 1:02d}{b + 1:02d}", f"Buurt {gm}-{w + 1}-{b + 1}", wk,
                             f"Wijk {gm}-{w + 1}", f"GM{gm}", f"Gemeente {gm}", w, b, int(bu_per_wk[k]),
                             int(wk_per_gm[g]), g))
            k += 1
    h = pd.DataFrame(rows, columns=["buurt_code", "buurt", "wijk_code", "wijk", "gemeente_code", "gemeente",
                                    "_w", "_b", "_nb", "_nw", "_g"])
    h["wijkraad_id"] = h["wijk_code"]
    h["wijkraad"] = h["wijk"]
    # Residents: 600-6,000 per buurt (log-normal), a slow common growth.
    base = np.clip(rng.lognormal(np.log(1800), 0.6, len(h)), 150, 12_000)
    years = np.arange(2014, 2026)
    growth = (1 + rng.normal(0.004, 0.004, len(h)))[:, None] ** (years - 2014)[None, :]
    pop = pd.DataFrame({"buurt_code": np.repeat(h["buurt_code"].to_numpy(), len(years)),
                        "year": np.tile(years, len(h)),
                        "population": np.round(base[:, None] * growth).astype(int).ravel()})
    return h, pop


def simulate_national(scale: float = 0.1, seed: int = DEMO_SEED) -> NationalDemo:
    """Simulate the national demo (in memory): geography, wijk x month panel and truth.

    Examples
    --------
    >>> nd = simulate_national(scale=0.02, seed=1)
    >>> nd.panel["unit"].nunique(), len(nd.gemeenten)
    (67, 7)
    >>> sorted(nd.truth["true_rate_ratio"])
    ['afval', 'overlast', 'zwerfvuil']
    """
    h, pop = national_geography(scale, seed)
    months = pd.date_range(f"{DEMO_START}-01", f"{DEMO_END}-01", freq="MS")
    T = len(months)
    wk = h.drop_duplicates("wijk_code").reset_index(drop=True)
    W = len(wk)
    gm_codes = np.array(sorted(h["gemeente_code"].unique()), dtype=object)
    g_of_w = pd.Index(gm_codes).get_indexer(wk["gemeente_code"])
    popw = (pop.merge(h[["buurt_code", "wijk_code"]], on="buurt_code").groupby(["wijk_code", "year"])["population"]
            .sum().unstack().reindex(wk["wijk_code"]))
    pop_wt = popw[months.year].to_numpy(float)  # W x T
    rng = np.random.default_rng([int(seed), 102])
    # ---- roll-out: adopting gemeenten, their wijken spread over the cohorts -------------------------------
    adopt = rng.random(len(gm_codes)) < ADOPTION_SHARE
    if not adopt.any():
        adopt[int(rng.integers(len(gm_codes)))] = True
    month_idx = {m.strftime("%Y-%m"): i for i, m in enumerate(months)}
    start = np.full(W, -1)
    for g in np.flatnonzero(adopt):
        members = np.flatnonzero(g_of_w == g)
        order = rng.permutation(members)
        n_treat = max(1, int(round(len(members) * rng.uniform(0.4, 0.8))))
        n_treat = min(n_treat, len(members) - 1)  # one wijk at least stays a comparison ward
        k = int(rng.integers(1, min(len(COHORTS), n_treat) + 1))  # cohorts used in this gemeente
        cohorts = rng.choice(len(COHORTS), size=k, replace=False)
        for j, w in enumerate(order[:n_treat]):
            start[w] = month_idx[COHORTS[cohorts[j % k]]]
    D = (start[:, None] >= 0) & (np.arange(T)[None, :] >= start[:, None])
    # ---- counts --------------------------------------------------------------------------------------------
    rng = np.random.default_rng([int(seed), 103])
    yrs = np.arange(T) / 12.0
    season = 1 + 0.15 * np.cos(2 * np.pi * (months.month.to_numpy() - 7) / 12)
    u_w = rng.normal(0, 0.3, W)
    rho, sd = 0.7, 0.08
    s_gt = np.empty((len(gm_codes), T))
    s_gt[:, 0] = rng.normal(0, sd, len(gm_codes))
    eps = rng.normal(0, sd * math.sqrt(1 - rho**2), (len(gm_codes), T))
    for t in range(1, T):
        s_gt[:, t] = rho * s_gt[:, t - 1] + eps[:, t]
    exposure = np.maximum(pop_wt, 100.0) / 1000.0
    panel = pd.DataFrame({
        "unit": np.repeat(wk["wijk_code"].to_numpy(dtype=object), T),
        "period": np.tile(months.to_numpy(), W),
        "t": np.tile(np.arange(1, T + 1), W),
        "population": pop_wt.ravel(),
    })
    for o, rate in BASE_RATE.items():
        lam = (exposure * rate * season[None, :] * np.exp(0.02 * yrs)[None, :] * np.exp(u_w)[:, None]
               * np.exp(s_gt[g_of_w]) * np.where(D, TRUE_RATE_RATIO[o], 1.0))
        n = rng.poisson(lam * rng.gamma(6.0, 1 / 6.0, lam.shape))
        panel[f"n_{o}"] = n.ravel().astype(float)
        panel[f"rate_{o}"] = (1000 * n / np.maximum(pop_wt, 1.0)).ravel()
    first = pd.DatetimeIndex([months[s] if s >= 0 else pd.NaT for s in start]).astype("datetime64[ns]")
    panel["first_treated"] = np.repeat(first.to_numpy(), T)
    panel["treated"] = D.ravel().astype(int)
    panel["gemeente_code"] = np.repeat(wk["gemeente_code"].to_numpy(dtype=object), T)
    panel["unit"] = panel["unit"].astype(str)
    panel["period"] = panel["period"].astype("datetime64[ns]")
    truth = {
        "note": "SYNTHETISCHE DEMODATA: national demo of wijklib (synthetic codes, not CBS codes)",
        "seed": int(seed), "scale": float(scale),
        "n_gemeenten": int(len(gm_codes)), "n_wijken": int(W), "n_buurten": int(len(h)),
        "true_rate_ratio": dict(TRUE_RATE_RATIO),
        "adopting_gemeenten": sorted(gm_codes[adopt].tolist()),
        "start_month": {c: months[s].strftime("%Y-%m") for c, s in zip(wk["wijk_code"], start, strict=True)
                        if s >= 0},
        "cohorts": list(COHORTS),
    }
    h_out = h[["buurt_code", "buurt", "wijk_code", "wijk", "wijkraad_id", "wijkraad", "gemeente_code", "gemeente"]]
    return NationalDemo(hierarchy=h_out.copy(), population=pop, panel=panel, truth=truth,
                        meta={"grid": h[["buurt_code", "_w", "_b", "_nb", "_nw", "_g"]].copy()})


def _polygons(nd: NationalDemo):
    """Square grid polygons (RD New): a gemeente block per grid cell, wijken columns, buurten rows."""
    import shapely

    g = nd.meta["grid"]
    n_gm = int(g["_g"].max()) + 1
    side = math.ceil(math.sqrt(n_gm))
    gx, gy = (g["_g"] % side).to_numpy(), (g["_g"] // side).to_numpy()
    wcol = _GRID_M / g["_nw"].to_numpy()
    brow = _GRID_M / g["_nb"].to_numpy()
    x0 = _X0 + gx * _GRID_M + g["_w"].to_numpy() * wcol
    y0 = _Y0 + gy * _GRID_M + g["_b"].to_numpy() * brow
    return shapely.box(x0, y0, x0 + wcol, y0 + brow)


def write_national(nd: NationalDemo, out_dir: str | Path) -> Path:
    """Write the national demo: panel, truth, README and the geography in the wl.geo conventions.

    Examples
    --------
    >>> import tempfile
    >>> folder = write_national(simulate_national(scale=0.01, seed=1), tempfile.mkdtemp())
    >>> (folder / "truth.json").is_file()
    True

    Files: ``panel.csv`` (wijk x month), ``truth.json``, ``README.md``,
    ``geografie/buurten_2024.geojson`` (national buurt kaart, CBS download names, RD New),
    ``geografie/kwb-2024.csv`` (national kwb, residents per buurt) and per gemeente
    ``geografie/<GM code>/geografie.yaml``.
    """
    import geopandas as gpd

    out = Path(out_dir)
    geo_dir = out / "geografie"
    geo_dir.mkdir(parents=True, exist_ok=True)
    h = nd.hierarchy
    kaart = gpd.GeoDataFrame({
        "BU_CODE": h["buurt_code"], "BU_NAAM": h["buurt"], "WK_CODE": h["wijk_code"], "WK_NAAM": h["wijk"],
        "GM_CODE": h["gemeente_code"], "GM_NAAM": h["gemeente"]}, geometry=_polygons(nd), crs="EPSG:28992")
    kaart.to_file(geo_dir / "buurten_2024.geojson", driver="GeoJSON")
    p24 = nd.population.loc[nd.population["year"] == 2024].set_index("buurt_code")["population"]
    kwb = pd.DataFrame({"gwb_code": h["buurt_code"], "regio": h["buurt"], "gm_naam": h["gemeente"], "recs": "Buurt",
                        "a_inw": p24.reindex(h["buurt_code"]).to_numpy()})
    kwb.to_csv(geo_dir / "kwb-2024.csv", sep=";", index=False)
    for gm, name in h.drop_duplicates("gemeente_code")[["gemeente_code", "gemeente"]].itertuples(index=False):
        d = geo_dir / gm
        d.mkdir(exist_ok=True)
        (d / "geografie.yaml").write_text(
            f"gemeente: {gm}\nnaam: {name}\njaar: 2024\nkaarten:\n  - bestand: ../buurten_2024.geojson\n"
            "kerncijfers:\n  - bestand: ../kwb-2024.csv\n"
            "bron: SYNTHETISCHE DEMODATA (wijklib national demo; synthetic codes and grid polygons)\n",
            encoding="utf-8")
    nd.panel.to_csv(out / "panel.csv", index=False, date_format="%Y-%m-%d")
    (out / "truth.json").write_text(json.dumps(nd.truth, indent=1, sort_keys=True), encoding="utf-8")
    (out / "README.md").write_text(
        "# SYNTHETISCHE DEMODATA: wijklib national demo\n\n"
        f"{nd.truth['n_gemeenten']} gemeenten, {nd.truth['n_wijken']} wijken, {nd.truth['n_buurten']} buurten "
        f"(scale {nd.truth['scale']}, seed {nd.truth['seed']}); synthetic codes in the CBS formats, square grid "
        "polygons. `panel.csv`: wijk x month counts (wijklib.panel layout); `truth.json`: roll-out and "
        "true rate ratios; `geografie/<GM code>/`: one geography per gemeente for `wijklib.geo.load`.\n"
        "Evaluate: `python -m wijklib.demo --national-evaluate <this folder> --year 2025`.\n", encoding="utf-8")
    return out


def read_national(folder: str | Path) -> NationalDemo:
    """Read a written national demo back (panel, truth; the hierarchy from the kaart's attribute table).

    Examples
    --------
    >>> import tempfile
    >>> nd = simulate_national(scale=0.01, seed=1)
    >>> back = read_national(write_national(nd, tempfile.mkdtemp()))
    >>> back.panel["unit"].nunique() == nd.panel["unit"].nunique()
    True
    """
    folder = Path(folder)
    panel = pd.read_csv(folder / "panel.csv", dtype={"unit": str, "gemeente_code": str},
                        parse_dates=["period", "first_treated"])
    for col in ("period", "first_treated"):
        panel[col] = panel[col].astype("datetime64[ns]")
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    kwb = pd.read_csv(folder / "geografie" / "kwb-2024.csv", sep=";", dtype={"gwb_code": str})
    import pyogrio

    attrs = pyogrio.read_dataframe(folder / "geografie" / "buurten_2024.geojson", read_geometry=False)
    h = pd.DataFrame({"buurt_code": attrs["BU_CODE"], "buurt": attrs["BU_NAAM"], "wijk_code": attrs["WK_CODE"],
                      "wijk": attrs["WK_NAAM"], "wijkraad_id": attrs["WK_CODE"], "wijkraad": attrs["WK_NAAM"],
                      "gemeente_code": attrs["GM_CODE"], "gemeente": attrs["GM_NAAM"]})
    pop = pd.DataFrame({"buurt_code": kwb["gwb_code"], "year": 2024, "population": kwb["a_inw"]})
    return NationalDemo(hierarchy=h, population=pop, panel=panel, truth=truth)


def evaluate_national(nd: NationalDemo, year: int = 2025, *, gemeenten: list[str] | None = None,
                      outcomes: list[str] | None = None, config: Any = None, progress: bool = False,
                      ) -> dict[str, Any]:
    """The monitor on every gemeente of the national demo: one :class:`~wijklib.monitor.CityEvaluation` each.

    Every gemeente is its own city (its wijken are the wards, its untreated wijken the comparison wards),
    so each gets its overview (``CityEvaluation.headline()`` / ``to_frame``) and a ward evaluation per
    wijk. Outcomes default to those of ``TRUE_RATE_RATIO``.

    Examples
    --------
    >>> nd = simulate_national(scale=0.01, seed=1)
    >>> one = sorted(nd.gemeenten)[:1] if isinstance(nd.gemeenten, dict) else list(nd.gemeenten)[:1]
    >>> out = evaluate_national(nd, 2025, gemeenten=one, outcomes=["afval"])  # doctest: +SKIP
    """
    import time
    import warnings

    from wijklib import monitor

    outcomes = list(outcomes or TRUE_RATE_RATIO)
    out: dict[str, Any] = {}
    codes = gemeenten or nd.gemeenten
    t0 = time.perf_counter()
    for i, gm in enumerate(codes):
        p, h = nd.gemeente(gm)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ctx = monitor.Context({}, p.drop(columns=["gemeente_code"]), hierarchy=h, outcomes=outcomes,
                                  config=config)
            out[gm] = monitor.evaluate_city(year, context=ctx)
        if progress:
            print(f"[{i + 1}/{len(codes)}] {gm}: {len(out[gm].wards)} wijken, {len(out[gm].failures)} failed, "
                  f"{time.perf_counter() - t0:.0f} s", flush=True)
    return out
