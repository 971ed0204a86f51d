#!/usr/bin/env python3
"""OIDF OP conformance harness for yimen (and any other OpenID Provider).

    python conformance/harness.py --issuer URL --config FILE.json \
        [--plan basic|config|logout|all] [--fast] [--json-out FILE]

Prints one line per suite module: ``PASS|WARNING|FAILURE|SKIPPED  module-name  reason``, then a
summary.  Exit status 1 if any module FAILED, else 0.  See conformance/README.md.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oidfh.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
