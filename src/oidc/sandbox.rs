//! The outcomes a developer can inject in the sandbox's sign-in, and what each does: the refusals are
//! the redirects production sends, worded as production words them; the others change only the tokens
//! the code is redeemed for (a slow answer, an ID token already expired, a signing key the client has
//! not seen yet), so that a system's error handling can be tried before production.

use super::error::{ErrorCode, OAuthError};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A normal sign-in.
    SignIn,
    LoginRequired,
    ConsentRequired,
    AccessDenied,
    UnmetAuthenticationRequirements,
    /// The token endpoint answers after [`SLOW_TOKEN_SECS`].
    SlowTokenEndpoint,
    /// The ID token's `exp` has passed when it is issued.
    ExpiredIdToken,
    /// The ID token is signed with a key created at that moment, so the client must fetch the JWKS again.
    KeyRotation,
}

/// Long enough to trip a client's usual request timeout.
pub const SLOW_TOKEN_SECS: u64 = 12;

impl Outcome {
    pub const ALL: [Outcome; 8] = [
        Self::SignIn,
        Self::LoginRequired,
        Self::ConsentRequired,
        Self::AccessDenied,
        Self::UnmetAuthenticationRequirements,
        Self::SlowTokenEndpoint,
        Self::ExpiredIdToken,
        Self::KeyRotation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "sign_in",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::AccessDenied => "access_denied",
            Self::UnmetAuthenticationRequirements => "unmet_authentication_requirements",
            Self::SlowTokenEndpoint => "slow_token_endpoint",
            Self::ExpiredIdToken => "expired_id_token",
            Self::KeyRotation => "key_rotation",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|outcome| outcome.as_str() == value)
    }

    /// The error a refusing outcome returns to the system, as production returns it.
    pub fn refusal(self) -> Option<OAuthError> {
        let (code, description) = match self {
            Self::LoginRequired => (ErrorCode::LoginRequired, "the person is not logged in"),
            Self::ConsentRequired => {
                (ErrorCode::ConsentRequired, "the person has not consented to this client and scope")
            }
            Self::AccessDenied => (ErrorCode::AccessDenied, "the person declined to share the requested information"),
            Self::UnmetAuthenticationRequirements => {
                (ErrorCode::UnmetAuthenticationRequirements, "the person did not reach the required assurance level")
            }
            Self::SignIn | Self::SlowTokenEndpoint | Self::ExpiredIdToken | Self::KeyRotation => return None,
        };
        Some(OAuthError::new(code, description))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_has_a_name_and_only_the_refusals_refuse() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
            let refuses = matches!(
                outcome,
                Outcome::LoginRequired
                    | Outcome::ConsentRequired
                    | Outcome::AccessDenied
                    | Outcome::UnmetAuthenticationRequirements
            );
            assert_eq!(outcome.refusal().is_some(), refuses, "{outcome:?}");
            if let Some(error) = outcome.refusal() {
                assert_eq!(error.code.as_str(), outcome.as_str(), "the refusal is the error it is named after");
            }
        }
        assert_eq!(Outcome::parse("teapot"), None);
    }
}
