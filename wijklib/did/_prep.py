"""Input checks and the units x periods layout used by :mod:`wijklib.did.attgt` (private)."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass
class Prepared:
    """Panel laid out as matrices, units sorted by cohort (never-treated last).

    ``tnum`` are the period values used for arithmetic (the numeric period values, or 1..T for dates);
    ``G`` is the first-treated period on the same scale (``inf`` = never treated); ``coh`` indexes
    ``cohorts`` (``len(cohorts)`` = never treated).
    """

    ids: np.ndarray  # unit ids (original values), in the sorted order
    tvals: np.ndarray  # period values as given (numeric or datetime64)
    tnum: np.ndarray  # float periods for arithmetic
    is_datetime: bool
    Y: np.ndarray  # (n, T) float, NaN = missing
    X: np.ndarray | None  # (n, T, p) or None
    xnames: list[str]
    w: np.ndarray  # (n,) weights normalised to mean 1
    G: np.ndarray  # (n,) first-treated period on tnum scale, inf = never
    coh: np.ndarray  # (n,) cohort index, H-1 = never treated
    cohorts: np.ndarray  # (H-1,) cohort first-treated periods on tnum scale
    cohort_labels: list  # cohort first-treated periods as given (for output)
    balanced: bool
    incomplete_units: list
    notes: list[str]

    @property
    def n(self) -> int:
        return self.Y.shape[0]

    @property
    def H(self) -> int:
        return len(self.cohorts) + 1

    def blocks(self) -> list[slice]:
        """Row slices of each cohort (units are sorted by cohort)."""
        bounds = np.searchsorted(self.coh, np.arange(self.H + 1))
        return [slice(int(bounds[h]), int(bounds[h + 1])) for h in range(self.H)]


def parse_xformla(xformla: str | None, columns) -> list[str]:
    """Covariate names from an R-style one-sided formula such as ``"~ lpop + x2"``."""
    if xformla is None:
        return []
    s = str(xformla).strip()
    if not s.startswith("~"):
        raise ValueError(f"xformla={xformla!r}: expected a one-sided formula such as '~ lpop'")
    terms = [t.strip() for t in s[1:].split("+")]
    names = []
    for t in terms:
        if t in ("", "1"):
            continue
        if not re.fullmatch(r"[A-Za-z_.][A-Za-z0-9_.]*", t):
            raise ValueError(
                f"xformla term {t!r}: only plain column names joined by '+' are supported "
                "(create transformed columns first)"
            )
        if t not in columns:
            raise ValueError(f"xformla term {t!r} is not a column of data; columns: {list(columns)}")
        names.append(t)
    return names


def _fmt_list(values, limit: int = 10) -> str:
    values = list(values)
    head = ", ".join(str(v) for v in values[:limit])
    return head + (f", ... ({len(values)} in total)" if len(values) > limit else "")


def prepare(
    data: pd.DataFrame,
    *,
    yname: str,
    tname: str,
    idname: str,
    gname: str,
    control_group: str,
    anticipation: float,
    xformla: str | None,
    weightsname: str | None,
) -> Prepared:
    """Validate ``data`` and lay it out as units x periods matrices (never mutates ``data``)."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    xnames = parse_xformla(xformla, data.columns)
    needed = [yname, tname, idname, gname] + ([weightsname] if weightsname else []) + xnames
    missing = [c for c in dict.fromkeys(needed) if c not in data.columns]
    if missing:
        raise ValueError(f"att_gt: column(s) {missing} not in data; columns are {list(data.columns)}")
    if len(data) == 0:
        raise ValueError("att_gt: data has no rows")
    notes: list[str] = []

    # --- periods -------------------------------------------------------------------------------
    tcol = data[tname]
    is_dt = pd.api.types.is_datetime64_any_dtype(tcol)
    if is_dt:
        if tcol.isna().any():
            row = int(np.flatnonzero(tcol.isna().to_numpy())[0])
            raise ValueError(f"att_gt: column {tname!r} row {row} (0-based) is missing; expected a period")
        tv = tcol.to_numpy(dtype="datetime64[ns]")
    else:
        tv = pd.to_numeric(tcol, errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(tv)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"att_gt: column {tname!r} row {row} (0-based) has value {tcol.iloc[row]!r}; "
                "expected a number or a datetime period"
            )
    # Hash-based factorisation (O(rows)) instead of a full sort of the long column.
    tidx, tvals = pd.factorize(tv, sort=True)
    tvals = np.asarray(tvals)
    T = len(tvals)
    if T < 2:
        raise ValueError(f"att_gt: column {tname!r} has {T} distinct period(s); need at least 2")
    tnum = np.arange(1, T + 1, dtype=float) if is_dt else tvals.astype(float)

    # --- treatment timing on the tnum scale ----------------------------------------------------
    gcol = data[gname]
    if is_dt:
        graw = gcol
        if not pd.api.types.is_datetime64_any_dtype(graw):
            zero = pd.to_numeric(graw, errors="coerce").eq(0)
            graw = pd.to_datetime(graw.where(~zero), errors="coerce")
        gdt = graw.to_numpy(dtype="datetime64[ns]")
        never = np.isnat(gdt)
        gnum_row = np.full(len(gdt), np.inf)
        pos = np.searchsorted(tvals, gdt[~never])
        pos_c = np.minimum(pos, T - 1)
        exact = tvals[pos_c] == gdt[~never]
        after = gdt[~never] > tvals[-1]
        if not np.all(exact | after):
            rows = np.flatnonzero(~never)[~(exact | after)]
            raise ValueError(
                f"att_gt: column {gname!r} row {int(rows[0])} (0-based) has first-treated period "
                f"{gcol.iloc[int(rows[0])]!r}, which is not one of the periods in {tname!r}; "
                "expected a period start (e.g. first of the month) or 0/NaT for never treated"
            )
        vals = np.where(exact, pos_c + 1.0, np.inf)
        vals[after] = T + 1.0 + 1e6  # after the panel: recoded as never treated below
        gnum_row[~never] = vals
    else:
        gn = pd.to_numeric(gcol, errors="coerce").to_numpy(dtype=float)
        if np.isnan(gn).any() and gcol.notna().to_numpy()[np.isnan(gn)].any():
            row = int(np.flatnonzero(np.isnan(gn) & gcol.notna().to_numpy())[0])
            raise ValueError(
                f"att_gt: column {gname!r} row {row} (0-based) has value {gcol.iloc[row]!r}; "
                "expected the first treated period (number) or 0 for never treated"
            )
        gnum_row = np.where((gn == 0) | np.isnan(gn), np.inf, gn)

    # --- units -----------------------------------------------------------------------------------
    uidx, ids = pd.factorize(data[idname], sort=True)
    if (uidx < 0).any():
        row = int(np.flatnonzero(uidx < 0)[0])
        raise ValueError(f"att_gt: column {idname!r} row {row} (0-based) is missing; expected a unit id")
    ids = np.asarray(ids)
    n0 = len(ids)
    cell = uidx.astype(np.int64) * T + tidx
    counts = np.bincount(cell, minlength=n0 * T)
    if (counts > 1).any():
        dup = np.flatnonzero(counts > 1)[:5]
        pairs = [(ids[c // T], tvals[c % T]) for c in dup]
        raise ValueError(
            f"att_gt: duplicate ({idname}, {tname}) rows, e.g. {pairs}; expected one row per unit and period"
        )

    def per_unit(values: np.ndarray, what: str) -> np.ndarray:
        first = np.full(n0, np.nan)
        first[uidx] = values  # one of the unit's values; then check that all agree
        back = first[uidx]
        same = (values == back) | (np.isnan(values) & np.isnan(back))
        if not same.all():
            row = int(np.flatnonzero(~same)[0])
            raise ValueError(
                f"att_gt: column {what!r} must be constant within each unit, but unit "
                f"{ids[uidx[row]]!r} has {values[row]!r} in row {row} (0-based) and "
                f"{back[row]!r} in another row"
            )
        return first

    G = per_unit(gnum_row, gname)

    if weightsname:
        wr = pd.to_numeric(data[weightsname], errors="coerce").to_numpy(dtype=float)
        bad = ~(np.isfinite(wr) & (wr > 0))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"att_gt: column {weightsname!r} row {row} (0-based) has value "
                f"{data[weightsname].iloc[row]!r}; expected a positive number"
            )
        w = per_unit(wr, weightsname)
    else:
        w = np.ones(n0)

    # --- outcome and covariates ------------------------------------------------------------------
    yv = pd.to_numeric(data[yname], errors="coerce").to_numpy(dtype=float)
    badrow = np.isnan(yv) & data[yname].notna().to_numpy()
    if badrow.any():
        row = int(np.flatnonzero(badrow)[0])
        raise ValueError(
            f"att_gt: column {yname!r} row {row} (0-based) has value {data[yname].iloc[row]!r}; expected a number"
        )
    if np.isinf(yv).any():
        row = int(np.flatnonzero(np.isinf(yv))[0])
        raise ValueError(f"att_gt: column {yname!r} row {row} (0-based) is infinite; expected a finite number")
    Y = np.full((n0, T), np.nan)
    Y[uidx, tidx] = yv
    X = None
    if xnames:
        X = np.full((n0, T, len(xnames)), np.nan)
        for j, c in enumerate(xnames):
            xv = pd.to_numeric(data[c], errors="coerce").to_numpy(dtype=float)
            bad = np.isnan(xv) & data[c].notna().to_numpy()
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ValueError(
                    f"att_gt: covariate {c!r} row {row} (0-based) has value {data[c].iloc[row]!r}; expected a number"
                )
            X[uidx, tidx, j] = xv

    # --- cohorts (R did rules) -------------------------------------------------------------------
    keep = np.ones(n0, dtype=bool)
    first_period = tnum[0]
    early = np.isfinite(G) & (G <= first_period + anticipation)
    if early.any():
        labs = _cohort_label(np.unique(G[early]), tvals, is_dt)
        msg = (
            f"Dropped {int(early.sum())} unit(s) of cohort(s) {labs} (first treated in or before the "
            f"first period {_fmt_t(tvals[0], is_dt)}{' + anticipation' if anticipation else ''}): "
            "their ATT(g,t) cannot be estimated (no pre-treatment period), as in R did."
        )
        warnings.warn(msg, UserWarning, stacklevel=3)
        notes.append(msg)
        keep &= ~early
    late = np.isfinite(G) & (G > tnum[-1] + anticipation)
    if late.any():
        msg = (
            f"{int(late.sum())} unit(s) first treated after the last period are treated as never "
            "treated (as R did)."
        )
        warnings.warn(msg, UserWarning, stacklevel=3)
        notes.append(msg)
        G = np.where(late, np.inf, G)
    G = G[keep]
    ids, Y, w = ids[keep], Y[keep], w[keep]
    if X is not None:
        X = X[keep]
    if not np.isfinite(G).any():
        raise ValueError(f"att_gt: no treated units left in {gname!r} (all never treated)")
    if not np.isinf(G).any():
        if control_group == "nevertreated":
            raise ValueError(
                "att_gt: every unit is eventually treated, so there is no never-treated control group; "
                "use control_group='notyettreated' (later cohorts then serve as controls)"
            )
        gmax = G.max()
        tkeep = tnum < gmax - anticipation
        msg = (
            f"No never-treated units: the last cohort ({_cohort_label([gmax], tvals, is_dt)}) serves as "
            f"the control group and periods from {_fmt_t(tvals[np.argmax(~tkeep)], is_dt)} on are dropped "
            "(as R did with control_group='notyettreated')."
        )
        warnings.warn(msg, UserWarning, stacklevel=3)
        notes.append(msg)
        if tkeep.sum() < 2:
            raise ValueError("att_gt: fewer than 2 periods left before the last cohort is treated")
        Y = Y[:, tkeep]
        if X is not None:
            X = X[:, tkeep]
        tvals, tnum = tvals[tkeep], tnum[tkeep]
        G = np.where(G == gmax, np.inf, G)

    cohorts = np.unique(G[np.isfinite(G)])
    H = len(cohorts) + 1
    coh = np.where(np.isfinite(G), np.searchsorted(cohorts, G), H - 1)
    order = np.argsort(coh, kind="stable")
    ids, Y, w, G, coh = ids[order], Y[order], w[order], G[order], coh[order]
    if X is not None:
        X = X[order]
    w = w / w.mean()

    obs = np.isfinite(Y)
    if X is not None:
        obs &= np.isfinite(X).all(axis=2)
        Y = np.where(obs, Y, np.nan)
    balanced = bool(obs.all())
    incomplete = list(ids[~obs.all(axis=1)])
    if not balanced:
        msg = (
            f"Unbalanced panel: {len(incomplete)} unit(s) miss the outcome{' or covariates' if X is not None else ''} "
            f"in some periods ({_fmt_list(incomplete)}). They are kept: each ATT(g,t) uses the units "
            "observed in both of its periods (no unit is dropped)."
        )
        warnings.warn(msg, UserWarning, stacklevel=3)
        notes.append(msg)
    return Prepared(
        ids=ids, tvals=tvals, tnum=tnum, is_datetime=is_dt, Y=Y, X=X, xnames=xnames, w=w, G=G,
        coh=coh, cohorts=cohorts, cohort_labels=_cohort_values(cohorts, tvals, is_dt),
        balanced=balanced, incomplete_units=incomplete, notes=notes,
    )


def _fmt_t(v, is_dt: bool) -> str:
    if is_dt:
        return str(pd.Timestamp(v).date())
    f = float(v)
    return str(int(f)) if f.is_integer() else str(f)


def _cohort_values(cohorts: np.ndarray, tvals: np.ndarray, is_dt: bool) -> list:
    if is_dt:
        return [pd.Timestamp(tvals[int(g) - 1]) for g in cohorts]
    return [int(g) if float(g).is_integer() else float(g) for g in cohorts]


def _cohort_label(gs, tvals, is_dt) -> str:
    out = []
    for g in gs:
        if is_dt:
            out.append(str(pd.Timestamp(tvals[int(g) - 1]).date()) if g <= len(tvals) else "after panel")
        else:
            out.append(_fmt_t(g, False))
    return ", ".join(out)
