//! Secret values as types: redacted when printed or serialised, compared in constant time, wiped on drop.
//!
//! A secret never implements `PartialEq`; use [`SecretString::ct_eq`]. Serialising writes `"[redacted]"`,
//! so a config dump or a log line can never carry the value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

const REDACTED: &str = "[redacted]";

#[derive(Clone)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    pub fn new(value: impl Into<String>) -> Self {
        Self(Zeroizing::new(value.into()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison; the lengths of the two values may leak, their contents do not.
    pub fn ct_eq(&self, other: &str) -> bool {
        self.0.as_bytes().ct_eq(other.as_bytes()).into()
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for SecretString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

impl<'de> Deserialize<'de> for SecretString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(SecretString::new)
    }
}

/// A connection URL (database, Redis) whose password is masked whenever it is shown.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct ConnectionUrl(SecretString);

impl ConnectionUrl {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::new(value))
    }

    pub fn expose(&self) -> &str {
        self.0.expose()
    }

    /// The URL with any password replaced, fit for logs and `config check`.
    pub fn masked(&self) -> String {
        match url::Url::parse(self.expose()) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("****"));
                }
                url.to_string()
            }
            Err(_) => REDACTED.to_owned(),
        }
    }

    pub fn scheme(&self) -> &str {
        self.expose().split(':').next().unwrap_or_default()
    }
}

impl fmt::Debug for ConnectionUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl Serialize for ConnectionUrl {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = SecretString::new("hunter2");
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"[redacted]\"");
        assert!(secret.ct_eq("hunter2"));
        assert!(!secret.ct_eq("hunter3"));
    }

    #[test]
    fn connection_urls_hide_their_password() {
        let url = ConnectionUrl::new("postgres://app:s3cret@db.internal:5432/yimen");
        assert_eq!(url.masked(), "postgres://app:****@db.internal:5432/yimen");
        assert!(!format!("{url:?}").contains("s3cret"));
        assert_eq!(url.scheme(), "postgres");
    }
}
