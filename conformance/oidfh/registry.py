"""Which harness function implements which suite module, per test plan (in the suite's order)."""

from __future__ import annotations

from typing import Callable

PLAN_ORDER = ("basic", "config", "logout", "backchannel", "extra")
PLAN_TITLES = {
    "basic": "Basic OP (oidcc-basic-certification-test-plan)",
    "config": "Config OP (oidcc-config-certification-test-plan)",
    "logout": "RP-Initiated Logout OP (oidcc-rp-initiated-logout-certification-test-plan)",
    "backchannel": "Back-Channel Logout OP (oidcc-backchannel-rp-initiated-logout-certification-test-plan)",
    "extra": "Extra: Dynamic OP modules run with static clients, and harness-only modules (no OIDF plan)",
}
MODULES: dict[str, list[tuple[str, Callable]]] = {plan: [] for plan in PLAN_ORDER}


def module(plan: str, name: str) -> Callable:
    """Register ``func(rt, o)`` as the harness equivalent of suite module ``name`` in ``plan``."""
    def wrap(func: Callable) -> Callable:
        MODULES[plan].append((name, func))
        func.module_name = name
        return func
    return wrap
