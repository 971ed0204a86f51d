"""Extra modules (``--plan extra``): no OIDF test plan holds them as they run here.

* Modules of the Dynamic OP plan (checklist §2.3) that can run with a static client, under the
  suite's names: ``oidcc-redirect-uri-query-added``, ``-query-mismatch``, ``-query-OK`` and
  ``oidcc-server-rotate-keys``.  They use the config's ``redirect_client``, registered with two
  redirect URIs: the first without a query, the second with ``?bar=foo`` (what the suite's
  AddQueryToRedirectUri registers).
* Harness modules (named ``harness-...``): a redirect_uri with a fragment, every registered
  redirect URI working, and ``request_uri`` with a static client.

``oidcc-server-rotate-keys`` runs the config's ``rotate_keys_command`` (or the environment's
``OIDFH_ROTATE_KEYS_COMMAND``), a shell command that rotates the OP's signing keys, where the suite
asks the tester to rotate them by hand.  Without one it SKIPs.  It runs last: it changes the keys.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import time
from urllib.parse import urlsplit, urlunsplit

from . import checks
from .flow import (AuthRequest, FlowResult, build_auth_request, check_success_callback, code_flow, expect_error_page,
                   random_value, redeem_code, send_auth_request, setup_checks, validate_flow_id_token)
from .registry import module
from .result import Outcome
from .runtime import Client, Runtime

REDIRECT_CLIENT = "redirect_client"
ROTATION_GRACE_SECONDS = 5.0
# How long after a rotation the harness keeps signing in until an id_token is signed with a new key: an OP
# may publish a new key before it signs with it (the OIDC Core 10.1.1 overlap, and for several instances
# the time for each to publish it).
SIGNING_LEAD_SECONDS = 15.0


# ---------------------------------------------------------------------------------------------
# redirect URIs
# ---------------------------------------------------------------------------------------------
def _redirect_client(rt: Runtime, o: Outcome) -> tuple[Client, str, str]:
    """The client with two redirect URIs: (client, the URI without a query, the URI with one)."""
    try:
        client = rt.client(REDIRECT_CLIENT)
    except KeyError as exc:
        o.skip(f"{exc}: register a client with two redirect URIs, the second with a query (?bar=foo)")
    plain = [uri for uri in client.redirect_uris if not urlsplit(uri).query]
    with_query = [uri for uri in client.redirect_uris if urlsplit(uri).query]
    if not plain or not with_query:
        o.skip(f"{REDIRECT_CLIENT} needs a redirect URI without a query and one with a query, "
               f"has {list(client.redirect_uris)}")
    return client, plain[0], with_query[0]


def _with(uri: str, *, query: str | None = None, add_query: str | None = None, fragment: str = "") -> str:
    parts = urlsplit(uri)
    new_query = parts.query if query is None else query
    if add_query:
        new_query = "&".join(q for q in (new_query, add_query) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, new_query, fragment))


def _expect_redirect_uri_error_page(rt: Runtime, o: Outcome, client: Client, bad_uri: str, why: str) -> None:
    """ExpectRedirectUriErrorPage: the OP must show an error; a redirect to the bad URI or to any
    registered one is a FAILURE (processCallback / handleHttp in the suite's modules)."""
    setup_checks(rt, o)
    request = build_auth_request(client, extra={"redirect_uri": bad_uri})
    response = send_auth_request(rt, o, rt.new_browser(), request, stop_at=list(client.redirect_uris))
    expect_error_page(o, response.nav, why)


@module("extra", "oidcc-redirect-uri-query-added")
def redirect_uri_query_added(rt: Runtime, o: Outcome) -> None:
    """AddQueryToRedirectUriInAuthorizationRequest: the registered URI (no query) plus ?foo=bar → error page."""
    client, plain, _ = _redirect_client(rt, o)
    _expect_redirect_uri_error_page(rt, o, client, _with(plain, add_query="foo=bar"),
                                    "redirect_uri is a registered one with ?foo=bar added")


@module("extra", "oidcc-redirect-uri-query-mismatch")
def redirect_uri_query_mismatch(rt: Runtime, o: Outcome) -> None:
    """ReplaceRedirectUriQueryInAuthorizationRequest: registered ?bar=foo, sent ?foo=bar → error page."""
    client, _, with_query = _redirect_client(rt, o)
    _expect_redirect_uri_error_page(rt, o, client, _with(with_query, query="foo=bar"),
                                    "redirect_uri query differs from the registered one")


@module("extra", "oidcc-redirect-uri-query-OK")
def redirect_uri_query_ok(rt: Runtime, o: Outcome) -> None:
    """The registered URI with its query, used exactly → success, the query preserved in the callback."""
    client, _, with_query = _redirect_client(rt, o)
    setup_checks(rt, o)
    code_flow(rt, o, client=dataclasses.replace(client, redirect_uri=with_query))
    o.note(f"redirect_uri with query {urlsplit(with_query).query!r} used and preserved")


@module("extra", "harness-redirect-uri-fragment")
def redirect_uri_fragment(rt: Runtime, o: Outcome) -> None:
    """Harness module: a registered redirect URI with #foobar added → error page (RFC 6749 §3.1.2: the
    redirection endpoint URI must not include a fragment; OIDCC-3.1.2.1 exact matching)."""
    client, plain, _ = _redirect_client(rt, o)
    _expect_redirect_uri_error_page(rt, o, client, _with(plain, fragment="foobar"),
                                    "redirect_uri carries a fragment (#foobar)")


@module("extra", "harness-redirect-uri-each-registered-uri-works")
def redirect_uri_each_registered(rt: Runtime, o: Outcome) -> None:
    """Harness module: a complete code flow with each registered redirect URI of the two-URI client,
    in one browser (the token request names the URI that was used)."""
    client, _, _ = _redirect_client(rt, o)
    setup_checks(rt, o)
    browser = rt.new_browser()
    for index, uri in enumerate(client.redirect_uris):
        code_flow(rt, o, browser, dataclasses.replace(client, redirect_uri=uri),
                  where=f"id_token for redirect URI #{index + 1}")
    o.note(f"all {len(client.redirect_uris)} registered redirect URIs work")


# ---------------------------------------------------------------------------------------------
# request_uri
# ---------------------------------------------------------------------------------------------
def _unsigned_request_object(params: dict, issuer: str, client_id: str) -> bytes:
    """ConvertAuthorizationEndpointRequestToRequestObject + SerializeRequestObjectWithNullAlgorithm."""
    claims = dict(params, iss=client_id, aud=issuer)
    header = checks.b64url_encode(json.dumps({"alg": "none"}).encode())
    payload = checks.b64url_encode(json.dumps(claims).encode())
    return f"{header}.{payload}.".encode()


@module("extra", "harness-request-uri-static-client")
def request_uri_static_client(rt: Runtime, o: Outcome) -> None:
    """Harness module (the suite's request_uri modules need dynamic registration): the harness
    publishes an alg:none request object and sends its ``request_uri`` with response_type, client_id,
    scope, redirect_uri and state; the nonce is only in the object.  The OP must either process the
    object (the nonce then comes back in the id_token) or redirect with error=request_uri_not_supported
    and the state (OIDCC-3.1.2.6, OIDCC-6.2).  Any other error, an error page, or ignoring the object
    is a FAILURE.  request_uri_not_supported while discovery does not say request_uri_parameter_supported
    false (it defaults to true) is a WARNING."""
    disc = setup_checks(rt, o)
    receiver = rt.receiver(o)
    client = rt.client()
    inner = build_auth_request(client)
    path = f"/request_uri/{random_value(16)}"
    url = receiver.publish(path, _unsigned_request_object(inner.params, rt.issuer, client.client_id),
                           "application/oauth-authz-req+jwt")
    outer = {k: inner.params[k] for k in ("response_type", "client_id", "scope", "redirect_uri", "state")}
    outer["request_uri"] = url
    since = time.time() - 1
    response = send_auth_request(rt, o, rt.new_browser(), AuthRequest(outer, inner.state, inner.nonce))
    fetched = len(receiver.received(path, since))
    supported = disc.get("request_uri_parameter_supported", True)
    if not response.redirected:
        expect_error_page(o, response.nav, "request_uri")     # records what was shown
        o.error("the OP showed a page instead of redirecting: an OP that does not support request_uri must "
                "redirect with error=request_uri_not_supported (OIDCC-3.1.2.6)")
        return
    error = response.params.get("error")
    if error is not None:
        checks.validate_authorization_error_response(o, response.params, inner.state, rt.issuer)
        if error != "request_uri_not_supported":
            o.error(f"the OP answered request_uri with error={error}"
                    + (f" ({response.params['error_description']})" if response.params.get("error_description") else "")
                    + "; an OP that does not support request_uri must answer request_uri_not_supported "
                    "(OIDCC-3.1.2.6)")
            return
        if supported is not False:
            o.warn("request_uri_not_supported, but discovery does not set request_uri_parameter_supported "
                   "to false (it defaults to true, OIDCD-3)")
        o.note(f"redirected with error=request_uri_not_supported and the state"
               f"{'; the request object was fetched anyway' if fetched else ''}")
        return
    code = check_success_callback(rt, o, inner, response, client)
    result = FlowResult(inner, response, code=code)
    result.token_http = redeem_code(rt, o, client, code)
    result.tokens = checks.validate_token_response(o, result.token_http)
    result.id_token = result.tokens["id_token"]
    validate_flow_id_token(rt, o, result, client)
    if not fetched:
        o.error("the OP completed the flow without fetching the request_uri (it ignored the request object)")
    if supported is False:
        o.warn("request_uri was processed although discovery says request_uri_parameter_supported false")
    o.note("request object fetched from request_uri and used")


# ---------------------------------------------------------------------------------------------
# key rotation
# ---------------------------------------------------------------------------------------------
def _public_identity(key: dict) -> tuple:
    """The key's kid and public parameters (AbstractCompareJwks compares keys this way)."""
    fields = {"RSA": ("n", "e"), "EC": ("crv", "x", "y"), "OKP": ("crv", "x")}.get(key.get("kty"), ())
    return (key.get("kid"), key.get("kty"), *(key.get(name) for name in fields))


def _signing_keys(jwks: dict) -> list[dict]:
    return [key for key in (jwks.get("keys") or []) if isinstance(key, dict) and key.get("use") in (None, "sig")]


def compare_rotated_jwks(o: Outcome, original: dict, latest: dict) -> list[dict]:
    """VerifyNewJwksHasNewSigningKey (FAILURE) and VerifyNewJwksStillHasOldSigningKey (WARNING).
    Returns the new signing keys."""
    old_keys, new_keys = _signing_keys(original), _signing_keys(latest)
    old_ids = {_public_identity(key) for key in old_keys}
    fresh = [key for key in new_keys if _public_identity(key) not in old_ids]
    if not fresh:
        o.error("the JWKS has no new signing key after the rotation (OIDCC-10.1.1)")
    old_kids = {key.get("kid") for key in old_keys}
    for key in fresh:
        if key.get("kid") in old_kids:
            o.error(f"new key kid {key.get('kid')!r} was already used by one of the original keys")
        field = {"RSA": "n", "EC": "x", "OKP": "x"}.get(key.get("kty"))
        if field is None:
            o.error(f"new key {key.get('kid')!r} has an unknown kty {key.get('kty')!r}")
        elif any(old.get(field) == key.get(field) for old in old_keys):
            o.error(f"new key {key.get('kid')!r} reuses the {field} of an original key")
    if not old_ids & {_public_identity(key) for key in new_keys}:
        o.warn("none of the original signing keys is still published; the JWKS SHOULD retain recently "
               "decommissioned signing keys (OIDCC-10.1.1)")
    return fresh


@module("extra", "oidcc-server-rotate-keys")
def server_rotate_keys(rt: Runtime, o: Outcome) -> None:
    """OIDCCServerRotateKeys: JWKS before and after a rotation of the OP's keys; a new signing key must
    appear (FAILURE), the old should stay (WARNING), kids stay distinct.  The harness adds (the suite
    does not check id_tokens here): an id_token issued before the rotation still verifies against the
    new JWKS while it is valid (WARNING, the same SHOULD), and a login after the rotation gets an
    id_token signed with one of the new keys (FAILURE)."""
    command = os.environ.get("OIDFH_ROTATE_KEYS_COMMAND") or rt.config.get("rotate_keys_command")
    if not command:
        o.skip("no rotate_keys_command in the harness config (nor OIDFH_ROTATE_KEYS_COMMAND): the suite asks "
               "the tester to rotate the OP's keys by hand, and this OP cannot be told to from here")
    setup_checks(rt, o)
    client = rt.client()
    before = code_flow(rt, o, client=client, userinfo=None, where="id_token before the rotation")
    original = rt.jwks(o, refresh=True)

    try:
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        o.fail(f"the rotate command did not finish within 120 s: {command}")
    if done.returncode != 0:
        o.fail(f"the rotate command failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-300:]}")
    rotated_at = time.time()

    # the suite fetches the new JWKS when the tester presses Start; the harness allows a few seconds
    deadline = time.monotonic() + ROTATION_GRACE_SECONDS
    latest = rt.jwks(o, refresh=True)
    while latest == original and time.monotonic() < deadline:
        time.sleep(0.5)
        latest = rt.jwks(o, refresh=True)
    checks.validate_server_jwks(o, latest, stop=False)
    checks.check_kids(o, latest)
    if latest == original:
        o.error(f"the JWKS is unchanged {time.time() - rotated_at:.0f} s after the rotate command succeeded")
    fresh = compare_rotated_jwks(o, original, latest)

    problem = checks.verify_jws_signature(before.id_token, before.id_header, latest, what="pre-rotation id_token")
    if problem and before.id_claims.get("exp", 0) > time.time():
        o.warn(f"an id_token issued before the rotation, still valid, no longer verifies against the JWKS: "
               f"{problem}")

    after = code_flow(rt, o, client=client, userinfo=None, where="id_token after the rotation")
    kid = after.id_header.get("kid")
    fresh_kids = {key.get("kid") for key in fresh}
    # An OP of several instances may publish a new key some seconds before it signs with it, so that no
    # instance signs with a key another instance's JWKS lacks (yimen: 10 s); logins go on until then.
    deadline = time.monotonic() + SIGNING_LEAD_SECONDS
    while kid not in fresh_kids and time.monotonic() < deadline:
        time.sleep(1)
        after = code_flow(rt, o, client=client, userinfo=None, where="id_token after the rotation")
        kid = after.id_header.get("kid")
    if kid not in fresh_kids:
        old = kid in {key.get("kid") for key in _signing_keys(original)}
        o.error(f"the id_token issued after the rotation is signed with kid {kid!r}, "
                + ("one of the keys that were rotated out" if old else "not one of the new keys")
                + " (harness check; the suite does not look at id_tokens here)")
    o.note(f"kid {before.id_header.get('kid')!r} before the rotation, {kid!r} after "
           f"({time.time() - rotated_at:.0f} s after the rotation); {len(fresh)} new signing key(s)")
