"""Self-tests of the harness building blocks (no OP needed).

    cd conformance && .venv/bin/python -m unittest discover -s tests
"""

import time
import unittest

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from oidfh import checks
from oidfh.browser import Browser, parse_forms
from oidfh.expect import compare
from oidfh.result import FAILURE, PASS, SKIPPED, WARNING, Outcome, StopModule, is_loopback_host, summarise

YIMEN_LOGIN = """<html><head><title>Sign in</title></head><body>
<form method="post" action="/login"><input type="hidden" name="csrf" value="c1">
<input type="hidden" name="rid" value="r1"><input name="account"><input type="password" name="password">
<button type="submit">Sign in</button></form></body></html>"""
YIMEN_CONSENT = """<form method="post" action="/consent"><input type="hidden" name="csrf" value="c2">
<button name="decision" value="deny">Deny</button><button name="decision" value="allow">Allow</button></form>"""
OIDC_PROVIDER_LOGOUT = """<form id="op.logoutForm" method="post" action="/session/end/confirm">
<input type="hidden" name="xsrf" value="x1"/></form>
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>"""


def browser() -> Browser:
    config = {"user": {"fields": {"account": "13800138000", "password": "pw"}},
              "consent": {"button_name": "decision", "button_value": "allow"}}
    return Browser(config, "http://127.0.0.1:1")


class BrowserForms(unittest.TestCase):
    def test_login_form_keeps_hidden_fields_and_fills_user_fields(self):
        forms, title = parse_forms(YIMEN_LOGIN)
        b = browser()
        form = b._pick_form(forms)
        self.assertEqual(title, "Sign in")
        self.assertTrue(b._is_login_form(form))
        self.assertEqual(b._fill(form), {"csrf": "c1", "rid": "r1", "account": "13800138000", "password": "pw"})

    def test_consent_presses_the_configured_button(self):
        forms, _ = parse_forms(YIMEN_CONSENT)
        b = browser()
        form = b._pick_form(forms)
        self.assertFalse(b._is_login_form(form))
        self.assertEqual(b._fill(form), {"csrf": "c2", "decision": "allow"})

    def test_buttons_owned_through_the_form_attribute(self):
        forms, _ = parse_forms(OIDC_PROVIDER_LOGOUT)
        self.assertEqual(browser()._fill(forms[0]), {"xsrf": "x1", "logout": "yes"})


class CommonChecks(unittest.TestCase):
    def test_code_length_and_entropy(self):
        o = Outcome()
        checks.check_code_quality(o, "BjnQbTsQiUYitDvHY9Ork6twLS2Ps_7ZZGlNfyx2FRo")
        self.assertEqual(o.failures, [])
        checks.check_code_quality(o, "BjnQbTsQiUYi")
        self.assertEqual(len(o.failures), 2)

    def test_null_and_badly_typed_claims_fail(self):
        o = Outcome()
        checks.check_standard_claims(o, {"sub": "s", "name": None, "email_verified": "true",
                                         "birthdate": "1990/01/01", "nickname": "null"}, "userinfo")
        self.assertEqual(len(o.failures), 4)

    def test_id_token_checks(self):
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        jwk["kid"] = "k1"
        now = int(time.time())
        claims = {"iss": "http://op", "aud": "c", "sub": "s", "exp": now + 300, "iat": now, "nonce": "n"}
        good = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
        o = Outcome()
        checks.validate_id_token(o, good, issuer="http://op", client_id="c", nonce="n",
                                 jwks_provider=lambda refresh: {"keys": [jwk]})
        self.assertEqual(o.failures, [])
        bad = jwt.encode({**claims, "nonce": "x", "exp": now + 60 * 365 * 86400 * 1000}, key,
                         algorithm="RS256", headers={"kid": "other"})
        checks.validate_id_token(o, bad, issuer="http://op", client_id="c", nonce="n",
                                 jwks_provider=lambda refresh: {"keys": [jwk]})
        self.assertEqual(len(o.failures), 3, o.failures)

    def test_error_response_checks(self):
        o = Outcome()
        checks.validate_authorization_error_response(
            o, {"error": "login_required", "state": "s", "error_description": "a\nb", "extra": "1"}, "s", "http://op")
        self.assertEqual(o.failures, [])
        self.assertEqual(len(o.warnings), 2)
        with self.assertRaises(StopModule):
            checks.validate_authorization_error_response(o, {"error": "login_required"}, "s", "http://op")


def rsa_jwk(kid: str | None = "k1", **members):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    if kid is not None:
        jwk["kid"] = kid
    jwk.update(members)
    return key, jwk


class SignatureChecks(unittest.TestCase):
    """AbstractVerifyJwsSignature, EnsureIdTokenContainsKid, EnsureIdTokenSignatureIsRS256."""

    @classmethod
    def setUpClass(cls):
        cls.key, cls.jwk = rsa_jwk("k1", alg="RS256", use="sig")
        cls.other_key, cls.other_jwk = rsa_jwk("k2", alg="RS256", use="sig")
        cls.token = jwt.encode({"sub": "s"}, cls.key, algorithm="RS256", headers={"kid": "k1"})

    def verify(self, token, jwks, **kwargs):
        header, _ = checks.decode_jwt_unverified(token)
        return checks.verify_jws_signature(token, header, {"keys": jwks}, **kwargs)

    def test_the_key_named_by_kid_verifies(self):
        self.assertIsNone(self.verify(self.token, [self.other_jwk, self.jwk]))

    def test_two_keys_with_the_same_kid_kty_alg_and_use_are_ambiguous(self):
        twin = dict(self.other_jwk, kid="k1")
        self.assertIn("ambiguous", self.verify(self.token, [self.jwk, twin]))

    def test_a_kid_naming_a_key_of_another_kty_or_alg_or_use_fails(self):
        for other in ({"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "kid": "k1"},
                      dict(self.jwk, alg="PS256"), dict(self.jwk, use="enc")):
            self.assertIn("does not contain a key with kid", self.verify(self.token, [other]))

    def test_a_kid_naming_the_wrong_key_fails_even_if_another_key_verifies(self):
        wrong = dict(self.other_jwk, kid="k1")
        self.assertIn("does not verify with the JWKS key", self.verify(self.token, [wrong, dict(self.jwk, kid="k9")]))

    def test_without_kid_any_matching_key_may_verify_unless_a_kid_is_required(self):
        token = jwt.encode({"sub": "s"}, self.key, algorithm="RS256")
        self.assertIsNone(self.verify(token, [self.other_jwk, self.jwk]))
        self.assertIn("no kid", self.verify(token, [self.jwk], kid_required=True))

    def test_kid_and_alg_checks_in_validate_id_token(self):
        now = int(time.time())
        claims = {"iss": "http://op", "aud": "c", "sub": "s", "exp": now + 300, "iat": now}
        token = jwt.encode(claims, self.key, algorithm="RS256")
        o = Outcome()
        checks.validate_id_token(o, token, issuer="http://op", client_id="c", nonce=None,
                                 jwks_provider=lambda refresh: {"keys": [self.jwk]}, expected_alg="RS256")
        self.assertEqual(o.failures, [])
        checks.validate_id_token(o, token, issuer="http://op", client_id="c", nonce=None,
                                 jwks_provider=lambda refresh: {"keys": [self.jwk]}, expected_alg="ES256",
                                 kid_required=True)
        self.assertEqual(len(o.failures), 2, o.failures)
        self.assertIn("no kid", o.failures[0])
        self.assertIn("not the client's id_token_signed_response_alg ES256", o.failures[1])


class ClaimChecks(unittest.TestCase):
    def test_subject_length_and_characters(self):
        for sub, ok in (("a" * 255, True), ("a" * 256, False), ("ab\tc", False), ("abç", False), ("", False),
                        ("AZaz09-_.~!@ ", True)):
            o = Outcome()
            checks.check_subject(o, {"sub": sub})
            self.assertEqual(not o.failures, ok, (sub, o.failures))

    def test_birthdate_formats_and_years(self):
        year = time.gmtime().tm_year
        for value in ("1990-01-31", "0000-02-29", "1990", "1850", str(year)):
            self.assertTrue(checks.valid_birthdate(value), value)
        for value in ("1990-02-30", "1990/01/01", "1849-12-31", str(year + 1), f"{year + 1}-01-01",
                      "0000", "19900101", "90-01-01", "0000-13-01", "abc"):
            self.assertFalse(checks.valid_birthdate(value), value)

    def test_updated_at_range(self):
        now = int(time.time())
        for value, ok in ((now, True), (631152000, True), (631151999, False), (now + 3600, False),
                          (now * 1000, False)):
            o = Outcome()
            checks.check_updated_at(o, {"updated_at": value}, "userinfo")
            self.assertEqual(not o.failures, ok, (value, o.failures))
        o = Outcome()
        checks.check_standard_claims(o, {"updated_at": "2020-01-01"}, "userinfo")
        self.assertEqual(len(o.failures), 1)

    def test_standard_claims_follow_the_suite(self):
        o = Outcome()
        checks.check_standard_claims(o, {"sub": "s", "name": "NULL", "address": {}, "_claim_names": [],
                                         "phone_number_verified": None, "unknown": None}, "userinfo")
        self.assertEqual(len(o.failures), 4, o.failures)
        o = Outcome()
        claims = {"iss": "x", "aud": ["a"], "acr": "1", "sid": "s", "sub": "s", "birthdate": "1981-01-19"}
        checks.check_standard_claims(o, checks.id_token_identity_claims(claims), "id_token")
        self.assertEqual(o.failures, [])

    def test_refreshed_id_token_comparison(self):
        first = {"iss": "i", "sub": "s", "aud": ["c", "d"], "iat": 1, "auth_time": 5}
        o = Outcome()
        checks.compare_refreshed_id_token(o, first, {"iss": "i", "sub": "s", "aud": ["d", "c"], "iat": 2}, "r")
        self.assertEqual(o.failures, [])           # auth_time may be left out, aud order may differ
        checks.compare_refreshed_id_token(o, first, {"iss": "i", "sub": "s", "aud": ["c"], "iat": 1,
                                                     "auth_time": 6, "azp": "c"}, "r")
        self.assertEqual(len(o.failures), 4, o.failures)


class ClientAuthentication(unittest.TestCase):
    def test_basic_credentials_are_form_urlencoded_as_java_does(self):
        self.assertEqual(checks.form_urlencode("a b+c/d~e*f.g-h_i%é"), "a+b%2Bc%2Fd%7Ee*f.g-h_i%25%C3%A9")
        from oidfh.flow import basic_header
        import base64
        decoded = base64.b64decode(basic_header("id:1", "s+/=").split()[1]).decode()
        self.assertEqual(decoded, "id%3A1:s%2B%2F%3D")


class FakeResponse:
    def __init__(self, status, ctype="text/html", url="http://127.0.0.1:1/authorize"):
        self.status_code, self.headers, self.url = status, {"Content-Type": ctype}, url


class Callbacks(unittest.TestCase):
    def test_code_flow_reads_the_query_only(self):
        from oidfh.flow import AuthRequest, AuthResponse, check_success_callback
        from oidfh.browser import Navigation
        from oidfh.runtime import Client, Runtime
        rt = Runtime("http://op", {})
        client = Client("client", "c", "s", "http://rp/cb")
        nav = Navigation(callback="http://rp/cb#code=abc&state=xyz")
        response = AuthResponse(nav, params={}, fragment_params={"code": "abc", "state": "xyz"})
        o = Outcome()
        with self.assertRaises(StopModule):
            check_success_callback(rt, o, AuthRequest({}, None, None), response, client)
        self.assertIn("fragment", o.failures[-1])

    def test_an_error_page_that_is_a_server_error_fails(self):
        from oidfh.flow import expect_error_page
        from oidfh.browser import Navigation
        o = Outcome()
        expect_error_page(o, Navigation(final=FakeResponse(400)), "bad redirect_uri")
        self.assertEqual(o.failures, [])
        expect_error_page(o, Navigation(final=FakeResponse(500)), "bad redirect_uri")
        self.assertEqual(len(o.failures), 1)


class LogoutTokens(unittest.TestCase):
    """ValidateLogoutTokenClaims, CheckLogoutTokenNoNonce, CheckLogoutTokenHasSubOrSid, CheckIdToken*MatchesLogoutToken."""

    def good(self, **changes):
        claims = {"iss": "http://op", "aud": "c", "iat": int(time.time()), "jti": "j", "sub": "s", "sid": "x",
                  "events": {checks.BACKCHANNEL_LOGOUT_EVENT: {}}}
        claims.update(changes)
        return {k: v for k, v in claims.items() if v is not None}

    def failures(self, claims, id_claims=None):
        o = Outcome()
        checks.validate_logout_token_claims(o, claims, issuer="http://op", client_id="c")
        checks.check_logout_token_session(o, claims, id_claims or {"sub": "s", "sid": "x"})
        return o.failures

    def test_a_valid_token_passes(self):
        self.assertEqual(self.failures(self.good()), [])
        self.assertEqual(self.failures(self.good(aud=["d", "c"], sub=None)), [])

    def test_each_rule(self):
        bad = [self.good(iss="http://other"), self.good(aud="d"), self.good(iat=None),
               self.good(iat=int(time.time()) - 2 * 86400), self.good(iat=int(time.time()) + 3600),
               self.good(jti=None), self.good(events=None), self.good(events={checks.BACKCHANNEL_LOGOUT_EVENT: {"a": 1}}),
               self.good(events={checks.BACKCHANNEL_LOGOUT_EVENT: {}, "other": {}}), self.good(events={"other": {}}),
               self.good(nonce="n"), self.good(sub=None, sid=None), self.good(sub="t"), self.good(sid="y")]
        for claims in bad:
            self.assertEqual(len(self.failures(claims)), 1, claims)
        self.assertEqual(len(self.failures(self.good(), {"sub": "s"})), 1)    # sid but none in the id_token

    def test_typ_is_logout_jwt_or_absent(self):
        for header, warnings in (({}, 0), ({"typ": "logout+jwt"}, 0), ({"typ": "application/logout+jwt"}, 0),
                                 ({"typ": "JWT"}, 1)):
            o = Outcome()
            checks.check_logout_token_typ(o, header)
            self.assertEqual(len(o.warnings), warnings, header)


class ReceiverAndRotation(unittest.TestCase):
    def test_the_receiver_records_posts_and_serves_documents(self):
        import socket
        import requests
        from oidfh.receiver import Receiver
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        receiver = Receiver(f"http://127.0.0.1:{port}")
        receiver.start()
        try:
            since = time.time() - 1
            url = receiver.publish("/request_uri/x", b"a.b.", "application/oauth-authz-req+jwt")
            self.assertEqual(requests.get(url, timeout=5).content, b"a.b.")
            answer = requests.post(receiver.url("backchannel_logout"), data={"logout_token": "t"}, timeout=5)
            self.assertEqual((answer.status_code, answer.headers["Cache-Control"]), (200, "no-store"))
            got = receiver.wait_for("/backchannel_logout", since, lambda r: r.method == "POST", timeout=2)
            self.assertEqual(got[0].form, {"logout_token": ["t"]})
            self.assertEqual(got[0].content_type, "application/x-www-form-urlencoded")
        finally:
            receiver.stop()

    def test_rotated_jwks_comparison(self):
        from oidfh.plan_extra import compare_rotated_jwks
        _, old = rsa_jwk("old", use="sig")
        _, new = rsa_jwk("new", use="sig")
        o = Outcome()
        self.assertEqual(compare_rotated_jwks(o, {"keys": [old]}, {"keys": [old, new]}), [new])
        self.assertEqual((o.failures, o.warnings), ([], []))
        o = Outcome()
        compare_rotated_jwks(o, {"keys": [old]}, {"keys": [new]})
        self.assertEqual((len(o.failures), len(o.warnings)), (0, 1))
        o = Outcome()
        compare_rotated_jwks(o, {"keys": [old]}, {"keys": [old]})
        self.assertEqual(len(o.failures), 1)
        o = Outcome()
        compare_rotated_jwks(o, {"keys": [old]}, {"keys": [dict(new, kid="old")]})
        self.assertEqual(len(o.failures), 1)                     # a new key under an old kid


class Severities(unittest.TestCase):
    def test_https_rule_is_a_warning_on_loopback_only(self):
        self.assertTrue(is_loopback_host("http://127.0.0.5:8080/x"))
        self.assertTrue(is_loopback_host("http://[::1]/"))
        self.assertFalse(is_loopback_host("http://op.example.com/"))
        o = Outcome()
        o.require_https("http://127.0.0.1:1/token", "token_endpoint")
        self.assertEqual(summarise("m", o, time.monotonic()).status, WARNING)
        o = Outcome()
        o.require_https("http://op.example.com/token", "token_endpoint")
        self.assertEqual(summarise("m", o, time.monotonic()).status, FAILURE)

    def test_worst_severity_wins(self):
        o = Outcome()
        o.warn("w")
        self.assertEqual(summarise("m", o, time.monotonic()).status, WARNING)
        self.assertEqual(summarise("m", Outcome(), time.monotonic(), skipped="why").status, SKIPPED)
        self.assertEqual(summarise("m", Outcome(), time.monotonic()).status, PASS)

    def test_expectation_comparison(self):
        results = {"results": [{"module": "a", "status": "PASS", "reason": ""},
                               {"module": "b", "status": "FAILURE", "reason": "x"}]}
        self.assertEqual(len(compare(results, {"a": "PASS", "b": "FAILURE", "c": "PASS"})), 2)


if __name__ == "__main__":
    unittest.main()
