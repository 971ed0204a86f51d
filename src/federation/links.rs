//! A person's links to upstream platforms, as the account centre and the console see them.

use super::{Federation, FederationError, Link};
use crate::audit::{Actor, Event};
use crate::identity::Person;
use serde_json::json;

impl Federation {
    /// How many people are linked to each upstream.
    pub async fn people_linked(&self) -> Result<std::collections::BTreeMap<String, i64>, FederationError> {
        Ok(self.db.federated_identity_counts().await?.into_iter().collect())
    }

    pub async fn links_of(&self, person_id: &str) -> Result<Vec<Link>, FederationError> {
        let rows = self.db.federated_identities_of(person_id).await?;
        Ok(rows
            .into_iter()
            .map(|row| Link { upstream: row.upstream, created_at: row.created_at, last_used_at: row.last_used_at })
            .collect())
    }

    /// Removes the person's link to an upstream, unless it is their only way in (no password, no verified
    /// phone, no passkey, no other link).
    pub async fn unlink(&self, person: &Person, upstream: &str, actor: &Actor) -> Result<(), FederationError> {
        let links = self.db.federated_identities_of(&person.id).await?;
        if !links.iter().any(|link| link.upstream == upstream) {
            return Err(FederationError::NotLinked);
        }
        let other_way = person.password_hash.is_some()
            || (person.phone.is_some() && person.phone_verified)
            || links.len() > 1
            || !self.db.passkeys_of(&person.id).await?.is_empty();
        if !other_way {
            return Err(FederationError::LastWayIn);
        }
        if !self.db.delete_federated_identity(&person.id, upstream).await? {
            return Err(FederationError::NotLinked);
        }
        let detail = json!({ "upstream": upstream });
        let event = Event {
            action: "federation.unlinked",
            subject_type: "person",
            subject_id: Some(person.id.clone()),
            detail,
        };
        self.audit.record(actor, event).await?;
        Ok(())
    }
}
