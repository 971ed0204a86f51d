"""Basic OP plan (checklist §2.1, ``oidcc-basic-certification-test-plan``): 38 modules.

Variants as in the suite's Basic plan: response_type=code, response_mode=default,
client_auth_type=client_secret_basic (oidcc-server-client-secret-post: client_secret_post),
server_metadata=discovery, client_registration=static_client.
"""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit, urlunsplit

from . import checks
from .flow import (AuthRequest, build_auth_request, call_userinfo, check_error_callback, check_success_callback, code_flow,
                   expect_error_page, pkce_pair, random_value, redeem_code, send_auth_request, setup_checks,
                   token_request, validate_flow_id_token, validate_userinfo, FlowResult)
from .registry import module
from .result import WARNING, Outcome
from .runtime import Runtime

PROMPT_NONE_ERRORS = ("login_required", "interaction_required", "consent_required", "account_selection_required")
SCOPE_CLAIMS = {
    "profile": ("name", "given_name", "family_name", "middle_name", "nickname", "profile", "picture", "website",
                "gender", "birthdate", "zoneinfo", "locale", "updated_at", "preferred_username"),
    "email": ("email", "email_verified"),
    "address": ("address",),
    "phone": ("phone_number", "phone_number_verified"),
}
DYN_ONLY = "dyn-only: needs dynamic client registration; this harness (and yimen) uses static clients"


# ---------------------------------------------------------------------------------------------
# helpers shared by several modules
# ---------------------------------------------------------------------------------------------
def _same_claim(o: Outcome, first: dict, second: dict, claim: str, required: bool = False) -> None:
    """Compare a claim across two id_tokens (same sub; same auth_time if present)."""
    if required:
        for label, claims in (("first", first), ("second", second)):
            o.check(claim in claims, f"{label} id_token has no {claim}")
    if claim in first and claim in second and first[claim] != second[claim]:
        o.error(f"{claim} changed between the two id_tokens ({first[claim]!r} → {second[claim]!r})")


def _scope_test(rt: Runtime, o: Outcome, scopes: list[str], scope_string: str | None = None,
                reorder: bool = False) -> FlowResult:
    """AbstractOIDCCScopesServerTest: request the scopes, read the claims from userinfo,
    WARNING for every expected claim that is missing.  SKIPPED if a scope is not advertised."""
    disc = setup_checks(rt, o)
    supported = disc.get("scopes_supported")
    missing_scopes = [s for s in scopes if isinstance(supported, list) and s not in supported]
    if missing_scopes:
        o.skip(f"scope(s) {', '.join(missing_scopes)} not in scopes_supported")
    scope = scope_string or " ".join(["openid", *scopes])
    result = code_flow(rt, o, scope=scope, reverse_params=reorder, userinfo=None)
    response = call_userinfo(rt, o, result.access_token)
    result.userinfo = validate_userinfo(o, response, result.id_claims)
    expected = [claim for s in scopes for claim in SCOPE_CLAIMS.get(s, ())]
    missing = [claim for claim in expected if claim not in result.userinfo]
    if missing:
        o.warn(f"userinfo lacks claims for scope {' '.join(scopes)}: {', '.join(missing)}")
    return result


def _email_extra_checks(o: Outcome, result: FlowResult) -> None:
    """oidcc-scope-email: email should not be in the code-flow id_token; name was not requested."""
    if "email" in result.id_claims:
        o.warn("email is in the id_token although the code flow returns scope claims from userinfo")
    if "name" in result.id_claims or "name" in (result.userinfo or {}):
        o.warn("name returned although only scope email was requested")


def _simple_success(rt: Runtime, o: Outcome, extra: dict, what: str) -> None:
    setup_checks(rt, o)
    code_flow(rt, o, extra=extra)
    o.note(f"authorization with {what} succeeded")


def _request_object(params: dict, issuer: str, client_id: str) -> str:
    """ConvertAuthorizationEndpointRequestToRequestObject + AddAud/AddIss + SerializeRequestObjectWithNullAlgorithm."""
    claims = dict(params)
    claims["iss"] = client_id
    claims["aud"] = issuer
    header = checks.b64url_encode(json.dumps({"alg": "none"}).encode())
    payload = checks.b64url_encode(json.dumps(claims).encode())
    return f"{header}.{payload}."


def _skip_unless_unsigned_request_objects(o: Outcome, disc: dict) -> None:
    algs = disc.get("request_object_signing_alg_values_supported")
    if isinstance(algs, list) and "none" not in algs:
        o.skip("request_object_signing_alg_values_supported does not contain 'none'")


def _add_path(uri: str, suffix: str) -> str:
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/" + suffix, parts.query, ""))


# ---------------------------------------------------------------------------------------------
# modules, in the order of OIDCCBasicTestPlan
# ---------------------------------------------------------------------------------------------
@module("basic", "oidcc-server")
def server(rt: Runtime, o: Outcome) -> None:
    """Happy path + code length/entropy, missing expires_in (WARNING), unrequested id_token claims (WARNING).

    It also runs what oidcc-idtoken-signature checks (that module needs dynamic registration, so it
    SKIPs here): the id_token header has a kid (EnsureIdTokenContainsKid) naming one JWKS key, and
    is signed with the client's registered algorithm, RS256 by default (EnsureIdTokenSignatureIsRS256).
    """
    setup_checks(rt, o)
    result = code_flow(rt, o, check_code=True, expires_in_missing=WARNING, kid_required=True)
    o.note(f"id_token signed {result.id_header.get('alg')} with kid {result.id_header.get('kid')!r}")
    extra = sorted(set(result.id_claims) - checks.ID_TOKEN_ALLOWED_CLAIMS)
    if extra:
        o.warn(f"id_token holds claims that were not requested (scope=openid): {', '.join(extra)}")


@module("basic", "oidcc-response-type-missing")
def response_type_missing(rt: Runtime, o: Outcome) -> None:
    """No response_type → redirect with invalid_request / unsupported_response_type, or an error page."""
    setup_checks(rt, o)
    client = rt.client()
    request = build_auth_request(client, response_type=None)
    response = send_auth_request(rt, o, rt.new_browser(), request)
    if response.redirected and checks.url_base(response.nav.callback) == checks.url_base(client.redirect_uri):
        error = check_error_callback(rt, o, request, response, client,
                                     ("invalid_request", "unsupported_response_type"))
        o.note(f"redirected with error={error}")
    else:
        expect_error_page(o, response.nav, "response_type missing")


@module("basic", "oidcc-idtoken-signature")
def idtoken_signature(rt: Runtime, o: Outcome) -> None:
    o.skip(DYN_ONLY + " (registers a client without id_token_signed_response_alg); oidcc-server checks "
           "the same on the static client: a kid naming one JWKS key, and RS256 (or the registered alg)")


@module("basic", "oidcc-idtoken-unsigned")
def idtoken_unsigned(rt: Runtime, o: Outcome) -> None:
    disc = rt.discovery(o)
    if "none" not in (disc.get("id_token_signing_alg_values_supported") or []):
        o.skip(DYN_ONLY + "; also 'none' is not in id_token_signing_alg_values_supported")
    o.skip(DYN_ONLY + " (registers id_token_signed_response_alg=none)")


def _userinfo_test(rt: Runtime, o: Outcome, how: str) -> None:
    """AbstractOIDCCUserInfoTest: 200, JSON, sub equal to the id_token's, claims well formed."""
    setup_checks(rt, o)
    result = code_flow(rt, o, userinfo=None)
    response = call_userinfo(rt, o, result.access_token, how)
    if how == "post-body" and not 200 <= response.status_code < 300:
        o.warn(f"userinfo with access_token in a POST body answered HTTP {response.status_code} "
               "(RFC 6750 §2.2 support is optional)")
        return
    validate_userinfo(o, response, result.id_claims)


@module("basic", "oidcc-userinfo-get")
def userinfo_get(rt: Runtime, o: Outcome) -> None:
    _userinfo_test(rt, o, "get")


@module("basic", "oidcc-userinfo-post-header")
def userinfo_post_header(rt: Runtime, o: Outcome) -> None:
    _userinfo_test(rt, o, "post-header")


@module("basic", "oidcc-userinfo-post-body")
def userinfo_post_body(rt: Runtime, o: Outcome) -> None:
    _userinfo_test(rt, o, "post-body")


@module("basic", "oidcc-ensure-request-without-nonce-succeeds-for-code-flow")
def without_nonce(rt: Runtime, o: Outcome) -> None:
    """No nonce → a code must still be issued (the suite does not call the token endpoint)."""
    setup_checks(rt, o)
    client = rt.client()
    request = build_auth_request(client, nonce=False)
    response = send_auth_request(rt, o, rt.new_browser(), request)
    check_success_callback(rt, o, request, response, client)
    o.note("code issued without nonce")


@module("basic", "oidcc-scope-profile")
def scope_profile(rt: Runtime, o: Outcome) -> None:
    _scope_test(rt, o, ["profile"])


@module("basic", "oidcc-scope-email")
def scope_email(rt: Runtime, o: Outcome) -> None:
    _email_extra_checks(o, _scope_test(rt, o, ["email"]))


@module("basic", "oidcc-scope-address")
def scope_address(rt: Runtime, o: Outcome) -> None:
    _scope_test(rt, o, ["address"])


@module("basic", "oidcc-scope-phone")
def scope_phone(rt: Runtime, o: Outcome) -> None:
    _scope_test(rt, o, ["phone"])


@module("basic", "oidcc-scope-all")
def scope_all(rt: Runtime, o: Outcome) -> None:
    _scope_test(rt, o, ["email", "phone", "address", "profile"],
                scope_string="openid email phone address profile")


@module("basic", "oidcc-alternate-happy-flow")
def alternate_happy_flow(rt: Runtime, o: Outcome) -> None:
    """scope-email with the scope order reversed and the query parameters reordered (RFC 6749 §3.3)."""
    _email_extra_checks(o, _scope_test(rt, o, ["email"], scope_string="email openid", reorder=True))


@module("basic", "oidcc-display-page")
def display_page(rt: Runtime, o: Outcome) -> None:
    _simple_success(rt, o, {"display": "page"}, "display=page")


@module("basic", "oidcc-display-popup")
def display_popup(rt: Runtime, o: Outcome) -> None:
    _simple_success(rt, o, {"display": "popup"}, "display=popup")


@module("basic", "oidcc-prompt-login")
def prompt_login(rt: Runtime, o: Outcome) -> None:
    """Login, then prompt=login: the OP must show the login form again; auth_time must increase if present."""
    setup_checks(rt, o)
    browser = rt.new_browser()
    first = code_flow(rt, o, browser, where="first id_token")
    rt.wait_past(1, after=first.id_claims.get("auth_time", first.id_claims.get("iat")))
    second = code_flow(rt, o, browser, extra={"prompt": "login"}, where="second id_token")
    o.check(second.response.nav.login_form_shown,
            "prompt=login did not show the login form again (the OP must re-authenticate the user)")
    a1, a2 = first.id_claims.get("auth_time"), second.id_claims.get("auth_time")
    if a1 is not None and a2 is not None and not a2 > a1:
        o.error(f"second auth_time {a2} is not later than the first {a1}")
    o.note("login form shown again for prompt=login")


@module("basic", "oidcc-prompt-none-not-logged-in")
def prompt_none_not_logged_in(rt: Runtime, o: Outcome) -> None:
    """No session + prompt=none (128-char state) → redirect with login_required or similar."""
    setup_checks(rt, o)
    client = rt.client()
    request = build_auth_request(client, state_length=128, extra={"prompt": "none"})
    response = send_auth_request(rt, o, rt.new_browser(), request)
    error = check_error_callback(rt, o, request, response, client, PROMPT_NONE_ERRORS)
    o.note(f"redirected with error={error}")


@module("basic", "oidcc-prompt-none-logged-in")
def prompt_none_logged_in(rt: Runtime, o: Outcome) -> None:
    """Login, then prompt=none → success without UI, same sub, same auth_time if present."""
    setup_checks(rt, o)
    browser = rt.new_browser()
    first = code_flow(rt, o, browser, where="first id_token")
    second = code_flow(rt, o, browser, extra={"prompt": "none"}, where="second id_token")
    o.check(not second.response.nav.ui_shown, "prompt=none with a session showed UI")
    _same_claim(o, first.id_claims, second.id_claims, "sub")
    _same_claim(o, first.id_claims, second.id_claims, "auth_time")


@module("basic", "oidcc-max-age-1")
def max_age_1(rt: Runtime, o: Outcome) -> None:
    """Login, wait 2 s, max_age=1 → re-authentication; second id_token must have a later, recent auth_time."""
    setup_checks(rt, o)
    browser = rt.new_browser()
    first = code_flow(rt, o, browser, where="first id_token")
    rt.wait_past(2, after=first.id_claims.get("auth_time", first.id_claims.get("iat")), whole_seconds=2)
    second = code_flow(rt, o, browser, extra={"max_age": "1"}, where="second id_token")
    o.check(second.response.nav.login_form_shown,
            "max_age=1 after 2 s did not show the login form again (the OP must re-authenticate the user)")
    a1, a2 = first.id_claims.get("auth_time"), second.id_claims.get("auth_time")
    if a2 is None:
        o.error("second id_token has no auth_time although max_age was requested (OIDCC-3.1.2.1)")
    else:
        if a1 is not None and not a2 > a1:
            o.error(f"second auth_time {a2} is not later than the first {a1}")
        if a2 < time.time() - checks.CLOCK_SKEW:
            o.error(f"second auth_time {a2} is not recent")


@module("basic", "oidcc-max-age-10000")
def max_age_10000(rt: Runtime, o: Outcome) -> None:
    """max_age=15000 then max_age=10000: no UI the second time; auth_time required, identical, same sub."""
    setup_checks(rt, o)
    browser = rt.new_browser()
    first = code_flow(rt, o, browser, extra={"max_age": "15000"}, where="first id_token")
    second = code_flow(rt, o, browser, extra={"max_age": "10000"}, where="second id_token")
    o.check(not second.response.nav.ui_shown, "max_age=10000 with a fresh session showed UI again")
    _same_claim(o, first.id_claims, second.id_claims, "auth_time", required=True)
    _same_claim(o, first.id_claims, second.id_claims, "sub")


@module("basic", "oidcc-ensure-request-with-unknown-parameter-succeeds")
def unknown_parameter(rt: Runtime, o: Outcome) -> None:
    _simple_success(rt, o, {"extra": "foobar"}, "an unknown parameter")


@module("basic", "oidcc-id-token-hint")
def id_token_hint(rt: Runtime, o: Outcome) -> None:
    """Login, then prompt=none + id_token_hint=first id_token → silent success, same sub/auth_time."""
    setup_checks(rt, o)
    browser = rt.new_browser()
    first = code_flow(rt, o, browser, where="first id_token")
    second = code_flow(rt, o, browser, extra={"prompt": "none", "id_token_hint": first.id_token},
                       where="second id_token")
    o.check(not second.response.nav.ui_shown, "prompt=none with id_token_hint showed UI")
    _same_claim(o, first.id_claims, second.id_claims, "sub")
    _same_claim(o, first.id_claims, second.id_claims, "auth_time")


@module("basic", "oidcc-login-hint")
def login_hint(rt: Runtime, o: Outcome) -> None:
    hint = rt.config.get("login_hint") or f"buffy@{rt.host}"
    _simple_success(rt, o, {"login_hint": hint}, f"login_hint={hint}")


@module("basic", "oidcc-ui-locales")
def ui_locales(rt: Runtime, o: Outcome) -> None:
    locales = rt.config.get("ui_locales") or "se"
    _simple_success(rt, o, {"ui_locales": locales}, f"ui_locales={locales}")


@module("basic", "oidcc-claims-locales")
def claims_locales(rt: Runtime, o: Outcome) -> None:
    _simple_success(rt, o, {"claims_locales": "se"}, "claims_locales=se")


@module("basic", "oidcc-ensure-request-with-acr-values-succeeds")
def acr_values(rt: Runtime, o: Outcome) -> None:
    """acr_values from acr_values_supported (or config, or "1 2") → success; WARNING unless acr is one of them."""
    disc = setup_checks(rt, o)
    supported = disc.get("acr_values_supported")
    values = " ".join(supported) if supported else (rt.config.get("acr_values") or "1 2")
    result = code_flow(rt, o, extra={"acr_values": values})
    acr = result.id_claims.get("acr")
    if acr not in values.split():
        o.warn(f"id_token acr {acr!r} is not one of the requested acr_values '{values}' (SHOULD, OIDCC-3.1.2.1)")


@module("basic", "oidcc-codereuse")
def codereuse(rt: Runtime, o: Outcome) -> None:
    """Redeem the code twice: 400 JSON invalid_grant expected; a 200 is only a WARNING."""
    setup_checks(rt, o)
    first = code_flow(rt, o)
    response = redeem_code(rt, o, rt.client(), first.code)
    if response.status_code == 200:
        o.warn("the OP accepted the authorization code a second time")
        return
    checks.check_token_error_response(o, response, "invalid_grant", "code reuse")


@module("basic", "oidcc-codereuse-30seconds")
def codereuse_30_seconds(rt: Runtime, o: Outcome) -> None:
    """Redeem, wait 30 s, redeem again: must be 400 JSON invalid_grant; the first access token should be revoked."""
    setup_checks(rt, o)
    first = code_flow(rt, o)
    configured = (rt.config.get("waits") or {}).get("codereuse_seconds")
    seconds = 30.0 if configured is None else float(configured)
    rt.wait(seconds)
    if seconds < 30:
        o.note(f"waited {seconds:g} s instead of 30 s (harness config waits.codereuse_seconds)")
    else:
        o.note(f"waited {seconds:g} s")
    response = redeem_code(rt, o, rt.client(), first.code)
    checks.check_token_error_response(o, response, "invalid_grant", "code reuse after the wait")
    userinfo = call_userinfo(rt, o, first.access_token)
    if 200 <= userinfo.status_code < 300:
        o.warn("the access token issued for the reused code still works at userinfo (should be revoked, RFC6749-4.1.2)")
    elif not 400 <= userinfo.status_code < 500:
        o.warn(f"userinfo with the revoked access token answered HTTP {userinfo.status_code}, expected 4xx")


@module("basic", "oidcc-ensure-registered-redirect-uri")
def registered_redirect_uri(rt: Runtime, o: Outcome) -> None:
    """Registered redirect_uri plus a random path → error page; any redirect is a FAILURE."""
    setup_checks(rt, o)
    client = rt.client()
    bad = _add_path(client.redirect_uri, random_value(10))
    request = build_auth_request(client, extra={"redirect_uri": bad})
    response = send_auth_request(rt, o, rt.new_browser(), request, stop_at=[client.redirect_uri])
    expect_error_page(o, response.nav, "unregistered redirect_uri")


@module("basic", "oidcc-ensure-post-request-succeeds")
def post_request(rt: Runtime, o: Outcome) -> None:
    """Authorization request as a form POST → must complete; if redirect_uri is never called: WARNING."""
    setup_checks(rt, o)
    client = rt.client()
    request = build_auth_request(client)
    response = send_auth_request(rt, o, rt.new_browser(), request, method="POST")
    if not response.redirected:
        o.warn("redirect_uri was not called after a POST authorization request "
               f"(browser ended at {response.nav.describe_final()})")
        return
    code = check_success_callback(rt, o, request, response, client)
    result = FlowResult(request, response, code=code)
    result.token_http = redeem_code(rt, o, client, code)
    result.tokens = checks.validate_token_response(o, result.token_http)
    result.id_token = result.tokens["id_token"]
    validate_flow_id_token(rt, o, result, client)


@module("basic", "oidcc-server-client-secret-post")
def server_client_secret_post(rt: Runtime, o: Outcome) -> None:
    """Happy path with client_secret_post (the config's client_secret_post client)."""
    setup_checks(rt, o, "client_secret_post")
    try:
        client = rt.client("client_secret_post")
    except KeyError as exc:
        o.fail(str(exc))
    client.auth_method = "client_secret_post"
    code_flow(rt, o, client=client)


@module("basic", "oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported")
def request_uri_unsigned(rt: Runtime, o: Outcome) -> None:
    o.skip(DYN_ONLY + " (the suite hosts the request_uri object for a dynamically registered client)")


@module("basic", "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported")
def unsigned_request_object(rt: Runtime, o: Outcome) -> None:
    """request=<alg:none JWT> by value; state and nonce only inside it → processed, or request_not_supported (SKIPPED)."""
    disc = setup_checks(rt, o)
    _skip_unless_unsigned_request_objects(o, disc)
    client = rt.client()
    inner = build_auth_request(client)
    outer = {k: inner.params[k] for k in ("response_type", "client_id", "scope", "redirect_uri")}
    outer["request"] = _request_object(inner.params, rt.issuer, client.client_id)
    response = send_auth_request(rt, o, rt.new_browser(), AuthRequest(outer, inner.state, inner.nonce))
    if response.redirected and response.params.get("error") == "request_not_supported":
        o.skip("the OP answered request_not_supported: request objects cannot be tested")
    code = check_success_callback(rt, o, inner, response, client)
    result = FlowResult(inner, response, code=code)
    result.token_http = redeem_code(rt, o, client, code)
    result.tokens = checks.validate_token_response(o, result.token_http)
    result.id_token = result.tokens["id_token"]
    validate_flow_id_token(rt, o, result, client)
    if disc.get("request_parameter_supported") is not True:
        o.warn("request object processed but request_parameter_supported is not true in discovery")


@module("basic", "oidcc-claims-essential")
def claims_essential(rt: Runtime, o: Outcome) -> None:
    """claims={"userinfo":{"name":{"essential":true}}} → success; WARNING if name is missing or in the id_token."""
    setup_checks(rt, o)
    claims = json.dumps({"userinfo": {"name": {"essential": True}}})
    result = code_flow(rt, o, extra={"claims": claims})
    if "name" not in (result.userinfo or {}):
        o.warn("userinfo lacks name although it was requested as an essential claim")
    if "name" in result.id_claims:
        o.warn("name is in the id_token although it was requested for userinfo only")


@module("basic", "oidcc-ensure-request-object-with-redirect-uri")
def request_object_redirect_uri(rt: Runtime, o: Outcome) -> None:
    """Valid redirect_uri inside an alg:none request object, '<uri>_invalid' in the query →
    use the object's value and succeed, or show an error page; request_not_supported via the
    registered URI (a fall-back to a default redirect URI) is a FAILURE."""
    disc = setup_checks(rt, o)
    _skip_unless_unsigned_request_objects(o, disc)
    client = rt.client()
    inner = build_auth_request(client)
    outer = {k: inner.params[k] for k in ("response_type", "client_id", "scope")}
    outer["redirect_uri"] = client.redirect_uri + "_invalid"
    outer["request"] = _request_object(inner.params, rt.issuer, client.client_id)
    request = AuthRequest(outer, inner.state, inner.nonce)
    response = send_auth_request(rt, o, rt.new_browser(), request, stop_at=[client.redirect_uri])
    if not response.redirected:
        expect_error_page(o, response.nav, "invalid redirect_uri outside the request object")
        return
    if checks.url_base(response.nav.callback) == checks.url_base(client.redirect_uri) \
            and response.params.get("error") == "request_not_supported":
        o.fail("the OP redirected request_not_supported to the registered redirect_uri although the "
               "redirect_uri parameter was invalid (EnsureOPDoesNotUseDefaultRedirectUriInCaseOfInvalidRedirectUri)")
    code = check_success_callback(rt, o, inner, response, client)
    result = FlowResult(inner, response, code=code)
    result.token_http = redeem_code(rt, o, client, code)
    result.tokens = checks.validate_token_response(o, result.token_http)
    result.id_token = result.tokens["id_token"]
    validate_flow_id_token(rt, o, result, client)
    o.note("redirect_uri from the request object was used")


# -- oidcc-refresh-token ------------------------------------------------------------------------
def _refresh(rt: Runtime, o: Outcome, client, result: FlowResult, send_scope: bool, where: str) -> str:
    """RefreshTokenRequestSteps; returns the refresh token to use later."""
    rt.wait_past(1, after=result.id_claims.get("iat"))
    form = {"grant_type": "refresh_token", "refresh_token": result.refresh_token}
    if send_scope:
        form["scope"] = result.request.params["scope"]
    response = token_request(rt, o, client, form)
    o.check(response.status_code == 200, f"{where}: refresh answered HTTP {response.status_code}: {response.text[:200]}")
    o.check(checks.is_json_response(response), f"{where}: refresh response is not JSON")
    cache = response.headers.get("Cache-Control", "")
    o.check("no-store" in cache.lower(), f"{where}: refresh response lacks Cache-Control: no-store (got {cache!r})")
    body = checks.json_body(response) or {}
    if "error" in body or response.status_code != 200:
        o.fail(f"{where}: refresh failed: {body.get('error', response.status_code)}")
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        o.fail(f"{where}: refresh response has no access_token")
    o.check(str(body.get("token_type", "")).lower() == "bearer",
            f"{where}: token_type {body.get('token_type')!r} is not Bearer")
    checks.check_access_token_entropy(o, access, f"{where}: refreshed access token")
    checks.validate_expires_in(o, body, WARNING)
    new_refresh = body.get("refresh_token")
    if new_refresh:
        checks.check_refresh_token_quality(o, new_refresh)
    if isinstance(body.get("id_token"), str):
        try:
            _, claims = checks.decode_jwt_unverified(body["id_token"])
            checks.compare_refreshed_id_token(o, result.id_claims, claims, where)
        except ValueError as exc:
            o.error(f"{where}: refreshed id_token does not parse: {exc}")
    userinfo = call_userinfo(rt, o, access)
    validate_userinfo(o, userinfo, result.id_claims, f"{where}: userinfo with the refreshed access token")
    return new_refresh or result.refresh_token


def _refresh_client(rt: Runtime, o: Outcome, browser, label: str, disc: dict, scope: str, extra: dict,
                    send_scope: bool) -> str:
    client = rt.client(label)
    where = "client" if label == "client" else "second client"
    # OIDCCRefreshToken: the second client's request uses a 43-character nonce
    result = code_flow(rt, o, browser, client, scope=scope, extra=extra, userinfo=None, where=f"{where} id_token",
                       nonce_length=10 if label == "client" else 43)
    grants = disc.get("grant_types_supported")
    if not result.refresh_token:
        if isinstance(grants, list) and "refresh_token" in grants:
            o.warn("no refresh_token issued although grant_types_supported lists refresh_token")
        o.skip("Refresh tokens cannot be tested: no refresh token was issued")
    if isinstance(grants, list) and "refresh_token" not in grants:
        o.warn("refresh_token issued but grant_types_supported does not list refresh_token")
    if not checks.VSCHAR_RE.match(result.refresh_token):
        o.error("refresh token contains characters outside RFC 6749 Appendix A.17")
    return _refresh(rt, o, client, result, send_scope, where)


@module("basic", "oidcc-refresh-token")
def refresh_token(rt: Runtime, o: Outcome) -> None:
    """Refresh with client and client2; then client presenting client2's refresh token → 400 invalid_grant."""
    disc = setup_checks(rt, o)
    offline = "offline_access" in (disc.get("scopes_supported") or [])
    scope = "openid offline_access" if offline else "openid"
    extra = {"prompt": "consent"} if offline else {}
    browser = rt.new_browser()
    _refresh_client(rt, o, browser, "client", disc, scope, extra, send_scope=True)
    try:
        rt.client("client2")
    except KeyError as exc:
        o.fail(str(exc))
    token2 = _refresh_client(rt, o, browser, "client2", disc, scope, extra, send_scope=False)
    response = token_request(rt, o, rt.client("client"), {"grant_type": "refresh_token", "refresh_token": token2})
    checks.check_token_error_response(o, response, "invalid_grant", "client 1 using client 2's refresh token")


@module("basic", "oidcc-ensure-request-with-valid-pkce-succeeds")
def valid_pkce(rt: Runtime, o: Outcome) -> None:
    """S256 code_challenge + code_verifier → must succeed."""
    setup_checks(rt, o)
    verifier, challenge = pkce_pair()
    code_flow(rt, o, extra={"code_challenge": challenge, "code_challenge_method": "S256"},
              token_extra={"code_verifier": verifier})
