"""Browser-style password logins against a running yimen, as fast as WORKERS processes can drive them,
with a UserInfo probe alongside: authorize -> login page -> password -> consent -> code -> token (with
an RS256 ID token). Prints one JSON line: logins, seconds, logins/s, failures and the probe's latencies.

    python3 load.py BASE CLIENT_ID CLIENT_SECRET ACCOUNTS PASSWORD ACCESS_TOKEN SECONDS WORKERS
    (ACCOUNTS: comma-separated phone numbers, one per worker: an account takes one attempt at a time)
    python3 load.py --token BASE CLIENT_ID CLIENT_SECRET ACCOUNT PASSWORD     # one login's access token
"""

import json
import multiprocessing
import re
import sys
import threading
import time
import urllib.parse

import requests

REDIRECT = "http://127.0.0.1:9/cb"


def field(html, name):
    match = re.search(r'name="%s" value="([^"]*)"' % re.escape(name), html)
    return match.group(1) if match else ""


def login_tokens(base, client_id, secret, account, password):
    """One whole login in a fresh browser; the token response's JSON, or None."""
    browser = requests.Session()
    query = urllib.parse.urlencode({
        "client_id": client_id, "redirect_uri": REDIRECT, "response_type": "code",
        "scope": "openid profile", "state": "s", "nonce": "n",
    })
    page = browser.get(f"{base}/authorize?{query}", allow_redirects=True, timeout=30)
    form = {"csrf": field(page.text, "csrf"), "rid": field(page.text, "rid"), "next": "",
            "account": account, "password": password}
    answer = browser.post(f"{base}/login", data=form, allow_redirects=False, timeout=30)
    location = answer.headers.get("location", "")
    for _ in range(5):
        if location.startswith(REDIRECT) or not location:
            break
        page = browser.get(urllib.parse.urljoin(base, location), allow_redirects=False, timeout=30)
        if page.status_code in (301, 302, 303, 307):
            location = page.headers.get("location", "")
            continue
        if 'action="/consent"' not in page.text:
            break
        answer = browser.post(f"{base}/consent", data={"csrf": field(page.text, "csrf"),
                              "rid": field(page.text, "rid"), "decision": "allow"},
                              allow_redirects=False, timeout=30)
        location = answer.headers.get("location", "")
    code = urllib.parse.parse_qs(urllib.parse.urlparse(location).query).get("code", [""])[0]
    if not code:
        text = "" if location else re.sub(r"<[^>]+>|\s+", " ", answer.text)[:80]
        raise LoginFailed(f"no code: login answered {answer.status_code} {location[:60]!r} {text}")
    token = requests.post(f"{base}/token", auth=(client_id, secret), timeout=30, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})
    body = token.json() if token.status_code == 200 else {}
    if "id_token" not in body:
        raise LoginFailed(f"token endpoint answered {token.status_code} {token.text[:80]}")
    return body


class LoginFailed(Exception):
    pass


def worker(args, deadline, results):
    base, client_id, secret, account, password = args
    done, failed = 0, {}
    while time.time() < deadline:
        try:
            login_tokens(base, client_id, secret, account, password)
            done += 1
        except (LoginFailed, requests.RequestException) as error:
            reason = str(error)[:120]
            failed[reason] = failed.get(reason, 0) + 1
    results.put((done, failed))


def probe(base, token, deadline, latencies):
    session = requests.Session()
    while time.time() < deadline:
        started = time.perf_counter()
        response = session.get(f"{base}/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        if response.status_code == 200:
            latencies.append((time.perf_counter() - started) * 1000)
        time.sleep(0.05)


def main():
    if sys.argv[1] == "--token":
        print(login_tokens(*sys.argv[2:7])["access_token"])
        return
    base, client_id, secret, account, password, token, seconds, workers = sys.argv[1:9]
    seconds, workers = float(seconds), int(workers)
    started = time.time()
    deadline = started + seconds
    results = multiprocessing.Queue()
    accounts = account.split(",")
    processes = [multiprocessing.Process(target=worker, args=((base, client_id, secret, accounts[i % len(accounts)],
                                                               password), deadline, results)) for i in range(workers)]
    for process in processes:
        process.start()
    latencies = []
    prober = threading.Thread(target=probe, args=(base, token, deadline, latencies))
    prober.start()
    totals = [results.get() for _ in processes]
    for process in processes:
        process.join()
    prober.join()
    elapsed = time.time() - started
    logins = sum(done for done, _ in totals)
    reasons = {}
    for _, failed in totals:
        for reason, count in failed.items():
            reasons[reason] = reasons.get(reason, 0) + count
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1) if latencies else None
    print(json.dumps({"logins": logins, "failed": sum(reasons.values()), "failures": reasons,
                      "seconds": round(elapsed, 1),
                      "logins_per_s": round(logins / elapsed, 1), "userinfo_samples": len(latencies),
                      "userinfo_p50_ms": pick(0.5), "userinfo_p99_ms": pick(0.99)}))


if __name__ == "__main__":
    main()
