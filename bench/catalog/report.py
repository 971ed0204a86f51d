#!/usr/bin/env python3
"""Writes bench/catalog/RESULTS.md from a run's raw material: report.py OUT_DIR BACKEND…"""
import json
import os
import platform
import subprocess
import sys
import time

BUDGET_S = 1.0


def sh(*cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def cpu_model():
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "?"


def main():
    out, backends = sys.argv[1], sys.argv[2:]
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    commit = sh("git", "-C", root, "rev-parse", "--short", "HEAD")
    dirty = sh("git", "-C", root, "status", "--porcelain", "--untracked-files=no")
    mem_kb = int(open("/proc/meminfo").read().split()[1])
    lines = [
        "# Catalog scale: the connection-rate report and the dashboard",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on commit `{commit}`"
        f"{' (with uncommitted changes)' if dirty not in ('', '?') else ''}; {os.cpu_count()} cores ({cpu_model()}), "
        f"{mem_kb // 1024 // 1024} GiB; release build; `bench/catalog/run.sh`.",
        "",
        "The issue's budget is one second for the report and the dashboard with 100,000 items, 5,000 systems and "
        "10 million login events. No peer product has a connection-rate report, so the comparison is with that "
        "budget: *headroom* is the budget divided by the median (above 1 means inside the budget). Each row is a "
        "whole request as a person makes it: the CLI rows include starting the process, reading the configuration "
        "and opening the database; the HTTP rows are a signed-in administrator's requests over loopback, timed "
        "by the client.",
        "",
    ]
    for backend in backends:
        data = os.path.join(out, backend)
        generated = json.load(open(os.path.join(data, "generated.json")))
        measured = json.load(open(os.path.join(data, "measured.json")))
        hwm = open(os.path.join(data, "server-hwm-kb")).read().strip()
        counts = generated["counts"]
        label = {"sqlite": "SQLite (embedded)", "postgres": "PostgreSQL 15"}.get(backend, backend)
        lines += [
            f"## {label}",
            "",
            "Data set: " + ", ".join(f"{name.replace('_', ' ')} {n:,}" for name, n in counts.items())
            + f"; generated in {generated['seconds']} s. Server peak RSS {int(hwm) // 1024} MiB.",
            "",
            "| measurement | median | slowest | runs | headroom (1 s ÷ median) |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for name, m in measured.items():
            headroom = BUDGET_S / m["median_s"] if m["median_s"] else float("inf")
            lines.append(f"| `{name}` | {m['median_s'] * 1000:.0f} ms | {m['max_s'] * 1000:.0f} ms | {m['runs']} | "
                         f"{headroom:.1f}× |")
        lines.append("")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
