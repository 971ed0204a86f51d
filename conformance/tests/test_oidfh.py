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
