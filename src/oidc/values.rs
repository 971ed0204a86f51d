//! The values a relying party sends that the provider must give back unchanged, each in a type of its
//! own so that one cannot be handed where another belongs (a `state` where the `nonce` goes, a
//! challenge where the redirect URI is compared). Serialised as the plain strings they are.

use serde::{Deserialize, Serialize};

macro_rules! protocol_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

protocol_value!(
    /// Where the authorization response goes: one of the client's registered URIs, matched exactly.
    RedirectUri
);
protocol_value!(
    /// The client's `state`, returned with the response as it came (RFC 6749 §4.1.2).
    State
);
protocol_value!(
    /// The client's `nonce`, carried into the ID token as it came (OpenID Connect Core §3.1.2.1).
    Nonce
);
protocol_value!(
    /// The S256 PKCE challenge the code's verifier must hash to (RFC 7636 §4.2).
    CodeChallenge
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Requests in progress and codes are stored serialised: the types must not change what is stored,
    /// or a deployment would lose every sign-in under way.
    #[test]
    fn each_value_is_stored_as_the_plain_string() {
        assert_eq!(serde_json::to_string(&State::new("xyz")).unwrap(), "\"xyz\"");
        let back: Option<Nonce> = serde_json::from_str("\"n-1\"").unwrap();
        assert_eq!(back.as_ref().map(Nonce::as_str), Some("n-1"));
        assert_eq!(
            serde_json::to_string(&RedirectUri::new("https://rp.example/cb")).unwrap(),
            "\"https://rp.example/cb\""
        );
    }
}
