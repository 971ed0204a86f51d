#!/usr/bin/env python3
"""Turn bench/out/runs.jsonl (written by run.sh) into bench/RESULTS.md."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
from pathlib import Path

SCENARIOS = [
    ("discovery", "discovery document (GET /.well-known/openid-configuration)"),
    ("jwks", "JWKS (GET jwks_uri)"),
    ("client_credentials", "client_credentials (POST token endpoint, client_secret_basic)"),
    ("userinfo", "userinfo (GET, Bearer user access token)"),
]
GOAL = 3.0
BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def sh(*cmd: str) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=ROOT).stdout.strip()
    except OSError:
        return "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def mem_total() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


SOURCE_PATHS = ["src", "Cargo.toml", "Cargo.lock", "migrations", "templates", "locales", "static", "build.rs"]


def describe_build(binary: Path, source_changes: int | None) -> str:
    """Which sources the yimen binary holds, as far as git and the binary's mtime tell."""
    if not binary.exists():
        return "No yimen binary."
    built = dt.datetime.fromtimestamp(binary.stat().st_mtime, dt.timezone.utc)
    iso = built.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"The yimen release binary was built {built.strftime('%Y-%m-%d %H:%M UTC')}"
    before = sh("git", "log", "-1", f"--before={iso}", "--format=%h", "--", *SOURCE_PATHS)
    since = sh("git", "log", f"--since={iso}", "--format=%h", "--", *SOURCE_PATHS).split()
    if before:
        text += f"; the newest commit touching the sources at that time was `{before}`"
    if since:
        text += (f"; {len(since)} commit(s) changed the sources after the build ({', '.join(f'`{c}`' for c in since)}) and "
                 "are **not** in the measured binary (run.sh never rebuilds an existing binary)")
    if source_changes is None:
        source_changes = len(sh("git", "status", "--porcelain", "--", *SOURCE_PATHS).splitlines())
    if source_changes:
        text += f"; when the run started, {source_changes} source file(s) had uncommitted changes"
    return text + "."


def rps(run: dict) -> float:
    w = run["wrk"]
    return w["requests"] / (w["duration_us"] / 1e6)


def ms(us: float) -> str:
    return f"{us / 1000:.2f} ms"


def mib(kb: int) -> str:
    return f"{kb / 1024:.1f} MiB"


def errors(run: dict) -> int:
    e = run["wrk"]["errors"]
    return e["connect"] + e["read"] + e["write"] + e["status"] + e["timeout"]


def error_note(run: dict) -> str:
    e = run["wrk"]["errors"]
    parts = [f"{v} {k}" for k, v in e.items() if v]
    if not parts:
        return ""
    share = e["status"] / max(run["wrk"]["requests"], 1)
    status = f" ({share:.0%} of responses non-2xx)" if e["status"] else ""
    return "errors: " + ", ".join(parts) + status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--threads", required=True)
    parser.add_argument("--connections", required=True)
    parser.add_argument("--duration", required=True)
    parser.add_argument("--warmup", required=True)
    parser.add_argument("--bin", required=True)
    args = parser.parse_args()

    meta: dict = {}
    runs: dict[tuple[str, str], dict] = {}
    idle: dict[str, dict] = {}
    for line in Path(args.runs).read_text().splitlines():
        record = json.loads(line)
        if "meta" in record:
            meta = record["meta"]
        elif "scenario" in record:
            runs[(record["target"], record["scenario"])] = record
        else:
            idle[record["target"]] = record

    commit = meta.get("head") or sh("git", "rev-parse", "HEAD")
    binary = Path(args.bin)
    build = describe_build(binary, meta.get("source_changes"))
    try:
        peer_version = json.loads((BENCH_DIR / "node_modules/oidc-provider/package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        peer_version = "?"

    out: list[str] = []
    w = out.append
    w("# Benchmark results: yimen vs oidc-provider")
    w("")
    w("Written by `bench/run.sh` (see `bench/README.md`); one run, numbers as measured.")
    w("")
    finished = dt.datetime.fromtimestamp(Path(args.runs).stat().st_mtime, dt.timezone.utc)
    w(f"- **Date:** {finished.strftime('%Y-%m-%d %H:%M UTC')} (end of the run)")
    w(f"- **Commit:** HEAD `{commit}` at run time. {build}")
    w(f"- **Machine:** {os.cpu_count()} cores (`nproc` = {sh('nproc')}), CPU `{cpu_model()}`, {mem_total()} RAM, "
      f"Linux {platform.release()}")
    w(f"- **Software:** {sh('rustc', '--version')}; yimen profile `release` (lto = thin); "
      f"Node {sh('node', '--version')} with oidc-provider {peer_version}, `NODE_ENV=production`; "
      f"{sh('wrk', '-v').splitlines()[0] if sh('wrk', '-v') else 'wrk'}")
    w(f"- **Load:** `wrk -t{args.threads} -c{args.connections} -d{args.duration} --latency` per scenario, the same for every "
      f"server, after a {args.warmup} warm-up run with the same settings; one server running at a time, all on 127.0.0.1.")
    w("")

    w(f"## yimen vs oidc-provider (single process)")
    w("")
    w("| scenario | yimen req/s | yimen p50 | yimen p99 | peer req/s | peer p50 | peer p99 | ratio (yimen/peer) | goal ≥3× |")
    w("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |")
    below = []
    notes = []
    for key, label in SCENARIOS:
        y, p = runs.get(("yimen", key)), runs.get(("peer", key))
        if not y or not p or "wrk" not in y or "wrk" not in p:
            w(f"| {label} | — | — | — | — | — | — | — | not measured |")
            continue
        ratio = rps(y) / rps(p)
        valid = errors(y) == 0 and errors(p) == 0
        ok = "✅" if ratio >= GOAL and valid else "❌"
        if ratio < GOAL:
            below.append(f"{key} ({ratio:.2f}×)")
        for name, run in (("yimen", y), ("peer", p)):
            if error_note(run):
                notes.append(f"- {name} {key}: {error_note(run)}")
        w(f"| {label} | {rps(y):,.0f} | {ms(y['wrk']['latency_us']['p50'])} | {ms(y['wrk']['latency_us']['p99'])} | "
          f"{rps(p):,.0f} | {ms(p['wrk']['latency_us']['p50'])} | {ms(p['wrk']['latency_us']['p99'])} | "
          f"**{ratio:.2f}×** | {ok} |")
    w("")
    if below:
        w(f"Rows below the 3× goal: {', '.join(below)}.")
    else:
        w("Every row meets the 3× goal.")
    w("")
    bound = []
    for key, _ in SCENARIOS:
        y = runs.get(("yimen", key))
        if y and "wrk" in y and "wrk_cpu_s" in y:
            seconds = y["wrk"]["duration_us"] / 1e6
            if y.get("machine_idle_s", 1) / seconds < 0.15 and y["wrk_cpu_s"] / seconds >= 0.3:
                bound.append(f"{key} (yimen {y['server_cpu_s'] / seconds:.2f} cores, wrk {y['wrk_cpu_s'] / seconds:.2f})")
    if bound:
        w(f"On {', '.join(bound)} the two cores were saturated and wrk held a sizeable share of them: with the load "
          "generator on another machine yimen would get more CPU there, while the single-process peer, which left "
          "CPU idle (see below), would gain little. Those ratios are therefore lower bounds; the CPU-per-request table "
          "below gives the ratio independent of that.")
        w("")
    w("All measured runs in this table: 0 socket errors, 0 non-2xx responses." if not notes else
      "Errors seen during measured runs (such a row does not meet the goal):")
    w("")
    for note in notes:
        w(note)
    if notes:
        w("")

    w("## Extra row: oidc-provider under node:cluster, 2 workers")
    w("")
    w("Node runs JavaScript on one thread, while yimen's Tokio runtime uses both cores; this is the peer given "
      "both cores too (`PEER_WORKERS=2`: the primary accepts and hands connections round-robin to two workers, "
      "each a full provider built from the same keys and secrets). oidc-provider's default **memory adapter is "
      "per process**: a token, a login session or an authorization code lives only in the worker that made it. "
      "Discovery, JWKS and issuing client_credentials tokens need no shared state (the clients are static), so "
      "those rows are valid measurements — although a token issued there is only known to one worker. Userinfo "
      "with one token across both workers is not a valid deployment with this adapter; it is run anyway to show "
      "that, and its row is not counted.")
    w("")
    w("| scenario | peer×2 req/s | p50 | p99 | ratio (yimen/peer×2) | note |")
    w("| --- | ---: | ---: | ---: | ---: | --- |")
    for key, label in SCENARIOS:
        c, y = runs.get(("peer-cluster", key)), runs.get(("yimen", key))
        if not c:
            w(f"| {label} | — | — | — | — | not run |")
            continue
        if "wrk" not in c:
            w(f"| {label} | — | — | — | — | {c.get('skipped', 'skipped')} |")
            continue
        invalid = c["wrk"]["errors"]["status"] > 0 or errors(c) > 0
        ratio = f"{rps(y) / rps(c):.2f}×" if y and "wrk" in y and not invalid else "—"
        note = error_note(c)
        if invalid:
            note = f"**invalid** — {note}; req/s counts the errors too"
        w(f"| {label} | {rps(c):,.0f} | {ms(c['wrk']['latency_us']['p50'])} | {ms(c['wrk']['latency_us']['p99'])} | {ratio} | {note} |")
    w("")

    w("## Memory (peak RSS)")
    w("")
    w("VmHWM from `/proc/<pid>/status`, read after each measured run (it only grows, so the last column is the "
      "peak over the whole run of that server). For the cluster it is the sum over the primary and both workers.")
    w("")
    w("| server | idle RSS after start | after discovery | after JWKS | after client_credentials | after userinfo (peak) |")
    w("| --- | ---: | ---: | ---: | ---: | ---: |")
    for target, name in (("yimen", "yimen"), ("peer", "oidc-provider"), ("peer-cluster", "oidc-provider ×2 (cluster)")):
        if target not in idle:
            continue
        cells = [mib(runs[(target, k)]["hwm_kb"]) if "wrk" in runs.get((target, k), {}) else "—" for k, _ in SCENARIOS]
        w(f"| {name} | {mib(idle[target]['idle_rss_kb'])} | " + " | ".join(cells) + " |")
    w("")
    y_cc, p_cc = runs.get(("yimen", "client_credentials")), runs.get(("peer", "client_credentials"))
    if y_cc and p_cc and "wrk" in y_cc and "wrk" in p_cc:
        y_tokens = y_cc["wrk"]["requests"]
        w(f"The stores differ: a yimen access token carries its own sealed record, so the ≈{y_tokens:,} tokens of "
          f"the measured client_credentials run (plus the warm-up's) are kept nowhere and all stay valid for their "
          f"900 s; oidc-provider's memory adapter is an LRU of 1000 entries, so it keeps at most 1000 tokens and "
          f"forgets older ones while they are still valid. (Before sealed tokens, yimen kept every token in memory: "
          f"493 MiB after this run on 2026-11-25.)")
        w("")

    w("## CPU during the measured runs")
    w("")
    w("Where the machine's two cores went during each measured run, in cores (CPU seconds / wall seconds): "
      "the server process(es) (`/proc/<pid>/stat`), wrk (its own user+system time), other (all busy time in "
      "`/proc/stat`, interrupts included, minus server and wrk: anything else running on the machine, plus "
      "accounting noise), and idle. Loopback TCP work done in softirq context is charged to the process it "
      "ran in. A server well under 2 cores with no idle time left is held back by the load generator, not by "
      "itself. run.sh waits for a quiet machine before each scenario and measures again (up to 3 times) when "
      "“other” exceeds 0.25 cores; “runs” says how many measured runs that took (the last one is reported).")
    w("")
    w("| scenario | server | req/s | server | wrk | other | idle | server CPU µs/request | runs |")
    w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    contended = []
    for key, label in SCENARIOS:
        for target, name in (("yimen", "yimen"), ("peer", "oidc-provider"), ("peer-cluster", "oidc-provider ×2")):
            run = runs.get((target, key))
            if not run or "wrk" not in run:
                continue
            seconds = run["wrk"]["duration_us"] / 1e6
            server = run["server_cpu_s"] / seconds
            wrk = run.get("wrk_cpu_s", 0) / seconds
            busy = run.get("machine_process_s", 0) + run.get("machine_irq_s", 0)
            other = (busy - run["server_cpu_s"] - run.get("wrk_cpu_s", 0)) / seconds
            if other > 0.25:
                contended.append(f"{name} {key} ({other:.2f} cores)")
            w(f"| {key} | {name} | {rps(run):,.0f} | {server:.2f} | {wrk:.2f} | {other:.2f} | "
              f"{run.get('machine_idle_s', 0) / seconds:.2f} | "
              f"{run['server_cpu_s'] * 1e6 / max(run['wrk']['requests'], 1):.0f} | {run.get('attempts', 1)} |")
    w("")
    if contended:
        w(f"**Contention:** other processes took a noticeable share of the CPU during {', '.join(contended)}; "
          "those numbers are not clean.")
    else:
        w("No other process took a noticeable share of the CPU during any measured run (“other” ≤ 0.25 cores).")
    w("")
    w("CPU time per request, oidc-provider (single process) against yimen: how much more CPU the peer spends on one "
      "request, whatever the number of cores each can use (a CPU-efficiency ratio, not a throughput ratio):")
    w("")
    w("| scenario | yimen µs/request | oidc-provider µs/request | peer/yimen | response bytes yimen / peer (headers included) |")
    w("| --- | ---: | ---: | ---: | ---: |")
    for key, label in SCENARIOS:
        y, p = runs.get(("yimen", key)), runs.get(("peer", key))
        if y and p and "wrk" in y and "wrk" in p and y["server_cpu_s"] > 0:
            per_y = y["server_cpu_s"] * 1e6 / max(y["wrk"]["requests"], 1)
            per_p = p["server_cpu_s"] * 1e6 / max(p["wrk"]["requests"], 1)
            size = lambda r: r["wrk"]["bytes"] / max(r["wrk"]["requests"], 1)  # noqa: E731
            w(f"| {key} | {per_y:.0f} | {per_p:.0f} | {per_p / per_y:.2f}× | {size(y):,.0f} / {size(p):,.0f} |")
    w("")
    steal = sum(r.get("machine_steal_s", 0) for r in runs.values() if "wrk" in r)
    w(f"CPU steal over all measured runs (this is a VM): {steal:.2f} s.")
    w("")

    w("## The other measurements")
    w("")
    w("Each has its own script and results file, with machine, date and commit inside:")
    w("")
    w("- **Password logins** at the argon2 limit: logins/s, server CPU per login against one password check, "
      "UserInfo latency under that load, RSS after it — [`login/RESULTS.md`](login/RESULTS.md).")
    w("- **A million citizen accounts** on PostgreSQL: sign-in lookups, desk searches, the account centre and "
      "registration, p50/p99 against 50 ms, and the tables' size per row — [`scale/RESULTS.md`](scale/RESULTS.md).")
    w("- **Anonymous requests** and the memory they leave — [`anonymous/RESULTS.md`](anonymous/RESULTS.md).")
    w("- **The connection-rate report** over 100,000 items and 10 million login events — "
      "[`catalog/RESULTS.md`](catalog/RESULTS.md).")
    w("")

    w("## Fairness notes")
    w("")
    w("- wrk runs on the same 2 cores as the server under test, with the same settings for every server, so it "
      "takes CPU from whichever server is measured; absolute numbers are lower than on separate machines.")
    w("- Node is single-threaded: the main table's peer is one process on one core's worth of JavaScript (plus "
      "libuv/GC threads); yimen uses both cores. The cluster table gives the peer both cores where that is valid.")
    w("- yimen runs embedded: in-process ephemeral state (tokens, sessions) plus SQLite in a fresh data dir, "
      "default configuration (log filter `info`). The peer runs with its default in-memory adapter, static "
      "clients, opaque access tokens, 900 s token lifetime, pairwise subjects for the code-flow client "
      "(yimen's default), `NODE_ENV=production`. Nothing in the peer is tuned down (see `bench/peer/provider.js`).")
    w("- Userinfo uses one access token from a real login (authorize → login → consent → token, "
      "`bench/get_token.py`) with scope `openid profile phone`, on every request.")
    w("- oidc-provider prints a warning that Node 20 is an unsupported runtime (it wants Node 22 LTS); Node 20 is the "
      "Node on this machine, and no newer Node can be installed here.")
    w("- One run per server, no repetitions. This is a shared 2-core VM: in exploratory runs the SQLite-bound yimen "
      "rows (client_credentials, userinfo) varied by up to about ±20% from run to run, the discovery/JWKS rows and "
      "the peer much less. run.sh re-measures when it sees other processes busy, but cannot see a busy host.")
    w("")
    Path(args.out).write_text("\n".join(out))


if __name__ == "__main__":
    main()
