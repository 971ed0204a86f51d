//! OpenID Connect Front-Channel Logout 1.0: the URIs the logout page loads in hidden frames, one for each
//! client that had a login in the ending session and registered a front-channel URI, with `iss` and `sid`
//! added when the client asked for them.

use super::provider::{Provider, ProviderError};
use super::redirect_uri::with_query;

impl Provider {
    pub async fn frontchannel_logout_uris(&self, session_id: &str) -> Result<Vec<String>, ProviderError> {
        let mut uris = Vec::new();
        for client_id in self.db.clients_of_login_session(session_id).await? {
            let Some(client) = self.db.find_client(&client_id).await? else { continue };
            let Some(uri) = client.logout.frontchannel_uri.as_deref() else { continue };
            uris.push(if client.logout.frontchannel_session_required {
                with_query(uri, &[("iss", &self.issuer), ("sid", session_id)])
            } else {
                uri.to_owned()
            });
        }
        Ok(uris)
    }
}

/// The `frame-src` sources of a page that loads `uris`: their origins, each once.
pub fn frame_origins(uris: &[String]) -> Vec<String> {
    let mut origins: Vec<String> = uris
        .iter()
        .filter_map(|uri| url::Url::parse(uri).ok())
        .map(|url| url.origin().ascii_serialization())
        .filter(|origin| origin != "null")
        .collect();
    origins.sort();
    origins.dedup();
    origins
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_allowed_by_origin_only() {
        let uris = vec![
            "https://a.example.gov.cn/logout?x=1".to_owned(),
            "https://a.example.gov.cn/other".to_owned(),
            "http://127.0.0.1:8080/fc".to_owned(),
        ];
        assert_eq!(frame_origins(&uris), vec!["http://127.0.0.1:8080", "https://a.example.gov.cn"]);
    }
}
