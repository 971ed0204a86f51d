"""Command line: run the selected plans' modules and print one line per module."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback

import requests

from . import plan_backchannel, plan_basic, plan_config, plan_extra, plan_logout  # noqa: F401  (registers the modules)
from .registry import MODULES, PLAN_ORDER, PLAN_TITLES
from .result import FAILURE, STATUSES, Outcome, SkipModule, StopModule, summarise
from .runtime import Runtime


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="harness.py",
        description="OIDF OP conformance harness (Basic OP, Config OP, RP-Initiated Logout OP, "
                    "Back-Channel Logout OP, extra checks).")
    parser.add_argument("--issuer", help="issuer URL (default: the config's 'issuer')")
    parser.add_argument("--config", required=True, help="harness config JSON (clients, user, consent)")
    parser.add_argument("--plan", choices=(*PLAN_ORDER, "all"), default="all")
    parser.add_argument("--fast", action="store_true",
                        help="shorten waits that are not semantically needed (never the 30 s code-reuse wait)")
    parser.add_argument("--json-out", help="also write the results as JSON to this file")
    parser.add_argument("--module", action="append", default=[],
                        help="run only this module (repeatable; for debugging)")
    parser.add_argument("--verbose", action="store_true", help="print a traceback for harness errors")
    return parser.parse_args(argv)


def run_module(rt: Runtime, name: str, func, verbose: bool = False):
    """Run one module; exceptions become FAILURE (StopModule), SKIPPED, or a harness/HTTP error."""
    outcome = Outcome()
    started = time.monotonic()
    try:
        func(rt, outcome)
    except StopModule:
        pass
    except SkipModule as skip:
        return summarise(name, outcome, started, skipped=str(skip))
    except requests.RequestException as exc:
        return summarise(name, outcome, started, crashed=f"HTTP error: {exc}")
    except Exception as exc:  # noqa: BLE001 - a bug in the harness must still be reported
        if verbose:
            traceback.print_exc()
        return summarise(name, outcome, started, crashed=f"harness error: {type(exc).__name__}: {exc}")
    return summarise(name, outcome, started)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    issuer = args.issuer or config.get("issuer")
    if not issuer:
        print("no issuer: pass --issuer or set 'issuer' in the config", file=sys.stderr)
        return 2
    rt = Runtime(issuer, config, fast=args.fast)
    plans = PLAN_ORDER if args.plan == "all" else (args.plan,)

    results = []
    started = time.monotonic()
    print(f"# issuer {issuer}  plans: {', '.join(plans)}{'  (--fast)' if args.fast else ''}", flush=True)
    try:
        for plan in plans:
            print(f"# {PLAN_TITLES[plan]}", flush=True)
            for name, func in MODULES[plan]:
                if args.module and name not in args.module:
                    continue
                result = run_module(rt, name, func, args.verbose)
                result.details["plan"] = plan
                results.append(result)
                print(result.line(), flush=True)
    finally:
        rt.close()

    counts = {status: sum(1 for r in results if r.status == status) for status in STATUSES}
    elapsed = time.monotonic() - started
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    print(f"SUMMARY: {len(results)} modules: {summary} ({elapsed:.0f} s)", flush=True)
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as handle:
            json.dump({"issuer": issuer, "plans": list(plans), "fast": args.fast, "counts": counts,
                       "seconds": round(elapsed, 1), "only_modules": args.module, "results": [r.as_json() for r in results]},
                      handle, indent=2)
    return 1 if counts[FAILURE] else 0
