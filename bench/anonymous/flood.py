#!/usr/bin/env python3
"""Sends N anonymous authorization requests (no cookies kept, each with its own state, nonce and PKCE
challenge) to an OpenID provider, C at a time over keep-alive connections, and prints a JSON line:
how many were sent, the status codes seen, and the seconds it took.

    flood.py --authorize URL --client-id ID --redirect-uri URI [--requests N] [--concurrency C]
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import threading
import time
import urllib.parse


def one_query(client_id, redirect_uri):
    verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=")
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
    return urllib.parse.urlencode({
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "openid profile phone",
        "state": base64.urlsafe_b64encode(os.urandom(24)).decode(),
        "nonce": base64.urlsafe_b64encode(os.urandom(24)).decode(),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "ui_locales": "zh-CN en",
    })


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--authorize", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--redirect-uri", required=True)
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    target = urllib.parse.urlsplit(args.authorize)
    remaining = [args.requests]
    lock = threading.Lock()
    statuses = {}

    def worker():
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        while True:
            with lock:
                if remaining[0] == 0:
                    break
                remaining[0] -= 1
            path = f"{target.path}?{one_query(args.client_id, args.redirect_uri)}"
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                status = "error"
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps({"sent": args.requests, "statuses": {str(k): v for k, v in statuses.items()},
                      "seconds": round(time.monotonic() - started, 1)}))


if __name__ == "__main__":
    main()
