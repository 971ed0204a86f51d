"""oidfh: a Python re-creation of the OpenID Foundation conformance suite's OP test modules
(Basic OP, Config OP and RP-Initiated Logout OP plans), driven against any issuer URL.

See conformance/README.md and /work/shared/conformance/oidf-op-checklist.md.
"""
