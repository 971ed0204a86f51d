#!/usr/bin/env python3
"""Fills a migrated yimen database with the catalog-scale data set of the connection-rate benchmark.

    generate.py --sqlite DATA_DIR/yimen.db [--items N --systems N --events N ...]
    generate.py --postgres postgres://…/db [...]

Default size (the issue's): 100,000 service items, 5,000 business systems (95% with an OIDC client,
85% of those with logins), 10,000,000 login events, 800,000 citizens and 40,000 organisations on the
designated pages, 227 departments (the 35 city departments, 12 district governments with 15 bureaus each) and a year
of daily snapshots for every department. Everything is derived from row numbers, so the same arguments give
the same data. Rows go in with set-based SQL (a recursive sequence on SQLite, generate_series on
PostgreSQL); the schema is yimen's own, created by `yimen migrate` beforehand.

Login events and portal users reference people that are not created: nothing in the report reads people,
and on PostgreSQL the foreign keys are bypassed for this session (session_replication_role = replica).
Prints one JSON line: the row counts read back and the seconds taken.
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "src", "catalog", "data")
DAY = 86400


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", help="path of yimen.db")
    where.add_argument("--postgres", help="postgres:// URL")
    p.add_argument("--items", type=int, default=100_000)
    p.add_argument("--systems", type=int, default=5_000)
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--citizens", type=int, default=800_000)
    p.add_argument("--organisations", type=int, default=40_000)
    p.add_argument("--snapshot-days", type=int, default=365)
    p.add_argument("--now", type=int, default=int(time.time()))
    return p.parse_args()


class Dialect:
    """The few spots where SQLite and PostgreSQL differ."""

    def __init__(self, postgres):
        self.postgres = postgres

    def seq(self, n):
        """A relation `seq(i)` holding 0 … n-1, to be used in FROM."""
        if self.postgres:
            return f"generate_series(0::bigint, {n - 1}) AS seq(i)"
        return (f"(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {n - 1}) "
                f"SELECT i FROM s) AS seq")

    def pad2(self, expr):
        return f"lpad(({expr})::text, 2, '0')" if self.postgres else f"printf('%02d', {expr})"

    def text(self, expr):
        return f"({expr})::text" if self.postgres else f"CAST({expr} AS TEXT)"

    def day(self, days_ago_expr, now):
        if self.postgres:
            return f"to_char(to_timestamp({now}) AT TIME ZONE 'Asia/Shanghai' - ({days_ago_expr}) * interval '1 day', 'YYYY-MM-DD')"
        return f"date({now} + 8 * 3600 - ({days_ago_expr}) * {DAY}, 'unixepoch')"


def departments(now):
    """The 35 city departments, 12 districts and 15 bureaus in each district, as literal rows."""
    with open(os.path.join(DATA, "city-departments.json"), encoding="utf-8") as f:
        city = [d["name"] for d in json.load(f)["departments"]]
    bureaus = ["民政局", "人社局", "住建局", "市场监管局", "卫健局", "教育局", "公安分局", "税务局", "交通局",
               "农业农村局", "文旅局", "生态环境局", "应急管理局", "司法局", "残联"]
    rows = []
    for name in city:
        rows.append((f"bd-{len(rows):04d}", name, "city", None))
    for d in range(12):
        district_id = f"bd-{len(rows):04d}"
        rows.append((district_id, f"第{d + 1}区人民政府", "district", None))
        for b in bureaus:
            rows.append((f"bd-{len(rows):04d}", f"第{d + 1}区{b}", "district", district_id))
    return rows


def quote(value):
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def script(args, sql):
    now = args.now
    depts = departments(now)
    n_dept = len(depts)
    systems, items = args.systems, args.items
    per_dept = systems // n_dept  # systems j with j % n_dept == d belong to department d
    statements = []
    values = ",\n".join(
        f"({quote(i)}, {quote(n)}, {quote(l)}, {quote(p)}, '联系人{k % 97}', '0591-8{k:07d}', {now})"
        for k, (i, n, l, p) in enumerate(depts))
    # Parents first: the districts' rows come before their bureaus' in the list.
    statements.append("INSERT INTO departments (id, name, level, parent_id, contact_name, contact_phone, created_at) "
                      f"VALUES {values}")
    # Department ids are bd-0000 … bd-0226: 'bd-' and the four low digits of 10000 + d.
    dept_of = f"'bd-' || substr({sql.text(f'10000 + seq.i % {n_dept}')}, 2, 4)"
    statements.append(
        "INSERT INTO business_systems (id, department_id, name, vertical, portal, contact_name, contact_phone, created_at) "
        f"SELECT 'bs-' || {sql.text('seq.i')}, {dept_of}, '业务系统' || {sql.text('seq.i')}, "
        "CASE seq.i % 10 WHEN 0 THEN 'national' WHEN 1 THEN 'provincial' ELSE 'local' END, "
        "CASE seq.i % 3 WHEN 0 THEN 'citizen' WHEN 1 THEN 'enterprise' ELSE 'none' END, "
        f"'系统联系人' || {sql.text('seq.i % 500')}, '139' || substr({sql.text('100000000 + seq.i')}, 2, 8), {now} "
        f"FROM {sql.seq(systems)}")
    statements.append(
        "INSERT INTO clients (id, name, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, "
        "token_endpoint_auth_method, id_token_signed_response_alg, subject_type, sector_identifier, allowed_scopes, "
        "jwks, enabled, created_at, updated_at, system_id) "
        f"SELECT 'bc-' || {sql.text('seq.i')}, '业务系统' || {sql.text('seq.i')}, 'bench-not-a-hash', "
        f"'[\"https://sys' || {sql.text('seq.i')} || '.example.gov.cn/cb\"]', '[]', "
        "'[\"authorization_code\",\"refresh_token\"]', 'client_secret_basic', 'RS256', 'pairwise', "
        f"'sys' || {sql.text('seq.i')} || '.example.gov.cn', 'openid profile', NULL, 1, {now}, {now}, "
        f"'bs-' || {sql.text('seq.i')} FROM {sql.seq(systems)} WHERE seq.i % 20 <> 0")
    # 85% of the clients have had a login; the last one up to 60 days ago, so some fall outside the window.
    statements.append(
        "INSERT INTO client_connections (client_id, first_login_at, last_login_at) "
        f"SELECT 'bc-' || {sql.text('seq.i')}, {now} - 200 * {DAY} + seq.i, {now} - (seq.i % 60) * {DAY} "
        f"FROM {sql.seq(systems)} WHERE seq.i % 20 <> 0 AND seq.i % 20 NOT IN (1, 2) AND seq.i % 7 <> 3")
    # Item k belongs to department k % n_dept and is handled by one of that department's systems; every
    # 50th has no system, every 40th (from 1) is withdrawn.
    system_of = f"'bs-' || {sql.text(f'(seq.i % {n_dept}) + {n_dept} * ((seq.i / {n_dept}) % {per_dept})')}"
    statements.append(
        "INSERT INTO service_items (code, name, kind, audience, department_id, system_id, status, created_at, updated_at) "
        f"SELECT 'SX' || substr({sql.text('1000000 + seq.i')}, 2, 6), '事项' || {sql.text('seq.i')}, "
        "CASE WHEN seq.i % 3 = 0 THEN 'licence' ELSE 'public_service' END, "
        "CASE seq.i % 5 WHEN 0 THEN 'legal' WHEN 1 THEN 'both' ELSE 'person' END, "
        f"{dept_of}, CASE WHEN seq.i % 50 = 0 THEN NULL ELSE {system_of} END, "
        f"CASE WHEN seq.i % 40 = 1 THEN 'withdrawn' ELSE 'active' END, {now}, {now} "
        f"FROM {sql.seq(items)}")
    # Themes carry copies of their item's fields, as yimen writes them: derived here from the items.
    k = "CAST(substr(i.code, 3) AS INTEGER)"
    copies = "i.department_id, i.kind, i.audience, i.system_id, i.status"
    statements.append(
        "INSERT INTO service_item_themes (item_code, theme, department_id, kind, audience, system_id, status) "
        f"SELECT i.code, CASE WHEN {k} % 5 = 0 THEN 'L' || {sql.pad2(f'{k} % 34 + 1')} "
        f"ELSE 'P' || {sql.pad2(f'{k} % 31 + 1')} END, {copies} FROM service_items i")
    statements.append(
        "INSERT INTO service_item_themes (item_code, theme, department_id, kind, audience, system_id, status) "
        f"SELECT i.code, 'L' || {sql.pad2(f'{k} % 34 + 1')}, {copies} FROM service_items i WHERE {k} % 5 = 1")
    statements.append(
        "INSERT INTO login_events (id, person_id, client_id, methods, ip_prefix, user_agent, created_at) "
        f"SELECT 'le-' || {sql.text('seq.i')}, 'bp-' || {sql.text(f'(seq.i * 7919) % {args.citizens}')}, "
        f"'bc-' || {sql.text(f'1 + (seq.i * 31) % {systems - 1}')}, '[\"pwd\"]', '10.20.0.0/16', NULL, "
        f"{now} - (seq.i * 13) % (365 * {DAY}) FROM {sql.seq(args.events)}")
    statements.append(
        "INSERT INTO portal_users (portal, subject_id, last_seen) "
        f"SELECT 'citizen', 'bp-' || {sql.text('seq.i')}, {now} - (seq.i * 17) % (400 * {DAY}) "
        f"FROM {sql.seq(args.citizens)}")
    statements.append(
        "INSERT INTO portal_users (portal, subject_id, last_seen) "
        f"SELECT 'enterprise', 'bo-' || {sql.text('seq.i')}, {now} - (seq.i * 17) % (400 * {DAY}) "
        f"FROM {sql.seq(args.organisations)}")
    # A year of daily snapshots, overall and per department, the rate climbing from about 40%.
    days, scopes = args.snapshot_days, n_dept + 1
    active = items - items // 40
    scope_expr = (f"CASE WHEN seq.i % {scopes} = 0 THEN 'all' ELSE 'dept:bd-' || "
                  f"substr({sql.text(f'10000 + seq.i % {scopes} - 1')}, 2, 4) END")
    size = f"CASE WHEN seq.i % {scopes} = 0 THEN {active} ELSE {active // n_dept} END"
    day_index = f"(seq.i / {scopes})"
    connected = f"({size}) * (40 + 45 * ({days} - {day_index}) / {days}) / 100"
    statements.append(
        "INSERT INTO connection_snapshots (day, scope, active_items, registered, connected, recently_used) "
        f"SELECT {sql.day(f'{day_index} + 1', now)}, {scope_expr}, {size}, ({size}) * 93 / 100, {connected}, "
        f"({connected}) * 9 / 10 FROM {sql.seq(days * scopes)}")
    return statements


COUNTED = ["departments", "business_systems", "clients", "client_connections", "service_items",
           "service_item_themes", "login_events", "portal_users", "connection_snapshots"]

ACTIVE = "SELECT COUNT(*) FROM service_items WHERE status = 'active'"


def run_sqlite(path, statements):
    import sqlite3
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    with db:
        for s in statements:
            db.execute(s)
    db.execute("ANALYZE")
    counts = {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in COUNTED}
    counts["active_items"] = db.execute(ACTIVE).fetchone()[0]
    db.close()
    return counts


def run_postgres(url, statements):
    body = "\\set ON_ERROR_STOP on\nSET session_replication_role = replica;\nBEGIN;\n"
    body += ";\n".join(statements) + ";\nCOMMIT;\nANALYZE;\n"
    subprocess.run(["psql", "-q", "-X", url], input=body.encode(), check=True)
    query = " UNION ALL ".join([f"SELECT '{t}', COUNT(*) FROM {t}" for t in COUNTED]
                               + [ACTIVE.replace("SELECT", "SELECT 'active_items',", 1)])
    out = subprocess.run(["psql", "-X", "-A", "-t", "-F", "\t", url, "-c", query], check=True,
                         capture_output=True, text=True).stdout
    return {t: int(n) for t, n in (line.split("\t") for line in out.strip().splitlines())}


def main():
    args = parse_args()
    started = time.monotonic()
    statements = script(args, Dialect(postgres=bool(args.postgres)))
    counts = run_postgres(args.postgres, statements) if args.postgres else run_sqlite(args.sqlite, statements)
    print(json.dumps({"counts": counts, "seconds": round(time.monotonic() - started, 1)}))


if __name__ == "__main__":
    sys.exit(main())
