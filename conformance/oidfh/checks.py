"""The checklist's §1 common checks, each named after the suite condition it mirrors.

Every function takes an :class:`~oidfh.result.Outcome` first and records what it finds at the
severity the suite uses (FAILURE unless stated).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import math
import re
import time
from collections import Counter
from urllib.parse import parse_qsl, urlsplit

import jwt
from jwt.algorithms import get_default_algorithms

from .result import WARNING, Outcome

CLOCK_SKEW = 5 * 60
FIFTY_YEARS = 50 * 365 * 24 * 3600
ONE_YEAR = 365 * 24 * 3600

PRIVATE_JWK_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")

# ValidateIdToken / oidcc-server: the claims allowed in an id_token when only scope=openid was asked.
ID_TOKEN_ALLOWED_CLAIMS = {"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp",
                           "at_hash", "c_hash", "nbf", "jti", "sid", "s_hash"}

# AbstractValidateOpenIdStandardClaims
STRING_CLAIMS = ("sub", "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username",
                 "profile", "picture", "website", "email", "gender", "birthdate", "zoneinfo", "locale",
                 "phone_number", "txn")
BOOLEAN_CLAIMS = ("email_verified", "phone_number_verified")
ADDRESS_MEMBERS = ("formatted", "street_address", "locality", "region", "postal_code", "country")
# ValidateIdTokenStandardClaims.idTokenNonIdentityClaims: not checked as standard claims in an id_token
ID_TOKEN_NON_IDENTITY_CLAIMS = {"iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "c_hash",
                                "at_hash", "s_hash", "jti", "nbf", "verified_claims"}
# AbstractUpdatedAtValid: an updated_at before 1990 predates the web
UPDATED_AT_FLOOR = 631152000        # 1990-01-01T00:00:00Z

# RFC 6749 §5.2 / §4.1.2.1 character sets
ERROR_CODE_RE = re.compile(r"^[\x20-\x21\x23-\x5B\x5D-\x7E]+$")
ERROR_DESCRIPTION_RE = re.compile(r"^[\x20-\x21\x23-\x5B\x5D-\x7E\r\n\t]*$")
ERROR_URI_RE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]*$")
# RFC 6749 Appendix A.12 / A.17 (access_token, refresh_token): VSCHAR = %x20-7E
VSCHAR_RE = re.compile(r"^[\x20-\x7E]+$")

AUTHZ_ERROR_ALLOWED_PARAMS = {"error", "error_description", "error_uri", "state", "iss", "session_state"}


# ---------------------------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------------------------
def b64url_decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def form_urlencode(value: str) -> str:
    """java.net.URLEncoder.encode(value, UTF-8), as the suite's AddBasicAuthClientSecretToRequest uses it
    (application/x-www-form-urlencoded, RFC 6749 §2.3.1): letters, digits and ``.-*_`` stay, a space
    becomes ``+``, every other byte of the UTF-8 encoding becomes ``%XX``."""
    out = []
    for byte in value.encode("utf-8"):
        char = chr(byte)
        if char.isascii() and (char.isalnum() or char in ".-*_"):
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def shannon_entropy_bits(value: str) -> float:
    """Total Shannon entropy of a string, as the suite computes it (bits/char × length)."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    per_char = -sum((c / n) * math.log2(c / n) for c in counts.values())
    return per_char * n


def callback_params(url: str, part: str = "query") -> dict:
    """Parameters of a callback URL: ``query`` (code flow) or ``fragment`` (implicit/hybrid)."""
    pieces = urlsplit(url)
    raw = pieces.query if part == "query" else pieces.fragment
    return dict(parse_qsl(raw, keep_blank_values=True))


def url_base(url: str) -> str:
    """scheme://host:port/path of a URL (no query or fragment)."""
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}{p.path}"


def is_json_response(response) -> bool:
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    return ctype == "application/json" or ctype.endswith("+json")


def json_body(response) -> dict | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


# ---------------------------------------------------------------------------------------------
# §1.1 server configuration and keys
# ---------------------------------------------------------------------------------------------
def check_server_configuration(o: Outcome, disc: dict) -> None:
    """CheckServerConfiguration: issuer, authorization_endpoint and token_endpoint must be present."""
    for key in ("issuer", "authorization_endpoint", "token_endpoint"):
        if not isinstance(disc.get(key), str) or not disc.get(key):
            o.fail(f"server configuration lacks {key}")


def validate_server_jwks(o: Outcome, jwks: object, stop: bool = True) -> None:
    """ValidateServerJWKs + EnsureServerJwksDoesNotContainPrivateOrSymmetricKeys.

    The JWKS must parse, hold only public keys (no private members, no ``oct`` keys).
    """
    report = o.fail if stop else o.error
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        report("jwks_uri did not return a JWK Set with a non-empty 'keys' array")
        return
    algorithms = get_default_algorithms()
    for index, key in enumerate(jwks["keys"]):
        label = f"JWKS key #{index} (kid {key.get('kid')!r})" if isinstance(key, dict) else f"JWKS key #{index}"
        if not isinstance(key, dict) or not key.get("kty"):
            report(f"{label} is not a JWK (no kty)")
            continue
        if key.get("kty") == "oct":
            report(f"{label} is a symmetric key; a server JWKS must not publish it")
        private = [m for m in PRIVATE_JWK_MEMBERS if m in key and m != "k"]
        if private:
            report(f"{label} contains private key material ({', '.join(private)})")
        try:
            jwt.PyJWK(key, algorithm=key.get("alg") if key.get("alg") in algorithms else None)
        except Exception as exc:  # noqa: BLE001 - any parse error is a finding
            if key.get("kty") in ("RSA", "EC", "OKP"):
                report(f"{label} does not parse: {exc}")


def check_kids(o: Outcome, jwks: dict) -> None:
    """CheckForKeyIdInServerJWKs (OIDCC-10.1): every key has a kid, and kids are distinct. FAILURE."""
    keys = jwks.get("keys") or []
    missing = [i for i, key in enumerate(keys) if not key.get("kid")]
    if missing:
        o.error(f"JWKS key(s) {missing} have no 'kid' (OIDCC-10.1)")
    kids = [key.get("kid") for key in keys if key.get("kid")]
    duplicates = sorted({kid for kid in kids if kids.count(kid) > 1})
    if duplicates:
        o.error(f"JWKS kids are not distinct: {duplicates}")


def check_auth_method_supported(o: Outcome, disc: dict, method: str) -> None:
    """The variant's client authentication method must be in token_endpoint_auth_methods_supported."""
    supported = disc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if method not in supported:
        o.fail(f"{method} is not in token_endpoint_auth_methods_supported {supported}")


# ---------------------------------------------------------------------------------------------
# §1.2 authorization callback
# ---------------------------------------------------------------------------------------------
def check_callback_redirect_query(o: Outcome, callback: str, redirect_uri: str) -> None:
    """CheckMatchingCallbackParameters: query parameters of the registered redirect_uri come back unchanged."""
    expected = callback_params(redirect_uri)
    got = callback_params(callback)
    for name, value in expected.items():
        if got.get(name) != value:
            o.fail(f"redirect_uri query parameter {name}={value!r} did not come back unchanged")
    if url_base(callback) != url_base(redirect_uri):
        o.fail(f"callback went to {url_base(callback)}, not the redirect_uri {url_base(redirect_uri)}")


def check_iss(o: Outcome, params: dict, issuer: str) -> None:
    """RFC 9207: ``iss`` in the authorization response, if present, must equal the issuer."""
    if "iss" in params and params["iss"] != issuer:
        o.error(f"authorization response iss {params['iss']!r} != issuer {issuer!r}")


def check_state(o: Outcome, params: dict, state: str | None) -> None:
    """CheckMatchingStateParameter: the state is echoed exactly; none may come back if none was sent."""
    if state is None:
        if "state" in params:
            o.fail(f"state {params['state']!r} returned although no state was sent")
        return
    if params.get("state") != state:
        o.fail(f"state not echoed exactly (sent {len(state)} chars, got {params.get('state')!r})")


def check_authorization_error(o: Outcome, params: dict) -> None:
    """CheckIfAuthorizationEndpointError: an unexpected error stops the module."""
    if "error" in params:
        desc = params.get("error_description", "")
        o.fail(f"authorization endpoint returned error={params['error']}"
               + (f" ({desc})" if desc else ""))


def validate_authorization_error_response(o: Outcome, params: dict, state: str | None, issuer: str) -> None:
    """performGenericAuthorizationEndpointErrorResponseValidation.

    state echoed and no code (FAILURE); unexpected parameters (WARNING); legal characters in
    error / error_description / error_uri (FAILURE); CR, LF or TAB in error_description (WARNING).
    """
    check_state(o, params, state)
    check_iss(o, params, issuer)
    if "code" in params:
        o.error("error response also carries a code")
    extra = sorted(set(params) - AUTHZ_ERROR_ALLOWED_PARAMS)
    if extra:
        o.warn(f"unexpected parameters in the error response: {extra}")
    validate_error_fields(o, params, "authorization endpoint")


def validate_error_fields(o: Outcome, body: dict, where: str) -> None:
    """ValidateErrorFrom* / ValidateErrorDescriptionFrom* / ValidateErrorUriFrom* / Check...CRLFTAB."""
    error = body.get("error")
    if not isinstance(error, str) or not ERROR_CODE_RE.match(error):
        o.error(f"{where}: error {error!r} is missing or has illegal characters")
    desc = body.get("error_description")
    if desc is not None:
        if not isinstance(desc, str) or not ERROR_DESCRIPTION_RE.match(desc):
            o.error(f"{where}: error_description has illegal characters")
        elif any(ch in desc for ch in "\r\n\t"):
            o.warn(f"{where}: error_description contains CR, LF or TAB")
    uri = body.get("error_uri")
    if uri is not None and (not isinstance(uri, str) or not ERROR_URI_RE.match(uri)):
        o.error(f"{where}: error_uri has illegal characters")


def check_code_quality(o: Outcome, code: str) -> None:
    """EnsureMinimumAuthorizationCodeLength (≥128 bits) and ...Entropy (>96 bits). FAILURE."""
    bits = len(code.encode()) * 8
    if bits < 128:
        o.error(f"authorization code is {bits} bits long (< 128)")
    entropy = shannon_entropy_bits(code)
    if entropy <= 96:
        o.error(f"authorization code entropy is {entropy:.1f} bits (must be > 96)")


# ---------------------------------------------------------------------------------------------
# §1.3 token endpoint
# ---------------------------------------------------------------------------------------------
def validate_token_response(o: Outcome, response, expires_in_missing: str | None = None) -> dict:
    """CheckIfTokenEndpointResponseError, CheckForAccessTokenValue, ValidateExpiresIn, id_token presence.

    ``expires_in_missing``: severity for a missing expires_in (WARNING in oidcc-server, else INFO).
    """
    body = json_body(response)
    if response.status_code != 200 or body is None or "error" in (body or {}):
        o.fail(f"token endpoint answered HTTP {response.status_code}: {response.text[:200]}")
    if not isinstance(body.get("access_token"), str) or not body["access_token"]:
        o.fail("token response has no access_token")
    if not isinstance(body.get("token_type"), str) or not body["token_type"]:
        o.fail("token response has no token_type")
    validate_expires_in(o, body, expires_in_missing)
    if not isinstance(body.get("id_token"), str):
        o.fail("token response has no id_token (OIDCC-3.3.2.5)")
    return body


def validate_expires_in(o: Outcome, body: dict, missing_severity: str | None) -> None:
    """ValidateExpiresIn: a positive number below one year; absence per ``missing_severity``."""
    if "expires_in" not in body:
        if missing_severity == WARNING:
            o.warn("token response has no expires_in")
        return
    value = body["expires_in"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < ONE_YEAR:
        o.error(f"expires_in {value!r} is not a positive number below one year")


def check_access_token_entropy(o: Outcome, token: str, what: str = "access token") -> None:
    """EnsureMinimumAccessTokenEntropy (>96 bits) and EnsureAccessTokenContainsAllowedCharactersOnly."""
    entropy = shannon_entropy_bits(token)
    if entropy <= 96:
        o.error(f"{what} entropy is {entropy:.1f} bits (must be > 96)")
    if not VSCHAR_RE.match(token):
        o.error(f"{what} contains characters outside RFC 6749 Appendix A")


def check_refresh_token_quality(o: Outcome, token: str) -> None:
    """EnsureMinimumRefreshTokenLength (≥128 bits) and ...Entropy (>96 bits)."""
    bits = len(token.encode()) * 8
    if bits < 128:
        o.error(f"refresh token is {bits} bits long (< 128)")
    entropy = shannon_entropy_bits(token)
    if entropy <= 96:
        o.error(f"refresh token entropy is {entropy:.1f} bits (must be > 96)")


def check_token_error_response(o: Outcome, response, expected_error: str, where: str,
                               statuses: tuple = (400,)) -> None:
    """CheckTokenEndpointHttpStatus400, ...ReturnedJsonContentType, CheckErrorFrom...(expected), Validate*."""
    o.check(response.status_code in statuses,
            f"{where}: expected HTTP {'/'.join(map(str, statuses))}, got {response.status_code}")
    o.check(is_json_response(response),
            f"{where}: error response is not JSON ({response.headers.get('Content-Type')})")
    body = json_body(response) or {}
    o.check(body.get("error") == expected_error,
            f"{where}: expected error={expected_error}, got {body.get('error')!r}")
    if body.get("error"):
        validate_error_fields(o, body, where)


# ---------------------------------------------------------------------------------------------
# §1.4 id_token
# ---------------------------------------------------------------------------------------------
def decode_jwt_unverified(token: str) -> tuple[dict, dict]:
    """Header and claims of a compact JWS without verifying it."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not a compact JWS (expected 3 parts)")
    header = json.loads(b64url_decode(parts[0]))
    claims = json.loads(b64url_decode(parts[1]))
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("JWS header or payload is not a JSON object")
    return header, claims


# JWS alg → the JWK kty that can verify it (KeyType.forAlgorithm in the suite's JOSE library)
def kty_for_alg(alg: str) -> str | None:
    if alg.startswith(("RS", "PS")):
        return "RSA"
    if alg.startswith("ES"):
        return "EC"
    if alg.startswith("HS"):
        return "oct"
    if alg in ("EdDSA", "Ed25519", "Ed448"):
        return "OKP"
    return None


def _key_selected(key: dict, alg: str, kty: str) -> bool:
    """isSelectedJWKKeyBaseOnJWSHeader: kty matches; alg and use match when the key has them."""
    if key.get("kty") != kty:
        return False
    if key.get("alg") is not None and key.get("alg") != alg:
        return False
    if key.get("use") is not None and key.get("use") != "sig":
        return False
    return True


def _verifies(token: str, key: dict, alg: str) -> bool:
    try:
        jwk = jwt.PyJWK(key, algorithm=alg)
        jwt.api_jws.PyJWS().decode_complete(token, key=jwk.key, algorithms=[alg])
        return True
    except Exception:  # noqa: BLE001 - any error means "does not verify with this key"
        return False


NO_KEY_WITH_KID = "does not contain a key with kid"


def verify_jws_signature(token: str, header: dict, jwks: dict, kid_required: bool = False,
                         what: str = "id_token") -> str | None:
    """AbstractVerifyJwsSignature (ValidateIdTokenSignature, ValidateLogoutTokenSignature).

    With a ``kid`` in the header: more than one JWKS key with that kid and the token's kty, alg and
    ``use: sig`` is an error; the key with that kid whose kty matches (and alg / use, when the key
    has them) must verify the signature.  Without a kid (an error if ``kid_required``): some key
    whose kty matches (and alg / use when present) must verify it.  Returns None when valid, else
    the reason.
    """
    alg = header.get("alg")
    if not alg or alg == "none":
        return f"{what} is unsigned (alg none)"
    kty = kty_for_alg(alg)
    if kty is None or alg not in get_default_algorithms():
        return f"{what} uses an unsupported signature alg {alg}"
    keys = [key for key in (jwks.get("keys") or []) if isinstance(key, dict)]
    kid = header.get("kid")
    if kid:
        exact = [key for key in keys if key.get("kid") == kid and key.get("alg") == alg
                 and key.get("use") == "sig" and key.get("kty") == kty]
        if len(exact) > 1:
            return (f"the JWKS has {len(exact)} keys with kid {kid!r}, kty {kty}, alg {alg} and use sig; "
                    f"the key for {what} is ambiguous")
        for key in keys:
            if key.get("kid") != kid or not _key_selected(key, alg, kty):
                continue
            if _verifies(token, key, alg):
                return None
            return f"{what} signature does not verify with the JWKS key kid {kid!r}"
        return (f"the JWKS {NO_KEY_WITH_KID} {kid!r} whose kty is {kty} (and alg {alg}, use sig, "
                f"where the key states them)")
    if kid_required:
        return f"{what} JWS header has no kid (OIDCC-10.1)"
    candidates = [key for key in keys if _key_selected(key, alg, kty)]
    if not candidates:
        return f"the JWKS has no key with kty {kty} (and alg {alg}, use sig, where stated) for {what}"
    if any(_verifies(token, key, alg) for key in candidates):
        return None
    return f"{what} signature does not verify against any key in the JWKS"


def check_signing_alg(o: Outcome, header: dict, expected_alg: str, where: str = "id_token") -> None:
    """EnsureIdTokenSignatureIsRS256 / CheckIdTokenSignatureAlgorithm: the header alg is the client's
    registered id_token_signed_response_alg (RS256 when none was registered, OIDC Registration §2)."""
    alg = header.get("alg")
    if not alg:
        o.error(f"{where} JWS header has no alg")
    elif alg != expected_alg:
        o.error(f"{where} is signed with {alg}, not the client's id_token_signed_response_alg {expected_alg} "
                "(OIDCC-3.1.3.7)")


def check_kid_present(o: Outcome, header: dict, where: str = "id_token") -> None:
    """EnsureIdTokenContainsKid (OIDCC-10.1). FAILURE."""
    if not header.get("kid"):
        o.error(f"{where} JWS header has no kid (OIDCC-10.1)")


def check_subject(o: Outcome, claims: dict, where: str = "id_token") -> None:
    """CheckForSubjectInIdToken (OIDCC-2): sub present, at most 255 ASCII characters, all printable."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        o.error(f"{where} has no sub")
        return
    if len(sub) > 255:
        o.error(f"{where} sub is {len(sub)} characters long (at most 255 ASCII characters, OIDCC-2)")
        return
    for index, char in enumerate(sub):
        if ord(char) < 0x20:
            o.error(f"{where} sub contains the non-printable character 0x{ord(char):02x} at offset {index}")
            return
        if ord(char) >= 0x7F:
            o.error(f"{where} sub contains the non-ASCII character 0x{ord(char):02x} at offset {index}")
            return


def check_updated_at(o: Outcome, claims: dict, where: str) -> None:
    """EnsureIdTokenUpdatedAtValid / EnsureUserInfoUpdatedAtValid (OIDCC-5.1): if present, not in the
    future (5 minutes' skew) and not before 1990-01-01."""
    value = claims.get("updated_at")
    if not _is_number(value):
        return                  # absent; a wrong type is reported by check_standard_claims
    if value > time.time() + CLOCK_SKEW:
        o.error(f"{where} updated_at {value} is in the future")
    elif value < UPDATED_AT_FLOOR:
        o.error(f"{where} updated_at {value} is before 1990-01-01 (seconds since the epoch expected)")


def validate_id_token(o: Outcome, token: str, *, issuer: str, client_id: str, nonce: str | None,
                      jwks_provider, where: str = "id_token", requested_acr: str | None = None,
                      check_iat_age: bool = True, expected_alg: str | None = None,
                      kid_required: bool = False) -> tuple[dict, dict]:
    """PerformStandardIdTokenChecks: ValidateIdToken, ValidateIdTokenStandardClaims, ValidateIdTokenNonce,
    ValidateIdTokenACRClaimAgainstRequest, ValidateIdTokenSignature, CheckForSubjectInIdToken,
    EnsureIdTokenUpdatedAtValid; with ``expected_alg`` also CheckIdTokenSignatureAlgorithm, with
    ``kid_required`` EnsureIdTokenContainsKid (oidcc-idtoken-signature).

    ``jwks_provider(refresh: bool)`` returns the OP's JWKS (refresh=True re-fetches, for key rotation).
    Returns (header, claims).
    """
    try:
        header, claims = decode_jwt_unverified(token)
    except Exception as exc:  # noqa: BLE001
        o.fail(f"{where} does not parse: {exc}")
    now = time.time()

    if claims.get("iss") != issuer:
        o.error(f"{where} iss {claims.get('iss')!r} != issuer {issuer!r}")
    aud = claims.get("aud")
    if not (aud == client_id or (isinstance(aud, list) and client_id in aud)):
        o.error(f"{where} aud {aud!r} does not contain client_id {client_id!r}")

    exp = claims.get("exp")
    if not _is_number(exp):
        o.error(f"{where} has no numeric exp")
    else:
        if exp < now - CLOCK_SKEW:
            o.error(f"{where} is expired (exp {exp}, now {int(now)})")
        if exp > now + FIFTY_YEARS:
            o.error(f"{where} exp {exp} is more than 50 years ahead (milliseconds?)")
    iat = claims.get("iat")
    if not _is_number(iat):
        o.error(f"{where} has no numeric iat")
    else:
        if iat > now + CLOCK_SKEW:
            o.error(f"{where} iat {iat} is more than 5 minutes in the future")
        if check_iat_age and iat < now - CLOCK_SKEW:
            o.error(f"{where} iat {iat} is more than 5 minutes in the past")
    if "auth_time" in claims:
        auth_time = claims["auth_time"]
        if not _is_number(auth_time):
            o.error(f"{where} auth_time {auth_time!r} is not a number")
        elif auth_time > now + CLOCK_SKEW or auth_time < now - ONE_YEAR:
            o.error(f"{where} auth_time {auth_time} is in the future or more than a year ago")
    if "acr" in claims and (claims["acr"] == "" or not isinstance(claims["acr"], str)):
        o.error(f"{where} acr must be a non-empty string")
    if requested_acr is not None and claims.get("acr") != requested_acr:
        o.error(f"{where} acr {claims.get('acr')!r} != essential acr {requested_acr!r}")
    if nonce is not None and claims.get("nonce") != nonce:
        o.error(f"{where} nonce {claims.get('nonce')!r} != request nonce {nonce!r}")
    check_subject(o, claims, where)

    problem = verify_jws_signature(token, header, jwks_provider(False), what=where)
    if problem and NO_KEY_WITH_KID in problem:       # FetchServerKeys again: the keys may have rotated
        problem = verify_jws_signature(token, header, jwks_provider(True), what=where)
    if problem:
        o.error(f"{where}: {problem}")
    if kid_required:
        check_kid_present(o, header, where)
    if expected_alg is not None:
        check_signing_alg(o, header, expected_alg, where)

    check_standard_claims(o, id_token_identity_claims(claims), where)
    check_updated_at(o, claims, where)
    return header, claims


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _hash_for_alg(alg: str):
    if alg.endswith("384"):
        return hashlib.sha384
    if alg.endswith("512") or alg in ("EdDSA", "Ed25519"):
        return hashlib.sha512
    return hashlib.sha256


def left_half_hash(value: str, alg: str) -> str:
    digest = _hash_for_alg(alg)(value.encode()).digest()
    return b64url_encode(digest[: len(digest) // 2])


def validate_hash_claim(o: Outcome, claims: dict, header: dict, claim: str, value: str | None,
                        where: str = "id_token") -> None:
    """ValidateAtHash / ValidateCHash: optional, but correct if present (FAILURE)."""
    if claim not in claims or value is None:
        return
    expected = left_half_hash(value, header.get("alg", "RS256"))
    if claims[claim] != expected:
        o.error(f"{where} {claim} {claims[claim]!r} does not match (expected {expected!r})")


def id_token_identity_claims(claims: dict) -> dict:
    """ValidateIdTokenStandardClaims.getIdTokenIdentityClaims: the id_token minus its own claims."""
    return {name: value for name, value in claims.items() if name not in ID_TOKEN_NON_IDENTITY_CLAIMS}


def valid_birthdate(value: str) -> bool:
    """AbstractValidateOpenIdStandardClaims.VALIDATE_BIRTHDATE: YYYY-MM-DD (a real date, year 1850 to
    this year), 0000-MM-DD (year withheld), or a year alone (1850 to this year)."""
    this_year = time.gmtime().tm_year
    full = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", value)
    if full:
        year, month, day = (int(part) for part in full.groups())
        try:
            # year 0000 (withheld) is a leap year in the proleptic calendar, as 2000 is
            datetime.date(year or 2000, month, day)
        except ValueError:
            return False
        return year == 0 or 1850 <= year <= this_year
    if re.fullmatch(r"[+-]?[0-9]{1,9}", value):     # Integer.parseInt
        return 1850 <= int(value) <= this_year
    return False


def _valid_string(value) -> bool:
    """VALIDATE_STRING: a JSON string with content, and not the text "null" (in any case)."""
    return isinstance(value, str) and bool(value.strip()) and value.lower() != "null"


def check_standard_claims(o: Outcome, claims: dict, where: str) -> None:
    """AbstractValidateOpenIdStandardClaims (ValidateIdTokenStandardClaims, ValidateUserInfoStandardClaims).

    FAILURE for: strings that are blank, not strings, or the text "null"; *_verified not booleans;
    birthdate not YYYY-MM-DD / 0000-MM-DD / YYYY (with a plausible year); address not a non-empty
    object of strings; updated_at not a number; _claim_names / _claim_sources not objects.  So a
    JSON null value is a FAILURE.  Unknown claims are ignored.
    """
    for name, value in claims.items():
        if name in STRING_CLAIMS:
            if value is None:
                o.error(f"{where} claim {name} is JSON null")
            elif not _valid_string(value):
                o.error(f"{where} claim {name} {value!r} is not a non-blank string")
            elif name == "birthdate" and not valid_birthdate(value):
                o.error(f"{where} birthdate {value!r} is not YYYY-MM-DD, 0000-MM-DD or YYYY with a year "
                        f"from 1850 to this year")
        elif name in BOOLEAN_CLAIMS:
            if not isinstance(value, bool):
                o.error(f"{where} claim {name} {value!r} is not a boolean"
                        + (" (JSON null)" if value is None else ""))
        elif name == "updated_at":
            if not _is_number(value):
                o.error(f"{where} updated_at {value!r} is not a number"
                        + (" (JSON null)" if value is None else ""))
        elif name in ("_claim_names", "_claim_sources"):
            if not isinstance(value, dict):
                o.error(f"{where} {name} is not a JSON object")
        elif name == "address":
            if not isinstance(value, dict) or not value:
                o.error(f"{where} address {value!r} is not a non-empty JSON object")
                continue
            for member, member_value in value.items():
                if member in ADDRESS_MEMBERS and not _valid_string(member_value):
                    o.error(f"{where} address.{member} {member_value!r} is not a non-blank string")


def compare_refreshed_id_token(o: Outcome, first: dict, second: dict, where: str) -> None:
    """CompareIdTokenClaims (OIDCC-12.2) for an id_token from a refresh.

    iss and sub present and equal; iat present in both and different; aud equal (as a set when it is
    an array, so the order may differ); auth_time, if the new id_token has it, equal to the original
    (it may be left out); azp equal, and absent from the new one if the original had none.
    """
    for claim in ("iss", "sub"):
        if claim not in first or claim not in second:
            o.error(f"{where}: {'original' if claim not in first else 'refreshed'} id_token has no {claim}")
        elif first[claim] != second[claim]:
            o.error(f"{where}: refreshed id_token {claim} {second[claim]!r} != original {first[claim]!r}")
    if "iat" not in first or "iat" not in second:
        o.error(f"{where}: {'original' if 'iat' not in first else 'refreshed'} id_token has no iat")
    elif first["iat"] == second["iat"]:
        o.error(f"{where}: refreshed id_token has the same iat as the original (it must be the time it "
                "was issued)")
    if "aud" not in first or "aud" not in second:
        o.error(f"{where}: {'original' if 'aud' not in first else 'refreshed'} id_token has no aud")
    else:
        a1, a2 = first["aud"], second["aud"]
        same = (set(a1) == set(a2)) if isinstance(a1, list) and isinstance(a2, list) else a1 == a2
        if not same:
            o.error(f"{where}: refreshed id_token aud {a2!r} != original {a1!r}")
    if "auth_time" in second and second["auth_time"] != first.get("auth_time"):
        o.error(f"{where}: refreshed id_token auth_time {second['auth_time']!r} != original "
                f"{first.get('auth_time')!r} (it must be the time of the original authentication)")
    if "azp" not in first and "azp" in second:
        o.error(f"{where}: refreshed id_token has azp although the original had none")
    elif "azp" in first and first["azp"] != second.get("azp"):
        o.error(f"{where}: refreshed id_token azp {second.get('azp')!r} != original {first['azp']!r}")


# ---------------------------------------------------------------------------------------------
# Back-Channel Logout 1.0 logout tokens (OIDCCBackChannelRpInitiatedLogout.validateLogoutResults)
# ---------------------------------------------------------------------------------------------
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
ONE_DAY = 24 * 3600


def validate_logout_token_claims(o: Outcome, claims: dict, *, issuer: str, client_id: str,
                                 where: str = "logout token") -> None:
    """ValidateLogoutTokenClaims (iss, aud, iat, jti, events), CheckLogoutTokenNoNonce and
    CheckLogoutTokenHasSubOrSid (OIDCBCL-2.4). FAILURE."""
    now = time.time()
    if "iss" not in claims:
        o.error(f"{where} has no iss")
    elif claims["iss"] != issuer:
        o.error(f"{where} iss {claims['iss']!r} != issuer {issuer!r}")
    aud = claims.get("aud")
    if aud is None:
        o.error(f"{where} has no aud")
    elif not (aud == client_id or (isinstance(aud, list) and client_id in aud)):
        o.error(f"{where} aud {aud!r} does not contain client_id {client_id!r}")
    iat = claims.get("iat")
    if not _is_number(iat):
        o.error(f"{where} has no numeric iat")
    elif iat > now + CLOCK_SKEW:
        o.error(f"{where} iat {iat} is in the future")
    elif iat < now - ONE_DAY:
        o.error(f"{where} iat {iat} is more than 1 day in the past")
    if not isinstance(claims.get("jti"), str) or not claims.get("jti"):
        o.error(f"{where} has no jti")
    events = claims.get("events")
    if events is None:
        o.error(f"{where} has no events claim")
    elif not isinstance(events, dict):
        o.error(f"{where} events {events!r} is not a JSON object")
    elif len(events) != 1:
        o.error(f"{where} events has {len(events)} members, not exactly 1: {sorted(events)}")
    elif BACKCHANNEL_LOGOUT_EVENT not in events:
        o.error(f"{where} events lacks the member {BACKCHANNEL_LOGOUT_EVENT}")
    elif events[BACKCHANNEL_LOGOUT_EVENT] != {} or not isinstance(events[BACKCHANNEL_LOGOUT_EVENT], dict):
        o.error(f"{where} events.{BACKCHANNEL_LOGOUT_EVENT} is {events[BACKCHANNEL_LOGOUT_EVENT]!r}, "
                "not an empty JSON object")
    if "nonce" in claims:
        o.error(f"{where} has a nonce, which it must not (OIDCBCL-2.4)")
    if "sub" not in claims and "sid" not in claims:
        o.error(f"{where} has neither sub nor sid")


def check_logout_token_typ(o: Outcome, header: dict, where: str = "logout token") -> None:
    """OIDCBCL-2.4 recommends explicit typing: typ logout+jwt, or no typ.  Anything else (an id_token's
    JWT, say) is a WARNING here; the suite does not look at typ."""
    typ = header.get("typ")
    if typ is None:
        return
    if not isinstance(typ, str) or typ.lower().removeprefix("application/") != "logout+jwt":
        o.warn(f"{where} header typ {typ!r} is neither logout+jwt nor absent (OIDCBCL-2.4)")


def check_logout_token_session(o: Outcome, logout_claims: dict, id_claims: dict,
                               where: str = "logout token") -> None:
    """CheckIdTokenSubMatchesLogoutToken and CheckIdTokenSidMatchesLogoutToken (each only when the
    logout token carries the claim). FAILURE."""
    if "sub" in logout_claims and logout_claims["sub"] != id_claims.get("sub"):
        o.error(f"{where} sub {logout_claims['sub']!r} != the id_token's sub {id_claims.get('sub')!r}")
    if "sid" in logout_claims:
        if "sid" not in id_claims:
            o.error(f"{where} has sid {logout_claims['sid']!r} but the id_token has none to match")
        elif logout_claims["sid"] != id_claims["sid"]:
            o.error(f"{where} sid {logout_claims['sid']!r} != the id_token's sid {id_claims['sid']!r}")


def check_claim_sources(o: Outcome, userinfo: dict) -> None:
    """_claim_names entries must refer to members of _claim_sources (OIDCC-5.6.2)."""
    names = userinfo.get("_claim_names")
    if names is None:
        return
    sources = userinfo.get("_claim_sources") or {}
    if not isinstance(names, dict) or not isinstance(sources, dict):
        o.error("_claim_names / _claim_sources are not JSON objects")
        return
    for claim, source in names.items():
        if source not in sources:
            o.error(f"_claim_names.{claim} refers to missing _claim_sources entry {source!r}")
