"""Back-Channel Logout OP plan (checklist §2.6, ``oidcc-backchannel-rp-initiated-logout-certification-test-plan``).

The plan's two modules (OIDCCBackchannelLogoutDiscoveryEndpointVerification and
OIDCCBackChannelRpInitiatedLogout), plus one harness module that checks the logout token's ``sid``
names the session that ended and no other.

The client is the config's ``backchannel_client``: registered with ``backchannel_logout_uri``
``<receiver_base_url>/backchannel_logout``, ``backchannel_logout_session_required`` and the
post_logout_redirect_uri, as the suite asks of static clients.  The harness's receiver
(:mod:`oidfh.receiver`) takes the OP's POSTs and answers 200 with ``Cache-Control: no-store``.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from . import checks
from .browser import Browser
from .flow import build_auth_request, code_flow, send_auth_request
from .plan_config import check_all_endpoints_https
from .plan_logout import UI_REQUIRED_ERRORS, LogoutRun
from .receiver import Received
from .registry import module
from .result import Outcome
from .runtime import Client, Runtime

PATH = "/backchannel_logout"
CLIENT = "backchannel_client"
# The suite waits for the back-channel request without a time limit (the test stays WAITING); the
# harness gives the OP this long after the browser came back (yimen delivers within a second).
WAIT_SECONDS = 10.0


def _backchannel_client(rt: Runtime, o: Outcome) -> Client:
    try:
        client = rt.client(CLIENT)
    except KeyError as exc:
        o.skip(f"{exc}: register a client with backchannel_logout_uri <receiver_base_url>{PATH}")
    block = rt.config[CLIENT]
    expected = rt.receiver(o).url(PATH)
    registered = block.get("backchannel_logout_uri")
    if registered and registered != expected:
        o.fail(f"{CLIENT}.backchannel_logout_uri {registered} is not the receiver's {expected}")
    return client


def _logout_tokens(received: list[Received]) -> list[tuple[Received, str]]:
    """(request, logout_token) for every POST that carries a logout_token."""
    out = []
    for entry in received:
        tokens = entry.form.get("logout_token") if entry.method == "POST" else None
        if tokens:
            out.append((entry, tokens[0]))
    return out


def _claims_of(token: str) -> dict:
    try:
        return checks.decode_jwt_unverified(token)[1]
    except Exception:  # noqa: BLE001 - not a JWT: reported when the request is validated
        return {}


def validate_backchannel_request(rt: Runtime, o: Outcome, entry: Received, client: Client, id_claims: dict,
                                 session_required: bool) -> dict:
    """validateLogoutResults, the back-channel half: ExtractLogoutTokenFromBackchannelLogoutRequest,
    CheckForUnexpectedParametersInBackchannelLogoutRequest (WARNING), ValidateLogoutTokenSignature,
    ValidateLogoutTokenClaims, CheckIdToken{Sub,Sid}MatchesLogoutToken, CheckLogoutTokenNoNonce,
    CheckLogoutTokenHasSubOrSid.  Returns the logout token's claims."""
    where = "logout token"
    if entry.method != "POST":
        o.error(f"the OP called backchannel_logout_uri with {entry.method}, not POST (OIDCBCL-2.5)")
    if entry.content_type != "application/x-www-form-urlencoded":
        o.error(f"the back-channel logout request is {entry.content_type or 'untyped'}, not "
                "application/x-www-form-urlencoded (OIDCBCL-2.5)")
    form = entry.form
    tokens = form.get("logout_token") or []
    if len(tokens) != 1 or not tokens[0]:
        o.fail(f"the back-channel logout request has {len(tokens)} logout_token parameters, not one (OIDCBCL-2.5)")
    extra = sorted(set(form) - {"logout_token"})
    if extra:
        o.warn(f"unexpected parameters in the back-channel logout request: {extra}")
    try:
        header, claims = checks.decode_jwt_unverified(tokens[0])
    except Exception as exc:  # noqa: BLE001
        o.fail(f"{where} is not a signed JWT: {exc}")
    checks.check_logout_token_typ(o, header, where)
    problem = checks.verify_jws_signature(tokens[0], header, rt.jwks(o), what=where)
    if problem and checks.NO_KEY_WITH_KID in problem:
        problem = checks.verify_jws_signature(tokens[0], header, rt.jwks(o, refresh=True), what=where)
    if problem:
        o.error(f"{where}: {problem}")
    checks.validate_logout_token_claims(o, claims, issuer=rt.issuer, client_id=client.client_id, where=where)
    checks.check_logout_token_session(o, claims, id_claims, where)
    if session_required and "sid" not in claims:
        o.error(f"{where} has no sid although the client registered backchannel_logout_session_required "
                "(OIDCBCL-2.2; the suite only requires sub or sid)")
    return claims


# ---------------------------------------------------------------------------------------------
# modules
# ---------------------------------------------------------------------------------------------
@module("backchannel", "oidcc-backchannel-logout-discovery-endpoint-verification")
def backchannel_discovery(rt: Runtime, o: Outcome) -> None:
    """CheckDiscEndpointAllEndpointsAreHttps, CheckDiscEndpointBackchannelLogoutSupported,
    CheckDiscEndpointBackchannelLogoutSessionSupported (required for certification) and
    CheckDiscEndSessionEndpoint; all FAILURE."""
    disc = rt.discovery(o)
    check_all_endpoints_https(o, disc)
    for key in ("backchannel_logout_supported", "backchannel_logout_session_supported"):
        if disc.get(key) is not True:
            o.error(f"discovery {key} is {disc.get(key)!r}, not true (OIDCBCL-2.1)")
    end_session = disc.get("end_session_endpoint")
    if not isinstance(end_session, str) or not urlsplit(end_session).netloc:
        o.error("discovery has no valid end_session_endpoint (OIDCBCL-3)")


@module("backchannel", "oidcc-backchannel-rp-initiated-logout")
def backchannel_rp_initiated_logout(rt: Runtime, o: Outcome) -> None:
    """Login, RP-initiated logout with id_token_hint, post_logout_redirect_uri and state; then the OP
    must POST a valid logout token to backchannel_logout_uri and redirect the browser with state, and
    a following prompt=none authorization must fail."""
    client = _backchannel_client(rt, o)
    receiver = rt.receiver(o)
    session_required = bool(rt.config[CLIENT].get("backchannel_logout_session_required", True))
    run = LogoutRun(rt, o, CLIENT)
    since = time.time()
    nav = run.end_session_request(run.default_params())
    run.expect_post_logout_redirect(nav, run.state)
    received = receiver.wait_for(PATH, since, lambda r: r.method == "POST", WAIT_SECONDS)
    posts = [r for r in received if r.method == "POST"] or received
    if not posts:
        o.error(f"the OP did not call backchannel_logout_uri within {WAIT_SECONDS:g} s of the logout")
    else:
        if len(posts) > 1:
            o.note(f"{len(posts)} back-channel requests; the first is validated")
        claims = validate_backchannel_request(rt, o, posts[0], client, run.flow.id_claims, session_required)
        o.note(f"logout token received {posts[0].at - since:.1f} s after the logout request "
               f"(sid {'matches' if 'sid' in claims else 'absent'})")
    error = run.expect_prompt_none_fails()
    o.note(f"prompt=none then gave error={error}")


def _prompt_none(rt: Runtime, o: Outcome, browser: Browser, client: Client):
    request = build_auth_request(client, state_length=128, extra={"prompt": "none"})
    return request, send_auth_request(rt, o, browser, request)


@module("backchannel", "harness-backchannel-logout-sid-names-the-ended-session")
def backchannel_sid_per_session(rt: Runtime, o: Outcome) -> None:
    """Harness module (no suite counterpart): the same person signs in to the back-channel client in
    two browsers (two OP sessions), then logs out in the first.  Each id_token has a sid and the two
    differ; the logout tokens sent name the first session's sid; the second session's sid is named
    only if that session ended too (then a logout token for it is required)."""
    client = _backchannel_client(rt, o)
    receiver = rt.receiver(o)
    disc = rt.discovery(o)
    run = LogoutRun(rt, o, CLIENT)
    second_browser = rt.new_browser()
    second = code_flow(rt, o, second_browser, client, state_length=128, where="second session id_token")
    sid_a, sid_b = run.flow.id_claims.get("sid"), second.id_claims.get("sid")
    if disc.get("backchannel_logout_session_supported") is True:
        for label, sid in (("first", sid_a), ("second", sid_b)):
            o.check(isinstance(sid, str) and bool(sid),
                    f"the {label} session's id_token has no sid although backchannel_logout_session_supported "
                    "is true (OIDCBCL-2.1)")
    if not sid_a or not sid_b:
        o.fail("without a sid in both id_tokens the sessions cannot be told apart")
    if sid_a == sid_b:
        o.fail(f"two browsers (two OP sessions) got the same sid {sid_a!r}")

    since = time.time()
    nav = run.end_session_request(run.default_params())
    run.expect_post_logout_redirect(nav, run.state)
    receiver.wait_for(PATH, since, lambda r: any(_claims_of(t).get("sid") == sid_a for _, t in _logout_tokens([r])),
                      WAIT_SECONDS)
    time.sleep(1.5)                 # a token for the other session would come with the first
    tokens = _logout_tokens(receiver.received(PATH, since))
    sids = [_claims_of(token).get("sid") for _, token in tokens]
    first = [(entry, token) for (entry, token), sid in zip(tokens, sids) if sid == sid_a]
    if not first:
        o.error(f"no logout token with the ended session's sid within {WAIT_SECONDS:g} s "
                f"(received sids: {sids})")
    else:
        validate_backchannel_request(rt, o, first[0][0], client, run.flow.id_claims, session_required=True)
    strangers = [sid for sid in sids if sid not in (sid_a, sid_b)]
    if strangers:
        o.error(f"logout tokens name sids of neither session: {strangers}")

    error = run.expect_prompt_none_fails()
    request, response = _prompt_none(rt, o, second_browser, client)
    second_ended = response.redirected and response.params.get("error") in UI_REQUIRED_ERRORS
    if second_ended:
        if sid_b not in sids:
            o.error("the second session ended as well, but no logout token named its sid")
        o.note("the OP ended both sessions (a logout token for each)")
    else:
        if sid_b in sids:
            o.error("a logout token named the second session's sid although that session is still active")
        if not (response.redirected and response.params.get("code")):
            o.error(f"prompt=none in the second browser neither succeeded nor asked for the user: "
                    f"{response.params or response.nav.describe_final()}")
        o.note(f"only the first session ended (prompt=none there: {error}); the second still signs in silently")
