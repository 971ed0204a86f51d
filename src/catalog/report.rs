//! The connection rate: connected items ÷ active catalogue items against the target, overall and broken
//! down by department, department level, item type, audience, theme and vertical system; the items still
//! missing and whom to call; the usage indicators of the designated pages; daily snapshots for the trend.

use super::report_query::ReportQuery;
use super::{DepartmentLevel, Portal};
use crate::clock::SharedClock;
use crate::config::CatalogConfig;
use crate::store::connections::{CubeRow, ItemFilter, MissingRow, SnapshotRow};
use crate::store::{Database, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

const DAY_SECS: i64 = 86_400;
/// China Standard Time: days and snapshots follow the city's calendar.
const CST_OFFSET_SECS: i64 = 8 * 3_600;

pub use super::dimension::Dimension;
use super::dimension::Source;

/// The counts behind one rate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Active (not withdrawn) items in the catalogue.
    pub active_items: i64,
    /// Items whose system has an enabled client.
    pub registered: i64,
    /// Items whose system's client completed at least one login.
    pub connected: i64,
    /// Items whose system's client completed a login within the activity window.
    pub recently_used: i64,
}

impl Counts {
    fn add(&mut self, items: i64, registered: i64, connected: i64, recently_used: i64) {
        self.active_items += items;
        self.registered += registered;
        self.connected += connected;
        self.recently_used += recently_used;
    }

    /// connected ÷ active items; None when there are no items.
    pub fn rate(&self) -> Option<f64> {
        (self.active_items > 0).then(|| self.connected as f64 / self.active_items as f64)
    }
}

/// One row of a breakdown: its key (a department id, a level, a theme code…), its label and counts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub key: String,
    pub label: String,
    #[serde(flatten)]
    pub counts: Counts,
    pub rate: Option<f64>,
    pub meets_target: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub target: f64,
    pub activity_window_days: i64,
    pub overall: Line,
    pub breakdowns: BTreeMap<Dimension, Vec<Line>>,
}

/// A usage indicator of a designated page: distinct users ÷ the configured population.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    pub users: i64,
    pub denominator: i64,
    pub share: Option<f64>,
    pub target: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Usage {
    pub window_days: i64,
    pub enterprise: Indicator,
    pub citizen: Indicator,
}

#[derive(Clone)]
pub struct Reports {
    db: Database,
    clock: SharedClock,
    config: CatalogConfig,
}

impl std::fmt::Debug for Reports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reports")
    }
}

/// The calendar day (China Standard Time) of a unix time, as YYYY-MM-DD.
pub fn day_of(unix: i64) -> String {
    let days = (unix + CST_OFFSET_SECS).div_euclid(DAY_SECS);
    let date = time::Date::from_julian_day((days + 2_440_588) as i32).unwrap_or(time::Date::MIN);
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

impl Reports {
    pub fn new(db: Database, clock: SharedClock, config: CatalogConfig) -> Self {
        Self { db, clock, config }
    }

    pub fn target(&self) -> f64 {
        self.config.target_rate
    }

    fn line(&self, key: String, label: String, counts: Counts) -> Line {
        let rate = counts.rate();
        Line { key, label, meets_target: rate.is_some_and(|r| r >= self.config.target_rate), rate, counts }
    }

    /// The report for the items matching `filter`, with the breakdowns asked for.
    pub async fn report(&self, filter: &ItemFilter, dimensions: &[Dimension]) -> Result<Report, StoreError> {
        let since = self.clock.now() - self.config.activity_window_days * DAY_SECS;
        let cube = self.db.connection_cube(filter, since).await?;
        let departments: HashMap<String, (String, DepartmentLevel)> =
            self.db.list_departments().await?.into_iter().map(|d| (d.id, (d.name, d.level))).collect();
        let mut overall = Counts::default();
        for row in &cube {
            overall.add(row.items, row.registered, row.connected, row.recently_used);
        }
        let mut breakdowns = BTreeMap::new();
        for &dimension in dimensions {
            let lines = if matches!(dimension.info().source, Source::Themes) {
                self.db
                    .connection_by_theme(filter, since)
                    .await?
                    .into_iter()
                    .map(|row| {
                        let counts = Counts {
                            active_items: row.items,
                            registered: row.registered,
                            connected: row.connected,
                            recently_used: row.recently_used,
                        };
                        self.line(row.theme.clone(), dimension.label(&row.theme), counts)
                    })
                    .collect()
            } else {
                self.group(&cube, dimension, &departments)
            };
            breakdowns.insert(dimension, lines);
        }
        Ok(Report {
            target: self.config.target_rate,
            activity_window_days: self.config.activity_window_days,
            overall: self.line("all".into(), "全部事项".into(), overall),
            breakdowns,
        })
    }

    fn group(
        &self,
        cube: &[CubeRow],
        dimension: Dimension,
        departments: &HashMap<String, (String, DepartmentLevel)>,
    ) -> Vec<Line> {
        let mut groups: BTreeMap<String, Counts> = BTreeMap::new();
        for row in cube {
            let key = match dimension.info().source {
                Source::Department => row.department_id.clone(),
                Source::Level => {
                    departments.get(&row.department_id).map_or("unknown", |(_, level)| level.as_str()).to_owned()
                }
                Source::Column { of, .. } => of(row).to_owned(),
                Source::Themes => unreachable!("themes are counted by their own query"),
            };
            groups.entry(key).or_default().add(row.items, row.registered, row.connected, row.recently_used);
        }
        let mut lines: Vec<Line> = groups
            .into_iter()
            .map(|(key, counts)| {
                let label = match dimension {
                    Dimension::Department => {
                        departments.get(&key).map_or_else(|| key.clone(), |(name, _)| name.clone())
                    }
                    _ => dimension.label(&key),
                };
                self.line(key, label, counts)
            })
            .collect();
        if dimension == Dimension::Department {
            // Furthest behind first: that is whom to call.
            lines.sort_by(|a, b| {
                a.rate.unwrap_or(0.0).total_cmp(&b.rate.unwrap_or(0.0)).then_with(|| a.label.cmp(&b.label))
            });
        }
        lines
    }

    /// Active items whose system has not completed a login, by department, at most `limit`.
    pub async fn missing(&self, filter: &ItemFilter, limit: i64) -> Result<Vec<MissingRow>, StoreError> {
        self.db.missing_items(filter, limit).await
    }

    pub async fn usage(&self) -> Result<Usage, StoreError> {
        let since = self.clock.now() - self.config.usage_window_days * DAY_SECS;
        let indicator = |users: i64, denominator: i64, target: f64| Indicator {
            users,
            denominator,
            share: (denominator > 0).then(|| users as f64 / denominator as f64),
            target,
        };
        let enterprise = self.db.portal_user_count(Portal::Enterprise.as_str(), since).await?;
        let citizen = self.db.portal_user_count(Portal::Citizen.as_str(), since).await?;
        Ok(Usage {
            window_days: self.config.usage_window_days,
            enterprise: indicator(enterprise, self.config.enterprises, self.config.enterprise_target),
            citizen: indicator(citizen, self.config.population_20_49, self.config.citizen_target),
        })
    }

    /// Records today's snapshot (overall and per department), replacing today's earlier one: a day's
    /// figures are those of its last snapshot. Returns the day.
    pub async fn record_snapshot(&self) -> Result<String, StoreError> {
        let day = day_of(self.clock.now());
        let report = self.report(&ItemFilter::default(), &[Dimension::Department]).await?;
        let row = |scope: String, c: &Counts| SnapshotRow {
            day: day.clone(),
            scope,
            active_items: c.active_items,
            registered: c.registered,
            connected: c.connected,
            recently_used: c.recently_used,
        };
        let mut rows = vec![row("all".into(), &report.overall.counts)];
        for line in report.breakdowns.get(&Dimension::Department).into_iter().flatten() {
            rows.push(row(format!("dept:{}", line.key), &line.counts));
        }
        self.db.upsert_snapshots(&rows).await?;
        Ok(day)
    }

    /// The snapshots of a scope (`all`, or `dept:ID`) over the last `days` days.
    pub async fn snapshots(&self, scope: &str, days: i64) -> Result<Vec<SnapshotRow>, StoreError> {
        let from = day_of(self.clock.now() - days * DAY_SECS);
        self.db.snapshots(scope, &from).await
    }

    /// The rate day by day over the last `days` days for `query`, from the snapshots of its scope, with
    /// `today` (the live rate of the report it goes with) in place of today's earlier snapshot when the
    /// question counts what snapshots count. Empty when no snapshot answers the question.
    pub async fn trend(
        &self,
        query: &ReportQuery,
        today: Option<f64>,
        days: i64,
    ) -> Result<Vec<(String, f64)>, StoreError> {
        let Some(scope) = query.trend_scope() else { return Ok(Vec::new()) };
        let mut points: Vec<(String, f64)> = self
            .snapshots(&scope, days)
            .await?
            .into_iter()
            .filter(|s| s.active_items > 0)
            .map(|s| (s.day, s.connected as f64 / s.active_items as f64))
            .collect();
        if !query.narrows_items()
            && let Some(rate) = today
        {
            let day = day_of(self.clock.now());
            points.retain(|(snapshot_day, _)| *snapshot_day != day);
            points.push((day, rate));
        }
        Ok(points)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_follow_china_standard_time() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(16 * 3_600), "1970-01-02", "16:00 UTC is midnight in the city");
        assert_eq!(day_of(1_795_000_000), "2026-11-18");
    }

    #[test]
    fn a_rate_needs_items() {
        let counts = Counts { active_items: 8, registered: 6, connected: 6, recently_used: 3 };
        assert_eq!(counts.rate(), Some(0.75));
        assert_eq!(Counts::default().rate(), None);
    }
}
