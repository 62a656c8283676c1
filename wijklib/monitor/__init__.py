"""Monitoring of ward-based enforcement per ward and year (council letter: three levels + wijkakkoord cycle).

- Level 1 (:mod:`~wijklib.monitor.level1`, :mod:`~wijklib.monitor.design`): objective developments and the
  effect since the start of ward-based enforcement, with the design the data support and why.
- Level 2 (:mod:`~wijklib.monitor.level2`): perceived safety (Wijkprofiel) and coded signals; never personal
  data (:mod:`~wijklib.monitor.privacy`).
- Level 3 (:mod:`~wijklib.monitor.level3`): embedding in the ward network, a 0-100 score with components.
- Wijkakkoord cycle (:mod:`~wijklib.monitor.priorities`, :mod:`~wijklib.monitor.verdict`): a verdict per
  priority from the rule in ``config/monitor.yaml`` (:func:`rules_text` prints it in Dutch), herijk advice
  and the comparison with last year.

Entry points: :func:`evaluate_ward`, :func:`evaluate_city`, :class:`Context` (shared fits for a batch),
:class:`WardEvaluation` (``to_frame``/``to_dict``/``to_json``/``from_json``/``headline``).

Examples
--------
>>> from wijklib import monitor
>>> monitor.judge(monitor.Measure(0.8, 0.7, 0.9), "omlaag")[0]
'op koers'
"""

from wijklib.monitor.evaluation import (
    SCHEMA_VERSION,
    CityEvaluation,
    Context,
    WardEvaluation,
    evaluate_city,
    evaluate_ward,
)
from wijklib.monitor.privacy import scrub
from wijklib.monitor.settings import MonitorConfig, load_config
from wijklib.monitor.verdict import (
    GEEN_VERANDERING,
    ONGUNSTIG,
    ONVOLDOENDE,
    OP_KOERS,
    VERDICTS,
    Measure,
    judge,
    rules_text,
)

__all__ = [
    "SCHEMA_VERSION", "CityEvaluation", "Context", "WardEvaluation", "evaluate_city", "evaluate_ward",
    "scrub", "MonitorConfig", "load_config", "GEEN_VERANDERING", "ONGUNSTIG", "ONVOLDOENDE", "OP_KOERS",
    "VERDICTS", "Measure", "judge", "rules_text",
]
