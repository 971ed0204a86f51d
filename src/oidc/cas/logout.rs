//! CAS single logout (CAS 3.0 §2.3.3, as the CAS server does it): when a login session ends, every
//! service that validated a ticket in it is sent a SAML 2.0 LogoutRequest naming that ticket, POSTed as
//! the form field `logoutRequest` to the service URL. It rides the same durable queue as back-channel
//! logout, with its retries.

use super::response::{escape, iso_time};
use crate::oidc::backchannel_logout::{DeliveryError, post_form};
use crate::oidc::client::Client;
use crate::oidc::provider::Provider;
use crate::store::logout_deliveries::LogoutDeliveryRow;

/// The LogoutRequest for the login that ticket `session_index` started, of the user `name_id`.
pub fn logout_request(name_id: &str, session_index: &str, now: i64) -> String {
    format!(
        "<samlp:LogoutRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"LR-{}\" Version=\"2.0\" \
         IssueInstant=\"{}\"><saml:NameID>{}</saml:NameID><samlp:SessionIndex>{}</samlp:SessionIndex>\
         </samlp:LogoutRequest>",
        crate::crypto::random_token(16),
        iso_time(now),
        escape(name_id),
        escape(session_index),
    )
}

impl Provider {
    /// Tells a CAS service of the end of a session: one request per ticket it validated in it. Every one
    /// must be accepted; a retry sends them all again, which services ignore for sessions already gone.
    pub(crate) async fn post_cas_logouts(
        &self,
        http: &reqwest::Client,
        client: &Client,
        row: &LogoutDeliveryRow,
    ) -> Result<(), DeliveryError> {
        let logins = self
            .db
            .cas_logins_of(&row.session_id, &client.id)
            .await
            .map_err(|error| DeliveryError { detail: error.to_string(), retry: true })?;
        let user = self.subject_for(client, &row.person_id);
        for (service, ticket) in logins {
            post_form(http, &service, "logoutRequest", &logout_request(&user, &ticket, self.now()), true).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logout_request_names_the_user_and_the_ticket() {
        let xml = logout_request("sub-1", "ST-abc", 0);
        assert!(xml.starts_with("<samlp:LogoutRequest "), "{xml}");
        assert!(xml.contains("<saml:NameID>sub-1</saml:NameID>"), "{xml}");
        assert!(xml.contains("<samlp:SessionIndex>ST-abc</samlp:SessionIndex>"), "{xml}");
        assert!(xml.contains("IssueInstant=\"1970-01-01T00:00:00Z\""), "{xml}");
    }
}
