//! Bulk import of a department's service items from CSV or JSON. Every row is checked and every problem
//! reported with its line (CSV) or position (JSON) and the field at fault; only a clean file is written.
//! Columns (CSV header, or JSON keys): code, name, type, audience, themes, system, status — Chinese
//! headers (事项编码, 事项名称, 事项类型, 服务对象, 服务主题, 业务系统, 状态) are accepted as well.

use super::{Audience, BusinessSystem, Department, ItemKind, ItemStatus, ServiceItem, themes};
use serde::Serialize;
use std::collections::HashMap;

/// The most rows one import may hold.
pub const MAX_ROWS: usize = 200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    Csv,
    Json,
}

impl ImportFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value.to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// What is wrong with a file, a row or a value. Pages show it in the reader's language from its
/// [`Problem::key`] and [`Problem::value`]; the CLI and the API use the English [`std::fmt::Display`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    EmptyFile,
    TooManyRows,
    NotJson(String),
    NotAList,
    NotAnObject,
    UnreadableHeader(String),
    UnknownColumn(String),
    MissingColumn(&'static str),
    UnreadableRow(String),
    FieldCount {
        found: usize,
        expected: usize,
    },
    UnknownField(String),
    NotAString,
    BadCode(String),
    NoName,
    /// A control character (NUL, a line break inside a cell…) in a text that is stored.
    ControlCharacter,
    BadKind(String),
    BadAudience(String),
    BadTheme(String),
    UnknownSystem(String),
    BadStatus(String),
    Repeated {
        earlier: usize,
    },
    OtherDepartment,
}

impl Problem {
    /// The message key under `import.problem.` in the locale files.
    pub fn key(&self) -> &'static str {
        match self {
            Self::EmptyFile => "empty_file",
            Self::TooManyRows => "too_many_rows",
            Self::NotJson(_) => "not_json",
            Self::NotAList => "not_a_list",
            Self::NotAnObject => "not_an_object",
            Self::UnreadableHeader(_) => "unreadable_header",
            Self::UnknownColumn(_) => "unknown_column",
            Self::MissingColumn(_) => "missing_column",
            Self::UnreadableRow(_) => "unreadable_row",
            Self::FieldCount { .. } => "field_count",
            Self::UnknownField(_) => "unknown_field",
            Self::NotAString => "not_a_string",
            Self::BadCode(_) => "bad_code",
            Self::NoName => "no_name",
            Self::ControlCharacter => "control_character",
            Self::BadKind(_) => "bad_kind",
            Self::BadAudience(_) => "bad_audience",
            Self::BadTheme(_) => "bad_theme",
            Self::UnknownSystem(_) => "unknown_system",
            Self::BadStatus(_) => "bad_status",
            Self::Repeated { .. } => "repeated",
            Self::OtherDepartment => "other_department",
        }
    }

    /// The value the message quotes (`%{value}`), if any.
    pub fn value(&self) -> String {
        match self {
            Self::NotJson(v)
            | Self::UnreadableHeader(v)
            | Self::UnknownColumn(v)
            | Self::UnreadableRow(v)
            | Self::UnknownField(v)
            | Self::BadCode(v)
            | Self::BadKind(v)
            | Self::BadAudience(v)
            | Self::BadTheme(v)
            | Self::UnknownSystem(v)
            | Self::BadStatus(v) => v.clone(),
            Self::MissingColumn(column) => (*column).to_owned(),
            Self::FieldCount { found, expected } => format!("{found}/{expected}"),
            Self::Repeated { earlier } => earlier.to_string(),
            Self::TooManyRows => MAX_ROWS.to_string(),
            _ => String::new(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::EmptyFile => write!(f, "the file holds no items"),
            Self::TooManyRows => write!(f, "at most {MAX_ROWS} items per import"),
            Self::NotJson(e) => write!(f, "not JSON: {e}"),
            Self::NotAList => write!(f, "expected an array of items, or an object with an \"items\" array"),
            Self::NotAnObject => write!(f, "each item must be an object"),
            Self::UnreadableHeader(e) => write!(f, "the header cannot be read: {e}"),
            Self::UnknownColumn(c) => write!(f, "unknown column {c:?}"),
            Self::MissingColumn(c) => write!(f, "the {c} column is missing"),
            Self::UnreadableRow(e) => write!(f, "the row cannot be read: {e}"),
            Self::FieldCount { found, expected } => write!(f, "{found} fields where the header has {expected}"),
            Self::UnknownField(k) => write!(f, "unknown field {k:?}"),
            Self::NotAString => write!(f, "must be a string"),
            Self::BadCode(c) => write!(f, "{c:?} is not an item code (letters, digits, - _ . up to 64)"),
            Self::NoName => write!(f, "the item needs a name of at most 200 characters"),
            Self::ControlCharacter => write!(f, "the text contains a control character (such as NUL)"),
            Self::BadKind(v) => write!(f, "{v:?} is not 行政许可 (licence) or 公共服务 (public_service)"),
            Self::BadAudience(v) => write!(f, "{v:?} is not 自然人 (person), 法人 (legal) or 自然人和法人 (both)"),
            Self::BadTheme(v) => write!(f, "{v:?} is not a service theme (P01–P31, L01–L34 or their names)"),
            Self::UnknownSystem(v) => write!(f, "the department has no business system {v:?}; register it first"),
            Self::BadStatus(v) => write!(f, "{v:?} is not active (在用) or withdrawn (已取消)"),
            Self::Repeated { earlier } => write!(f, "the same item code already appears on line {earlier}"),
            Self::OtherDepartment => write!(f, "the item code belongs to another department's item"),
        }
    }
}

/// One problem in an import: where, which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The CSV line (the header is line 1) or the JSON array position counted from 1; 0 for the file.
    pub line: usize,
    pub field: &'static str,
    pub problem: Problem,
}

impl RowError {
    pub fn new(line: usize, field: &'static str, problem: Problem) -> Self {
        Self { line, field, problem }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.problem)
        } else {
            write!(f, "line {}, {}: {}", self.line, self.field, self.problem)
        }
    }
}

impl Serialize for RowError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut row = serializer.serialize_struct("RowError", 4)?;
        row.serialize_field("line", &self.line)?;
        row.serialize_field("field", self.field)?;
        row.serialize_field("problem", self.problem.key())?;
        row.serialize_field("reason", &self.problem.to_string())?;
        row.end()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
}

/// A row as written in the file, before checking.
#[derive(Debug, Default)]
struct RawRow {
    code: String,
    name: String,
    kind: String,
    audience: String,
    themes: Vec<String>,
    system: String,
    status: String,
}

/// Checks every row; returns the items with their lines, or every problem found.
pub fn parse(
    format: ImportFormat,
    text: &str,
    department: &Department,
    systems: &[BusinessSystem],
) -> Result<Vec<(usize, ServiceItem)>, Vec<RowError>> {
    let raw = match format {
        ImportFormat::Csv => read_csv(text),
        ImportFormat::Json => read_json(text),
    }?;
    if raw.is_empty() {
        return Err(vec![RowError::new(0, "file", Problem::EmptyFile)]);
    }
    if raw.len() > MAX_ROWS {
        return Err(vec![RowError::new(0, "file", Problem::TooManyRows)]);
    }
    let mut errors = Vec::new();
    let mut items = Vec::with_capacity(raw.len());
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for (line, row) in raw {
        let before = errors.len();
        let item = check_row(line, row, department, systems, &mut errors);
        if let Some(item) = item.filter(|_| errors.len() == before) {
            if let Some(earlier) = first_line.insert(item.code.clone(), line) {
                errors.push(RowError::new(line, "code", Problem::Repeated { earlier }));
            }
            items.push((line, item));
        }
    }
    if errors.is_empty() { Ok(items) } else { Err(errors) }
}

fn check_row(
    line: usize,
    row: RawRow,
    department: &Department,
    systems: &[BusinessSystem],
    errors: &mut Vec<RowError>,
) -> Option<ServiceItem> {
    let mut fail = |field: &'static str, problem: Problem| errors.push(RowError::new(line, field, problem));
    let code = row.code.trim().to_owned();
    if code.is_empty()
        || code.len() > 64
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        fail("code", Problem::BadCode(code.clone()));
    }
    let name = row.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        fail("name", Problem::NoName);
    } else if name.chars().any(char::is_control) {
        fail("name", Problem::ControlCharacter);
    }
    let kind = match row.kind.trim() {
        "licence" | "行政许可" => Some(ItemKind::Licence),
        "public_service" | "公共服务" => Some(ItemKind::PublicService),
        other => {
            fail("type", Problem::BadKind(other.to_owned()));
            None
        }
    };
    let audience = match row.audience.trim() {
        "person" | "自然人" => Some(Audience::Person),
        "legal" | "法人" => Some(Audience::Legal),
        "both" | "自然人和法人" | "自然人、法人" => Some(Audience::Both),
        other => {
            fail("audience", Problem::BadAudience(other.to_owned()));
            None
        }
    };
    let mut theme_codes = Vec::new();
    for theme in row.themes.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        match themes::find(theme) {
            Some(found) if !theme_codes.contains(&found.code) => theme_codes.push(found.code.clone()),
            Some(_) => {}
            None => fail("themes", Problem::BadTheme(theme.to_owned())),
        }
    }
    let system = row.system.trim();
    let system_id = if system.is_empty() {
        None
    } else {
        match systems.iter().find(|s| s.id == system || s.name == system) {
            Some(found) => Some(found.id.clone()),
            None => {
                fail("system", Problem::UnknownSystem(system.to_owned()));
                None
            }
        }
    };
    let status = match row.status.trim() {
        "" | "active" | "在用" | "有效" => Some(ItemStatus::Active),
        "withdrawn" | "取消" | "已取消" | "停用" => Some(ItemStatus::Withdrawn),
        other => {
            fail("status", Problem::BadStatus(other.to_owned()));
            None
        }
    };
    Some(ServiceItem {
        code,
        name,
        kind: kind?,
        audience: audience?,
        themes: theme_codes,
        department_id: department.id.clone(),
        system_id,
        status: status?,
    })
}

/// The field a column header names.
fn column(header: &str) -> Option<&'static str> {
    Some(match header.trim().trim_start_matches('\u{feff}') {
        "code" | "事项编码" | "编码" => "code",
        "name" | "事项名称" | "名称" => "name",
        "type" | "kind" | "事项类型" | "类型" => "type",
        "audience" | "服务对象" => "audience",
        "themes" | "theme" | "服务主题" | "主题" => "themes",
        "system" | "业务系统" | "办理系统" => "system",
        "status" | "状态" => "status",
        _ => return None,
    })
}

fn split_themes(value: &str) -> Vec<String> {
    value.split([';', '|', ',', '、', '；', '，']).map(str::to_owned).collect()
}

fn read_csv(text: &str) -> Result<Vec<(usize, RawRow)>, Vec<RowError>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| vec![RowError::new(1, "header", Problem::UnreadableHeader(e.to_string()))])?
        .clone();
    let fields: Vec<Option<&'static str>> = headers.iter().map(column).collect();
    let mut problems = Vec::new();
    for (header, field) in headers.iter().zip(&fields) {
        if field.is_none() {
            problems.push(RowError::new(1, "header", Problem::UnknownColumn(header.to_owned())));
        }
    }
    for required in ["code", "name", "type", "audience"] {
        if !fields.contains(&Some(required)) {
            problems.push(RowError::new(1, "header", Problem::MissingColumn(required)));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| p.line() as usize);
                problems.push(RowError::new(line, "row", Problem::UnreadableRow(error.to_string())));
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        if record.len() != headers.len() {
            let count = Problem::FieldCount { found: record.len(), expected: headers.len() };
            problems.push(RowError::new(line, "row", count));
            continue;
        }
        let mut row = RawRow::default();
        for (value, field) in record.iter().zip(&fields) {
            match field {
                Some("code") => row.code = value.to_owned(),
                Some("name") => row.name = value.to_owned(),
                Some("type") => row.kind = value.to_owned(),
                Some("audience") => row.audience = value.to_owned(),
                Some("themes") => row.themes = split_themes(value),
                Some("system") => row.system = value.to_owned(),
                Some("status") => row.status = value.to_owned(),
                _ => {}
            }
        }
        rows.push((line, row));
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

fn read_json(text: &str) -> Result<Vec<(usize, RawRow)>, Vec<RowError>> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| vec![RowError::new(0, "file", Problem::NotJson(e.to_string()))])?;
    let list = match &value {
        serde_json::Value::Array(list) => list,
        serde_json::Value::Object(object) => match object.get("items") {
            Some(serde_json::Value::Array(list)) => list,
            _ => {
                return Err(vec![RowError::new(0, "file", Problem::NotAList)]);
            }
        },
        _ => return Err(vec![RowError::new(0, "file", Problem::NotAList)]),
    };
    let mut rows = Vec::with_capacity(list.len());
    let mut problems = Vec::new();
    for (index, entry) in list.iter().enumerate() {
        let position = index + 1;
        let Some(object) = entry.as_object() else {
            problems.push(RowError::new(position, "row", Problem::NotAnObject));
            continue;
        };
        let mut row = RawRow::default();
        for (key, value) in object {
            let Some(field) = column(key) else {
                problems.push(RowError::new(position, "row", Problem::UnknownField(key.clone())));
                continue;
            };
            let text = match value {
                serde_json::Value::String(text) => text.clone(),
                serde_json::Value::Null => String::new(),
                serde_json::Value::Array(list) if field == "themes" => {
                    row.themes = list.iter().map(|t| t.as_str().unwrap_or_default().to_owned()).collect();
                    continue;
                }
                serde_json::Value::Number(n) if field == "code" => n.to_string(),
                _ => {
                    problems.push(RowError::new(position, field, Problem::NotAString));
                    continue;
                }
            };
            match field {
                "code" => row.code = text,
                "name" => row.name = text,
                "type" => row.kind = text,
                "audience" => row.audience = text,
                "themes" => row.themes = split_themes(&text),
                "system" => row.system = text,
                _ => row.status = text,
            }
        }
        rows.push((position, row));
    }
    if problems.is_empty() { Ok(rows) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{DepartmentLevel, Portal, Vertical};

    fn department() -> Department {
        Department {
            id: "d1".into(),
            name: "市民政局".into(),
            level: DepartmentLevel::City,
            parent_id: None,
            contact_name: None,
            contact_phone: None,
        }
    }

    fn systems() -> Vec<BusinessSystem> {
        vec![BusinessSystem {
            id: "s1".into(),
            department_id: "d1".into(),
            name: "婚姻登记系统".into(),
            vertical: Vertical::Provincial,
            portal: Portal::None,
            contact_name: None,
            contact_phone: None,
        }]
    }

    #[test]
    fn a_clean_csv_becomes_items_with_chinese_or_english_values() {
        let csv = "事项编码,事项名称,事项类型,服务对象,服务主题,业务系统,状态\nMZ-001,结婚登记,行政许可,自然人,P12,婚姻登记系统,\nMZ-002,社会团体成立登记,licence,legal,L01;L03,,withdrawn\n";
        let items = parse(ImportFormat::Csv, csv, &department(), &systems()).unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].0, 2, "line numbers count the header as line 1");
        assert_eq!(items[0].1.system_id.as_deref(), Some("s1"));
        assert_eq!(items[1].1.themes, ["L01", "L03"]);
        assert_eq!(items[1].1.status, ItemStatus::Withdrawn);
        assert_eq!(items[1].1.audience, Audience::Legal);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line_and_field() {
        let csv = "code,name,type,audience,themes,system\nA1,ok,公共服务,both,P01,\nA 2,,许可,nobody,X99,未知系统\nA1,again,公共服务,both,,\n";
        let errors = parse(ImportFormat::Csv, csv, &department(), &systems()).unwrap_err();
        let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.field)).collect();
        assert_eq!(
            found,
            [(3, "code"), (3, "name"), (3, "type"), (3, "audience"), (3, "themes"), (3, "system"), (4, "code")]
        );
        assert_eq!(errors[6].problem, Problem::Repeated { earlier: 2 }, "a repeated code names the first line");
    }

    #[test]
    fn json_takes_an_array_or_an_items_object_and_reports_positions() {
        let json = r#"{"items": [{"code": "J1", "name": "低保申请", "type": "public_service", "audience": "person", "themes": ["P16"]}, {"code": "J2", "name": "x", "type": "licence", "audience": "person", "colour": "red"}]}"#;
        let errors = parse(ImportFormat::Json, json, &department(), &systems()).unwrap_err();
        assert_eq!(errors, [RowError::new(2, "row", Problem::UnknownField("colour".into()))]);
        let ok = parse(
            ImportFormat::Json,
            r#"[{"code": "J1", "name": "低保申请", "type": "公共服务", "audience": "自然人", "themes": "P16、P13"}]"#,
            &department(),
            &systems(),
        )
        .unwrap();
        assert_eq!(ok[0].1.themes, ["P16", "P13"]);
        assert!(parse(ImportFormat::Json, "[]", &department(), &systems()).is_err(), "an empty file is refused");
        assert!(
            parse(ImportFormat::Csv, "code,name\n", &department(), &systems())
                .unwrap_err()
                .iter()
                .any(|e| e.problem == Problem::MissingColumn("type") && e.to_string().contains("type column"))
        );
    }
}
