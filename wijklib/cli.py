"""Console entry point ``wijklib`` (declared in pyproject as ``wijklib.cli:main``).

Sub-commands:

- ``wijklib report [--config ...] [--year ...] [--wards ...] [--jobs N] [--formats pdf,html] [--out DIR]``
  builds the ward reports (same options as ``python -m wijklib.report``).
- ``wijklib check --config <yaml> [--html PATH]`` loads every configured source and says whether a
  batch can run (exit status 0/1; see :mod:`wijklib.check`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = ("usage: wijklib report [options]   (wijklib report --help for the options)\n"
         "       wijklib check --config <yaml> [--html PATH]\n"
         "       wijklib --version")


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch ``wijklib <command> ...``; returns the exit status.

    Examples
    --------
    >>> main(["--help"])  # doctest: +ELLIPSIS
    usage: wijklib report ...
    0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("--version", "-V", "version"):
        from wijklib import __version__

        print(f"wijklib {__version__}")
        return 0
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "check":
        from wijklib.check import main as check_main

        return check_main(rest)
    if command == "report":
        from wijklib.report.runner import main as report_main

        return report_main(rest)
    print(f"wijklib: unknown command {command!r}\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
