//! What a reader of the connection rate asks to see (one department, a level, an item type, an audience,
//! a vertical system, a theme), read once from the query and held within the departments the reader may
//! see: it becomes the store's item filter and names the snapshots the trend may show.

use super::{Audience, Department, DepartmentLevel, ItemKind, Scope, Vertical, themes};
use crate::store::connections::ItemFilter;
use serde::Deserialize;

/// The query as the dashboard's form, its exports and the admin API send it. A value that names nothing
/// (an unknown level, a theme that does not exist) is ignored, as if it had not been sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReportParams {
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub theme: String,
    #[serde(default)]
    pub vertical: String,
}

/// A reader's question, within what they may see.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    scope: Scope,
    department: Option<String>,
    level: Option<DepartmentLevel>,
    kind: Option<ItemKind>,
    audience: Option<Audience>,
    /// A vertical system, or `none` for items without a system.
    vertical: Option<String>,
    theme: Option<String>,
}

impl ReportQuery {
    pub fn parse(params: &ReportParams, scope: &Scope) -> Self {
        let chosen = |value: &str| Some(value.to_owned()).filter(|v| !v.is_empty());
        Self {
            scope: scope.clone(),
            department: chosen(&params.department),
            level: DepartmentLevel::parse(&params.level),
            kind: ItemKind::parse(&params.kind),
            audience: Audience::parse(&params.audience),
            vertical: chosen(&params.vertical).filter(|v| v == "none" || Vertical::parse(v).is_some()),
            theme: chosen(&params.theme).filter(|code| themes::find(code).is_some()),
        }
    }

    /// The store's filter for this question over the catalogue's `departments`. A reader limited to some
    /// departments, or a question about a department or level, names the departments outright, so that a
    /// department outside the reader's scope selects nothing rather than everything.
    pub fn filter(&self, departments: &[Department]) -> ItemFilter {
        let narrowed = self.scope != Scope::All || self.department.is_some() || self.level.is_some();
        let chosen = departments
            .iter()
            .filter(|d| self.scope.allows(&d.id))
            .filter(|d| self.department.as_ref().is_none_or(|id| *id == d.id))
            .filter(|d| self.level.is_none_or(|level| d.level == level))
            .map(|d| d.id.clone())
            .collect();
        ItemFilter {
            departments: narrowed.then_some(chosen),
            kind: self.kind.map(|k| k.as_str().to_owned()),
            audience: self.audience.map(|a| a.as_str().to_owned()),
            vertical: self.vertical.clone(),
            theme: self.theme.clone(),
        }
    }

    /// The snapshots whose trend answers this question: the platform's, or one department's the reader
    /// may see. None when no snapshot does (several departments, or one outside the scope).
    pub fn trend_scope(&self) -> Option<String> {
        match (&self.scope, &self.department) {
            (scope, Some(department)) => scope.allows(department).then(|| format!("dept:{department}")),
            (Scope::Departments(ids), None) if ids.len() == 1 => Some(format!("dept:{}", ids[0])),
            (Scope::Departments(_), None) => None,
            (Scope::All, None) => Some("all".to_owned()),
        }
    }

    /// Whether the question narrows the items beyond a department: its live figure then measures something
    /// other than the snapshots, which count every item of their scope.
    pub fn narrows_items(&self) -> bool {
        self.level.is_some()
            || self.kind.is_some()
            || self.audience.is_some()
            || self.vertical.is_some()
            || self.theme.is_some()
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
        ReportParams { department: department.into(), level: level.into(), ..ReportParams::default() }
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
        let odd = ReportParams {
            level: "galaxy".into(),
            kind: "x".into(),
            audience: "robots".into(),
            theme: "T999".into(),
            vertical: "lunar".into(),
            ..ReportParams::default()
        };
        let query = ReportQuery::parse(&odd, &Scope::All);
        assert!(!query.narrows_items());
        let filter = query.filter(&[]);
        assert_eq!((filter.departments, filter.kind, filter.theme, filter.vertical), (None, None, None, None));
        let none = ReportParams { vertical: "none".into(), ..ReportParams::default() };
        assert_eq!(ReportQuery::parse(&none, &Scope::All).filter(&[]).vertical.as_deref(), Some("none"));
    }
}
