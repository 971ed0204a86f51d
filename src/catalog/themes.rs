//! The service themes (服务主题) of the source document's attachment 4: codes P01… for natural persons and
//! L01… for legal persons, each with its Chinese name and an English one.

use serde::Deserialize;
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
pub struct Theme {
    pub code: String,
    pub name: String,
    pub name_en: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Deserialize)]
struct ThemeFile {
    natural_person: Vec<Theme>,
    legal_person: Vec<Theme>,
}

/// Every theme, natural-person themes first.
pub fn all() -> &'static [Theme] {
    static THEMES: OnceLock<Vec<Theme>> = OnceLock::new();
    THEMES.get_or_init(|| {
        let file: ThemeFile =
            serde_json::from_str(include_str!("data/service-themes.json")).expect("the bundled themes parse");
        file.natural_person.into_iter().chain(file.legal_person).collect()
    })
}

/// The theme with this code, or whose name is this (for imports written by hand).
pub fn find(code_or_name: &str) -> Option<&'static Theme> {
    let wanted = code_or_name.trim();
    all().iter().find(|t| t.code.eq_ignore_ascii_case(wanted)).or_else(|| all().iter().find(|t| t.name == wanted))
}

/// The display name of a theme code.
pub fn name_of(code: &str) -> &str {
    all().iter().find(|t| t.code == code).map(|t| t.name.as_str()).unwrap_or(code)
}

/// The English name of a theme code.
pub fn english_name_of(code: &str) -> &str {
    all().iter().find(|t| t.code == code).map(|t| t.name_en.as_str()).unwrap_or(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_themes_cover_both_audiences_and_resolve_by_code_or_name() {
        assert_eq!(all().len(), 65);
        assert_eq!(find("p02").map(|t| t.name.as_str()), Some("户籍办理"));
        assert_eq!(find("资质认证").map(|t| t.code.as_str()), Some("L03"));
        assert!(find("X99").is_none());
        assert_eq!(english_name_of("P12"), "Marriage registration");
        assert!(all().iter().all(|t| !t.name_en.is_empty() && t.name_en.is_ascii()), "every theme has an English name");
    }
}
