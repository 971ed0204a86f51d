//! Connection status and its reports: each client's first and last successful login, the distinct users
//! of the designated pages, the connection-rate cubes over the catalog, and the daily snapshots.

use super::{Database, StoreResult};
use sqlx::Row;

/// Narrows the catalog reports; every set field must hold.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub departments: Option<Vec<String>>,
    pub kind: Option<String>,
    pub audience: Option<String>,
    /// `local`, `provincial`, `national`, or `none` for items without a system.
    pub vertical: Option<String>,
    pub theme: Option<String>,
}

/// Counts of active items for one combination of the report's dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CubeRow {
    pub department_id: String,
    pub kind: String,
    pub audience: String,
    pub vertical: String,
    pub items: i64,
    pub registered: i64,
    pub connected: i64,
    pub recently_used: i64,
}

/// Counts of active items with one theme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeRow {
    pub theme: String,
    pub items: i64,
    pub registered: i64,
    pub connected: i64,
    pub recently_used: i64,
}

/// An active item whose system has not completed a login, with whom to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingRow {
    pub code: String,
    pub name: String,
    pub department_id: String,
    pub system_name: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// `no_system`; with no client yet, `requested` (production credentials asked for, awaiting the
    /// department's decision), `sandbox_used` (tried in the sandbox), `sandbox_requested` or `no_client`;
    /// `no_login` (registered, never signed in).
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRow {
    pub day: String,
    pub scope: String,
    pub active_items: i64,
    pub registered: i64,
    pub connected: i64,
    pub recently_used: i64,
}

/// Each system's connection: whether it has an enabled client, and its clients' first and last login.
const SYSTEM_STATUS: &str = "WITH sys AS (\
    SELECT c.system_id AS system_id, MIN(cc.first_login_at) AS first_login, MAX(cc.last_login_at) AS last_login \
    FROM clients c LEFT JOIN client_connections cc ON cc.client_id = c.id \
    WHERE c.enabled = 1 AND c.system_id IS NOT NULL GROUP BY c.system_id) ";

const ITEMS_WITH_STATUS: &str = "FROM service_items i LEFT JOIN business_systems s ON s.id = i.system_id LEFT JOIN sys ON sys.system_id = i.system_id";

/// The counts over `g`, items already grouped by system (`g.system_id`, `g.n`), joined with `sys`.
/// Grouping the items first makes the joins per system rather than per item: the report then reads the
/// items through one covering index, whatever the size of the catalog.
const GROUPED_COUNTS: &str = "CAST(SUM(g.n) AS BIGINT) AS items, \
    CAST(SUM(CASE WHEN sys.system_id IS NOT NULL THEN g.n ELSE 0 END) AS BIGINT) AS registered, \
    CAST(SUM(CASE WHEN sys.first_login IS NOT NULL THEN g.n ELSE 0 END) AS BIGINT) AS connected, \
    CAST(SUM(CASE WHEN sys.last_login >= $1 THEN g.n ELSE 0 END) AS BIGINT) AS recently_used";

const GROUPS_WITH_STATUS: &str =
    "FROM g LEFT JOIN business_systems s ON s.id = g.system_id LEFT JOIN sys ON sys.system_id = g.system_id";

/// The WHERE clause of a filter over `i` (the items, or the themes with their copies of the items'
/// fields; `code` names the item code column), with its values in placeholder order from `$first`.
fn filter_clause(filter: &ItemFilter, first: usize, code: &str) -> (String, Vec<String>) {
    let mut clause = String::from(" WHERE i.status = 'active'");
    let mut values = Vec::new();
    let next = |values: &mut Vec<String>, value: &str| {
        values.push(value.to_owned());
        format!("${}", first + values.len() - 1)
    };
    if let Some(departments) = &filter.departments {
        if departments.is_empty() {
            clause.push_str(" AND 1 = 0");
        } else {
            let placeholders: Vec<String> = departments.iter().map(|d| next(&mut values, d)).collect();
            clause.push_str(&format!(" AND i.department_id IN ({})", placeholders.join(", ")));
        }
    }
    if let Some(kind) = &filter.kind {
        let p = next(&mut values, kind);
        clause.push_str(&format!(" AND i.kind = {p}"));
    }
    if let Some(audience) = &filter.audience {
        let p = next(&mut values, audience);
        clause.push_str(&format!(" AND i.audience = {p}"));
    }
    if let Some(vertical) = &filter.vertical {
        let p = next(&mut values, vertical);
        clause.push_str(&format!(
            " AND COALESCE((SELECT vs.vertical FROM business_systems vs WHERE vs.id = i.system_id), 'none') = {p}"
        ));
    }
    if let Some(theme) = &filter.theme {
        let p = next(&mut values, theme);
        clause.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM service_item_themes ft WHERE ft.item_code = i.{code} AND ft.theme = {p})"
        ));
    }
    (clause, values)
}

impl Database {
    /// Records a client's successful login: the first time inserts, later calls move the last-login time.
    pub async fn touch_client_connection(&self, client_id: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO client_connections (client_id, first_login_at, last_login_at) VALUES ($1, $2, $2) \
             ON CONFLICT (client_id) DO UPDATE SET last_login_at = excluded.last_login_at",
        )
        .bind(client_id)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A client's first and last successful login, if it ever completed one.
    pub async fn client_connection(&self, client_id: &str) -> StoreResult<Option<(i64, i64)>> {
        let row = sqlx::query("SELECT first_login_at, last_login_at FROM client_connections WHERE client_id = $1")
            .bind(client_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row
            .map(|row| Ok::<_, sqlx::Error>((row.try_get("first_login_at")?, row.try_get("last_login_at")?)))
            .transpose()?)
    }

    /// The designated page a system serves (`none` for most).
    pub async fn system_portal(&self, system_id: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT portal FROM business_systems WHERE id = $1")
            .bind(system_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|row| row.try_get("portal")).transpose()?)
    }

    pub async fn touch_portal_user(&self, portal: &str, subject_id: &str, now: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO portal_users (portal, subject_id, last_seen) VALUES ($1, $2, $3) \
             ON CONFLICT (portal, subject_id) DO UPDATE SET last_seen = excluded.last_seen",
        )
        .bind(portal)
        .bind(subject_id)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Distinct users of a designated page seen since `since`.
    pub async fn portal_user_count(&self, portal: &str, since: i64) -> StoreResult<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM portal_users WHERE portal = $1 AND last_seen >= $2")
            .bind(portal)
            .bind(since)
            .fetch_one(self.pool())
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Active items counted by department, kind, audience and vertical; `recent_since` bounds the
    /// "recently used" count.
    pub async fn connection_cube(&self, filter: &ItemFilter, recent_since: i64) -> StoreResult<Vec<CubeRow>> {
        let (clause, values) = filter_clause(filter, 2, "code");
        let sql = format!(
            "{SYSTEM_STATUS}, g AS (SELECT i.department_id AS department_id, i.kind AS kind, i.audience AS audience, \
             i.system_id AS system_id, COUNT(*) AS n FROM service_items i{clause} \
             GROUP BY i.department_id, i.kind, i.audience, i.system_id) \
             SELECT g.department_id AS department_id, g.kind AS kind, g.audience AS audience, \
             COALESCE(s.vertical, 'none') AS vertical, {GROUPED_COUNTS} {GROUPS_WITH_STATUS} \
             GROUP BY g.department_id, g.kind, g.audience, COALESCE(s.vertical, 'none')"
        );
        let mut query = sqlx::query(&sql).bind(recent_since);
        for value in &values {
            query = query.bind(value);
        }
        query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|row| {
                Ok(CubeRow {
                    department_id: row.try_get("department_id")?,
                    kind: row.try_get("kind")?,
                    audience: row.try_get("audience")?,
                    vertical: row.try_get("vertical")?,
                    items: row.try_get("items")?,
                    registered: row.try_get("registered")?,
                    connected: row.try_get("connected")?,
                    recently_used: row.try_get("recently_used")?,
                })
            })
            .collect()
    }

    /// Active items counted by theme (an item with several themes counts under each).
    pub async fn connection_by_theme(&self, filter: &ItemFilter, recent_since: i64) -> StoreResult<Vec<ThemeRow>> {
        let (clause, values) = filter_clause(filter, 2, "item_code");
        let sql = format!(
            "{SYSTEM_STATUS}SELECT i.theme AS theme, COUNT(*) AS items, COUNT(sys.system_id) AS registered, \
             COUNT(sys.first_login) AS connected, COUNT(CASE WHEN sys.last_login >= $1 THEN 1 END) AS recently_used \
             FROM service_item_themes i LEFT JOIN sys ON sys.system_id = i.system_id{clause} \
             GROUP BY i.theme ORDER BY i.theme"
        );
        let mut query = sqlx::query(&sql).bind(recent_since);
        for value in &values {
            query = query.bind(value);
        }
        query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|row| {
                Ok(ThemeRow {
                    theme: row.try_get("theme")?,
                    items: row.try_get("items")?,
                    registered: row.try_get("registered")?,
                    connected: row.try_get("connected")?,
                    recently_used: row.try_get("recently_used")?,
                })
            })
            .collect()
    }

    /// Active items not yet connected, by department and code, at most `limit`.
    pub async fn missing_items(&self, filter: &ItemFilter, limit: i64) -> StoreResult<Vec<MissingRow>> {
        let (clause, values) = filter_clause(filter, 2, "code");
        let sql = format!(
            "{SYSTEM_STATUS}SELECT i.code AS code, i.name AS name, i.department_id AS department_id, s.name AS system_name, \
             s.contact_name AS contact_name, s.contact_phone AS contact_phone, \
             CASE WHEN i.system_id IS NULL THEN 'no_system' \
             WHEN sys.system_id IS NULL THEN COALESCE({stage}, 'no_client') ELSE 'no_login' END AS reason \
             {ITEMS_WITH_STATUS}{clause} AND sys.first_login IS NULL ORDER BY i.department_id, i.code LIMIT $1",
            stage = super::integration_requests::stage_of("i.system_id"),
        );
        let mut query = sqlx::query(&sql).bind(limit);
        for value in &values {
            query = query.bind(value);
        }
        query
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|row| {
                Ok(MissingRow {
                    code: row.try_get("code")?,
                    name: row.try_get("name")?,
                    department_id: row.try_get("department_id")?,
                    system_name: row.try_get("system_name")?,
                    contact_name: row.try_get("contact_name")?,
                    contact_phone: row.try_get("contact_phone")?,
                    reason: row.try_get("reason")?,
                })
            })
            .collect()
    }

    /// Stores snapshot rows; a day already recorded for a scope takes the new figures.
    pub async fn upsert_snapshots(&self, rows: &[SnapshotRow]) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for row in rows {
            sqlx::query(
                "INSERT INTO connection_snapshots (day, scope, active_items, registered, connected, recently_used) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (day, scope) DO UPDATE SET active_items = excluded.active_items, \
                 registered = excluded.registered, connected = excluded.connected, recently_used = excluded.recently_used",
            )
            .bind(&row.day)
            .bind(&row.scope)
            .bind(row.active_items)
            .bind(row.registered)
            .bind(row.connected)
            .bind(row.recently_used)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A scope's snapshots from `from_day` (YYYY-MM-DD) on, oldest first.
    pub async fn snapshots(&self, scope: &str, from_day: &str) -> StoreResult<Vec<SnapshotRow>> {
        let rows = sqlx::query(
            "SELECT day, scope, active_items, registered, connected, recently_used FROM connection_snapshots \
             WHERE scope = $1 AND day >= $2 ORDER BY day",
        )
        .bind(scope)
        .bind(from_day)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SnapshotRow {
                    day: row.try_get("day")?,
                    scope: row.try_get("scope")?,
                    active_items: row.try_get("active_items")?,
                    registered: row.try_get("registered")?,
                    connected: row.try_get("connected")?,
                    recently_used: row.try_get("recently_used")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_placeholders_follow_the_fixed_ones() {
        let filter = ItemFilter {
            departments: Some(vec!["a".into(), "b".into()]),
            theme: Some("P01".into()),
            ..ItemFilter::default()
        };
        let (clause, values) = filter_clause(&filter, 2, "code");
        assert!(clause.contains("IN ($2, $3)") && clause.contains("ft.theme = $4"), "{clause}");
        assert_eq!(values, ["a", "b", "P01"]);
        let (none, _) = filter_clause(&ItemFilter { departments: Some(vec![]), ..ItemFilter::default() }, 2, "code");
        assert!(none.contains("1 = 0"), "an empty department list matches nothing");
    }
}
