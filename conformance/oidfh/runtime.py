"""Run-wide state: configuration, clients, the OP's discovery document and JWKS (fetched once)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from .browser import Browser
from .checks import json_body
from .receiver import Receiver
from .result import Outcome

WELL_KNOWN = "/.well-known/openid-configuration"


@dataclass
class Client:
    """A statically registered client from the harness config (``client``, ``client2``, ...)."""

    label: str
    client_id: str
    client_secret: str | None
    redirect_uri: str
    auth_method: str = "client_secret_basic"
    id_token_alg: str = "RS256"          # id_token_signed_response_alg as registered (default RS256)
    redirect_uris: tuple = ()            # every registered redirect URI (the first is redirect_uri)


class Runtime:
    """Shared by every module of one harness run."""

    def __init__(self, issuer: str, config: dict, fast: bool = False, timeout: float = 15.0) -> None:
        self.issuer = issuer
        self.config = config
        self.fast = fast
        self.timeout = timeout
        self.http = requests.Session()          # back-channel calls (token, userinfo): no browser cookies
        self.http.headers["User-Agent"] = "yimen-oidf-harness/1.0 (rp)"
        self._discovery: requests.Response | None = None
        self._discovery_error: str | None = None
        self._jwks: dict | None = None
        self._receiver: Receiver | None = None

    # -- the relying party's own endpoint ---------------------------------------------------
    def receiver(self, o: Outcome) -> Receiver:
        """The harness's HTTP receiver (back-channel logout, request_uri), started on first use."""
        if self._receiver is None:
            base = self.config.get("receiver_base_url")
            if not base:
                o.skip("the harness config has no receiver_base_url, so the OP cannot reach the relying party")
            receiver = Receiver(base)
            try:
                receiver.start()
            except OSError as exc:
                o.fail(f"cannot listen on receiver_base_url {base}: {exc}")
            self._receiver = receiver
        return self._receiver

    def close(self) -> None:
        if self._receiver is not None:
            self._receiver.stop()
            self._receiver = None

    # -- configuration ------------------------------------------------------------------
    @property
    def discovery_url(self) -> str:
        return self.issuer.rstrip("/") + WELL_KNOWN

    def client(self, label: str = "client") -> Client:
        block = self.config.get(label)
        if not isinstance(block, dict) or not block.get("client_id") \
                or not (block.get("redirect_uri") or block.get("redirect_uris")):
            raise KeyError(f"config has no '{label}' client block")
        method = "client_secret_post" if label == "client_secret_post" else "client_secret_basic"
        redirect_uris = block.get("redirect_uris") or [block["redirect_uri"]]
        return Client(label, block["client_id"], block.get("client_secret"),
                      block.get("redirect_uri") or redirect_uris[0],
                      block.get("token_endpoint_auth_method", method),
                      block.get("id_token_signed_response_alg") or "RS256", tuple(redirect_uris))

    @property
    def post_logout_redirect_uri(self) -> str | None:
        return self.config.get("post_logout_redirect_uri")

    def new_browser(self) -> Browser:
        """A fresh browser profile (no OP session)."""
        return Browser(self.config, self.issuer, self.timeout)

    # -- OP metadata ----------------------------------------------------------------------
    def discovery_response(self) -> requests.Response | None:
        if self._discovery is None and self._discovery_error is None:
            try:
                self._discovery = self.http.get(self.discovery_url, timeout=self.timeout)
            except requests.RequestException as exc:
                self._discovery_error = f"cannot fetch {self.discovery_url}: {exc}"
        return self._discovery

    def discovery(self, o: Outcome) -> dict:
        """GetDynamicServerConfiguration: the parsed discovery document, or FAILURE."""
        response = self.discovery_response()
        if response is None:
            o.fail(self._discovery_error or "discovery unavailable")
        body = json_body(response)
        if response.status_code != 200 or body is None:
            o.fail(f"discovery answered HTTP {response.status_code} without a JSON object")
        return body

    def jwks(self, o: Outcome, refresh: bool = False) -> dict:
        """FetchServerKeys: the JWKS from jwks_uri (cached; ``refresh`` re-fetches)."""
        if self._jwks is None or refresh:
            uri = self.discovery(o).get("jwks_uri")
            if not isinstance(uri, str):
                o.fail("discovery has no jwks_uri")
            try:
                response = self.http.get(uri, timeout=self.timeout)
            except requests.RequestException as exc:
                o.fail(f"cannot fetch jwks_uri {uri}: {exc}")
            body = json_body(response)
            if response.status_code != 200 or body is None:
                o.fail(f"jwks_uri answered HTTP {response.status_code} without a JSON object")
            self._jwks = body
        return self._jwks

    def endpoint(self, o: Outcome, name: str) -> str:
        url = self.discovery(o).get(name)
        if not isinstance(url, str) or not url:
            o.fail(f"discovery has no {name}")
        return url

    # -- waits --------------------------------------------------------------------------
    def wait(self, seconds: float, fast_seconds: float | None = None) -> float:
        """Sleep; with --fast use ``fast_seconds`` when given (a wait not semantically needed)."""
        duration = fast_seconds if (self.fast and fast_seconds is not None) else seconds
        if duration > 0:
            time.sleep(duration)
        return duration

    def wait_past(self, seconds: float, after: float | None = None, whole_seconds: int = 1) -> float:
        """Wait ``seconds`` (the suite's wait).  With --fast, when ``after`` (a second-resolution
        timestamp such as auth_time or iat) is known, only wait until the clock reads
        ``after + whole_seconds``: that is all the check needs."""
        if self.fast and after is not None:
            target = float(int(after) + whole_seconds) + 0.05
            return self.wait(min(seconds, max(0.0, target - time.time())))
        return self.wait(seconds)

    @property
    def host(self) -> str:
        return urlsplit(self.issuer).hostname or "localhost"
