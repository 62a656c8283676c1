"""The placebo study of the estimators on REAL police data (The Hague, 2011–2017), and its wijk outlines.

Not a report pipeline: the Hague ward reports come out of the one ward-report pipeline
(``config/thehague.yaml``: politie only, through ``notebooks/wijkrapport.ipynb``), whose own placebo
statement is :func:`wijklib.monitor.view.placebo_summary`. This module keeps what the benchmarks
(``benchmarks/bench_reports.py --placebo``) and the reference tests need: the crime file per wijk
(:func:`crime`, read by ``wijklib.load.politie``), the wijk names and outlines of ``areas.txt``
(read by :func:`read_areas`) and the city-wide placebo fits.

Data: ``REFERENCE_DATA_DIR/thehague_crime`` — police-registered crime per buurt per month for the
Haaglanden police unit (see its SOURCE.md). A unit is a *wijk* (5-digit district code = 3-digit
CBS gemeente code + 2-digit wijk); counts are summed from buurten to wijken.

No intervention is known in these data, so an "effect" estimated at the start date of the run
configuration is a **placebo**: with correctly sized tests about 5% of all wijk x crime-type tests
should come out significant at the 5% level. :func:`placebo_tests` runs the ITS machinery
(:func:`wijklib.its.fit_many`) for every wijk and crime type and :func:`placebo_share` measures that
share; the per-wijk DiD event study (:func:`did_placebo`) shows the few-treated-units problem.
"""

from __future__ import annotations

import difflib
import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd

from wijklib.labels import MISDRIJVEN

CSV_NAME = "thehague_buurt_month_crime_2011_2017.csv.gz"
AREAS_NAME = "areas.txt"


class PoliceDataError(ValueError):
    """The police file is missing or does not have the expected layout."""


@functools.lru_cache(maxsize=4)
def _read_crime(folder: str) -> pd.DataFrame:
    """The crime file read by the one police loader (``wijklib.load.politie``, thehague_crime layout)."""
    from wijklib import load

    path = Path(folder) / CSV_NAME
    if not path.is_file():
        raise PoliceDataError(f"{path}: police crime file not found (expected {CSV_NAME} in {folder})")
    df = load.politie(str(path))
    # District 51802 = WK051802: the wijk code of this study is the CBS wijk code without 'WK0'.
    return pd.DataFrame({"district_code": df["gebied_code"].astype(str).str.slice(3), "delict_code": df["misdrijf_code"],
                         "maand": df["maand"], "delicts": df["aantal"].astype("int64")})


def crime(data_dir: str | Path, gemeente: str = "518") -> pd.DataFrame:
    """Crime counts per wijk, crime type and month for one gemeente (a new frame on every call).

    Parameters
    ----------
    data_dir
        Folder holding ``thehague_buurt_month_crime_2011_2017.csv.gz``.
    gemeente
        3-digit CBS gemeente prefix of the district codes (518 = 's-Gravenhage).

    Returns
    -------
    DataFrame
        ``wijk_code`` (5 digits), ``misdrijf_code``, ``misdrijf`` (Dutch), ``maand``, ``aantal``.
        Crime type 117 (overval) is left out: it is zero everywhere (not served by the source site).

    Examples
    --------
    >>> from wijklib.config import REFERENCE_DATA_DIR
    >>> df = crime(REFERENCE_DATA_DIR / "thehague_crime")  # doctest: +SKIP
    >>> df["wijk_code"].nunique()  # doctest: +SKIP
    37
    """
    raw = _read_crime(str(data_dir))
    sub = raw[raw["district_code"].str.startswith(str(gemeente))]
    if sub.empty:
        raise PoliceDataError(
            f"{Path(data_dir) / CSV_NAME}: no district codes starting with gemeente {gemeente!r}; "
            f"found prefixes {sorted(raw['district_code'].str[:3].unique())}"
        )
    out = (sub.groupby(["district_code", "delict_code", "maand"], as_index=False)["delicts"].sum()
              .rename(columns={"district_code": "wijk_code", "delict_code": "misdrijf_code", "delicts": "aantal"}))
    totals = out.groupby("misdrijf_code")["aantal"].sum()
    out = out[out["misdrijf_code"].isin(totals[totals > 0].index)].copy()
    # A month with zero crimes in the whole city is a month the source had not published yet when it
    # was scraped (December 2017), not a crime-free month: leave it out instead of counting zeros.
    city = out.groupby("maand")["aantal"].sum()
    empty = sorted(city.index[city == 0])
    out = out[~out["maand"].isin(empty)]
    out["misdrijf"] = out["misdrijf_code"].map(MISDRIJVEN).fillna("Code " + out["misdrijf_code"])
    out = out[["wijk_code", "misdrijf_code", "misdrijf", "maand", "aantal"]].reset_index(drop=True)
    out.attrs["ontbrekende_maanden"] = [pd.Timestamp(m).strftime("%Y-%m") for m in empty]
    return out


@functools.lru_cache(maxsize=4)
def read_areas(path: str | Path) -> tuple[tuple[str, str, tuple[tuple[tuple[float, float], ...], ...]], ...]:
    """Wijk outlines from an areas file: one line per wijk, ``code,name|lat,lon|lat,lon|...`` (WGS84;
    ``^`` separates the rings of a multi-part wijk). Returns ``(code, name, rings)``, each ring a tuple of
    (lon, lat) pairs (rings with fewer than 3 points are left out: they enclose nothing)."""
    from wijklib.geo.haaglanden import area_lines

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: wijk outline file not found (expected lines 'code,name|lat,lon|...')")
    return tuple((code, name, tuple(tuple(r) for r in rings if len(r) >= 3))
                 for _, code, name, rings in area_lines(path))


def _read_areas(folder: str) -> tuple[tuple[str, str, tuple[tuple[float, float], ...]], ...]:
    """``(code, name, longest ring)`` per wijk of the folder's areas.txt."""
    return tuple((c, n, max(rings, key=len) if rings else ()) for c, n, rings in read_areas(Path(folder) / AREAS_NAME))


def wijken(data_dir: str | Path, gemeente: str = "518") -> pd.DataFrame:
    """The wijken of a gemeente that have crime data: ``wijk_code``, ``wijk`` (name from areas.txt).

    Examples
    --------
    >>> from wijklib.config import REFERENCE_DATA_DIR
    >>> w = wijken(REFERENCE_DATA_DIR / "thehague_crime")  # doctest: +SKIP
    >>> w.loc[w.wijk_code == "51807", "wijk"].item()  # doctest: +SKIP
    'Scheveningen'
    """
    codes = sorted(crime(data_dir, gemeente)["wijk_code"].unique())
    names = {c: n for c, n, _ in _read_areas(str(data_dir))}
    return pd.DataFrame({"wijk_code": codes, "wijk": [names.get(c, f"Wijk {c}") for c in codes]})


def polygons(data_dir: str | Path, gemeente: str = "518") -> dict[str, list[tuple[float, float]]]:
    """Real wijk outlines (lon, lat; WGS84) of a gemeente from areas.txt, with a cos(lat) x-scale.

    Examples
    --------
    >>> from wijklib.config import REFERENCE_DATA_DIR
    >>> len(polygons(REFERENCE_DATA_DIR / "thehague_crime")) > 30  # doctest: +SKIP
    True
    """
    out = {}
    for code, _, pts in _read_areas(str(data_dir)):
        if code.startswith(str(gemeente)) and len(code) == 5 and len(pts) >= 3:
            # Equal-area-ish look without a projection library: shrink longitude by cos(latitude).
            k = math.cos(math.radians(52.07))
            out[code] = [(lon * k, lat) for lon, lat in pts]
    return out


def resolve(data_dir: str | Path, gemeente: str, text: str) -> tuple[str, str]:
    """A wijk code or name (any case) -> ``(code, name)``; unknown values list the closest ones.

    Examples
    --------
    >>> from wijklib.config import REFERENCE_DATA_DIR
    >>> resolve(REFERENCE_DATA_DIR / "thehague_crime", "518", "scheveningen")  # doctest: +SKIP
    ('51807', 'Scheveningen')
    """
    w = wijken(data_dir, gemeente)
    key = str(text).strip().lower()
    for code, name in w.itertuples(index=False):
        if key in (code.lower(), name.lower()):
            return code, name
    close = difflib.get_close_matches(str(text), list(w["wijk"]) + list(w["wijk_code"]), n=3, cutoff=0.5)
    raise ValueError(f"unknown wijk {text!r} in gemeente {gemeente}; closest known: {close or list(w['wijk'][:5])}")


def _cache_file(name: str, data_dir: str, *key: str) -> Path:
    """Disk cache under data/processed/report_cache/ keyed by the inputs and the data file's size and mtime."""
    import hashlib

    from wijklib.report.evaluations import cache_root

    st = (Path(data_dir) / CSV_NAME).stat()
    h = hashlib.sha1("|".join([*key, str(st.st_size), str(st.st_mtime_ns)]).encode())
    base = Path(__file__).resolve().parents[1]
    for code in [Path(__file__), base / "its.py", *sorted((base / "did").glob("*.py"))]:
        if code.is_file():  # new estimator code gives new numbers: never reuse old ones
            h.update(code.read_bytes())
    digest = h.hexdigest()[:12]
    return cache_root() / f"{name}_{digest}.csv"


def _cached_frame(path: Path, compute) -> pd.DataFrame:
    if path.is_file():
        return pd.read_csv(path, dtype={"wijk_code": str, "misdrijf_code": str})
    df = compute()
    from wijklib.report.pdf import atomic_write

    atomic_write(path, lambda p: df.to_csv(p, index=False))
    return df


@functools.lru_cache(maxsize=8)
def _placebo_its(data_dir: str, gemeente: str, start: str) -> pd.DataFrame:
    path = _cache_file("placebo_its", data_dir, gemeente, start)
    return _cached_frame(path, lambda: _fit_placebo_its(data_dir, gemeente, start))


def _fit_placebo_its(data_dir: str, gemeente: str, start: str) -> pd.DataFrame:
    from wijklib import its

    df = crime(data_dir, gemeente)
    totaal = df.groupby(["wijk_code", "maand"], as_index=False)["aantal"].sum().assign(misdrijf_code="totaal")
    long = pd.concat([df[["wijk_code", "misdrijf_code", "maand", "aantal"]], totaal], ignore_index=True)
    long["serie"] = long["wijk_code"] + "|" + long["misdrijf_code"]
    # the monitor's single-ward ITS (design.its_fit): the step model against the pooled other wijken of
    # the same crime type, calibrated by placebo starts before the start
    parts = [its.fit_many(g, by="serie", yname="aantal", tname="maand", start=pd.Timestamp(start),
                          family="quasipoisson", seasonality=2, cov_type="hac", slope_change=False,
                          control="others", calibrate=True)
             for _, g in long.groupby("misdrijf_code", sort=True)]
    res = pd.concat(parts, ignore_index=True)
    res = res[res["term"] == "level_change"].copy()
    res[["wijk_code", "misdrijf_code"]] = res["serie"].str.split("|", expand=True)
    return res.drop(columns=["serie"]).reset_index(drop=True)


def placebo_tests(data_dir: str | Path, gemeente: str = "518", start: str = "2015-01") -> pd.DataFrame:
    """ITS level-change 'effects' at a fictitious start for every wijk x crime type (and total crime).

    The monitor's single-ward ITS (:func:`wijklib.monitor.design.its_fit`): quasi-Poisson step model
    with 2 Fourier pairs and Newey-West SEs, each wijk against the pooled other wijken of the same crime
    type (``its.fit_many(control="others")``), calibrated by placebo starts before the start. A wijk
    alone (the earlier version) rejected 8-19% of the total-crime series, because the whole city's
    decline bends (``benchmarks/results/its_placebo.md``). Cached per process: all wijk reports share
    one fit.

    Returns
    -------
    DataFrame
        One row per wijk and crime type (``misdrijf_code == "totaal"`` for all types together):
        ``wijk_code``, ``misdrijf_code``, ``estimate`` (rate ratio), ``conf_low``, ``conf_high``,
        ``p_value``, ``note`` (why a series could not be fitted).

    Examples
    --------
    >>> from wijklib.config import REFERENCE_DATA_DIR
    >>> t = placebo_tests(REFERENCE_DATA_DIR / "thehague_crime")  # doctest: +SKIP
    """
    return _placebo_its(str(data_dir), str(gemeente), str(start)).copy()


def placebo_share(tests: pd.DataFrame, alpha: float = 0.05, *, by_type: bool = True) -> pd.DataFrame:
    """Share of placebo tests significant at ``alpha`` (should be close to ``alpha`` when tests are sized right).

    Parameters
    ----------
    tests
        Output of :func:`placebo_tests` (or any frame with ``p_value`` and ``misdrijf_code``).
    alpha
        Significance level.
    by_type
        Also give the share per crime type (rows after the overall row).

    Returns
    -------
    DataFrame
        ``groep``, ``n_tests`` (fitted series), ``n_significant``, ``aandeel``, ``ci_low``, ``ci_high``
        (Wilson 95% interval of the share: is it compatible with ``alpha``?). The overall row covers
        the separate crime types only (``totaal`` would count the same crimes twice).

    Examples
    --------
    >>> t = pd.DataFrame({"misdrijf_code": ["104"] * 20, "p_value": [0.01] + [0.5] * 19})
    >>> row = placebo_share(t, by_type=False).to_dict("records")[0]
    >>> row["n_tests"], row["n_significant"], row["aandeel"]
    (20, 1, 0.05)
    """
    from wijklib.monitor.view import significant_share

    def row(name: str, p: pd.Series) -> dict[str, object]:
        return {"groep": name, **significant_share(p, alpha)}

    types = tests[tests["misdrijf_code"] != "totaal"]
    rows = [row("alle misdrijfsoorten", types["p_value"])]
    if by_type:
        for code, grp in types.groupby("misdrijf_code", sort=True):
            rows.append(row(MISDRIJVEN.get(str(code), str(code)), grp["p_value"]))
        tot = tests[tests["misdrijf_code"] == "totaal"]
        if not tot.empty:
            rows.append(row("totaal (alle soorten samen)", tot["p_value"]))
    return pd.DataFrame(rows)


@functools.lru_cache(maxsize=4)
def _log_panel(data_dir: str, gemeente: str) -> pd.DataFrame:
    """Monthly crimes per wijk with ``log_aantal`` = log(1 + count): wijken differ 50-fold in size, so a
    common additive trend is not plausible in counts. Shared by every placebo DiD (do not modify)."""
    df = crime(data_dir, gemeente)
    panel = df.groupby(["wijk_code", "maand"], as_index=False)["aantal"].sum()
    panel["log_aantal"] = np.log1p(panel["aantal"].astype(float))
    return panel


def _did_data(data_dir: str, gemeente: str, wijk_code: str, start: str) -> pd.DataFrame:
    """The log panel with ``start`` set for ``wijk_code`` and NaT (never treated) for the other wijken."""
    panel = _log_panel(str(data_dir), str(gemeente))
    return panel.assign(start=pd.to_datetime(np.where(panel["wijk_code"] == wijk_code, pd.Timestamp(start), pd.NaT)))


@functools.lru_cache(maxsize=64)
def _did(data_dir: str, gemeente: str, wijk_code: str, start: str, window: int):
    from wijklib import did

    return did.event_study(_did_data(data_dir, gemeente, wijk_code, start), yname="log_aantal", tname="maand",
                           idname="wijk_code", gname="start", window=(-window, window))


def did_placebo(data_dir: str | Path, gemeente: str, wijk_code: str, start: str, window: int = 12):
    """Event-study DiD of one wijk against the other wijken of the city, at the placebo start.

    Outcome log(1 + monthly crime count); Sun-Abraham estimator with the other wijken as never-treated
    controls; standard errors clustered by wijk — with ONE treated wijk this inference is unreliable
    (Conley & Taber 2011), which the placebo share makes visible.

    Examples
    --------
    >>> from wijklib.config import REFERENCE_DATA_DIR
    >>> es = did_placebo(REFERENCE_DATA_DIR / "thehague_crime", "518", "51807", "2015-01")  # doctest: +SKIP
    """
    return _did(str(data_dir), str(gemeente), str(wijk_code), str(start), int(window))


def did_placebo_tests(data_dir: str | Path, gemeente: str = "518", start: str = "2015-01",
                      window: int = 12) -> pd.DataFrame:
    """DiD placebo effect of every wijk (one treated wijk against all others), cached on disk.

    Returns ``wijk_code``, ``estimate``, ``conf_low``, ``conf_high``, ``p_value`` and ``p_perm`` — the
    randomisation-inference p-value: the share of wijken whose placebo effect is at least as large in
    absolute value (Conley & Taber style inference that stays valid with one treated wijk).

    Examples
    --------
    >>> from wijklib.config import REFERENCE_DATA_DIR
    >>> did_placebo_tests(REFERENCE_DATA_DIR / "thehague_crime").shape[0]  # doctest: +SKIP
    37
    """
    def compute() -> pd.DataFrame:
        rows = []
        for c in wijken(data_dir, gemeente)["wijk_code"]:
            e = did_placebo(data_dir, gemeente, c, start, window).effect
            rows.append({"wijk_code": c, "estimate": e.estimate, "conf_low": e.conf_low,
                         "conf_high": e.conf_high, "p_value": e.p_value})
        out = pd.DataFrame(rows)
        a = out["estimate"].abs().to_numpy()
        out["p_perm"] = [(a >= v - 1e-12).mean() for v in a]
        return out

    path = _cache_file("placebo_did", str(data_dir), str(gemeente), str(start), str(window))
    return _cached_frame(path, compute).copy()


def did_placebo_se_tests(data_dir: str | Path, gemeente: str = "518", start: str = "2015-01",
                         window: int = 12) -> pd.DataFrame:
    """DiD placebo effect of every wijk with the ward reports' single-ward inference, cached on disk.

    Each wijk in turn is 'treated' at ``start``; :func:`wijklib.did.event_study_single` gives its
    average post effect an SE from the placebo spread of the other wijken (t(N-1)). Returns
    ``wijk_code``, ``estimate``, ``std_error``, ``p_value``, ``n_placebos``. About 37 x 36 small fits.

    Examples
    --------
    >>> from wijklib.config import REFERENCE_DATA_DIR
    >>> did_placebo_se_tests(REFERENCE_DATA_DIR / "thehague_crime").shape[0]  # doctest: +SKIP
    37
    """
    from wijklib import did

    def compute() -> pd.DataFrame:
        rows = []
        for c in wijken(data_dir, gemeente)["wijk_code"]:
            e = did.event_study_single(_did_data(str(data_dir), str(gemeente), c, start), yname="log_aantal",
                                       tname="maand", idname="wijk_code", gname="start", window=(-window, window))
            rows.append({"wijk_code": c, "estimate": e.effect.estimate, "std_error": e.effect.std_error,
                         "p_value": e.effect.p_value, "n_placebos": e.method["n_placebos"]})
        return pd.DataFrame(rows)

    path = _cache_file("placebo_did_se", str(data_dir), str(gemeente), str(start), str(window))
    return _cached_frame(path, compute).copy()


def did_placebo_share(data_dir: str | Path, gemeente: str = "518", start: str = "2015-01",
                      alpha: float = 0.05, window: int = 12) -> dict[str, float]:
    """Share of wijken whose DiD placebo effect (average post effect) is significant at ``alpha``.

    Examples
    --------
    >>> from wijklib.config import REFERENCE_DATA_DIR
    >>> did_placebo_share(REFERENCE_DATA_DIR / "thehague_crime")["n_tests"]  # doctest: +SKIP
    37
    """
    p = did_placebo_tests(data_dir, gemeente, start, window)["p_value"].to_numpy(float)
    p = p[np.isfinite(p)]
    return {"n_tests": int(p.size), "n_significant": int((p < alpha).sum()),
            "aandeel": round(float((p < alpha).mean()), 4) if p.size else float("nan")}
