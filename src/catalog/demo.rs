//! `yimen demo` and `yimen serve --demo`: a living catalog for a first look. The 35 city departments of
//! the source document, three districts, each department's business systems with OIDC clients, a few
//! hundred service items across the themes, logins for most systems and two months of daily snapshots,
//! so the dashboard has a rate, a trend and a list of whom to call. Runs once: a catalog that already
//! has departments is left alone.

use super::service::{Catalog, CatalogError, NewDepartment, NewSystem, Scope};
use super::{Audience, ItemKind, ItemStatus, ServiceItem, themes};
use crate::audit::Actor;
use crate::clock::SharedClock;
use crate::oidc::client::ClientRegistration;
use crate::store::Database;
use crate::store::connections::SnapshotRow;
use serde::Deserialize;

#[derive(Deserialize)]
struct DepartmentFile {
    departments: Vec<SeedDepartment>,
}

#[derive(Deserialize)]
struct SeedDepartment {
    name: String,
}

/// What the demo created.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DemoSummary {
    pub departments: usize,
    /// Of the departments, the city's own; the rest are district offices.
    pub city_departments: usize,
    pub systems: usize,
    pub items: usize,
}

const DISTRICTS: [&str; 3] = ["鼓楼区", "台江区", "仓山区"];
const DISTRICT_OFFICES: [&str; 3] = ["政务服务数据管理局", "市场监督管理局", "民政局"];
const DAY_SECS: i64 = 86_400;

/// A small, deterministic sequence, so that every demo looks the same.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

pub async fn seed(catalog: &Catalog, db: &Database, clock: &SharedClock) -> Result<Option<DemoSummary>, CatalogError> {
    let scope = Scope::All;
    if !catalog.departments(&scope).await?.is_empty() {
        return Ok(None);
    }
    let actor = Actor::operator();
    let file: DepartmentFile =
        serde_json::from_str(include_str!("data/city-departments.json")).expect("the bundled departments parse");
    let mut names: Vec<(String, &str, Option<usize>)> =
        file.departments.into_iter().map(|d| (d.name, "city", None)).collect();
    let city_count = names.len();
    for district in DISTRICTS {
        let office = names.len();
        names.push((format!("{district}{}", DISTRICT_OFFICES[0]), "district", None));
        for other in &DISTRICT_OFFICES[1..] {
            names.push((format!("{district}{other}"), "district", Some(office)));
        }
    }
    let mut sequence = Sequence(2026);
    let mut summary = DemoSummary { city_departments: city_count, ..DemoSummary::default() };
    let mut ids: Vec<String> = Vec::new();
    let now = clock.now();
    let all_themes = themes::all();
    for (index, (name, level, parent)) in names.iter().enumerate() {
        let department = catalog
            .create_department(
                &scope,
                NewDepartment {
                    name: name.clone(),
                    level: (*level).to_owned(),
                    parent_id: parent.map(|p| ids[p].clone()),
                    contact_name: Some(format!("{}信息科", name.trim_start_matches('市'))),
                    contact_phone: Some(format!("0591-8{:07}", 3_000_000 + index * 1_117)),
                },
                &actor,
            )
            .await?;
        ids.push(department.id.clone());
        summary.departments += 1;
        let short = name.trim_start_matches('市').trim_end_matches('局');
        let vertical = if index % 7 == 3 {
            "provincial"
        } else if index % 11 == 5 {
            "national"
        } else {
            "local"
        };
        let mut system_ids = Vec::new();
        for (n, (system_name, vertical)) in
            [(format!("{short}综合业务系统"), "local"), (format!("{short}审批管理系统"), vertical)]
                .into_iter()
                .enumerate()
        {
            let portal = match (index, n) {
                (0, 0) => "citizen",
                (14, 0) => "enterprise",
                _ => "none",
            };
            let new = NewSystem {
                name: system_name,
                vertical: vertical.to_owned(),
                portal: portal.to_owned(),
                contact_name: Some(format!("{short}系统负责人")),
                contact_phone: Some(format!("0591-8{:07}", 4_000_000 + index * 31 + n)),
            };
            let system = catalog.create_system(&scope, &department.id, new, &actor).await?;
            summary.systems += 1;
            let registration = ClientRegistration {
                name: system.name.clone(),
                redirect_uris: vec![format!("https://{}.demo.city.gov.cn/oidc/callback", index * 10 + n)],
                ..ClientRegistration::default()
            };
            // Most systems are connected; one in five has a client that never completed a login, and the
            // second system of every sixth department has no client at all.
            if index % 6 == 2 && n == 1 {
                system_ids.push(system.id);
                continue;
            }
            let registered = catalog.register_client(&scope, &system.id, registration, &actor).await?;
            if sequence.next(5) != 0 || index < city_count / 3 {
                let first = now - (20 + sequence.next(60) as i64) * DAY_SECS;
                let last = now - sequence.next(45) as i64 * DAY_SECS;
                db.touch_client_connection(&registered.client.id, first).await?;
                db.touch_client_connection(&registered.client.id, last.max(first)).await?;
            }
            system_ids.push(system.id);
        }
        let count = 6 + sequence.next(14) as usize;
        let mut items = Vec::with_capacity(count);
        for n in 0..count {
            let theme = &all_themes[sequence.next(all_themes.len() as u64) as usize];
            let legal = theme.code.starts_with('L');
            let kind = if sequence.next(3) == 0 { ItemKind::Licence } else { ItemKind::PublicService };
            let action = match kind {
                ItemKind::Licence => ["许可", "审批", "核准", "登记"][n % 4],
                ItemKind::PublicService => ["查询", "办理", "申领", "服务"][n % 4],
            };
            items.push(ServiceItem {
                code: format!("D{index:02}-{:03}", n + 1),
                name: format!("{}{}{action}", short, theme.name),
                kind,
                audience: if legal {
                    Audience::Legal
                } else if n % 5 == 0 {
                    Audience::Both
                } else {
                    Audience::Person
                },
                themes: vec![theme.code.clone()],
                department_id: department.id.clone(),
                system_id: if n % 9 == 8 { None } else { Some(system_ids[n % system_ids.len()].clone()) },
                status: if n % 13 == 12 { ItemStatus::Withdrawn } else { ItemStatus::Active },
            });
        }
        summary.items += items.len();
        db.upsert_items(&items, now).await?;
    }
    seed_history(db, clock, &mut sequence).await?;
    Ok(Some(summary))
}

/// Sixty days of overall snapshots climbing toward today's figures.
async fn seed_history(db: &Database, clock: &SharedClock, sequence: &mut Sequence) -> Result<(), CatalogError> {
    let reports = super::report::Reports::new(db.clone(), clock.clone(), crate::config::CatalogConfig::default());
    let today = reports.report(&Default::default(), &[]).await?.overall.counts;
    let mut rows = Vec::new();
    for back in (1..=60_i64).rev() {
        let share = 1.0 - back as f64 / 100.0;
        let connected = ((today.connected as f64) * share) as i64 - sequence.next(3) as i64;
        rows.push(SnapshotRow {
            day: super::report::day_of(clock.now() - back * DAY_SECS),
            scope: "all".into(),
            active_items: today.active_items - back / 20,
            registered: ((today.registered as f64) * (1.0 - back as f64 / 150.0)) as i64,
            connected: connected.max(0),
            recently_used: (connected as f64 * 0.8) as i64,
        });
    }
    db.upsert_snapshots(&rows).await?;
    Ok(())
}
