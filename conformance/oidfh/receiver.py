"""The harness's own HTTP endpoint on the relying party's side (the suite's per-test base URL).

The redirect URIs are never served: the browser stops at them.  Some modules need the relying party
to be reachable by the OP, though:

* Back-Channel Logout: the OP POSTs ``logout_token=...`` to the client's ``backchannel_logout_uri``
  (``<receiver>/backchannel_logout``); every request is recorded and answered 200 with
  ``Cache-Control: no-store``, as the suite's OIDCCBackChannelRpInitiatedLogout does;
* ``request_uri``: the OP GETs a request object the harness published with :meth:`Receiver.publish`.

One :class:`Receiver` listens on the host and port of the config's ``receiver_base_url`` (a loopback
address in both runners) from the first module that needs it until the run ends.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MAX_BODY = 1 << 20


@dataclass
class Received:
    """One request the OP made to the receiver."""

    method: str
    path: str
    query: str
    headers: dict
    body: bytes
    at: float = field(default_factory=time.time)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def form(self) -> dict[str, list[str]]:
        """The body as application/x-www-form-urlencoded parameters (every value, in order)."""
        try:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError:
            return {}


class Receiver:
    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if not parts.hostname or not parts.port:
            raise ValueError(f"receiver_base_url {base_url!r} needs an explicit host and port")
        self.base_url = base_url.rstrip("/")
        self._address = (parts.hostname, parts.port)
        self._prefix = parts.path.rstrip("/")
        self._lock = threading.Condition()
        self._received: list[Received] = []
        self._documents: dict[str, tuple[bytes, str]] = {}
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        if self._server is not None:
            return
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "oidfh-receiver/1.0"

            def log_message(self, *args) -> None:        # keep the harness output clean
                pass

            def _record(self) -> Received:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                path = parts.path
                if receiver._prefix and path.startswith(receiver._prefix):
                    path = path[len(receiver._prefix):] or "/"
                entry = Received(self.command, path, parts.query,
                                 {k.lower(): v for k, v in self.headers.items()}, body)
                with receiver._lock:
                    receiver._received.append(entry)
                    receiver._lock.notify_all()
                return entry

            def _answer(self, status: int, body: bytes = b"", content_type: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if body and self.command != "HEAD":
                    self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                entry = self._record()
                with receiver._lock:
                    document = receiver._documents.get(entry.path)
                if document is None:
                    self._answer(404, b"not found")
                else:
                    self._answer(200, *document)

            def do_POST(self) -> None:  # noqa: N802
                self._record()
                self._answer(200)

        self._server = ThreadingHTTPServer(self._address, Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="oidfh-receiver", daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- use --------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def publish(self, path: str, body: bytes, content_type: str) -> str:
        """Serve ``body`` at ``path`` (GET) from now on; returns its URL."""
        path = "/" + path.lstrip("/")
        with self._lock:
            self._documents[path] = (body, content_type)
        return self.url(path)

    def received(self, path: str | None = None, since: float = 0.0) -> list[Received]:
        with self._lock:
            return [r for r in self._received if (path is None or r.path == path) and r.at >= since]

    def wait_for(self, path: str, since: float, predicate=None, timeout: float = 10.0) -> list[Received]:
        """Wait until a request to ``path`` (received at ``since`` or later) satisfies ``predicate``,
        or ``timeout`` seconds pass; returns every request to ``path`` since ``since``."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [r for r in self._received if r.path == path and r.at >= since]
                if any(predicate(r) if predicate else True for r in found):
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return found
                self._lock.wait(remaining)
