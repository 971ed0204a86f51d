//! What the provider tells the rest of the platform when a relying party completes a login (redeems an
//! authorization code): the catalog counts the client's system as connected from then on.

use super::client::Client;

#[async_trait::async_trait]
pub trait LoginRecorder: Send + Sync {
    /// Called after a code was redeemed and the tokens issued; failures are the recorder's to log, a
    /// login never fails because of them.
    async fn code_redeemed(&self, client: &Client, person_id: &str, acting_org_id: Option<&str>);
}

/// Records nothing: for tools that run a provider without the catalog.
pub struct NoRecorder;

#[async_trait::async_trait]
impl LoginRecorder for NoRecorder {
    async fn code_redeemed(&self, _client: &Client, _person_id: &str, _acting_org_id: Option<&str>) {}
}
