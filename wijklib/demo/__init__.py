"""Deterministic synthetic demo city (SYNTHETISCHE DEMODATA) with a known truth.

A Rotterdam-like city on the real ward names and codes of :mod:`wijklib.geo`, monthly 2017-01 ..
2025-12: public reports (14010 / BuitenBeter / MeldR / web), enforcement actions and hours, police
crime counts, the biennial Wijkprofiel, focus areas, wijkakkoorden, network logs, coded signals and
the staggered roll-out of ward-based enforcement, with true effects written to ``truth.json``.

Public API
----------
- :func:`generate` — simulate and write the raw files (what ``python -m wijklib.demo`` does).
- :func:`simulate` — the same city in memory (:class:`DemoCity`), no files.
- :func:`write` — write a simulated city.
- :func:`simulate_national` / :func:`write_national` / :func:`evaluate_national` — a synthetic
  national demo (every gemeente with wijken and buurten, staggered roll-out, known truth) and the
  monitor on it (``python -m wijklib.demo --national --scale 0.1 --out ...``).

Examples
--------
>>> import tempfile
>>> from wijklib import demo
>>> with tempfile.TemporaryDirectory() as d:
...     city = demo.generate(d, seed=1, scale=0.02)
...     (Path(d) / "truth.json").is_file()
True
"""

from __future__ import annotations

from pathlib import Path

from wijklib.config import DEMO_SEED
from wijklib.demo._city import (
    APP_EFFECT,
    APP_SWITCH,
    CATEGORIES,
    COHORTS,
    CRIME_TYPES,
    TREATMENT_EFFECT_COMPLIANCE,
    TREATMENT_EFFECT_FOLLOWUP,
    TREATMENT_EFFECT_MELDINGEN,
    TREATMENT_EFFECT_POLITIE,
    DemoCity,
    simulate,
)
from wijklib.demo._national import (
    NationalDemo,
    evaluate_national,
    national_geography,
    read_national,
    simulate_national,
    write_national,
)
from wijklib.demo._write import DEMO_FILES, SYNTHETIC_NOTE, readme_text, sources_config, write

__all__ = [
    "APP_EFFECT", "APP_SWITCH", "CATEGORIES", "COHORTS", "CRIME_TYPES", "DemoCity", "SYNTHETIC_NOTE",
    "TREATMENT_EFFECT_COMPLIANCE", "TREATMENT_EFFECT_FOLLOWUP", "TREATMENT_EFFECT_MELDINGEN",
    "TREATMENT_EFFECT_POLITIE", "DEMO_FILES", "generate", "readme_text", "simulate", "sources_config", "write",
    "NationalDemo", "evaluate_national", "national_geography", "read_national", "simulate_national",
    "write_national",
]


def generate(out_dir: str | Path, seed: int = DEMO_SEED, scale: float = 1.0) -> DemoCity:
    """Simulate the demo city and write its raw files into ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Target folder (created if needed). Existing files of the same names are overwritten.
    seed : int
        Random seed; the same seed and scale give byte-identical files.
    scale : float
        Multiplies all event rates (``0.1`` for fast tests).

    Returns
    -------
    DemoCity
        The simulated city in memory, including the true counts the files were expanded from.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     city = generate(d, seed=3, scale=0.02)
    ...     sorted(p.name for p in Path(d).glob("*.xlsx"))
    ['handhaving_uren.xlsx', 'wijkprofiel.xlsx']
    """
    city = simulate(seed=seed, scale=scale)
    write(city, out_dir)
    return city
