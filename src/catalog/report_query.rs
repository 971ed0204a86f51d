//! What a reader of the connection rate asks to see (one department, a level, an item type, an audience,
//! a vertical system, a theme), read once from the query and held within the departments the reader may
//! see: it becomes the store's item filter and names the snapshots the trend may show.

use super::dimension::{DIMENSIONS, Dimension, Source};
use super::{Department, DepartmentLevel, Scope};
use crate::store::connections::ItemFilter;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The query as the dashboard's form, its exports and the admin API send it: each breakdown's parameter
/// (`param` in [`DIMENSIONS`]) with the value chosen. A value that names nothing (an unknown level, a theme
/// that does not exist) is ignored, as if it had not been sent.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct ReportParams(BTreeMap<String, String>);

impl ReportParams {
    /// The value sent for `param`, or "" when none was.
    pub fn get(&self, param: &str) -> &str {
        self.0.get(param).map_or("", String::as_str)
    }
}

impl<const N: usize> From<[(&str, &str); N]> for ReportParams {
    fn from(pairs: [(&str, &str); N]) -> Self {
        Self(pairs.into_iter().map(|(param, value)| (param.to_owned(), value.to_owned())).collect())
    }
}

/// A reader's question, within what they may see.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    scope: Scope,
    /// The breakdowns narrowed to one value, each with the value.
    chosen: Vec<(Dimension, String)>,
}

impl ReportQuery {
    pub fn parse(params: &ReportParams, scope: &Scope) -> Self {
        let chosen = DIMENSIONS
            .iter()
            .map(|info| (info.dimension, params.get(info.param)))
            .filter(|(dimension, value)| !value.is_empty() && dimension.has(value))
            .map(|(dimension, value)| (dimension, value.to_owned()))
            .collect();
        Self { scope: scope.clone(), chosen }
    }

    fn chosen(&self, dimension: Dimension) -> Option<&str> {
        self.chosen.iter().find(|(d, _)| *d == dimension).map(|(_, value)| value.as_str())
    }

    /// The store's filter for this question over the catalogue's `departments`. A reader limited to some
    /// departments, or a question about a department or level, names the departments outright, so that a
    /// department outside the reader's scope selects nothing rather than everything.
    pub fn filter(&self, departments: &[Department]) -> ItemFilter {
        let department = self.chosen(Dimension::Department);
        let level = self.chosen(Dimension::Level).and_then(DepartmentLevel::parse);
        let narrowed = self.scope != Scope::All || department.is_some() || level.is_some();
        let chosen = departments
            .iter()
            .filter(|d| self.scope.allows(&d.id))
            .filter(|d| department.is_none_or(|id| id == d.id))
            .filter(|d| level.is_none_or(|level| d.level == level))
            .map(|d| d.id.clone())
            .collect();
        let mut filter = ItemFilter { departments: narrowed.then_some(chosen), ..ItemFilter::default() };
        for (dimension, value) in &self.chosen {
            match dimension.info().source {
                Source::Column { filter: set, .. } => set(&mut filter, value.clone()),
                Source::Themes => filter.theme = Some(value.clone()),
                Source::Department | Source::Level => {}
            }
        }
        filter
    }

    /// The snapshots whose trend answers this question: the platform's, or one department's the reader
    /// may see. None when no snapshot does (several departments, or one outside the scope).
    pub fn trend_scope(&self) -> Option<String> {
        match (&self.scope, self.chosen(Dimension::Department)) {
            (scope, Some(department)) => scope.allows(department).then(|| format!("dept:{department}")),
            (Scope::Departments(ids), None) if ids.len() == 1 => Some(format!("dept:{}", ids[0])),
            (Scope::Departments(_), None) => None,
            (Scope::All, None) => Some("all".to_owned()),
        }
    }

    /// Whether the question narrows the items beyond a department: its live figure then measures something
    /// other than the snapshots, which count every item of their scope.
    pub fn narrows_items(&self) -> bool {
        self.chosen.iter().any(|(dimension, _)| *dimension != Dimension::Department)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn department(id: &str, level: DepartmentLevel) -> Department {
        Department {
            id: id.to_owned(),
            name: id.to_owned(),
            level,
            parent_id: None,
            contact_name: None,
            contact_phone: None,
        }
    }

    fn params(department: &str, level: &str) -> ReportParams {
        ReportParams::from([("department", department), ("level", level)])
    }

    #[test]
    fn a_reader_sees_only_their_departments_whatever_they_ask_for() {
        let catalogue = [department("a", DepartmentLevel::City), department("b", DepartmentLevel::District)];
        let mine = Scope::Departments(vec!["a".into()]);
        assert_eq!(ReportQuery::parse(&params("", ""), &mine).filter(&catalogue).departments, Some(vec!["a".into()]));
        let other = ReportQuery::parse(&params("b", ""), &mine);
        assert_eq!(other.filter(&catalogue).departments, Some(vec![]), "another department selects nothing");
        assert_eq!(other.trend_scope(), None, "nor shows its trend");
        let everything = ReportQuery::parse(&params("", ""), &Scope::All);
        assert_eq!(everything.filter(&catalogue).departments, None);
        assert_eq!(everything.trend_scope().as_deref(), Some("all"));
        let district = ReportQuery::parse(&params("", "district"), &Scope::All);
        assert_eq!(district.filter(&catalogue).departments, Some(vec!["b".into()]));
        assert!(district.narrows_items());
    }

    #[test]
    fn values_that_name_nothing_are_ignored() {
        let odd = ReportParams::from([
            ("level", "galaxy"),
            ("kind", "x"),
            ("audience", "robots"),
            ("theme", "T999"),
            ("vertical", "lunar"),
        ]);
        let query = ReportQuery::parse(&odd, &Scope::All);
        assert!(!query.narrows_items());
        let filter = query.filter(&[]);
        assert_eq!((filter.departments, filter.kind, filter.theme, filter.vertical), (None, None, None, None));
        let none = ReportParams::from([("vertical", "none")]);
        assert_eq!(ReportQuery::parse(&none, &Scope::All).filter(&[]).vertical.as_deref(), Some("none"));
    }
}
