//! Small request helpers shared by handlers: parsing query strings and form bodies strictly, reading
//! the Authorization header, and refusing NUL characters before any handler sees them.

use axum::http::{HeaderMap, header};
use axum::response::IntoResponse;
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

/// Refuses a request whose query or form/JSON body carries a NUL character (raw, `%00` or `\u0000`):
/// no text anyone types contains one, and PostgreSQL cannot store it, so it is answered here with a clear
/// error instead of failing deep inside as a server error. Bodies are read only up to `limit`.
pub async fn refuse_nul(
    axum::extract::State(limit): axum::extract::State<usize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let query_has_nul = request.uri().query().is_some_and(|query| has_nul(query.as_bytes()));
    let inspect_body = request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        let kind = v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        kind == "application/x-www-form-urlencoded" || kind == "application/json"
    });
    if query_has_nul {
        return nul_refusal(request.uri().path(), request.headers());
    }
    if !inspect_body {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => return axum::http::StatusCode::PAYLOAD_TOO_LARGE.into_response(),
    };
    if has_nul(&bytes) {
        return nul_refusal(parts.uri.path(), &parts.headers);
    }
    next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

fn has_nul(bytes: &[u8]) -> bool {
    let lower = |window: &[u8]| window.iter().map(u8::to_ascii_lowercase).collect::<Vec<_>>();
    bytes.contains(&0)
        || bytes.windows(3).any(|w| w == b"%00")
        || bytes.windows(6).any(|w| w[0] == b'\\' && lower(w) == b"\\u0000")
}

fn nul_refusal(path: &str, headers: &HeaderMap) -> axum::response::Response {
    const DESCRIPTION: &str = "a parameter contains a NUL character, which no field accepts";
    let protocol = [crate::paths::TOKEN, crate::paths::INTROSPECT, crate::paths::REVOKE, crate::paths::USERINFO];
    if protocol.contains(&path) || path.starts_with("/admin/api/") {
        let body = serde_json::json!({ "error": "invalid_request", "error_description": DESCRIPTION });
        return (axum::http::StatusCode::BAD_REQUEST, axum::Json(body)).into_response();
    }
    let locale = super::i18n::Locale::negotiate(None, headers);
    super::pages::error_page(axum::http::StatusCode::BAD_REQUEST, locale, "error.nul", Some(DESCRIPTION.to_owned()))
}
