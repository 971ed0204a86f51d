//! yimen: a city's unified identity and single sign-on platform — an OpenID Connect Provider for citizens
//! and legal persons, with in-person verification at service-hall counters and tracking of how many
//! service items are connected.
//!
//! Layers, top down: `app` wires everything; `http` and `cli` adapt the outside world; `oidc` and
//! `identity` hold the rules; `keys` and `store` keep state; `config`, `clock`, `secret` and `crypto` are
//! leaves. See ARCHITECTURE.md.

#![forbid(unsafe_code)]

pub mod app;
pub mod assurance;
pub mod audit;
pub mod catalog;
pub mod cidr;
pub mod cli;
pub mod clock;
pub mod config;
pub mod counter;
pub mod crypto;
pub mod federation;
pub mod http;
pub mod identity;
pub mod keys;
pub mod oidc;
pub mod paths;
pub mod private_files;
pub mod redis_url;
pub mod sandbox;
pub mod secret;
pub mod sms;
pub mod spreadsheet;
pub mod store;

rust_i18n::i18n!("locales", fallback = "zh-CN");
