#!/usr/bin/env python3
"""Obtain a user's access token by a real login, for the userinfo benchmark.

Drives authorize -> login -> consent -> token against any OP with the conformance harness's scripted
browser (conformance/oidfh/browser.py): it follows redirects, fills the login form's fields named in
--field and submits the consent form (the button given by --consent-button, else the first one).

    get_token.py --issuer URL --client-id ID --client-secret S --redirect-uri URI \
        --scope "openid profile phone" --field account=13800138000 --field password=... \
        [--consent-button decision=allow]

Prints the access token on stdout (nothing else), and checks that it works at the userinfo endpoint.
Works for yimen (fields account/password, consent button decision=allow) and for oidc-provider's
devInteractions (fields login/password, first button).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "conformance"))
from oidfh.browser import Browser  # noqa: E402  (the harness's browser driver, reused as is)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--redirect-uri", required=True)
    parser.add_argument("--scope", default="openid profile phone")
    parser.add_argument("--field", action="append", default=[], metavar="NAME=VALUE",
                        help="a login form field to fill (repeat)")
    parser.add_argument("--consent-button", metavar="NAME=VALUE", help="the consent button to press")
    args = parser.parse_args()

    discovery = requests.get(f"{args.issuer}/.well-known/openid-configuration", timeout=10).json()
    config: dict = {"user": {"fields": dict(f.split("=", 1) for f in args.field)}}
    if args.consent_button:
        name, value = args.consent_button.split("=", 1)
        config["consent"] = {"button_name": name, "button_value": value}

    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    query = urlencode({"response_type": "code", "client_id": args.client_id, "redirect_uri": args.redirect_uri,
                       "scope": args.scope, "state": state, "nonce": nonce})
    browser = Browser(config, args.issuer)
    nav = browser.navigate(f"{discovery['authorization_endpoint']}?{query}", stop_at=[args.redirect_uri])
    if not nav.callback:
        trail = "\n  ".join(f"{m} {u} -> {s}" for m, u, s in nav.trail)
        sys.exit(f"get_token: the login did not come back to the client: {nav.describe_final()}\n  {trail}")
    params = parse_qs(urlsplit(nav.callback).query)
    if params.get("state") != [state] or "code" not in params:
        sys.exit(f"get_token: unexpected callback {nav.callback}")

    # The browser's session (its keep-alive connection) also makes the token and userinfo calls, as an
    # RP's back channel would: harmless for a single server, and it keeps oidc-provider's node:cluster
    # mode on the worker whose memory holds the code.
    response = browser.session.post(discovery["token_endpoint"], auth=(args.client_id, args.client_secret), timeout=10,
                             data={"grant_type": "authorization_code", "code": params["code"][0],
                                   "redirect_uri": args.redirect_uri})
    if response.status_code != 200:
        sys.exit(f"get_token: token endpoint answered {response.status_code}: {response.text[:300]}")
    token = response.json()["access_token"]

    check = browser.session.get(discovery["userinfo_endpoint"], headers={"Authorization": f"Bearer {token}"}, timeout=10)
    if check.status_code != 200 or "sub" not in check.json():
        sys.exit(f"get_token: userinfo answered {check.status_code}: {check.text[:300]}")
    print(f"get_token: userinfo for this token: {check.text}", file=sys.stderr)
    print(token)
    return 0


if __name__ == "__main__":
    sys.exit(main())
