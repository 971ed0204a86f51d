"""Compare a harness run (--json-out) with a file of expected statuses.

    python -m oidfh.expect results.json expected.json

expected.json maps module name → expected status (PASS, WARNING, SKIPPED).  Exit 1 when any module
FAILED, when a status differs from the expectation, or when an expected module did not run.
"""

from __future__ import annotations

import json
import sys

from .result import FAILURE


def compare(results: dict, expected: dict) -> list[str]:
    problems: list[str] = []
    seen = {}
    for entry in results["results"]:
        name, status = entry["module"], entry["status"]
        seen[name] = status
        want = expected.get(name)
        if status == FAILURE:
            problems.append(f"{name}: FAILURE against a certified OP: {entry['reason']}")
        elif want is None:
            problems.append(f"{name}: {status}, but no expectation is recorded")
        elif status != want:
            problems.append(f"{name}: {status}, expected {want}: {entry['reason']}")
    for name in expected:
        if results.get("only_modules"):
            break                       # a --module run: the others were not meant to run
        if name not in seen and not name.startswith("_"):
            problems.append(f"{name}: expected {expected[name]}, but the module did not run")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        results = json.load(handle)
    with open(argv[1], encoding="utf-8") as handle:
        expected = json.load(handle)
    problems = compare(results, expected)
    for problem in problems:
        print(f"MISMATCH {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
