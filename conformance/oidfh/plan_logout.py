"""RP-Initiated Logout OP plan (checklist §2.5, ``oidcc-rp-initiated-logout-certification-test-plan``).

Shared flow (AbstractOIDCCRpInitiatedLogout): a normal code login (128-character state), then the
browser goes to ``end_session_endpoint`` with id_token_hint, post_logout_redirect_uri and a random
state, customised per module.  In the modules that expect a redirect, a following prompt=none
authorization must fail with an error that means user interaction is needed.

Logout confirmation pages are driven like any other form (the first submit button, i.e. "yes, log
me out"), as the suite's browser automation does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode, urlsplit, urlunsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from . import checks
from .browser import Browser, Navigation
from .flow import (build_auth_request, check_error_callback, code_flow, expect_error_page, random_value,
                   send_auth_request, setup_checks)
from .plan_config import check_all_endpoints_https
from .registry import module
from .result import Outcome
from .runtime import Runtime

UI_REQUIRED_ERRORS = ("login_required", "interaction_required", "consent_required", "account_selection_required")


# ---------------------------------------------------------------------------------------------
# shared steps
# ---------------------------------------------------------------------------------------------
class LogoutRun:
    """A logged-in browser plus what the end-session request needs."""

    def __init__(self, rt: Runtime, o: Outcome, client_label: str = "client", browser: Browser | None = None) -> None:
        setup_checks(rt, o)
        self.rt, self.o = rt, o
        try:
            self.client = rt.client(client_label)
        except KeyError as exc:
            o.fail(str(exc))
        self.end_session = rt.endpoint(o, "end_session_endpoint")
        self.post_logout_uri = rt.post_logout_redirect_uri
        if not self.post_logout_uri:
            o.fail("config has no post_logout_redirect_uri")
        self.browser: Browser = browser or rt.new_browser()
        self.flow = code_flow(rt, o, self.browser, self.client, state_length=128)
        self.state = random_value(10)

    def default_params(self) -> dict:
        """CreateEndSessionEndpointRequest: id_token_hint, post_logout_redirect_uri and state."""
        return {"id_token_hint": self.flow.id_token, "post_logout_redirect_uri": self.post_logout_uri,
                "state": self.state}

    def end_session_request(self, params: dict) -> Navigation:
        """BuildRedirectToEndSessionEndpoint + the browser going there."""
        url = self.end_session
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        stops = [self.post_logout_uri, self.client.redirect_uri]
        return self.browser.navigate(url, stops)

    def expect_post_logout_redirect(self, nav: Navigation, state: str | None) -> None:
        """CheckPostLogoutState (FAILURE) + CheckForUnexpectedParametersInPostLogoutRedirect (WARNING)."""
        o = self.o
        if nav.callback is None:
            o.fail(f"OP did not redirect to the post_logout_redirect_uri; browser ended at {nav.describe_final()}")
        if checks.url_base(nav.callback) != checks.url_base(self.post_logout_uri):
            o.fail(f"OP redirected to {checks.url_base(nav.callback)}, not the post_logout_redirect_uri")
        registered = checks.callback_params(self.post_logout_uri)
        params = {k: v for k, v in checks.callback_params(nav.callback).items() if k not in registered}
        if state is None:
            o.check("state" not in params, f"state {params.get('state')!r} returned although none was sent")
        else:
            o.check(params.get("state") == state, f"post-logout state {params.get('state')!r} != sent {state!r}")
        extra = sorted(set(params) - {"state"})
        if extra:
            o.warn(f"unexpected parameters in the post-logout redirect: {extra}")

    def expect_prompt_none_fails(self) -> str:
        """The second authorization, with prompt=none and a 128-character state, must fail."""
        client = self.client
        request = build_auth_request(client, state_length=128, extra={"prompt": "none"})
        response = send_auth_request(self.rt, self.o, self.browser, request)
        return check_error_callback(self.rt, self.o, request, response, client, UI_REQUIRED_ERRORS)

    def expect_no_redirect(self, nav: Navigation, why: str) -> None:
        """The OP must not call the post_logout_redirect_uri: an error, confirmation or logged-out page."""
        if nav.callback is not None and checks.url_base(nav.callback) == checks.url_base(self.post_logout_uri):
            self.o.fail(f"OP redirected to the post_logout_redirect_uri although {why}")
        expect_error_page(self.o, nav, why, shown="error/confirmation/logged-out page")

    def note_session_state(self) -> None:
        """Informational only (the suite takes a screenshot): did the OP end the session?"""
        client = self.client
        request = build_auth_request(client, extra={"prompt": "none"})
        response = send_auth_request(self.rt, self.o, self.browser, request)
        if response.redirected and response.params.get("error") in UI_REQUIRED_ERRORS:
            self.o.note("session ended")
        elif response.redirected and "code" in response.params:
            self.o.note("session still active afterwards (prompt=none succeeded)")


def _redirect_module(rt: Runtime, o: Outcome, with_state: bool) -> None:
    run = LogoutRun(rt, o)
    params = run.default_params()
    if not with_state:
        params.pop("state")
    nav = run.end_session_request(params)
    run.expect_post_logout_redirect(nav, run.state if with_state else None)
    error = run.expect_prompt_none_fails()
    forms = f" after {nav.forms_submitted} form submission(s)" if nav.forms_submitted else ""
    o.note(f"redirected to post_logout_redirect_uri{forms}; prompt=none then gave error={error}")


def _no_redirect_module(rt: Runtime, o: Outcome, why: str, customise, must_log_out: bool = False) -> None:
    """The end-session request must not redirect.  With ``must_log_out`` (the modules whose screenshot
    shows "you are logged out": no-params, no-post-logout-redirect-uri, only-state) the session must
    have ended: a following prompt=none authorization must fail with an error that needs the user."""
    run = LogoutRun(rt, o)
    params = customise(run, run.default_params())
    nav = run.end_session_request(params)
    run.expect_no_redirect(nav, why)
    if must_log_out:
        error = run.expect_prompt_none_fails()
        o.note(f"logged out: prompt=none then gave error={error}")
    else:
        run.note_session_state()


def _with_path_or_query(uri: str, *, path_suffix: str = "", query: str = "") -> str:
    parts = urlsplit(uri)
    new_query = "&".join(q for q in (parts.query, query) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path + path_suffix, new_query, ""))


def _alg_none(id_token: str) -> str:
    """ChangeIdTokenToAlgNone: same claims, header alg=none, no signature."""
    header_b64, payload_b64, _ = id_token.split(".")
    header = json.loads(checks.b64url_decode(header_b64))
    header["alg"] = "none"
    header.pop("kid", None)
    return f"{checks.b64url_encode(json.dumps(header).encode())}.{payload_b64}."


def _client_secret_signed(issuer: str, client_id: str, secret: str) -> str:
    """GenerateJWKsFromClientSecret + GenerateFakeIdTokenClaims + SignFakeIdToken: an id_token
    "issued" by the client (iss and aud the wrong way round), HS256 with the client secret, no kid."""
    now = int(time.time())
    claims = {"iss": client_id, "sub": "SubjectID", "aud": issuer, "nonce": "flibble", "iat": now, "exp": now + 300}
    header = checks.b64url_encode(json.dumps({"alg": "HS256"}).encode())
    payload = checks.b64url_encode(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{checks.b64url_encode(signature)}"


def _foreign_signed(id_token: str) -> str:
    """GenerateFakeIdTokenClaims + SignFakeIdToken: plausible claims signed by a key the OP never saw."""
    _, claims = checks.decode_jwt_unverified(id_token)
    now = int(time.time())
    claims.update({"iat": now, "exp": now + 300})
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "harness-fake-" + random_value(8)})


# ---------------------------------------------------------------------------------------------
# modules
# ---------------------------------------------------------------------------------------------
@module("logout", "oidcc-rp-initiated-logout-discovery-endpoint-verification")
def logout_discovery(rt: Runtime, o: Outcome) -> None:
    """CheckDiscEndpointAllEndpointsAreHttps + CheckDiscEndSessionEndpoint."""
    disc = rt.discovery(o)
    check_all_endpoints_https(o, disc)
    end_session = disc.get("end_session_endpoint")
    if not isinstance(end_session, str) or not urlsplit(end_session).netloc:
        o.error("discovery has no valid end_session_endpoint")


@module("logout", "oidcc-rp-initiated-logout")
def rp_initiated_logout(rt: Runtime, o: Outcome) -> None:
    _redirect_module(rt, o, with_state=True)


@module("logout", "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri")
def bad_post_logout_redirect_uri(rt: Runtime, o: Outcome) -> None:
    def customise(run: LogoutRun, params: dict) -> dict:
        params["post_logout_redirect_uri"] = _with_path_or_query(run.post_logout_uri, path_suffix="_unregistered")
        return params
    _no_redirect_module(rt, o, "the post_logout_redirect_uri is not registered", customise)


@module("logout", "oidcc-rp-initiated-logout-modified-id-token-hint")
def modified_id_token_hint(rt: Runtime, o: Outcome) -> None:
    def customise(run: LogoutRun, params: dict) -> dict:
        params["id_token_hint"] = _alg_none(run.flow.id_token)
        return params
    _no_redirect_module(rt, o, "the id_token_hint was changed to alg:none", customise)


@module("logout", "oidcc-rp-initiated-logout-no-id-token-hint")
def no_id_token_hint(rt: Runtime, o: Outcome) -> None:
    def customise(run: LogoutRun, params: dict) -> dict:
        params.pop("id_token_hint")
        return params
    _no_redirect_module(rt, o, "no id_token_hint was sent", customise)


@module("logout", "oidcc-rp-initiated-logout-no-params")
def no_params(rt: Runtime, o: Outcome) -> None:
    _no_redirect_module(rt, o, "no parameters were sent", lambda run, params: {}, must_log_out=True)


@module("logout", "oidcc-rp-initiated-logout-no-post-logout-redirect-uri")
def no_post_logout_redirect_uri(rt: Runtime, o: Outcome) -> None:
    def customise(run: LogoutRun, params: dict) -> dict:
        params.pop("post_logout_redirect_uri")
        return params
    _no_redirect_module(rt, o, "no post_logout_redirect_uri was sent", customise, must_log_out=True)


@module("logout", "oidcc-rp-initiated-logout-no-state")
def no_state(rt: Runtime, o: Outcome) -> None:
    _redirect_module(rt, o, with_state=False)


@module("logout", "oidcc-rp-initiated-logout-only-state")
def only_state(rt: Runtime, o: Outcome) -> None:
    _no_redirect_module(rt, o, "only state was sent", lambda run, params: {"state": params["state"]},
                        must_log_out=True)


@module("logout", "oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri")
def query_added(rt: Runtime, o: Outcome) -> None:
    def customise(run: LogoutRun, params: dict) -> dict:
        params["post_logout_redirect_uri"] = _with_path_or_query(run.post_logout_uri, query="foo=bar")
        return params
    _no_redirect_module(rt, o, "the post_logout_redirect_uri had ?foo=bar added (unregistered)", customise)


@module("logout", "oidcc-rp-initiated-logout-bad-id-token-hint")
def bad_id_token_hint(rt: Runtime, o: Outcome) -> None:
    """Two logins, two end-session requests that must not redirect: first the suite's own hint
    (GenerateFakeIdTokenClaims + SignFakeIdToken: HS256 with the client secret, iss = client_id,
    aud = issuer, sub "SubjectID"), then the real claims signed by an RSA key the OP never saw."""
    def suite_hint(run: LogoutRun, params: dict) -> dict:
        client = run.client
        params["id_token_hint"] = _client_secret_signed(run.rt.issuer, client.client_id, client.client_secret or "")
        return params

    def foreign_hint(run: LogoutRun, params: dict) -> dict:
        params["id_token_hint"] = _foreign_signed(run.flow.id_token)
        return params
    _no_redirect_module(rt, o, "the id_token_hint was signed HS256 with the client secret (the suite's hint)",
                        suite_hint)
    o.note("HS256 hint signed with the client secret: refused")
    _no_redirect_module(rt, o, "the id_token_hint was signed by a key the OP does not hold", foreign_hint)
    o.note("RS256 hint signed by a foreign key: refused")
