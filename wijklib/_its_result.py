"""The result of :func:`wijklib.its.fit` (:class:`ITSResult`) and the plain-Dutch descriptions of its
effects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special  # t / normal quantiles; lighter to import than scipy.stats

from wijklib._its_core import _is_log_link
from wijklib.results import (
    Effect,
    EffectSummary,
    Method,
    PreTest,
    ResultProtocol,
    no_pretest,
    protocol_tidy,
    term_value,
    tidy_frame,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------
def _ro(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, repr=False)
class ITSResult(ResultProtocol):
    """Fitted interrupted time series. Immutable; derive everything from :meth:`tidy`.

    Attributes
    ----------
    level_change, slope_change : Effect
        Step at the start and change in slope per period (rate ratios for log-link families,
        differences for gaussian). ``slope_change`` is ``None`` when fitted without a slope term.
        ``effect`` is ``level_change`` (the headline).
    dispersion : float
        Pearson dispersion (quasipoisson), residual variance (gaussian), NB ``alpha`` (negbin) or 1.
    method : dict
        How the result was made: family, cov_type, hac_lags, n_obs, n_periods, start, ...

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from wijklib.its import fit
    >>> t = np.arange(1, 49)
    >>> df = pd.DataFrame({"t": t, "y": np.random.default_rng(0).poisson(np.where(t >= 25, 80, 100))})
    >>> res = fit(df, yname="y", tname="t", start=25, seasonality=0)
    >>> res.tidy()["term"].tolist()
    ['intercept', 'time', 'level_change', 'slope_change']
    >>> res.counterfactual().columns[:4].tolist()
    ['t', 'observed', 'fitted', 'counterfactual']
    """

    level_change: Effect
    slope_change: Effect | None
    dispersion: float
    method: dict[str, Any]
    params: pd.Series
    cov: pd.DataFrame
    _frame: pd.DataFrame = field(repr=False)
    _X: np.ndarray = field(repr=False)
    _X_cf: np.ndarray = field(repr=False)
    _offset: np.ndarray = field(repr=False)
    _crit: float = field(repr=False)
    _df: float | None = field(repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", Method.of(self.method, estimator="its", inference="model-based",
                                                     alpha=self.level_change.alpha))

    @property
    def effect(self) -> Effect:
        """The headline effect: the level change at the start."""
        return self.level_change

    def pretest(self) -> PreTest:
        return no_pretest("an interrupted time series has no pre-period test (the pre-period trend is its "
                          "counterfactual); check it with placebo start dates, wijklib.diagnostics.placebo_time")

    def _interval_reference(self) -> tuple[str, float | None] | None:
        return ("t", float(self._df)) if self._df else ("normal", None)

    # -- tables ---------------------------------------------------------------------------
    def tidy(self, *, linear: bool = False) -> pd.DataFrame:
        """All coefficients, one row each (:data:`wijklib.results.TIDY_COLUMNS` first).

        ``linear=False`` reports log-link coefficients as ratios (exp); ``True`` keeps the
        linear-predictor scale.
        """
        scale = "ratio" if (_is_log_link(self.method["family"]) and not linear) else "difference"
        se = np.sqrt(np.diag(self.cov.to_numpy()))
        effects = [
            Effect.from_linear(
                name, float(b), float(s), scale=scale, df=self._df, crit=self._crit,
                alpha=self.level_change.alpha,
            )
            for name, b, s in zip(self.params.index, self.params.to_numpy(), se, strict=True)
        ]
        return protocol_tidy(tidy_frame(effects), scale=scale, alpha=self.level_change.alpha)

    def counterfactual(self, *, alpha: float = 0.05) -> pd.DataFrame:
        """Observed, fitted and counterfactual (no intervention) values per period.

        The band is a ``1 - alpha`` confidence band for the counterfactual mean (delta method on
        the linear predictor, then back-transformed), using the result's covariance.
        """
        fr = self._frame
        b = self.params.to_numpy()
        V = self.cov.to_numpy()
        crit = self._crit if alpha == self.level_change.alpha else (
            float(special.stdtrit(self._df, 1 - alpha / 2)) if self._df else float(special.ndtri(1 - alpha / 2))
        )
        eta_fit = self._X @ b + self._offset
        eta_cf = self._X_cf @ b + self._offset
        se_cf = np.sqrt(np.einsum("tk,kl,tl->t", self._X_cf, V, self._X_cf))
        lo, hi = eta_cf - crit * se_cf, eta_cf + crit * se_cf
        inv = np.exp if _is_log_link(self.method["family"]) else (lambda x: x)
        tname = self.method["tname"]
        return pd.DataFrame(
            {
                tname: fr[tname].to_numpy(),
                "observed": fr["_y"].to_numpy(float),
                "fitted": inv(eta_fit),
                "counterfactual": inv(eta_cf),
                "counterfactual_low": inv(lo),
                "counterfactual_high": inv(hi),
                "post": fr["_post"].to_numpy(bool),
            }
        )

    # -- presentation ---------------------------------------------------------------------
    def _summary_lines(self) -> list[str]:
        m = self.method
        return [f"family {m['family']}, {m['n_obs']} observations ({m['n_pre']} before the start {term_value(m['start'])}), "
                f"covariance {m['cov_type']}" + (f" ({m['hac_lags']} lags)" if m.get("hac_lags") is not None else ""),
                self.tidy()[["term", "estimate", "std_error", "p_value", "conf_low", "conf_high"]].to_string(
                    index=False, float_format=lambda x: f"{x:.4f}")]

    def _draw(self, ax: Axes, *, ylabel: str | None = None, title: str | None = None) -> None:
        """Observed (dots), fitted (line), counterfactual (dashed, with band), start (vertical line)."""
        cf = self.counterfactual()
        x = cf[self.method["tname"]]
        ax.plot(x, cf["observed"], "o", ms=3, color="0.35", label="waargenomen")
        ax.plot(x, cf["fitted"], "-", color="C0", label="model")
        post = cf["post"].to_numpy()
        ax.plot(x[post], cf["counterfactual"][post], "--", color="C1", label="verwacht zonder interventie")
        ax.fill_between(
            x[post], cf["counterfactual_low"][post], cf["counterfactual_high"][post],
            color="C1", alpha=0.2, linewidth=0,
        )
        ax.axvline(self.method["start"], color="0.2", linestyle=":", linewidth=1)
        ax.set_ylabel(ylabel or self.method["yname"])
        if title:
            ax.set_title(title)
        ax.legend(frameon=False, fontsize="small")

    def effect_summary(
        self,
        *,
        outcome: str = "het aantal meldingen",
        intervention: str = "wijkgericht handhaven",
        unit: str | None = None,
        technical: bool = True,
    ) -> EffectSummary:
        """Table of the level and slope change plus a plain-Dutch text generated from the numbers.

        ``technical=False`` leaves out the sentence on the model and its standard errors (a report's
        running text; the method section carries them).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from wijklib.its import fit
        >>> rng = np.random.default_rng(1)
        >>> t = np.arange(1, 49)
        >>> df = pd.DataFrame({"t": t, "y": rng.poisson(100 * np.where(t >= 25, 0.8, 1.0))})
        >>> table, text = fit(df, yname="y", tname="t", start=25, seasonality=0).effect_summary()
        >>> text.startswith("Na de start van wijkgericht handhaven lag het aantal meldingen")
        True
        """
        if unit is None:
            unit = {"month": "maand", "week": "week"}.get(self.method["time_axis"], "periode")
        rows = [self.level_change] + ([self.slope_change] if self.slope_change is not None else [])
        labels = {"level_change": "niveauverandering bij de start", "slope_change": f"trendverandering per {unit}"}
        ratio = self.level_change.scale == "ratio"
        pct = int(round(100 * (1 - self.level_change.alpha)))
        table = pd.DataFrame(
            {
                "effect": [labels[e.term] for e in rows],
                "schaal": ["verhouding" if ratio else "verschil"] * len(rows),
                "schatting": [e.estimate for e in rows],
                f"ondergrens {pct}%-BI": [e.conf_low for e in rows],
                f"bovengrens {pct}%-BI": [e.conf_high for e in rows],
                "p-waarde": [e.p_value for e in rows],
            }
        )
        lc = self.level_change
        text = (
            f"Na de start van {intervention} lag {outcome} "
            + _describe(lc, ratio, "dan verwacht op basis van de trend ervoor", pct)
        )
        if self.slope_change is not None:
            sc = self.slope_change
            text += " " + _describe_slope(sc, ratio, outcome, unit, pct)
        m = self.method
        fam = {"poisson": "Poisson", "quasipoisson": "quasi-Poisson", "negbin": "negatief-binomiaal",
               "gaussian": "lineair"}[m["family"]]
        se = (f"Newey-West-standaardfouten ({m['hac_lags']} {'vertraging' if m['hac_lags'] == 1 else 'vertragingen'})"
              if m["cov_type"] == "hac" else "modelgebaseerde standaardfouten")
        # n_obs counts the stacked rows of a controlled ITS (two series); readers count months of the ward.
        n_periods = m.get("n_periods", m["n_obs"]) if m.get("controlled") else m["n_obs"]
        if technical:
            text += (
                f" (Onderbroken tijdreeks, {fam} model, {n_periods} perioden waarvan {m['n_pre']} voor "
                f"de start{', voor de wijk en voor de vergelijkingsreeks' if m.get('controlled') else ''}; {se}.)"
            )
        if m.get("controlled"):
            text += (" Het effect is gemeten ten opzichte van de vergelijkingsreeks." if technical else
                     f" Gemeten over {n_periods} maanden, waarvan {m['n_pre']} vóór de start, ten opzichte van de "
                     "wijken zonder wijkgericht handhaven.")
        elif not technical:
            text += f" Gemeten over {n_periods} maanden, waarvan {m['n_pre']} vóór de start."
        return EffectSummary(table, text)


def _nl_num(x: float, digits: int = 0) -> str:
    from wijklib import nl

    return nl.number(x, digits)


def _pct_word(r: float) -> tuple[str, str]:
    """Rate ratio -> ('12%', 'lager')."""
    p = (r - 1.0) * 100.0
    digits = 0 if abs(p) >= 1 else 1
    return f"{_nl_num(abs(p), digits)}%", ("hoger" if p > 0 else "lager")


def _describe(e: Effect, ratio: bool, ref: str, pct: int) -> str:
    if ratio:
        est, word = _pct_word(e.estimate)
        lo, lw = _pct_word(e.conf_low)
        hi, hw = _pct_word(e.conf_high)
        if lw == hw:
            ci = f"{pct}%-betrouwbaarheidsinterval: {min(lo, hi, key=_keynum)} tot {max(lo, hi, key=_keynum)} {lw}"
        else:
            ci = f"{pct}%-betrouwbaarheidsinterval: {lo} {lw} tot {hi} {hw}"
        head = f"{est} {word} {ref}"
    else:
        d = 1 if abs(e.estimate) < 10 else 0
        word = "hoger" if e.estimate > 0 else "lager"
        head = f"{_nl_num(abs(e.estimate), d)} {word} {ref}"
        ci = f"{pct}%-betrouwbaarheidsinterval: {_signed(e.conf_low, d)} tot {_signed(e.conf_high, d)}"
    if e.significant:
        return f"{head} ({ci})."
    return (
        f"{head}, maar dit verschil is statistisch niet te onderscheiden van geen verandering "
        f"({ci})."
    )


def _keynum(s: str) -> float:
    return float(s.rstrip("%").replace(".", "").replace(",", "."))


def _describe_slope(e: Effect, ratio: bool, outcome: str, unit: str, pct: int) -> str:
    if ratio:
        p = (e.estimate - 1) * 100
        lo, hi = (e.conf_low - 1) * 100, (e.conf_high - 1) * 100
        s = (
            f"Daarna veranderde de trend met {_signed(p, 2)}% per {unit} "
            f"({pct}%-betrouwbaarheidsinterval: {_signed(lo, 2)}% tot {_signed(hi, 2)}%)"
        )
    else:
        s = (
            f"Daarna veranderde de trend met {_signed(e.estimate, 2)} per {unit} "
            f"({pct}%-betrouwbaarheidsinterval: {_signed(e.conf_low, 2)} tot {_signed(e.conf_high, 2)})"
        )
    if e.significant:
        return s + "."
    return s + "; dat is niet te onderscheiden van een ongewijzigde trend."


def _signed(x: float, digits: int) -> str:
    from wijklib import nl

    return nl.number(x, digits, signed=True)
