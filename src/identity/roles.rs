//! Administrative roles: platform administrators (everything), department administrators (one
//! department's systems and items), auditors (read-only audit access), hall staff and supervisors (the
//! counter desk). Roles are granted explicitly and audited; API tokens let an administrator script what
//! their role allows.

use crate::audit::{Actor, Audit, Event};
use crate::clock::SharedClock;
use crate::store::roles::{ApiTokenRow, RoleRow};
use crate::store::{Database, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleKind {
    PlatformAdmin,
    DepartmentAdmin,
    Auditor,
    HallStaff,
    HallSupervisor,
}

impl RoleKind {
    pub const ALL: [RoleKind; 5] =
        [Self::PlatformAdmin, Self::DepartmentAdmin, Self::Auditor, Self::HallStaff, Self::HallSupervisor];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform_admin",
            Self::DepartmentAdmin => "department_admin",
            Self::Auditor => "auditor",
            Self::HallStaff => "hall_staff",
            Self::HallSupervisor => "hall_supervisor",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == value)
    }

    /// Department administrators and hall roles are held for one department or hall.
    pub fn needs_scope(self) -> bool {
        matches!(self, Self::DepartmentAdmin | Self::HallStaff | Self::HallSupervisor)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    pub id: String,
    pub kind: RoleKind,
    /// The department or hall the role is held for.
    pub scope_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    #[error("the {0} role must name the department or hall it is held for")]
    MissingScope(&'static str),
    #[error("API tokens are for administrators; this person holds no administrative role")]
    NotAdministrator,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct Roles {
    db: Database,
    audit: Audit,
    clock: SharedClock,
}

pub const API_TOKEN_PREFIX: &str = "ymadm_";

impl Roles {
    pub fn new(db: Database, audit: Audit, clock: SharedClock) -> Self {
        Self { db, audit, clock }
    }

    pub async fn grant(
        &self,
        person_id: &str,
        kind: RoleKind,
        scope_id: Option<&str>,
        actor: &Actor,
    ) -> Result<Role, RoleError> {
        if kind.needs_scope() && scope_id.is_none() {
            return Err(RoleError::MissingScope(kind.as_str()));
        }
        let row = RoleRow {
            id: uuid::Uuid::now_v7().to_string(),
            person_id: person_id.to_owned(),
            role: kind.as_str().to_owned(),
            scope_id: scope_id.map(str::to_owned),
            created_at: self.clock.now(),
        };
        self.db.insert_role(&row, actor.id.as_deref()).await?;
        let detail = serde_json::json!({ "person_id": person_id, "role": kind.as_str(), "scope": scope_id });
        self.audit
            .record(
                actor,
                Event { action: "role.grant", subject_type: "role", subject_id: Some(row.id.clone()), detail },
            )
            .await?;
        Ok(Role { id: row.id, kind, scope_id: row.scope_id })
    }

    pub async fn revoke(&self, role_id: &str, actor: &Actor) -> Result<bool, RoleError> {
        let revoked = self.db.revoke_role(role_id, self.clock.now()).await?;
        if revoked {
            let event = Event {
                action: "role.revoke",
                subject_type: "role",
                subject_id: Some(role_id.to_owned()),
                detail: serde_json::json!({}),
            };
            self.audit.record(actor, event).await?;
        }
        Ok(revoked)
    }

    pub async fn of(&self, person_id: &str) -> Result<Vec<Role>, RoleError> {
        Ok(self
            .db
            .roles_of(person_id)
            .await?
            .into_iter()
            .filter_map(|row| Some(Role { id: row.id, kind: RoleKind::parse(&row.role)?, scope_id: row.scope_id }))
            .collect())
    }

    /// Everyone holding one of `kinds`: (person id, role).
    pub async fn holders(&self, kinds: &[RoleKind]) -> Result<Vec<(String, Role)>, RoleError> {
        let names: Vec<&str> = kinds.iter().map(|kind| kind.as_str()).collect();
        Ok(self
            .db
            .roles_of_kinds(&names)
            .await?
            .into_iter()
            .filter_map(|row| {
                Some((row.person_id, Role { id: row.id, kind: RoleKind::parse(&row.role)?, scope_id: row.scope_id }))
            })
            .collect())
    }

    pub async fn has(&self, person_id: &str, kind: RoleKind) -> Result<bool, RoleError> {
        Ok(self.of(person_id).await?.iter().any(|role| role.kind == kind))
    }

    /// Issues an API token for an administrator; the token is shown once and stored as a digest.
    pub async fn issue_api_token(
        &self,
        person_id: &str,
        name: &str,
        days: i64,
        actor: &Actor,
    ) -> Result<String, RoleError> {
        let roles = self.of(person_id).await?;
        if !roles
            .iter()
            .any(|r| matches!(r.kind, RoleKind::PlatformAdmin | RoleKind::DepartmentAdmin | RoleKind::Auditor))
        {
            return Err(RoleError::NotAdministrator);
        }
        let token = format!("{API_TOKEN_PREFIX}{}", crate::crypto::random_token(32));
        let now = self.clock.now();
        let row = ApiTokenRow {
            id: uuid::Uuid::now_v7().to_string(),
            token_hash: crate::crypto::token_digest(&token),
            person_id: person_id.to_owned(),
            name: name.to_owned(),
            created_at: now,
            expires_at: now + days.max(1) * 86_400,
        };
        self.db.insert_api_token(&row).await?;
        let detail = serde_json::json!({ "person_id": person_id, "name": name, "expires_at": row.expires_at });
        self.audit
            .record(
                actor,
                Event { action: "api_token.issue", subject_type: "api_token", subject_id: Some(row.id), detail },
            )
            .await?;
        Ok(token)
    }

    /// The person behind a valid API token.
    pub async fn api_token_holder(&self, token: &str) -> Result<Option<String>, RoleError> {
        if !token.starts_with(API_TOKEN_PREFIX) {
            return Ok(None);
        }
        Ok(self
            .db
            .find_api_token(&crate::crypto::token_digest(token), self.clock.now())
            .await?
            .map(|row| row.person_id))
    }
}
