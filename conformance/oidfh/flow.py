"""The common OIDCC code flow (checklist §1; the suite's AbstractOIDCCServerTest).

``code_flow`` performs: authorization request through the browser → callback checks → token
request → id_token checks → userinfo call, recording findings in the module's Outcome.  Modules
customise it with keyword arguments instead of subclassing.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests

from . import checks
from .browser import Browser, Navigation
from .result import Outcome
from .runtime import Client, Runtime

ALPHANUM = string.ascii_letters + string.digits


def random_value(length: int = 10) -> str:
    """CreateRandomStateValue / CreateRandomNonceValue (10 characters unless a module asks for more)."""
    return "".join(secrets.choice(ALPHANUM) for _ in range(length))


@dataclass
class AuthRequest:
    params: dict
    state: str | None
    nonce: str | None


@dataclass
class AuthResponse:
    nav: Navigation
    params: dict = field(default_factory=dict)
    fragment_params: dict = field(default_factory=dict)    # never read in the code flow; for diagnostics

    def fragment_hint(self, name: str) -> str:
        """Explains a missing query parameter that the OP put in the fragment instead."""
        if name in self.fragment_params and name not in self.params:
            return (f" ({name} was in the URL fragment; the code flow reads the authorization response "
                    "from the query only, OIDCC-3.1.2.5)")
        return ""

    @property
    def redirected(self) -> bool:
        return self.nav.callback is not None


@dataclass
class FlowResult:
    request: AuthRequest
    response: AuthResponse
    code: str | None = None
    token_http: requests.Response | None = None
    tokens: dict = field(default_factory=dict)
    id_token: str | None = None
    id_header: dict = field(default_factory=dict)
    id_claims: dict = field(default_factory=dict)
    userinfo_http: requests.Response | None = None
    userinfo: dict | None = None

    @property
    def access_token(self) -> str | None:
        return self.tokens.get("access_token")

    @property
    def refresh_token(self) -> str | None:
        return self.tokens.get("refresh_token")


# ---------------------------------------------------------------------------------------------
# authorization endpoint
# ---------------------------------------------------------------------------------------------
def build_auth_request(client: Client, scope: str = "openid", *, state_length: int = 10,
                       nonce: bool = True, response_type: str | None = "code",
                       extra: dict | None = None, reverse_params: bool = False,
                       nonce_length: int = 10) -> AuthRequest:
    """CreateAuthorizationEndpointRequestFromClientInformation + state + nonce + response_type.

    ``extra`` adds parameters; a value of None removes one.
    """
    state = random_value(state_length) if state_length else None
    nonce_value = random_value(nonce_length) if nonce else None
    params: dict = {"client_id": client.client_id, "redirect_uri": client.redirect_uri, "scope": scope}
    if state is not None:
        params["state"] = state
    if nonce_value is not None:
        params["nonce"] = nonce_value
    if response_type is not None:
        params["response_type"] = response_type
    for key, value in (extra or {}).items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    if reverse_params:   # oidcc-alternate-happy-flow: the query parameters in another order
        params = dict(reversed(list(params.items())))
    return AuthRequest(params, params.get("state"), params.get("nonce"))


def send_auth_request(rt: Runtime, o: Outcome, browser: Browser, request: AuthRequest,
                      method: str = "GET", stop_at: list[str] | None = None) -> AuthResponse:
    """Send the browser to the authorization endpoint (GET query, or a form POST) and follow it."""
    endpoint = rt.endpoint(o, "authorization_endpoint")
    stops = list(stop_at or []) + [request.params.get("redirect_uri", "")]
    try:
        if method == "POST":
            nav = browser.navigate(endpoint, stops, method="POST", data=request.params)
        else:
            separator = "&" if "?" in endpoint else "?"
            nav = browser.navigate(endpoint + separator + urlencode(request.params), stops)
    except requests.RequestException as exc:
        o.fail(f"browser request failed: {exc}")
    response = AuthResponse(nav)
    if nav.callback is not None:
        if nav.callback_method == "POST":
            response.params = dict(nav.callback_body or {})
        else:
            # response_type=code, default response mode: the suite maps authorization_endpoint_response
            # to callback_query_params, so parameters in the fragment are not seen
            response.params = checks.callback_params(nav.callback, "query")
            response.fragment_params = checks.callback_params(nav.callback, "fragment")
    return response


def expect_callback(o: Outcome, response: AuthResponse, redirect_uri: str) -> None:
    """The flow must come back to the client's redirect_uri (the suite waits for the callback)."""
    nav = response.nav
    if nav.callback is None:
        o.fail(f"no redirect to the client's redirect_uri; browser ended at {nav.describe_final()}")
    if checks.url_base(nav.callback) != checks.url_base(redirect_uri):
        o.fail(f"OP redirected to {checks.url_base(nav.callback)} instead of {checks.url_base(redirect_uri)}")


def check_success_callback(rt: Runtime, o: Outcome, request: AuthRequest, response: AuthResponse,
                           client: Client) -> str:
    """onAuthorizationCallbackResponse for the code flow; returns the code."""
    expect_callback(o, response, client.redirect_uri)
    checks.check_callback_redirect_query(o, response.nav.callback, client.redirect_uri)
    checks.check_authorization_error(o, response.params)
    checks.check_state(o, response.params, request.state)
    checks.check_iss(o, response.params, rt.issuer)
    code = response.params.get("code")
    if not code:
        o.fail("authorization response has no code" + response.fragment_hint("code"))
    return code


def check_error_callback(rt: Runtime, o: Outcome, request: AuthRequest, response: AuthResponse,
                         client: Client, allowed: tuple[str, ...]) -> str:
    """A redirect carrying an error from ``allowed`` (FAILURE otherwise) + the generic error checks."""
    expect_callback(o, response, client.redirect_uri)
    error = response.params.get("error")
    if error is None:
        what = "a code" if "code" in response.params else "no error"
        o.fail(f"expected an error ({' / '.join(allowed)}) but the OP redirected with {what}"
               + response.fragment_hint("error"))
    checks.validate_authorization_error_response(o, response.params, request.state, rt.issuer)
    if error not in allowed:
        o.error(f"error={error} is not one of {', '.join(allowed)}")
    return error


# ---------------------------------------------------------------------------------------------
# token endpoint
# ---------------------------------------------------------------------------------------------
def basic_header(client_id: str, secret: str) -> str:
    """AddBasicAuthClientSecretToRequest: HTTP Basic credentials, with client id and secret each
    form-urlencoded before base64 (RFC 6749 §2.3.1), always; an OP that cannot decode them fails."""
    credentials = f"{checks.form_urlencode(client_id)}:{checks.form_urlencode(secret)}"
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def token_request(rt: Runtime, o: Outcome, client: Client, form: dict,
                  auth_method: str | None = None) -> requests.Response:
    """CallTokenEndpoint with client_secret_basic or client_secret_post (or none)."""
    endpoint = rt.endpoint(o, "token_endpoint")
    method = auth_method or client.auth_method
    data = dict(form)
    headers = {"Accept": "application/json"}
    secret = client.client_secret or ""
    if method == "client_secret_basic":
        headers["Authorization"] = basic_header(client.client_id, secret)
    elif method == "client_secret_post":
        data["client_id"] = client.client_id
        data["client_secret"] = secret
    else:
        data["client_id"] = client.client_id
    try:
        return rt.http.post(endpoint, data=data, headers=headers, timeout=rt.timeout)
    except requests.RequestException as exc:
        o.fail(f"token request failed: {exc}")


def redeem_code(rt: Runtime, o: Outcome, client: Client, code: str, extra: dict | None = None,
                auth_method: str | None = None) -> requests.Response:
    """CreateTokenEndpointRequestForAuthorizationCodeGrant + client authentication + call."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": client.redirect_uri}
    form.update(extra or {})
    return token_request(rt, o, client, form, auth_method)


def validate_flow_id_token(rt: Runtime, o: Outcome, result: FlowResult, client: Client,
                           where: str = "id_token", kid_required: bool = False) -> None:
    """performIdTokenValidation on the token-endpoint id_token, plus at_hash/c_hash if present, and
    the signing alg the client registered (RS256 by default)."""
    header, claims = checks.validate_id_token(
        o, result.id_token, issuer=rt.issuer, client_id=client.client_id, nonce=result.request.nonce,
        jwks_provider=lambda refresh: rt.jwks(o, refresh), where=where, expected_alg=client.id_token_alg,
        kid_required=kid_required)
    checks.validate_hash_claim(o, claims, header, "at_hash", result.access_token, where)
    checks.validate_hash_claim(o, claims, header, "c_hash", result.code, where)
    result.id_header, result.id_claims = header, claims


# ---------------------------------------------------------------------------------------------
# userinfo
# ---------------------------------------------------------------------------------------------
def call_userinfo(rt: Runtime, o: Outcome, access_token: str, how: str = "get") -> requests.Response:
    """CallProtectedResourceWithBearerToken / CallUserInfoEndpointWith{Bearer,Body}: get, post-header, post-body."""
    endpoint = rt.endpoint(o, "userinfo_endpoint")
    headers = {"Accept": "application/json"}
    try:
        if how == "get":
            headers["Authorization"] = f"Bearer {access_token}"
            return rt.http.get(endpoint, headers=headers, timeout=rt.timeout)
        if how == "post-header":
            headers["Authorization"] = f"Bearer {access_token}"
            return rt.http.post(endpoint, headers=headers, timeout=rt.timeout)
        return rt.http.post(endpoint, data={"access_token": access_token}, headers=headers,
                            timeout=rt.timeout)
    except requests.RequestException as exc:
        o.fail(f"userinfo request failed: {exc}")


def validate_userinfo(o: Outcome, response: requests.Response, id_claims: dict, where: str = "userinfo") -> dict:
    """AbstractOIDCCUserInfoTest.validateExtractedUserInfoResponse: HTTP 200 (EnsureHttpStatusCodeIs200),
    a JSON object (EnsureContentTypeJson), ValidateUserInfoStandardClaims, EnsureUserInfoContainsSub,
    EnsureUserInfoUpdatedAtValid, _claim_names → _claim_sources, and
    VerifyUserInfoAndIdTokenInTokenEndpointSameSub.  All FAILURE."""
    if response.status_code != 200:
        o.fail(f"{where} answered HTTP {response.status_code}: {response.text[:200]}")
    o.check(checks.is_json_response(response),
            f"{where} Content-Type is {response.headers.get('Content-Type')!r}, not application/json")
    body = checks.json_body(response)
    if body is None:
        o.fail(f"{where} response is not a JSON object")
    if not isinstance(body.get("sub"), str) or not body.get("sub"):
        o.error(f"{where} response has no sub")
    elif not id_claims.get("sub"):
        o.error("the id_token has no sub to compare with userinfo's")
    elif body["sub"] != id_claims["sub"]:
        o.error(f"{where} sub {body['sub']!r} != id_token sub {id_claims['sub']!r} (OIDCC-5.3.2)")
    checks.check_standard_claims(o, body, where)
    checks.check_updated_at(o, body, where)
    checks.check_claim_sources(o, body)
    return body


# ---------------------------------------------------------------------------------------------
# the whole flow
# ---------------------------------------------------------------------------------------------
def code_flow(rt: Runtime, o: Outcome, browser: Browser | None = None, client: Client | None = None, *,
              scope: str = "openid", extra: dict | None = None, state_length: int = 10,
              nonce: bool = True, method: str = "GET", token_extra: dict | None = None,
              userinfo: str | None = "get", expires_in_missing: str | None = None,
              check_code: bool = False, where: str = "id_token", reverse_params: bool = False,
              kid_required: bool = False, nonce_length: int = 10) -> FlowResult:
    """One complete authorization-code flow with every §1 check.

    ``userinfo``: how to call userinfo after the token request (None: don't).  A non-200 answer
    there is a FAILURE, as in the suite's CallProtectedResource; the response is then validated as
    the userinfo modules do (sub equal to the id_token's, claim types, updated_at).
    """
    client = client or rt.client("client")
    browser = browser or rt.new_browser()
    request = build_auth_request(client, scope, state_length=state_length, nonce=nonce, extra=extra,
                                 reverse_params=reverse_params, nonce_length=nonce_length)
    response = send_auth_request(rt, o, browser, request, method)
    result = FlowResult(request, response)
    result.code = check_success_callback(rt, o, request, response, client)
    if check_code:
        checks.check_code_quality(o, result.code)

    result.token_http = redeem_code(rt, o, client, result.code, token_extra)
    result.tokens = checks.validate_token_response(o, result.token_http, expires_in_missing)
    result.id_token = result.tokens["id_token"]
    validate_flow_id_token(rt, o, result, client, where, kid_required)

    if userinfo:
        result.userinfo_http = call_userinfo(rt, o, result.access_token, userinfo)
        result.userinfo = validate_userinfo(o, result.userinfo_http, result.id_claims, f"userinfo ({userinfo})")
    return result


def setup_checks(rt: Runtime, o: Outcome, auth_method: str = "client_secret_basic") -> dict:
    """AbstractOIDCCServerTest.configure: discovery, CheckServerConfiguration, JWKS and kid checks,
    and the client authentication method.  Returns the discovery document."""
    disc = rt.discovery(o)
    checks.check_server_configuration(o, disc)
    jwks = rt.jwks(o)
    checks.validate_server_jwks(o, jwks)
    checks.check_kids(o, jwks)
    checks.check_auth_method_supported(o, disc, auth_method)
    return disc


def pkce_pair() -> tuple[str, str]:
    """An RFC 7636 S256 code_verifier and code_challenge."""
    verifier = checks.b64url_encode(secrets.token_bytes(32))
    challenge = checks.b64url_encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge



def expect_error_page(o: Outcome, nav: Navigation, why: str, shown: str = "error page") -> None:
    """The suite's "error page (screenshot)" placeholder: the OP must show the user a page and must
    not redirect to the client.  We require a non-redirect response; non-HTML is a WARNING (a human
    reviewing the screenshot would see no error page); the status (ideally 4xx) is reported."""
    if nav.callback is not None:
        o.fail(f"OP redirected to {checks.url_base(nav.callback)} ({why}); it must show an error page instead")
    if nav.gave_up:
        o.fail(nav.gave_up)
    if nav.final is None:
        o.fail("no response from the OP")
    if nav.final.status_code >= 500:
        o.error(f"the {shown} is an HTTP {nav.final.status_code} server error ({nav.describe_final()}); "
                "the OP must detect the problem and answer it, not fail (4xx expected)")
    if not nav.final_is_html:
        o.warn(f"{shown} is not HTML: {nav.describe_final()}")
    forms = f" after {nav.forms_submitted} form submission(s)" if nav.forms_submitted else ""
    o.note(f"no redirect; {shown} shown{forms}: {nav.describe_final()}")
