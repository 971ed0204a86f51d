"""Module outcomes: how a harness module records FAILUREs, WARNINGs, notes and skips.

The OIDF suite runs "conditions" at a severity: a failed condition either stops the
module (``callAndStopOnFailure``) or is logged and the module goes on
(``callAndContinueOnFailure``).  :class:`Outcome` mirrors both:

* ``o.fail(msg)``   -- FAILURE, stop the module (callAndStopOnFailure)
* ``o.error(msg)``  -- FAILURE, keep going   (callAndContinueOnFailure(..., FAILURE))
* ``o.warn(msg)``   -- WARNING, keep going
* ``o.note(msg)``   -- informational (INFO); shown in the reason of a PASS
* ``o.skip(msg)``   -- SKIPPED (fireTestSkipped)
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

PASS = "PASS"
WARNING = "WARNING"
FAILURE = "FAILURE"
SKIPPED = "SKIPPED"
STATUSES = (PASS, WARNING, FAILURE, SKIPPED)


class StopModule(Exception):
    """Raised by :meth:`Outcome.fail` to end a module with FAILURE."""


class SkipModule(Exception):
    """Raised by :meth:`Outcome.skip` to end a module with SKIPPED."""


def is_loopback_host(url: str) -> bool:
    """True if the URL's host is a loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Outcome:
    """Collects what one module found; turned into a :class:`ModuleResult` at the end."""

    def __init__(self) -> None:
        self.failures: list[str] = []
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self.plain_http: list[tuple[str, str]] = []     # (what, url) found by require_https

    def fail(self, msg: str) -> None:
        """FAILURE that stops the module."""
        self.failures.append(msg)
        raise StopModule(msg)

    def error(self, msg: str) -> None:
        """FAILURE that lets the module continue."""
        self.failures.append(msg)

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)

    def note(self, msg: str) -> None:
        self.notes.append(msg)

    def skip(self, reason: str) -> None:
        raise SkipModule(reason)

    def check(self, ok: bool, msg: str, severity: str = FAILURE, stop: bool = False) -> bool:
        """Record ``msg`` at ``severity`` unless ``ok``; return ``ok``."""
        if ok:
            return True
        if severity == WARNING:
            self.warn(msg)
        elif stop:
            self.fail(msg)
        else:
            self.error(msg)
        return False

    def require_https(self, url: str, what: str) -> None:
        """Mirror of the suite's "endpoint must be https" checks (e.g. CheckDiscEndpointAllEndpointsAreHttps).

        FAILURE in the suite.  Because our test runs use http://127.0.0.1, a plain-http URL on a
        loopback host is downgraded to WARNING and the reason says so; on any other host it stays
        FAILURE.  Findings are collected and reported as one line by :meth:`finish`.
        """
        if isinstance(url, str) and urlsplit(url).scheme != "https":
            self.plain_http.append((what, url))

    def finish(self) -> None:
        """Turn the collected plain-http findings into one WARNING (loopback) and/or one FAILURE."""
        loopback = [what for what, url in self.plain_http if is_loopback_host(url)]
        remote = [f"{what} ({url})" for what, url in self.plain_http if not is_loopback_host(url)]
        if remote:
            self.failures.append(f"not https: {', '.join(remote)}")
        if loopback:
            self.warnings.append(f"not https: {', '.join(loopback)} (loopback host, so WARNING "
                                 "instead of the suite's FAILURE)")
        self.plain_http = []


@dataclass
class ModuleResult:
    name: str
    status: str
    reason: str
    seconds: float = 0.0
    details: dict = field(default_factory=dict)

    def line(self) -> str:
        return f"{self.status:<8} {self.name}  {self.reason}"

    def as_json(self) -> dict:
        return {"module": self.name, "status": self.status, "reason": self.reason,
                "seconds": round(self.seconds, 2), **self.details}


def _join(items: list[str]) -> str:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return "; ".join(seen)


def summarise(name: str, outcome: Outcome, started: float, skipped: str | None = None,
              crashed: str | None = None) -> ModuleResult:
    """Turn an :class:`Outcome` into the one-line result (worst severity wins)."""
    elapsed = time.monotonic() - started
    outcome.finish()
    details = {"failures": outcome.failures, "warnings": outcome.warnings, "notes": outcome.notes}
    if crashed:
        outcome.failures.append(crashed)
    if outcome.failures:
        reason = _join(outcome.failures)
        if outcome.warnings:
            reason += f" (also {len(outcome.warnings)} warning(s): {_join(outcome.warnings)})"
        return ModuleResult(name, FAILURE, reason, elapsed, details)
    if skipped is not None:
        if outcome.warnings:
            skipped += f" (warning: {_join(outcome.warnings)})"
        return ModuleResult(name, SKIPPED, skipped, elapsed, details)
    if outcome.warnings:
        return ModuleResult(name, WARNING, _join(outcome.warnings), elapsed, details)
    return ModuleResult(name, PASS, _join(outcome.notes) or "ok", elapsed, details)
