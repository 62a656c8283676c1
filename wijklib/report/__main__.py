"""``python -m wijklib.report --config config/demo.yaml --year 2025 --wards all --jobs 2``."""

import sys

from wijklib.report.runner import main

if __name__ == "__main__":
    sys.exit(main())
