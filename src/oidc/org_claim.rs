//! The `org` claim (scope `org`): the organisation a person acts for and their role there. The person
//! stays the subject. A system the person's grant does not cover sees no organisation at all.

use super::client::Client;
use super::provider::{Provider, ProviderError};
use super::scope::ScopeSet;
use serde_json::{Value, json};

impl Provider {
    pub(super) async fn org_claim(
        &self,
        client: &Client,
        person_id: &str,
        acting_org_id: Option<&str>,
        scopes: &ScopeSet,
    ) -> Result<Option<Value>, ProviderError> {
        let Some(org_id) = acting_org_id.filter(|_| scopes.contains("org")) else { return Ok(None) };
        let membership =
            self.orgs.membership(person_id, org_id).await.map_err(|e| ProviderError::Internal(e.into()))?;
        let Some((membership, org)) = membership else { return Ok(None) };
        let items = self.db.item_codes_of_client(&client.id).await?;
        if !membership.effective_scope().covers(&client.id, &items) {
            return Ok(None);
        }
        Ok(Some(json!({
            "id": org.id,
            "uscc": org.uscc,
            "name": org.name,
            "type": org.kind.as_str(),
            "role": membership.role.as_str(),
        })))
    }
}
