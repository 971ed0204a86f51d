//! Catalog operations with their rules: who may see and change what (platform administrators all,
//! department administrators their own departments), validation, and the audit entry of every change.

use super::import::{self, ImportFormat, ImportSummary, Problem, RowError};
use super::{BusinessSystem, Department, DepartmentLevel, Portal, ServiceItem, Vertical};
use crate::audit::{Actor, Audit, Event};
use crate::clock::SharedClock;
use crate::identity::roles::{RoleError, RoleKind, Roles};
use crate::oidc::Provider;
use crate::oidc::client::{Client, ClientRegistration, Registered};
use crate::oidc::provider::RegisterClientError;
use crate::store::{Database, StoreError};
use serde_json::json;
use std::sync::Arc;

/// What an administrator may see and change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Departments(Vec<String>),
}

impl Scope {
    pub fn allows(&self, department_id: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Departments(ids) => ids.iter().any(|id| id == department_id),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// Absent, or outside the administrator's departments: the two are told apart to nobody.
    #[error("not found")]
    NotFound,
    #[error("only a platform administrator may do this")]
    PlatformOnly,
    #[error("the {0} needs a name of at most 100 characters")]
    BadName(Named),
    #[error("level must be city, district or town")]
    BadLevel,
    #[error("the parent department does not exist")]
    UnknownParent,
    #[error("a department named {0} already exists")]
    DuplicateDepartment(String),
    #[error("vertical must be local, provincial or national")]
    BadVertical,
    #[error("portal must be none, enterprise or citizen")]
    BadPortal,
    #[error("this department already has a system named {0}")]
    DuplicateSystem(String),
    #[error("the import has errors")]
    Import(Vec<RowError>),
    #[error(transparent)]
    Client(#[from] RegisterClientError),
    #[error(transparent)]
    Role(#[from] RoleError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a refused name belonged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Department,
    System,
}

impl std::fmt::Display for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Department => "department",
            Self::System => "system",
        })
    }
}

/// A department to create.
#[derive(Debug, Clone, Default)]
pub struct NewDepartment {
    pub name: String,
    pub level: String,
    pub parent_id: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

/// A business system to create.
#[derive(Debug, Clone, Default)]
pub struct NewSystem {
    pub name: String,
    pub vertical: String,
    pub portal: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

#[derive(Clone)]
pub struct Catalog {
    db: Database,
    audit: Audit,
    roles: Roles,
    provider: Arc<Provider>,
    clock: SharedClock,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Catalog")
    }
}

fn trimmed(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn check_name(name: &str, what: Named) -> Result<String, CatalogError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CatalogError::BadName(what));
    }
    Ok(name.to_owned())
}

impl Catalog {
    pub fn new(db: Database, audit: Audit, roles: Roles, provider: Arc<Provider>, clock: SharedClock) -> Self {
        Self { db, audit, roles, provider, clock }
    }

    /// What a person may administer in the catalog, or None when they hold no catalog role.
    pub async fn scope_of(&self, person_id: &str) -> Result<Option<Scope>, CatalogError> {
        let roles = self.roles.of(person_id).await?;
        if roles.iter().any(|r| r.kind == RoleKind::PlatformAdmin) {
            return Ok(Some(Scope::All));
        }
        let departments: Vec<String> =
            roles.into_iter().filter(|r| r.kind == RoleKind::DepartmentAdmin).filter_map(|r| r.scope_id).collect();
        Ok((!departments.is_empty()).then_some(Scope::Departments(departments)))
    }

    pub async fn departments(&self, scope: &Scope) -> Result<Vec<Department>, CatalogError> {
        Ok(self.db.list_departments().await?.into_iter().filter(|d| scope.allows(&d.id)).collect())
    }

    pub async fn department(&self, scope: &Scope, id: &str) -> Result<Department, CatalogError> {
        if !scope.allows(id) {
            return Err(CatalogError::NotFound);
        }
        self.db.find_department(id).await?.ok_or(CatalogError::NotFound)
    }

    pub async fn create_department(
        &self,
        scope: &Scope,
        new: NewDepartment,
        actor: &Actor,
    ) -> Result<Department, CatalogError> {
        if *scope != Scope::All {
            return Err(CatalogError::PlatformOnly);
        }
        let name = check_name(&new.name, Named::Department)?;
        let level = DepartmentLevel::parse(&new.level).ok_or(CatalogError::BadLevel)?;
        let parent_id = trimmed(new.parent_id);
        if let Some(parent) = &parent_id
            && self.db.find_department(parent).await?.is_none()
        {
            return Err(CatalogError::UnknownParent);
        }
        let department = Department {
            id: uuid::Uuid::now_v7().to_string(),
            name,
            level,
            parent_id,
            contact_name: trimmed(new.contact_name),
            contact_phone: trimmed(new.contact_phone),
        };
        match self.db.insert_department(&department, self.clock.now()).await {
            Err(error) if error.is_unique_violation() => {
                return Err(CatalogError::DuplicateDepartment(department.name));
            }
            other => other?,
        }
        let detail = json!({ "name": department.name, "level": level.as_str(), "parent_id": department.parent_id });
        self.record(actor, "catalog.department.create", "department", &department.id, detail).await?;
        Ok(department)
    }

    pub async fn systems(&self, scope: &Scope, department_id: &str) -> Result<Vec<BusinessSystem>, CatalogError> {
        self.department(scope, department_id).await?;
        Ok(self.db.list_systems(Some(department_id)).await?)
    }

    pub async fn system(&self, scope: &Scope, id: &str) -> Result<BusinessSystem, CatalogError> {
        let system = self.db.find_system(id).await?.ok_or(CatalogError::NotFound)?;
        if !scope.allows(&system.department_id) {
            return Err(CatalogError::NotFound);
        }
        Ok(system)
    }

    pub async fn create_system(
        &self,
        scope: &Scope,
        department_id: &str,
        new: NewSystem,
        actor: &Actor,
    ) -> Result<BusinessSystem, CatalogError> {
        self.department(scope, department_id).await?;
        let system = BusinessSystem {
            id: uuid::Uuid::now_v7().to_string(),
            department_id: department_id.to_owned(),
            name: check_name(&new.name, Named::System)?,
            vertical: Vertical::parse(if new.vertical.is_empty() { "local" } else { &new.vertical })
                .ok_or(CatalogError::BadVertical)?,
            portal: Portal::parse(if new.portal.is_empty() { "none" } else { &new.portal })
                .ok_or(CatalogError::BadPortal)?,
            contact_name: trimmed(new.contact_name),
            contact_phone: trimmed(new.contact_phone),
        };
        match self.db.insert_system(&system, self.clock.now()).await {
            Err(error) if error.is_unique_violation() => {
                return Err(CatalogError::DuplicateSystem(system.name));
            }
            other => other?,
        }
        let detail = json!({ "department_id": department_id, "name": system.name, "vertical": system.vertical.as_str(), "portal": system.portal.as_str() });
        self.record(actor, "catalog.system.create", "system", &system.id, detail).await?;
        Ok(system)
    }

    /// Registers an OIDC client for a business system; the secret in the result is shown once.
    pub async fn register_client(
        &self,
        scope: &Scope,
        system_id: &str,
        mut registration: ClientRegistration,
        actor: &Actor,
    ) -> Result<Registered, CatalogError> {
        let system = self.system(scope, system_id).await?;
        if registration.name.trim().is_empty() {
            registration.name = system.name.clone();
        }
        registration.system_id = Some(system.id.clone());
        let registered = self.provider.register_client(registration).await?;
        let detail = json!({ "system_id": system.id, "client_id": registered.client.id, "redirect_uris": registered.client.redirect_uris });
        self.record(actor, "catalog.client.register", "client", &registered.client.id, detail).await?;
        Ok(registered)
    }

    /// Disables a client at once (its tokens die with it).
    pub async fn disable_client(&self, client_id: &str) -> Result<(), CatalogError> {
        self.provider.set_client_enabled(client_id, false).await.map_err(RegisterClientError::from)?;
        Ok(())
    }

    /// The clients of a department's systems.
    pub async fn clients(&self, scope: &Scope, department_id: &str) -> Result<Vec<Client>, CatalogError> {
        let systems: Vec<String> = self.systems(scope, department_id).await?.into_iter().map(|s| s.id).collect();
        Ok(self.db.clients_of_systems(&systems).await?)
    }

    /// A client's first and last successful login (unix seconds), if any.
    pub async fn connection_of(&self, client_id: &str) -> Result<Option<(i64, i64)>, CatalogError> {
        Ok(self.db.client_connection(client_id).await?)
    }

    /// A page of a department's items and their total number.
    pub async fn items(
        &self,
        scope: &Scope,
        department_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ServiceItem>, i64), CatalogError> {
        self.department(scope, department_id).await?;
        Ok(self.db.department_items(department_id, limit.clamp(1, 1_000), offset.max(0)).await?)
    }

    /// Imports a department's items: every row is checked, and either all are written or none.
    pub async fn import(
        &self,
        scope: &Scope,
        department_id: &str,
        format: ImportFormat,
        text: &str,
        actor: &Actor,
    ) -> Result<ImportSummary, CatalogError> {
        let department = self.department(scope, department_id).await?;
        let systems = self.db.list_systems(Some(department_id)).await?;
        let rows = import::parse(format, text, &department, &systems).map_err(CatalogError::Import)?;
        let codes: Vec<String> = rows.iter().map(|(_, item)| item.code.clone()).collect();
        let owners = self.db.item_owners(&codes).await?;
        let conflicts: Vec<RowError> = rows
            .iter()
            .filter(|(_, item)| owners.get(&item.code).is_some_and(|owner| *owner != department.id))
            .map(|(line, _)| RowError::new(*line, "code", Problem::OtherDepartment))
            .collect();
        if !conflicts.is_empty() {
            return Err(CatalogError::Import(conflicts));
        }
        let items: Vec<ServiceItem> = rows.into_iter().map(|(_, item)| item).collect();
        let updated = items.iter().filter(|item| owners.contains_key(&item.code)).count();
        self.db.upsert_items(&items, self.clock.now()).await?;
        let summary = ImportSummary { created: items.len() - updated, updated };
        let detail = json!({ "department_id": department.id, "format": format.as_str(), "created": summary.created, "updated": summary.updated });
        self.record(actor, "catalog.items.import", "department", &department.id, detail).await?;
        Ok(summary)
    }

    async fn record(
        &self,
        actor: &Actor,
        action: &'static str,
        subject_type: &'static str,
        subject_id: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        self.audit
            .record(actor, Event { action, subject_type, subject_id: Some(subject_id.to_owned()), detail })
            .await
            .map(|_| ())
    }
}
