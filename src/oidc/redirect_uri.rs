//! Redirect URIs as registered: absolute, no fragment, https except on loopback (development and native
//! apps, RFC 8252 §7.3) or a private-use scheme (RFC 8252 §7.1).

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    #[error("not an absolute URI")]
    NotAbsolute,
    #[error("{0} has no scheme: add https:// (or http:// for 127.0.0.1 or localhost), e.g. https://{0}")]
    NoScheme(String),
    #[error("a redirect URI must not contain a fragment")]
    Fragment,
    #[error("plain http is allowed only for loopback hosts (127.0.0.1, [::1], localhost); use https")]
    InsecureHttp,
    #[error("wildcards are not allowed; register each URI exactly")]
    Wildcard,
    #[error("the URI must not carry user credentials")]
    Credentials,
    #[error("a logout URI must use https (or http on a loopback host)")]
    NotWeb,
}

impl RedirectUri {
    pub fn parse(input: &str) -> Result<Self, RedirectUriError> {
        if input.contains('*') {
            return Err(RedirectUriError::Wildcard);
        }
        if lacks_scheme(input) {
            return Err(RedirectUriError::NoScheme(input.to_owned()));
        }
        let url = url::Url::parse(input).map_err(|_| RedirectUriError::NotAbsolute)?;
        if url.fragment().is_some() || input.contains('#') {
            return Err(RedirectUriError::Fragment);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(RedirectUriError::Credentials);
        }
        match url.scheme() {
            "https" => {}
            "http" => {
                let loopback = matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
                if !loopback {
                    return Err(RedirectUriError::InsecureHttp);
                }
            }
            // Private-use schemes of native apps must be reverse domain names (RFC 8252 §7.1).
            scheme if scheme.contains('.') => {}
            _ => return Err(RedirectUriError::NotAbsolute),
        }
        // Kept exactly as given: matching is by exact string comparison.
        Ok(Self(input.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A host and path typed without `https://` (`rp.example/cb`, `localhost:8080/cb`): not a relative path,
/// not a scheme such as `cn.gov.app:/cb`.
fn lacks_scheme(input: &str) -> bool {
    if input.contains("://") || input.starts_with('/') || input.is_empty() {
        return false;
    }
    match input.split_once(':') {
        None => true,
        Some((_, rest)) => rest.starts_with(|c: char| c.is_ascii_digit()),
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Appends response parameters to a redirect URI, keeping any query it already has (RFC 6749 §3.1.2).
pub fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let mut url = match url::Url::parse(base) {
        Ok(url) => url,
        Err(_) => return base.to_owned(),
    };
    {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in params {
            pairs.append_pair(name, value);
        }
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_https_loopback_and_app_schemes() {
        for uri in
            ["https://rp.example/cb", "http://127.0.0.1:9000/cb", "http://localhost/cb", "cn.gov.city.app:/oauth"]
        {
            assert!(RedirectUri::parse(uri).is_ok(), "{uri}");
        }
    }

    #[test]
    fn refuses_what_attackers_like() {
        assert_eq!(RedirectUri::parse("https://rp.example/cb#f"), Err(RedirectUriError::Fragment));
        assert_eq!(RedirectUri::parse("http://rp.example/cb"), Err(RedirectUriError::InsecureHttp));
        assert_eq!(RedirectUri::parse("https://*.example/cb"), Err(RedirectUriError::Wildcard));
        assert_eq!(RedirectUri::parse("/cb"), Err(RedirectUriError::NotAbsolute));
        assert_eq!(RedirectUri::parse("https://u:p@rp.example/cb"), Err(RedirectUriError::Credentials));
        assert_eq!(RedirectUri::parse("javascript:alert(1)"), Err(RedirectUriError::NotAbsolute));
    }

    #[test]
    fn a_uri_typed_without_its_scheme_is_told_to_add_one() {
        for typed in ["rp.example/cb", "localhost:8080/cb", "127.0.0.1:9000/cb"] {
            let error = RedirectUri::parse(typed).unwrap_err();
            assert_eq!(error, RedirectUriError::NoScheme(typed.to_owned()));
            assert!(error.to_string().contains(&format!("e.g. https://{typed}")), "{error}");
        }
        assert!(RedirectUri::parse("cn.gov.city.app:/oauth").is_ok(), "an app's own scheme is not mistaken for one");
    }

    #[test]
    fn keeps_existing_query_parameters() {
        let uri = with_query("https://rp.example/cb?dummy1=lorem", &[("code", "abc"), ("state", "x y")]);
        assert_eq!(uri, "https://rp.example/cb?dummy1=lorem&code=abc&state=x+y");
    }
}
