//! Legal persons and the people who act for them. An organisation never has a password: its legal
//! representative, up to a few administrators appointed by the representative, and agents authorised by
//! either act for it, each with a scope and a validity period. Every change is audited.

use super::uscc::Uscc;
use crate::audit::{Actor, ActorRole, Audit, Event};
use crate::clock::SharedClock;
use crate::store::organisations::{MemberRow, OrgRow};
use crate::store::{Database, StoreError};
use serde_json::json;

/// Administrators per organisation, as the e-business-licence model allows.
pub const MAX_ADMINISTRATORS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgKind {
    Enterprise,
    IndividualBusiness,
    Institution,
    SocialOrganisation,
    Government,
    Other,
}

impl OrgKind {
    pub const ALL: [OrgKind; 6] = [
        Self::Enterprise,
        Self::IndividualBusiness,
        Self::Institution,
        Self::SocialOrganisation,
        Self::Government,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::IndividualBusiness => "individual_business",
            Self::Institution => "institution",
            Self::SocialOrganisation => "social_organisation",
            Self::Government => "government",
            Self::Other => "other",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberRole {
    LegalRepresentative,
    Administrator,
    Agent,
}

impl MemberRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LegalRepresentative => "legal_representative",
            Self::Administrator => "administrator",
            Self::Agent => "agent",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::LegalRepresentative, Self::Administrator, Self::Agent].into_iter().find(|r| r.as_str() == value)
    }

    fn actor_role(self) -> ActorRole {
        match self {
            Self::LegalRepresentative => ActorRole::OrgRepresentative,
            _ => ActorRole::OrgAdministrator,
        }
    }
}

/// What an agent may do: everything, or only the named systems (client ids) and service items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantScope {
    All,
    Only { clients: Vec<String>, items: Vec<String> },
}

impl GrantScope {
    pub fn encode(&self) -> String {
        match self {
            Self::All => "all".to_owned(),
            Self::Only { clients, items } => json!({ "clients": clients, "items": items }).to_string(),
        }
    }

    pub fn decode(text: &str) -> Self {
        if text == "all" {
            return Self::All;
        }
        let value: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let list = |name: &str| -> Vec<String> {
            value
                .get(name)
                .and_then(|v| v.as_array())
                .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
                .unwrap_or_default()
        };
        Self::Only { clients: list("clients"), items: list("items") }
    }

    /// Whether a system may see the organisation: it is named, or it handles a named item.
    pub fn covers(&self, client_id: &str, items_of_client: &[String]) -> bool {
        match self {
            Self::All => true,
            Self::Only { clients, items } => {
                clients.iter().any(|c| c == client_id) || items.iter().any(|item| items_of_client.contains(item))
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Organisation {
    pub id: String,
    pub uscc: String,
    pub name: String,
    pub kind: OrgKind,
    pub active: bool,
}

impl From<OrgRow> for Organisation {
    fn from(row: OrgRow) -> Self {
        Self {
            id: row.id,
            uscc: row.uscc,
            name: row.name,
            kind: OrgKind::parse(&row.kind).unwrap_or(OrgKind::Other),
            active: row.status == "active",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Membership {
    pub id: String,
    pub org_id: String,
    pub person_id: String,
    pub role: MemberRole,
    pub scope: GrantScope,
    pub valid_from: i64,
    pub valid_until: Option<i64>,
    pub granted_by: Option<String>,
}

impl From<MemberRow> for Membership {
    fn from(row: MemberRow) -> Self {
        Self {
            id: row.id,
            org_id: row.org_id,
            person_id: row.person_id,
            role: MemberRole::parse(&row.role).unwrap_or(MemberRole::Agent),
            scope: GrantScope::decode(&row.scope),
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            granted_by: row.granted_by,
        }
    }
}

impl Membership {
    pub fn is_valid_at(&self, now: i64) -> bool {
        self.valid_from <= now && self.valid_until.is_none_or(|until| until > now)
    }

    /// Representatives and administrators act for the organisation in everything.
    pub fn effective_scope(&self) -> GrantScope {
        match self.role {
            MemberRole::Agent => self.scope.clone(),
            _ => GrantScope::All,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OrgError {
    #[error("an organisation with this credit code already exists")]
    Duplicate,
    #[error("no such organisation")]
    UnknownOrg,
    #[error("no such membership")]
    UnknownMembership,
    #[error("only the legal representative may do this")]
    NotRepresentative,
    #[error("only the legal representative or an administrator may do this")]
    NotManager,
    #[error("an organisation may have at most {MAX_ADMINISTRATORS} administrators")]
    TooManyAdministrators,
    #[error("this person already has that role in the organisation")]
    AlreadyMember,
    #[error("the validity period must end in the future")]
    BadValidity,
    #[error("the legal representative's own membership can only be changed at a service counter")]
    RepresentativeIsPermanent,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct Organisations {
    db: Database,
    audit: Audit,
    clock: SharedClock,
}

impl Organisations {
    pub fn new(db: Database, audit: Audit, clock: SharedClock) -> Self {
        Self { db, audit, clock }
    }

    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    pub async fn create(
        &self,
        uscc: &Uscc,
        name: &str,
        kind: OrgKind,
        actor: &Actor,
    ) -> Result<Organisation, OrgError> {
        let row = OrgRow {
            id: uuid::Uuid::now_v7().to_string(),
            uscc: uscc.as_str().to_owned(),
            name: name.trim().to_owned(),
            kind: kind.as_str().to_owned(),
            status: "active".to_owned(),
            created_at: self.clock.now(),
        };
        match self.db.insert_org(&row).await {
            Err(error) if error.is_unique_violation_on("uscc") => return Err(OrgError::Duplicate),
            other => other?,
        }
        let detail = json!({ "uscc": row.uscc, "name": row.name, "kind": row.kind });
        self.audit
            .record(
                actor,
                Event { action: "org.create", subject_type: "organisation", subject_id: Some(row.id.clone()), detail },
            )
            .await?;
        Ok(row.into())
    }

    pub async fn find(&self, id: &str) -> Result<Option<Organisation>, OrgError> {
        Ok(self.db.find_org(id).await?.map(Organisation::from))
    }

    pub async fn find_by_uscc(&self, uscc: &Uscc) -> Result<Option<Organisation>, OrgError> {
        Ok(self.db.find_org_by_uscc(uscc.as_str()).await?.map(Organisation::from))
    }

    pub async fn list(&self) -> Result<Vec<Organisation>, OrgError> {
        Ok(self.db.list_orgs().await?.into_iter().map(Organisation::from).collect())
    }

    /// Binds the legal representative, replacing any previous one (after in-person verification or by
    /// a platform administrator).
    pub async fn bind_representative(
        &self,
        org_id: &str,
        person_id: &str,
        actor: &Actor,
    ) -> Result<Membership, OrgError> {
        self.db.find_org(org_id).await?.ok_or(OrgError::UnknownOrg)?;
        let now = self.clock.now();
        for member in self.members(org_id).await? {
            if member.role == MemberRole::LegalRepresentative {
                self.db.revoke_member(&member.id, now, actor.id.as_deref()).await?;
            }
        }
        self.add(
            org_id,
            person_id,
            MemberRole::LegalRepresentative,
            GrantScope::All,
            None,
            actor,
            "org.representative.bind",
        )
        .await
    }

    /// Adds the membership an upstream platform vouches for (`actor` names it), unless the person already
    /// has a current one in the organisation. A legal representative is bound only where the organisation
    /// has none: replacing one the counter bound takes a counter. Returns the membership added, if any.
    pub async fn join_as_vouched(
        &self,
        org_id: &str,
        person_id: &str,
        role: MemberRole,
        actor: &Actor,
    ) -> Result<Option<Membership>, OrgError> {
        let now = self.clock.now();
        let members: Vec<Membership> = self.members(org_id).await?.into_iter().filter(|m| m.is_valid_at(now)).collect();
        if members.iter().any(|m| m.person_id == person_id) {
            return Ok(None);
        }
        if role == MemberRole::LegalRepresentative && members.iter().any(|m| m.role == MemberRole::LegalRepresentative)
        {
            return Ok(None);
        }
        let added = self.add(org_id, person_id, role, GrantScope::All, None, actor, "org.member.vouched").await?;
        Ok(Some(added))
    }

    /// The representative appoints an administrator.
    pub async fn appoint_administrator(
        &self,
        org_id: &str,
        person_id: &str,
        by: &str,
        origin: Option<String>,
    ) -> Result<Membership, OrgError> {
        let acting = self.manager_role(org_id, by).await?;
        if acting != MemberRole::LegalRepresentative {
            return Err(OrgError::NotRepresentative);
        }
        let members = self.members(org_id).await?;
        if members.iter().filter(|m| m.role == MemberRole::Administrator).count() >= MAX_ADMINISTRATORS {
            return Err(OrgError::TooManyAdministrators);
        }
        if members.iter().any(|m| m.person_id == person_id && m.role != MemberRole::Agent) {
            return Err(OrgError::AlreadyMember);
        }
        let actor = Actor::person(by, acting.actor_role(), origin);
        self.add(
            org_id,
            person_id,
            MemberRole::Administrator,
            GrantScope::All,
            None,
            &actor,
            "org.administrator.appoint",
        )
        .await
    }

    /// The representative or an administrator authorises an agent for all business or named systems
    /// and items, until `valid_until` (or indefinitely).
    pub async fn authorise_agent(
        &self,
        org_id: &str,
        person_id: &str,
        scope: GrantScope,
        valid_until: Option<i64>,
        by: &str,
        origin: Option<String>,
    ) -> Result<Membership, OrgError> {
        let acting = self.manager_role(org_id, by).await?;
        if valid_until.is_some_and(|until| until <= self.clock.now()) {
            return Err(OrgError::BadValidity);
        }
        if self.members(org_id).await?.iter().any(|m| m.person_id == person_id && m.role == MemberRole::Agent) {
            return Err(OrgError::AlreadyMember);
        }
        let actor = Actor::person(by, acting.actor_role(), origin);
        self.add(org_id, person_id, MemberRole::Agent, scope, valid_until, &actor, "org.agent.authorise").await
    }

    /// Revokes a membership. The representative may revoke administrators and agents; an administrator,
    /// agents only. The representative's own binding changes only through a new binding.
    pub async fn revoke(&self, membership_id: &str, by: &str, origin: Option<String>) -> Result<(), OrgError> {
        let member: Membership = self.db.find_member(membership_id).await?.ok_or(OrgError::UnknownMembership)?.into();
        let acting = self.manager_role(&member.org_id, by).await?;
        match (acting, member.role) {
            (_, MemberRole::LegalRepresentative) => return Err(OrgError::RepresentativeIsPermanent),
            (MemberRole::Administrator, MemberRole::Administrator) => return Err(OrgError::NotRepresentative),
            _ => {}
        }
        if self.db.revoke_member(membership_id, self.clock.now(), Some(by)).await? {
            let actor = Actor::person(by, acting.actor_role(), origin);
            let detail =
                json!({ "org_id": member.org_id, "person_id": member.person_id, "role": member.role.as_str() });
            let event =
                Event { action: "org.member.revoke", subject_type: "org_member", subject_id: Some(member.id), detail };
            self.audit.record(&actor, event).await?;
        }
        Ok(())
    }

    /// The person's current memberships with their organisations.
    pub async fn memberships_of(&self, person_id: &str) -> Result<Vec<(Membership, Organisation)>, OrgError> {
        let now = self.clock.now();
        Ok(self.db.memberships_of(person_id, now).await?.into_iter().map(|(m, o)| (m.into(), o.into())).collect())
    }

    /// The person's current membership in one organisation, if any (the strongest role when several).
    pub async fn membership(
        &self,
        person_id: &str,
        org_id: &str,
    ) -> Result<Option<(Membership, Organisation)>, OrgError> {
        let mut found: Vec<_> =
            self.memberships_of(person_id).await?.into_iter().filter(|(_, org)| org.id == org_id).collect();
        found.sort_by_key(|(m, _)| match m.role {
            MemberRole::LegalRepresentative => 0,
            MemberRole::Administrator => 1,
            MemberRole::Agent => 2,
        });
        Ok(found.into_iter().next())
    }

    /// Every non-revoked membership of an organisation.
    pub async fn members(&self, org_id: &str) -> Result<Vec<Membership>, OrgError> {
        Ok(self.db.members_of(org_id).await?.into_iter().map(Membership::from).collect())
    }

    async fn manager_role(&self, org_id: &str, person_id: &str) -> Result<MemberRole, OrgError> {
        match self.membership(person_id, org_id).await? {
            Some((member, _)) if member.role != MemberRole::Agent => Ok(member.role),
            _ => Err(OrgError::NotManager),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn add(
        &self,
        org_id: &str,
        person_id: &str,
        role: MemberRole,
        scope: GrantScope,
        valid_until: Option<i64>,
        actor: &Actor,
        action: &'static str,
    ) -> Result<Membership, OrgError> {
        let now = self.clock.now();
        let row = MemberRow {
            id: uuid::Uuid::now_v7().to_string(),
            org_id: org_id.to_owned(),
            person_id: person_id.to_owned(),
            role: role.as_str().to_owned(),
            scope: scope.encode(),
            valid_from: now,
            valid_until,
            granted_by: actor.id.clone(),
            created_at: now,
            revoked_at: None,
        };
        self.db.insert_member(&row).await?;
        let detail = json!({ "org_id": org_id, "person_id": person_id, "role": role.as_str(), "scope": row.scope, "valid_until": valid_until });
        self.audit
            .record(actor, Event { action, subject_type: "org_member", subject_id: Some(row.id.clone()), detail })
            .await?;
        Ok(row.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_cover_what_they_name() {
        let scope = GrantScope::Only { clients: vec!["ym-a".into()], items: vec!["ITEM-1".into()] };
        assert_eq!(GrantScope::decode(&scope.encode()), scope);
        assert!(scope.covers("ym-a", &[]));
        assert!(scope.covers("ym-b", &["ITEM-1".into()]));
        assert!(!scope.covers("ym-b", &["ITEM-2".into()]));
        assert!(GrantScope::decode("all").covers("anything", &[]));
    }
}
