#!/usr/bin/env python3
"""Times the connection-rate report and the dashboard against a running yimen filled by generate.py.

    measure.py --bin target/release/yimen --issuer http://127.0.0.1:PORT --data-dir DIR [--database-url URL]
               --phone PHONE --password PW --client-id ID --api-token TOKEN [--runs 7]

Each measurement is checked first (the answer must carry the expected figures), then run once to warm
up and `--runs` more times; it reports the median and the slowest, in seconds. The commands run as a
user would run them; the pages are fetched with a real session: the administrator signs in with a
password and an SMS code (read from the development outbox) through a client that requires two factors,
as the console demands. Prints one JSON object.
"""
import argparse
import hashlib
import base64
import http.client
import json
import os
import re
import secrets
import statistics
import subprocess
import time
import urllib.parse


def parse_args():
    p = argparse.ArgumentParser()
    for name in ("bin", "issuer", "data-dir", "phone", "password", "client-id", "api-token", "expect-items"):
        p.add_argument(f"--{name}", required=True)
    p.add_argument("--database-url")
    p.add_argument("--runs", type=int, default=7)
    return p.parse_args()


class Session:
    """A cookie-keeping HTTP/1.1 client for one origin; redirects are followed only when asked."""

    def __init__(self, issuer):
        url = urllib.parse.urlsplit(issuer)
        self.host, self.port = url.hostname, url.port
        self.cookies = {}

    def request(self, method, target, form=None, headers=None, follow=True):
        for _ in range(10):
            conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            all_headers = dict(headers or {})
            if self.cookies:
                all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urllib.parse.urlencode(form)
                all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, target, body=body, headers=all_headers)
            response = conn.getresponse()
            data = response.read().decode("utf-8", "replace")
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name.strip()] = rest.split(";", 1)[0]
            conn.close()
            location = response.getheader("Location")
            if not (follow and response.status in (301, 302, 303, 307) and location):
                return response.status, location, data
            parsed = urllib.parse.urlsplit(location)
            if parsed.netloc and parsed.port != self.port:
                return response.status, location, data
            target = parsed.path + (f"?{parsed.query}" if parsed.query else "")
            method, form = "GET", None
        raise RuntimeError("too many redirects")


def field(page, name):
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page)
    if not match:
        raise RuntimeError(f"no field {name} on the page: {page[:400]}")
    return match.group(1).replace("&amp;", "&")


def last_code(data_dir, phone):
    with open(os.path.join(data_dir, "sms-outbox.jsonl"), encoding="utf-8") as f:
        messages = [json.loads(line) for line in f if line.strip()]
    for message in reversed(messages):
        if message.get("to") in (phone, f"+86{phone}"):
            return message["params"]["code"]
    raise RuntimeError(f"no SMS to {phone}")


def sign_in(args):
    session = Session(args.issuer)
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    query = urllib.parse.urlencode({
        "client_id": args.client_id, "redirect_uri": "http://127.0.0.1:9/cb", "response_type": "code",
        "scope": "openid", "state": "bench", "nonce": "bench", "code_challenge": challenge,
        "code_challenge_method": "S256"})
    status, _, login = session.request("GET", f"/authorize?{query}")
    assert status == 200 and 'name="password"' in login, f"login page: {status}"
    form = {"csrf": field(login, "csrf"), "rid": field(login, "rid"), "account": args.phone,
            "password": args.password}
    status, _, second = session.request("POST", "/login", form)
    assert status == 200 and "/login/second" in second, f"second factor page: {status} {second[:300]}"
    rid = field(second, "rid")
    status, _, sent = session.request("POST", "/login/second/code", {"csrf": field(second, "csrf"), "rid": rid})
    assert status == 200, f"send code: {status}"
    code = last_code(args.data_dir, args.phone)
    # Signed in with two factors; what follows (consent, the redirect to the client) does not matter here.
    status, location, page = session.request("POST", "/login/second", {"csrf": field(sent, "csrf"), "rid": rid,
                                                                        "code": code})
    assert (status == 200 and "/consent" in page) or (location or "").startswith("http://127.0.0.1:9/cb"), \
        f"after the second factor: {status} {location} {page[:300]}"
    return session


def timed(runs, fn):
    fn()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(times), 4), "max_s": round(max(times), 4), "runs": runs}


def main():
    args = parse_args()
    results = {}
    base = [args.bin, "--data-dir", args.data_dir] + (["--database-url", args.database_url] if args.database_url else [])
    env = {k: v for k, v in os.environ.items() if not k.startswith("YIMEN_")}
    env["RUST_LOG"] = "warn"
    expected = f"of {args.expect_items} active items"

    def command(*extra, check=None):
        def run():
            out = subprocess.run(base + ["report", "connection-rate", *extra], env=env, check=True,
                                 capture_output=True, text=True).stdout
            if check and check not in out:
                raise RuntimeError(f"report without {check!r}: {out[:300]}")
        return run

    results["cli: report connection-rate"] = timed(args.runs, command(check=expected))
    for by in ("department", "theme"):
        results[f"cli: report connection-rate --by {by}"] = timed(args.runs, command("--by", by, check=expected))
    results["cli: report connection-rate --format json"] = timed(
        args.runs, command("--format", "json", check=f'"active_items": {args.expect_items}'))

    session = sign_in(args)

    def page(target, check):
        def run():
            status, _, body = session.request("GET", target, follow=False)
            if status != 200 or check not in body:
                raise RuntimeError(f"GET {target}: {status}, {check!r} missing: {body[:300]}")
        return run

    results["http: GET /dashboard"] = timed(args.runs, page("/dashboard", 'role="img"'))
    results["http: GET /dashboard?department=bd-0005"] = timed(args.runs, page("/dashboard?department=bd-0005", 'role="img"'))
    results["http: GET /dashboard/export.csv?what=missing"] = timed(args.runs, page("/dashboard/export.csv?what=missing", "SX"))
    api = Session(args.issuer)

    def connection_rate_api():
        status, _, body = api.request("GET", "/admin/api/connection-rate",
                                      headers={"Authorization": f"Bearer {args.api_token}"}, follow=False)
        if status != 200 or str(args.expect_items) not in body:
            raise RuntimeError(f"API: {status} {body[:300]}")

    results["http: GET /admin/api/connection-rate"] = timed(args.runs, connection_rate_api)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
