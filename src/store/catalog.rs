//! The department catalog's records: departments, business systems, service items and their themes.

use super::{Database, StoreError, StoreResult};
use crate::catalog::{
    Audience, BusinessSystem, Department, DepartmentLevel, ItemKind, ItemStatus, Portal, ServiceItem, Vertical,
};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::HashMap;

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("catalog {what} {value:?}"))
}

fn department(row: &AnyRow) -> StoreResult<Department> {
    let level: String = row.try_get("level")?;
    Ok(Department {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        level: DepartmentLevel::parse(&level).ok_or_else(|| corrupt("level", &level))?,
        parent_id: row.try_get("parent_id")?,
        contact_name: row.try_get("contact_name")?,
        contact_phone: row.try_get("contact_phone")?,
    })
}

fn system(row: &AnyRow) -> StoreResult<BusinessSystem> {
    let vertical: String = row.try_get("vertical")?;
    let portal: String = row.try_get("portal")?;
    Ok(BusinessSystem {
        id: row.try_get("id")?,
        department_id: row.try_get("department_id")?,
        name: row.try_get("name")?,
        vertical: Vertical::parse(&vertical).ok_or_else(|| corrupt("vertical", &vertical))?,
        portal: Portal::parse(&portal).ok_or_else(|| corrupt("portal", &portal))?,
        contact_name: row.try_get("contact_name")?,
        contact_phone: row.try_get("contact_phone")?,
    })
}

fn item(row: &AnyRow, themes: &mut HashMap<String, Vec<String>>) -> StoreResult<ServiceItem> {
    let code: String = row.try_get("code")?;
    let kind: String = row.try_get("kind")?;
    let audience: String = row.try_get("audience")?;
    let status: String = row.try_get("status")?;
    Ok(ServiceItem {
        themes: themes.remove(&code).unwrap_or_default(),
        code,
        name: row.try_get("name")?,
        kind: ItemKind::parse(&kind).ok_or_else(|| corrupt("item kind", &kind))?,
        audience: Audience::parse(&audience).ok_or_else(|| corrupt("audience", &audience))?,
        department_id: row.try_get("department_id")?,
        system_id: row.try_get("system_id")?,
        status: ItemStatus::parse(&status).ok_or_else(|| corrupt("item status", &status))?,
    })
}

const DEPARTMENT_COLUMNS: &str = "id, name, level, parent_id, contact_name, contact_phone";
const SYSTEM_COLUMNS: &str = "id, department_id, name, vertical, portal, contact_name, contact_phone";
const ITEM_COLUMNS: &str = "code, name, kind, audience, department_id, system_id, status";

impl Database {
    pub async fn insert_department(&self, department: &Department, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO departments (id, name, level, parent_id, contact_name, contact_phone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&department.id)
        .bind(&department.name)
        .bind(department.level.as_str())
        .bind(&department.parent_id)
        .bind(&department.contact_name)
        .bind(&department.contact_phone)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn list_departments(&self) -> StoreResult<Vec<Department>> {
        let sql = format!("SELECT {DEPARTMENT_COLUMNS} FROM departments ORDER BY created_at, name");
        sqlx::query(&sql).fetch_all(self.pool()).await?.iter().map(department).collect()
    }

    pub async fn find_department(&self, id: &str) -> StoreResult<Option<Department>> {
        let sql = format!("SELECT {DEPARTMENT_COLUMNS} FROM departments WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.as_ref().map(department).transpose()
    }

    pub async fn insert_system(&self, system: &BusinessSystem, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO business_systems (id, department_id, name, vertical, portal, contact_name, contact_phone, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&system.id)
        .bind(&system.department_id)
        .bind(&system.name)
        .bind(system.vertical.as_str())
        .bind(system.portal.as_str())
        .bind(&system.contact_name)
        .bind(&system.contact_phone)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Systems of one department, or of all when `department_id` is None.
    pub async fn list_systems(&self, department_id: Option<&str>) -> StoreResult<Vec<BusinessSystem>> {
        let rows = match department_id {
            Some(id) => {
                let sql = format!(
                    "SELECT {SYSTEM_COLUMNS} FROM business_systems WHERE department_id = $1 ORDER BY created_at, name"
                );
                sqlx::query(&sql).bind(id).fetch_all(self.pool()).await?
            }
            None => {
                let sql = format!("SELECT {SYSTEM_COLUMNS} FROM business_systems ORDER BY created_at, name");
                sqlx::query(&sql).fetch_all(self.pool()).await?
            }
        };
        rows.iter().map(system).collect()
    }

    pub async fn find_system(&self, id: &str) -> StoreResult<Option<BusinessSystem>> {
        let sql = format!("SELECT {SYSTEM_COLUMNS} FROM business_systems WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.pool()).await?.as_ref().map(system).transpose()
    }

    /// A department's items by code, `limit` from `offset`, with the total count.
    pub async fn department_items(
        &self,
        department_id: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<ServiceItem>, i64)> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM service_items WHERE department_id = $1 ORDER BY code LIMIT $2 OFFSET $3"
        );
        let rows = sqlx::query(&sql).bind(department_id).bind(limit).bind(offset).fetch_all(self.pool()).await?;
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM service_items WHERE department_id = $1")
            .bind(department_id)
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        let codes: Vec<String> = rows.iter().map(|row| row.try_get("code")).collect::<Result<_, _>>()?;
        let mut themes = self.themes_of(&codes).await?;
        let items = rows.iter().map(|row| item(row, &mut themes)).collect::<StoreResult<Vec<_>>>()?;
        Ok((items, total))
    }

    async fn themes_of(&self, codes: &[String]) -> StoreResult<HashMap<String, Vec<String>>> {
        let mut themes: HashMap<String, Vec<String>> = HashMap::new();
        for chunk in codes.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql = format!(
                "SELECT item_code, theme FROM service_item_themes WHERE item_code IN ({}) ORDER BY theme",
                placeholders.join(", ")
            );
            let mut query = sqlx::query(&sql);
            for code in chunk {
                query = query.bind(code);
            }
            for row in query.fetch_all(self.pool()).await? {
                themes.entry(row.try_get("item_code")?).or_default().push(row.try_get("theme")?);
            }
        }
        Ok(themes)
    }

    /// The owning department of each of these item codes that exists.
    pub async fn item_owners(&self, codes: &[String]) -> StoreResult<HashMap<String, String>> {
        let mut owners = HashMap::new();
        for chunk in codes.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|n| format!("${n}")).collect();
            let sql =
                format!("SELECT code, department_id FROM service_items WHERE code IN ({})", placeholders.join(", "));
            let mut query = sqlx::query(&sql);
            for code in chunk {
                query = query.bind(code);
            }
            for row in query.fetch_all(self.pool()).await? {
                owners.insert(row.try_get("code")?, row.try_get("department_id")?);
            }
        }
        Ok(owners)
    }

    /// Inserts or updates (by code) every item and replaces their themes, in one transaction: all or
    /// nothing.
    pub async fn upsert_items(&self, items: &[ServiceItem], now: i64) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for item in items {
            sqlx::query(
                "INSERT INTO service_items (code, name, kind, audience, department_id, system_id, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, audience = excluded.audience, \
                 system_id = excluded.system_id, status = excluded.status, updated_at = excluded.updated_at",
            )
            .bind(&item.code)
            .bind(&item.name)
            .bind(item.kind.as_str())
            .bind(item.audience.as_str())
            .bind(&item.department_id)
            .bind(&item.system_id)
            .bind(item.status.as_str())
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM service_item_themes WHERE item_code = $1")
                .bind(&item.code)
                .execute(&mut *tx)
                .await?;
            for theme in &item.themes {
                sqlx::query(
                    "INSERT INTO service_item_themes (item_code, theme, department_id, kind, audience, system_id, status) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&item.code)
                .bind(theme)
                .bind(&item.department_id)
                .bind(item.kind.as_str())
                .bind(item.audience.as_str())
                .bind(&item.system_id)
                .bind(item.status.as_str())
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }
}
