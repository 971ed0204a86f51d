"""Config OP plan (checklist §2.2): ``oidcc-discovery-endpoint-verification`` (static client variant)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from . import checks
from .registry import module
from .result import WARNING, Outcome
from .runtime import WELL_KNOWN, Runtime

OIDC_RESPONSE_TYPES = {frozenset(t.split()) for t in
                       ("code", "id_token", "id_token token", "code id_token", "code token", "code id_token token")}

URL_METADATA = {
    "issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "registration_endpoint",
    "end_session_endpoint", "check_session_iframe", "revocation_endpoint", "introspection_endpoint",
    "pushed_authorization_request_endpoint", "device_authorization_endpoint", "backchannel_authentication_endpoint",
    "service_documentation", "op_policy_uri", "op_tos_uri", "signed_jwks_uri", "federation_registration_endpoint",
    "credential_endpoint", "grant_management_endpoint", "resource_registration_endpoint",
}
ARRAY_METADATA = {
    "scopes_supported", "response_types_supported", "response_modes_supported", "grant_types_supported",
    "acr_values_supported", "subject_types_supported", "id_token_signing_alg_values_supported",
    "id_token_encryption_alg_values_supported", "id_token_encryption_enc_values_supported",
    "userinfo_signing_alg_values_supported", "userinfo_encryption_alg_values_supported",
    "userinfo_encryption_enc_values_supported", "request_object_signing_alg_values_supported",
    "request_object_encryption_alg_values_supported", "request_object_encryption_enc_values_supported",
    "token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported",
    "display_values_supported", "claim_types_supported", "claims_supported", "claims_locales_supported",
    "ui_locales_supported", "code_challenge_methods_supported", "revocation_endpoint_auth_methods_supported",
    "revocation_endpoint_auth_signing_alg_values_supported", "introspection_endpoint_auth_methods_supported",
    "introspection_endpoint_auth_signing_alg_values_supported", "dpop_signing_alg_values_supported",
    "authorization_signing_alg_values_supported", "authorization_encryption_alg_values_supported",
    "authorization_encryption_enc_values_supported", "backchannel_token_delivery_modes_supported",
    "backchannel_authentication_request_signing_alg_values_supported", "introspection_signing_alg_values_supported",
    "introspection_encryption_alg_values_supported", "introspection_encryption_enc_values_supported",
    "prompt_values_supported", "authorization_details_types_supported", "acr_claims_supported",
    "grant_management_actions_supported", "client_registration_types_supported",
}
BOOLEAN_METADATA = {
    "claims_parameter_supported", "request_parameter_supported", "request_uri_parameter_supported",
    "require_request_uri_registration", "frontchannel_logout_supported", "frontchannel_logout_session_supported",
    "backchannel_logout_supported", "backchannel_logout_session_supported",
    "tls_client_certificate_bound_access_tokens", "authorization_response_iss_parameter_supported",
    "require_pushed_authorization_requests", "require_signed_request_object",
    "backchannel_user_code_parameter_supported", "grant_management_action_required",
    "verified_claims_supported",
}
OTHER_METADATA = {"mtls_endpoint_aliases", "signed_metadata", "trust_frameworks_supported",
                  "evidence_supported", "documents_supported", "id_documents_supported",
                  "claims_in_verified_claims_supported"}

SCOPE_TOKEN_RE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")
LOCALE_RE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def _valid_url(value: object) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _canonical_locale(tag: str) -> str:
    """BCP 47 canonical casing: language lower, script Title, region UPPER."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) == 2 and part.isalpha() or len(part) == 3 and part.isdigit():
            out.append(part.upper())
        else:
            out.append(part.lower())
    return "-".join(out)


def check_schema(o: Outcome, disc: dict) -> None:
    """Schema check of the discovery document: types of the known metadata; unknown metadata is a WARNING."""
    for key, value in disc.items():
        if key in URL_METADATA:
            o.check(_valid_url(value), f"{key} {value!r} is not a valid URL")
        elif key in ARRAY_METADATA:
            o.check(isinstance(value, list) and all(isinstance(v, str) for v in value),
                    f"{key} is not an array of strings")
        elif key in BOOLEAN_METADATA:
            o.check(isinstance(value, bool), f"{key} {value!r} is not a boolean")
    unknown = sorted(set(disc) - URL_METADATA - ARRAY_METADATA - BOOLEAN_METADATA - OTHER_METADATA)
    if unknown:
        o.warn(f"unknown metadata in discovery: {', '.join(unknown)}")


def check_all_endpoints_https(o: Outcome, disc: dict) -> None:
    """CheckDiscEndpointAllEndpointsAreHttps: every *_endpoint, jwks_uri and mTLS alias is https
    (FAILURE; WARNING on a loopback host, see Outcome.require_https)."""
    for key, value in disc.items():
        if key.endswith("_endpoint") or key in ("jwks_uri", "check_session_iframe"):
            o.require_https(value, key)
    aliases = disc.get("mtls_endpoint_aliases")
    if isinstance(aliases, dict):
        for key, value in aliases.items():
            o.require_https(value, f"mtls_endpoint_aliases.{key}")


def _check_endpoints(o: Outcome, disc: dict) -> None:
    for key in ("authorization_endpoint", "token_endpoint"):
        o.check(_valid_url(disc.get(key)), f"{key} is missing or not a valid URL")
    if "userinfo_endpoint" not in disc:
        o.warn("no userinfo_endpoint in discovery (recommended, OIDCD-3)")
    else:
        o.check(_valid_url(disc["userinfo_endpoint"]), "userinfo_endpoint is not a valid URL")
    if "registration_endpoint" in disc:
        o.check(_valid_url(disc["registration_endpoint"]), "registration_endpoint is not a valid URL")


def _check_jwks(rt: Runtime, o: Outcome, disc: dict) -> None:
    """CheckJwksUri + FetchServerKeys + ValidateServerJWKs + EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys."""
    if not _valid_url(disc.get("jwks_uri")):
        o.error("jwks_uri is missing or not a valid URL")
        return
    jwks = rt.jwks(o)
    checks.validate_server_jwks(o, jwks, stop=False)


def _check_algs_and_types(o: Outcome, disc: dict) -> None:
    types = disc.get("response_types_supported")
    o.check(isinstance(types, list) and any(frozenset(str(t).split()) in OIDC_RESPONSE_TYPES for t in types),
            f"response_types_supported {types!r} holds no OpenID Connect response type")
    subjects = disc.get("subject_types_supported")
    o.check(isinstance(subjects, list) and ("public" in subjects or "pairwise" in subjects),
            f"subject_types_supported {subjects!r} contains neither public nor pairwise")
    algs = disc.get("id_token_signing_alg_values_supported")
    o.check(isinstance(algs, list) and "RS256" in algs,
            f"id_token_signing_alg_values_supported {algs!r} does not contain RS256")
    if "userinfo_signing_alg_values_supported" in disc:
        value = disc["userinfo_signing_alg_values_supported"]
        o.check(isinstance(value, list) and all(isinstance(v, str) for v in value),
                "userinfo_signing_alg_values_supported is not an array of algorithm names")
    if "request_object_signing_alg_values_supported" in disc:
        value = disc["request_object_signing_alg_values_supported"]
        o.check(isinstance(value, list) and "RS256" in value,
                "request_object_signing_alg_values_supported does not include RS256", severity=WARNING)


def _check_claims_grants_scopes(o: Outcome, disc: dict) -> None:
    if "claims_supported" not in disc:
        o.warn("no claims_supported in discovery (recommended)")
    if "grant_types_supported" in disc:
        grants = disc["grant_types_supported"]
        o.check(isinstance(grants, list) and len(grants) > 0, "grant_types_supported is not a non-empty array")
    scopes = disc.get("scopes_supported")
    if scopes is None:
        o.warn("no scopes_supported in discovery")
    else:
        o.check(isinstance(scopes, list) and "openid" in scopes, "scopes_supported does not contain openid")
        for scope in scopes if isinstance(scopes, list) else []:
            o.check(isinstance(scope, str) and bool(SCOPE_TOKEN_RE.match(scope)),
                    f"scopes_supported entry {scope!r} is not valid scope syntax (RFC 6749 §3.3)")


def _check_locales(o: Outcome, disc: dict) -> None:
    """CheckDiscEndpointLocalesSyntax (FAILURE) and ...LocalesCanonicalCasing (WARNING)."""
    for key in ("claims_locales_supported", "ui_locales_supported"):
        for tag in disc.get(key) or []:
            if not isinstance(tag, str) or not LOCALE_RE.match(tag):
                o.error(f"{key} entry {tag!r} is not a BCP 47 language tag")
            elif tag != _canonical_locale(tag):
                o.warn(f"{key} entry {tag!r} is not in canonical casing ({_canonical_locale(tag)})")


@module("config", "oidcc-discovery-endpoint-verification")
def discovery_endpoint_verification(rt: Runtime, o: Outcome) -> None:
    """OIDCCDiscoveryEndpointVerification with the static-client rules."""
    response = rt.discovery_response()
    if response is None:
        o.fail(f"cannot fetch {rt.discovery_url}")
    o.check(response.status_code == 200, f"discovery answered HTTP {response.status_code}")
    o.check(checks.is_json_response(response),
            f"discovery Content-Type is {response.headers.get('Content-Type')!r}, not application/json")
    disc = rt.discovery(o)

    # CheckDiscEndpointDiscoveryUrl, CheckDiscEndpointIssuer, CheckDiscEndpointIssuerIsValidUrl
    o.require_https(rt.discovery_url, "discovery URL")
    o.check(rt.discovery_url.endswith(WELL_KNOWN), f"discovery URL does not end with {WELL_KNOWN}")
    issuer = disc.get("issuer")
    if not _valid_url(issuer) or urlsplit(issuer).query or urlsplit(issuer).fragment:
        o.error(f"issuer {issuer!r} is not a valid URL without query or fragment")
    else:
        o.require_https(issuer, "issuer")
        o.check(issuer.rstrip("/") + WELL_KNOWN == rt.discovery_url,
                f"issuer {issuer!r} is not consistent with the discovery URL {rt.discovery_url}")

    check_schema(o, disc)
    _check_algs_and_types(o, disc)
    _check_endpoints(o, disc)
    _check_jwks(rt, o, disc)
    for flag in ("request_parameter_supported", "request_uri_parameter_supported", "claims_parameter_supported"):
        o.note(f"{flag}={disc.get(flag, '(absent)')}")
    _check_claims_grants_scopes(o, disc)
    _check_locales(o, disc)
    check_all_endpoints_https(o, disc)
    if "code_challenge_methods_supported" in disc:
        o.check(isinstance(disc["code_challenge_methods_supported"], list),
                "code_challenge_methods_supported is not an array")
