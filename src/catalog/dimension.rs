//! The connection rate's breakdowns, each in one row of [`DIMENSIONS`]: its name (`by=` in the API and on
//! the command line, and the key of its labels, `catalog.NAME.VALUE` and `dashboard.by.NAME`), the query
//! parameter that narrows the report to one of its values, where an item's value comes from, and the
//! values it has with their Chinese names. The report, its filter and the dashboard's selects are all
//! read from the table, so a breakdown over a value the store's cube already carries is one row.

use super::themes;
use crate::store::connections::{CubeRow, ItemFilter};
use serde::Serialize;

/// A breakdown of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    Department,
    Level,
    Type,
    Audience,
    Theme,
    Vertical,
}

/// Where an item's value in a breakdown comes from.
#[derive(Clone, Copy)]
pub enum Source {
    /// The item's department; a chosen one narrows the departments.
    Department,
    /// The level of the item's department; a chosen one narrows the departments to that level.
    Level,
    /// A column of the store's cube, with the filter field a chosen value sets.
    Column { of: fn(&CubeRow) -> &str, filter: fn(&mut ItemFilter, String) },
    /// The item's themes, counted by a query of their own (an item may have several).
    Themes,
}

/// One breakdown: everything about it in one place.
pub struct DimensionInfo {
    pub dimension: Dimension,
    pub name: &'static str,
    pub param: &'static str,
    pub source: Source,
    /// Its values with their Chinese names, in order; empty where the catalog names them (departments,
    /// themes).
    pub values: &'static [(&'static str, &'static str)],
}

/// The breakdowns, in the order the dashboard shows them.
pub const DIMENSIONS: [DimensionInfo; 6] = [
    DimensionInfo {
        dimension: Dimension::Department,
        name: "department",
        param: "department",
        source: Source::Department,
        values: &[],
    },
    DimensionInfo {
        dimension: Dimension::Level,
        name: "level",
        param: "level",
        source: Source::Level,
        values: &[("city", "市级"), ("district", "区县级"), ("town", "乡镇（街道）级")],
    },
    DimensionInfo {
        dimension: Dimension::Type,
        name: "type",
        param: "kind",
        source: Source::Column { of: |row| &row.kind, filter: |filter, value| filter.kind = Some(value) },
        values: &[("licence", "行政许可"), ("public_service", "公共服务")],
    },
    DimensionInfo {
        dimension: Dimension::Audience,
        name: "audience",
        param: "audience",
        source: Source::Column { of: |row| &row.audience, filter: |filter, value| filter.audience = Some(value) },
        values: &[("person", "自然人"), ("legal", "法人"), ("both", "自然人和法人")],
    },
    DimensionInfo {
        dimension: Dimension::Vertical,
        name: "vertical",
        param: "vertical",
        source: Source::Column { of: |row| &row.vertical, filter: |filter, value| filter.vertical = Some(value) },
        values: &[
            ("local", "本地系统"),
            ("provincial", "省级垂直系统"),
            ("national", "国家级垂直系统"),
            ("none", "未关联业务系统"),
        ],
    },
    DimensionInfo { dimension: Dimension::Theme, name: "theme", param: "theme", source: Source::Themes, values: &[] },
];

impl Dimension {
    pub const ALL: [Dimension; 6] = [
        DIMENSIONS[0].dimension,
        DIMENSIONS[1].dimension,
        DIMENSIONS[2].dimension,
        DIMENSIONS[3].dimension,
        DIMENSIONS[4].dimension,
        DIMENSIONS[5].dimension,
    ];

    pub fn info(self) -> &'static DimensionInfo {
        DIMENSIONS.iter().find(|info| info.dimension == self).unwrap_or(&DIMENSIONS[0])
    }

    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    pub fn parse(value: &str) -> Option<Self> {
        DIMENSIONS.iter().find(|info| info.name == value).map(|info| info.dimension)
    }

    /// Whether `value` is one of this breakdown's (any department id is, the catalog decides which exist).
    pub fn has(self, value: &str) -> bool {
        match self.info().source {
            Source::Department => !value.is_empty(),
            Source::Themes => themes::find(value).is_some(),
            _ => self.info().values.iter().any(|(known, _)| *known == value),
        }
    }

    /// The Chinese name of a value (a department is named from the catalog by the report itself).
    pub fn label(self, value: &str) -> String {
        match self.info().source {
            Source::Themes => themes::name_of(value).to_owned(),
            _ => {
                self.info().values.iter().find(|(known, _)| *known == value).map_or(value, |(_, name)| name).to_owned()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Audience, DepartmentLevel, ItemKind, Vertical};

    /// The table names what the catalog's own types name: a value added to one and not the other is caught.
    #[test]
    fn the_table_knows_every_value_of_the_catalog() {
        let names = |dimension: Dimension| dimension.info().values.iter().map(|(v, _)| *v).collect::<Vec<_>>();
        assert_eq!(names(Dimension::Level), DepartmentLevel::ALL.iter().map(|l| l.as_str()).collect::<Vec<_>>());
        assert_eq!(names(Dimension::Type), ItemKind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>());
        assert_eq!(names(Dimension::Audience), Audience::ALL.iter().map(|a| a.as_str()).collect::<Vec<_>>());
        let verticals: Vec<&str> = Vertical::ALL.iter().map(|v| v.as_str()).chain(["none"]).collect();
        assert_eq!(names(Dimension::Vertical), verticals);
        for dimension in Dimension::ALL {
            assert_eq!(Dimension::parse(dimension.as_str()), Some(dimension));
        }
        assert_eq!(Dimension::Vertical.label("none"), "未关联业务系统");
        assert!(Dimension::Type.has("licence") && !Dimension::Type.has("galaxy"));
    }
}
