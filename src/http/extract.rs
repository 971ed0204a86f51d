//! Small request helpers shared by handlers: parsing query strings and form bodies strictly, reading
//! the Authorization header, and the client's address.

use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;

/// Parses `application/x-www-form-urlencoded` text. A repeated parameter is an error (RFC 6749 §3.1).
pub fn parse_form<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_urlencoded::from_str(text).map_err(|error| {
        let message = error.to_string();
        if message.contains("duplicate field") {
            format!("a parameter was sent more than once ({message})")
        } else {
            format!("malformed parameters: {message}")
        }
    })
}

pub fn is_form(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
    })
}

pub fn authorization(headers: &HeaderMap) -> Option<String> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

/// The token of an `Authorization: Bearer …` header; the scheme is case-insensitive (RFC 9110 §11.1).
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = authorization(headers)?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned()).filter(|t| !t.is_empty())
}

pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_owned)
}
