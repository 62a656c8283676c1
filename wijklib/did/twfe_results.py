"""The results of :func:`wijklib.did.twfe` (:class:`TWFEResult`) and :func:`wijklib.did.event_study`
(:class:`EventStudyResult`), both following the result protocol of :mod:`wijklib.results`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from wijklib.results import (
    Effect,
    Method,
    PreTest,
    ResultProtocol,
    no_pretest,
    protocol_tidy,
    tidy_frame,
)

# ----------------------------------------------------------------------------------------------
# results
# ----------------------------------------------------------------------------------------------


#: The one pre-test type of every result (kept under its old name for callers of this module).
PretestResult = PreTest


@dataclass(frozen=True, repr=False)
class TWFEResult(ResultProtocol):
    """Result of :func:`twfe`: one effect with metadata; all views derive from :meth:`tidy`.

    ``pretest()`` has nothing to test (a static 2x2 / TWFE has no leads): use :func:`event_study`.
    """

    effect: Effect
    coefficients: pd.DataFrame
    vcov: pd.DataFrame
    method: Method = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method.of(self.method, estimator="TWFE", inference="analytic",
                                                     alpha=self.effect.alpha))

    def tidy(self) -> pd.DataFrame:
        return protocol_tidy(tidy_frame([self.effect]), scale="difference", alpha=self.effect.alpha)

    def pretest(self) -> PreTest:
        return no_pretest("a 2x2 / static TWFE has no pre-period coefficients; fit event_study() for leads")

    def _interval_reference(self) -> tuple[str, float | None] | None:
        df = self.method.get("df")
        return ("t", float(df)) if df is not None else ("normal", None)

    def _summary_lines(self) -> list[str]:
        m = self.method
        return [f"SE: {m.get('se_type')}; N = {m.get('n_obs')}, clusters = {m.get('n_clusters')}",
                self.coefficients.to_string(index=False, float_format=lambda x: f"{x:.4f}")]

    def _draw(self, ax: Any, *, title: str | None = None) -> None:
        e = self.effect
        ax.errorbar([0], [e.estimate], yerr=[[e.estimate - e.conf_low], [e.conf_high - e.estimate]], fmt="o",
                    color="C0", capsize=3)
        ax.axhline(0, color="0.4", lw=0.8)
        ax.set_xticks([0], [e.term])
        ax.set_ylabel("effect")
        ax.set_title(title or f"{self.method['estimator']}: {e.estimate:.3g} [{e.conf_low:.3g}, {e.conf_high:.3g}]")


@dataclass(frozen=True, repr=False)
class EventStudyResult(ResultProtocol):
    """Result of :func:`event_study` (and :func:`wijklib.did.event_study_single`).

    ``table`` has one row per event time (``event_time``, estimate, SE, pointwise and simultaneous
    bands); ``vcov`` is the covariance of the reported event-time estimates; ``effect`` is the
    average post-period effect (observation-weighted over event times >= 0, term ``overall``).
    ``pretest()`` is the test that is valid for the inference used: the cluster-robust Wald test,
    or with placebo inference (one treated ward) the placebo ranking.
    """

    table: pd.DataFrame
    vcov: pd.DataFrame
    effect: Effect
    method: Method = field(default_factory=dict)
    cells: pd.DataFrame | None = None  # Sun & Abraham cohort x event-time estimates
    #: The pre-test that belongs to the inference (set by placebo inference; ``None`` = Wald).
    placebo_pretest: PreTest | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method.of(self.method, estimator="event study", inference="analytic",
                                                     alpha=self.effect.alpha))

    def tidy(self) -> pd.DataFrame:
        """One row per event time (term ``event_time::e``; the reference period with estimate 0). The
        headline average post-start effect is :attr:`effect` (term ``overall``)."""
        return protocol_tidy(self.table, scale="difference", alpha=self.effect.alpha)

    def _interval_reference(self) -> tuple[str, float | None] | None:
        if self.method["inference"] == "placebo":
            n = self.method.get("n_placebos")
            return ("t", float(n - 1)) if n else None
        n_cl = self.method.get("n_clusters")
        return ("t", float(n_cl - 1)) if n_cl else ("normal", None)

    def _summary_lines(self) -> list[str]:
        m = self.method
        pt = self.pretest()
        cols = ["event_time", "estimate", "std_error", "p_value", "conf_low", "conf_high", "conf_low_simul",
                "conf_high_simul"]
        lines = [f"reference event time {m.get('ref')}; SE: {m.get('se_type')}",
                 self.table[[c for c in cols if c in self.table.columns]].to_string(
                     index=False, float_format=lambda x: f"{x:.4f}")]
        lines.append(f"pre-test ({pt.test}): p = {pt.p_value:.4g}" if pt.available
                     else f"pre-test: not available ({pt.note})")
        return lines

    @property
    def pre_terms(self) -> list[int]:
        t = self.table
        est = set(self.vcov.index)
        return [int(x) for x in t.loc[t["event_time"] < 0, "event_time"] if str(int(x)) in est]

    def pretest(self) -> PreTest:
        """The pre-trend test valid for this result's inference.

        Cluster-robust inference: joint Wald test of the pre-period coefficients (the reference
        period excluded). Placebo inference (:func:`wijklib.did.event_study_single`, one treated
        ward, where a cluster-robust Wald test over-rejects): the mean squared pre-start coefficient
        ranked among the placebo wards'.
        """
        if self.placebo_pretest is not None:
            return self.placebo_pretest
        if self.method["inference"] == "placebo":
            return no_pretest("placebo inference without a placebo pre-test (no pre-period event times)")
        pre = self.pre_terms
        if not pre:
            return no_pretest("no pre-period event times were estimated; nothing to test")
        lab = [str(e) for e in pre]
        b = self.table.set_index("event_time").loc[pre, "estimate"].to_numpy()
        V = self.vcov.loc[lab, lab].to_numpy()
        stat = float(b @ np.linalg.pinv(V) @ b)
        df = int(np.linalg.matrix_rank(V))
        return PreTest(stat, df, float(stats.chi2.sf(stat, df)), tuple(lab),
                       test="Wald chi2 (cluster-robust), H0: all pre-period coefficients = 0")

    def _draw(self, ax: Any, *, simultaneous: bool = True, title: str | None = None) -> None:
        """Estimates with pointwise bars and a simultaneous band."""
        t = self.table.dropna(subset=["estimate"])
        x = t["event_time"].to_numpy()
        pct = int(round(100 * (1 - self.alpha)))
        if simultaneous and "conf_low_simul" in t:
            ax.fill_between(x, t["conf_low_simul"], t["conf_high_simul"], color="C0", alpha=0.15,
                            step=None, label=f"simultane {pct}%-band")
        ax.errorbar(x, t["estimate"], yerr=[t["estimate"] - t["conf_low"], t["conf_high"] - t["estimate"]],
                    fmt="o", ms=3, color="C0", capsize=2, label=f"schatting ({pct}%-interval)")
        ax.axhline(0, color="0.4", lw=0.8)
        ax.axvline(-0.5, color="0.4", lw=0.8, ls="--")
        ax.set_xlabel("periode t.o.v. start (0 = eerste periode met aanpak)")
        ax.set_ylabel("effect")
        ax.set_title(title or f"Event study ({self.method.get('estimator')})")
        ax.legend(loc="best", fontsize=8)
