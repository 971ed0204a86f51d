//! Organisations an upstream vouches for: the person joins the organisation the upstream says they act
//! for, as the desk's verified organisations make their representatives.

use super::{Asserted, Federation, FederationError};
use crate::audit::{Actor, Event};
use crate::config::rank_of_methods;
use crate::identity::organisation::{OrgError, OrgKind};
use crate::identity::uscc::Uscc;
use serde_json::json;

impl Federation {
    /// Makes the person a member of the organisation the upstream says they act for, as the desk's
    /// verified organisations make their representatives: only when the upstream vouches for the person's
    /// real name (level 2 or above), and never in place of a representative already bound.
    pub(super) async fn join_organisation(
        &self,
        person_id: &str,
        asserted: &Asserted,
        origin: Option<String>,
    ) -> Result<(), FederationError> {
        let Some(claimed) = &asserted.organisation else { return Ok(()) };
        if rank_of_methods(&self.levels, &asserted.methods) == 0 {
            tracing::info!(upstream = %asserted.upstream, "an organisation from an upstream that vouches for no real name; ignored");
            return Ok(());
        }
        let actor = Actor { id: Some(format!("federation:{}", asserted.upstream)), origin, ..Actor::system() };
        let internal = |e: OrgError| FederationError::Internal(e.into());
        let org = match self.orgs.find_by_uscc(&claimed.uscc).await.map_err(internal)? {
            Some(org) => org,
            None => {
                let kind = kind_of(&claimed.uscc);
                match self.orgs.create(&claimed.uscc, &claimed.name, kind, &actor).await {
                    Ok(org) => org,
                    // Created in between by the same person's other sign-in.
                    Err(OrgError::Duplicate) => self
                        .orgs
                        .find_by_uscc(&claimed.uscc)
                        .await
                        .map_err(internal)?
                        .ok_or(FederationError::Internal("an organisation vanished".into()))?,
                    Err(error) => return Err(internal(error)),
                }
            }
        };
        if !org.active {
            return Ok(());
        }
        let joined = self.orgs.join_as_vouched(&org.id, person_id, claimed.role, &actor).await.map_err(internal)?;
        let held_elsewhere = joined.is_none()
            && !self.orgs.members(&org.id).await.map_err(internal)?.iter().any(|m| m.person_id == person_id);
        if held_elsewhere {
            // The upstream names the person its representative, but the counter bound someone else.
            let detail = json!({ "upstream": asserted.upstream, "org_id": org.id, "role": claimed.role.as_str() });
            let event = Event {
                action: "federation.org_refused",
                subject_type: "person",
                subject_id: Some(person_id.to_owned()),
                detail,
            };
            self.audit.record(&actor, event).await?;
        }
        Ok(())
    }
}

/// The kind of organisation its credit code's registration authority and type say (GB 32100: 9·1 an
/// enterprise, 9·2 an individual business, 1·1 an organ of government, 1·2 a public institution, 5 a social
/// organisation).
fn kind_of(uscc: &Uscc) -> OrgKind {
    match uscc.as_str().get(..2).unwrap_or_default() {
        "91" => OrgKind::Enterprise,
        "92" => OrgKind::IndividualBusiness,
        "11" => OrgKind::Government,
        "12" => OrgKind::Institution,
        code if code.starts_with('5') => OrgKind::SocialOrganisation,
        _ => OrgKind::Other,
    }
}
