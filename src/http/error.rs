//! Where errors become responses: protocol errors as RFC-shaped JSON, unexpected failures as a generic
//! page whose detail stays in the log.

use super::i18n::Locale;
use super::pages::error_page;
use crate::oidc::{ErrorCode, OAuthError};
use crate::store::StoreError;
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// An unexpected failure in a page flow: logged with its chain of causes, answered with a generic 500
/// page. Refusals a person can act on are not `AppError`s: each flow turns them into its page's message.
#[derive(Debug)]
pub struct AppError(anyhow::Error);

impl AppError {
    /// A failure described only in words: an invariant the code relies on did not hold.
    pub fn msg(message: impl std::fmt::Display + std::fmt::Debug + Send + Sync + 'static) -> Self {
        AppError(anyhow::Error::msg(message))
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl<E: Into<anyhow::Error>> From<E> for AppError {
    fn from(error: E) -> Self {
        AppError(error.into())
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "request failed");
        let unreachable =
            self.0.chain().any(|cause| cause.downcast_ref::<StoreError>().is_some_and(StoreError::is_unreachable));
        if unreachable {
            // Nothing is wrong with what was sent: the database or Redis did not answer. Try again shortly.
            let mut page = error_page(StatusCode::SERVICE_UNAVAILABLE, Locale::default(), "error.unavailable", None);
            page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return page;
        }
        error_page(StatusCode::INTERNAL_SERVER_ERROR, Locale::default(), "error.server", None)
    }
}

/// A protocol error from the token, introspection or revocation endpoint (RFC 6749 §5.2).
#[derive(Debug)]
pub struct OAuthJson {
    pub error: OAuthError,
    /// The client tried HTTP Basic; a failure then answers 401 with a Basic challenge (§5.2).
    pub basic_attempted: bool,
}

impl IntoResponse for OAuthJson {
    fn into_response(self) -> Response {
        let status = match self.error.code {
            ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::BAD_REQUEST,
        };
        let body =
            serde_json::json!({ "error": self.error.code.as_str(), "error_description": self.error.description });
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        no_store(headers);
        if status == StatusCode::UNAUTHORIZED && self.basic_attempted {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"yimen\""));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
        }
        response
    }
}

/// A protected-resource error (RFC 6750 §3): status by code, details in WWW-Authenticate.
#[derive(Debug)]
pub enum BearerError {
    /// No token at all: §3.1 says to answer with a bare challenge and no error code.
    Missing,
    Rejected(OAuthError),
}

impl IntoResponse for BearerError {
    fn into_response(self) -> Response {
        let (status, challenge, body) = match self {
            BearerError::Missing => (
                StatusCode::UNAUTHORIZED,
                "Bearer realm=\"yimen\"".to_owned(),
                serde_json::json!({ "error": "invalid_request", "error_description": "send the access token as a Bearer token" }),
            ),
            BearerError::Rejected(error) => {
                let status = match error.code {
                    ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
                    ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
                    ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
                    _ => StatusCode::BAD_REQUEST,
                };
                let challenge = format!(
                    "Bearer realm=\"yimen\", error=\"{}\", error_description=\"{}\"",
                    error.code.as_str(),
                    error.description.replace('"', "'")
                );
                (
                    status,
                    challenge,
                    serde_json::json!({ "error": error.code.as_str(), "error_description": error.description }),
                )
            }
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        no_store(headers);
        response
    }
}

pub fn no_store(headers: &mut axum::http::HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One mapping from what failed to what the person reads: a store that did not answer is a moment's
    /// wait (503, Retry-After), wherever in the chain of causes it is; anything else is the generic 500.
    #[test]
    fn a_store_that_does_not_answer_is_a_moment_s_wait_and_anything_else_a_server_error() {
        let wrapped = anyhow::Error::new(StoreError::Unavailable("postgres")).context("loading the account page");
        let response = AppError::from(wrapped).into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let corrupt = AppError::from(StoreError::Corrupt("bad row".into())).into_response();
        assert_eq!(corrupt.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(AppError::msg("an invariant").into_response().status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
