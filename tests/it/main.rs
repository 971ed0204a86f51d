//! One integration-test binary: every test spawns the real server on port 0 with its own database and
//! talks to it over HTTP, as a relying party or a browser would.

mod account_centre;
mod account_protection;
mod admin_api;
mod anonymous_limits;
mod assurance;
mod audit_chain;
mod authorize_errors;
mod catalog;
mod catalog_access;
mod cli;
mod code_flow;
mod console;
mod counter;
mod faults;
mod hardening;
mod helpers;
mod instances;
mod key_rotation;
mod layering;
mod login_security;
mod logout;
mod ops;
mod organisations;
mod passkeys;
mod pii;
mod readme;
mod registration;
mod rp;
mod sentinel;
mod single_logout;
mod sms_flows;
mod sms_gateway;
mod sms_numbers;
mod token_errors;
mod tokens;
