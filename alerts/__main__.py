"""The alerting service: ``python -m alerts [--config configs/demo.yaml]``."""

from __future__ import annotations

import sys

from alerts.service import main

if __name__ == "__main__":
    sys.exit(main())
