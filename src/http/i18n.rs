//! Page language: Simplified Chinese by default, English on request. Chosen from `ui_locales`, an
//! explicit switch (`?lang=`, remembered in a cookie), then Accept-Language.

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT_LANGUAGE, COOKIE};

pub const LANG_COOKIE: &str = "yimen_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Locale {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub fn tag(self) -> &'static str {
        match self {
            Self::ZhCn => "zh-CN",
            Self::En => "en",
        }
    }

    /// Parses one language tag loosely: zh, zh-CN, zh-Hans… are Chinese; en, en-GB… English.
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_', ';']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Self::ZhCn),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The first supported tag of a space-separated preference list (`ui_locales`).
    pub fn from_preferences(list: &str) -> Option<Self> {
        list.split(' ').find_map(Self::from_tag)
    }

    pub fn negotiate(explicit: Option<&str>, headers: &HeaderMap) -> Self {
        if let Some(locale) = explicit.and_then(Self::from_preferences) {
            return locale;
        }
        if let Some(locale) = cookie_value(headers, LANG_COOKIE).and_then(|v| Self::from_tag(&v)) {
            return locale;
        }
        headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').find_map(Self::from_tag))
            .unwrap_or_default()
    }

    pub fn other(self) -> Self {
        match self {
            Self::ZhCn => Self::En,
            Self::En => Self::ZhCn,
        }
    }
}

/// Looks up page text for a locale.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Locale);

impl Tr {
    pub fn t(&self, key: &str) -> String {
        rust_i18n::t!(key, locale = self.0.tag()).into_owned()
    }

    pub fn lang(&self) -> &'static str {
        self.0.tag()
    }

    /// The colon between a label and its text: full width in Chinese, ": " in English.
    pub fn colon(&self) -> &'static str {
        match self.0 {
            Locale::ZhCn => "：",
            Locale::En => ": ",
        }
    }

    /// Between items of a list written out in a line: "；" in Chinese, "; " in English.
    pub fn separator(&self) -> &'static str {
        match self.0 {
            Locale::ZhCn => "；",
            Locale::En => "; ",
        }
    }

    /// Between the items of an enumeration: "、" in Chinese, ", " in English.
    pub fn comma(&self) -> &'static str {
        match self.0 {
            Locale::ZhCn => "、",
            Locale::En => ", ",
        }
    }

    /// A detail in brackets after a name: "（detail）" in Chinese, " (detail)" in English.
    pub fn paren(&self, detail: &str) -> String {
        match self.0 {
            Locale::ZhCn => format!("（{detail}）"),
            Locale::En => format!(" ({detail})"),
        }
    }
}

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_in_order_of_strength() {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT_LANGUAGE, "en-GB,en;q=0.9".parse().unwrap());
        assert_eq!(Locale::negotiate(None, &headers), Locale::En);
        assert_eq!(Locale::negotiate(Some("se zh-TW"), &headers), Locale::ZhCn);
        headers.insert(COOKIE, "a=b; yimen_lang=zh-CN".parse().unwrap());
        assert_eq!(Locale::negotiate(None, &headers), Locale::ZhCn);
        assert_eq!(Locale::negotiate(Some("se"), &HeaderMap::new()), Locale::ZhCn);
    }

    #[test]
    fn both_catalogs_have_every_key() {
        for key in ["login.title", "consent.title", "error.title", "logout.done_title"] {
            assert_ne!(Tr(Locale::ZhCn).t(key), key, "zh-CN lacks {key}");
            assert_ne!(Tr(Locale::En).t(key), key, "en lacks {key}");
        }
    }
}

/// The locale files are flat `key: "text"` lines; these checks read them as text, because rust-i18n
/// silently keeps the last of two equal keys and falls back to the key itself for a missing one.
#[cfg(test)]
mod catalog_files {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    fn entries(file: &str) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(root().join("locales").join(file)).unwrap();
        text.lines()
            .filter(|line| !line.trim().is_empty() && !line.starts_with('#') && !line.starts_with("_version"))
            .map(|line| {
                let (key, value) =
                    line.split_once(": ").unwrap_or_else(|| panic!("{file}: not `key: \"text\"`: {line}"));
                (key.to_owned(), value.trim_matches('"').to_owned())
            })
            .collect()
    }

    fn catalog(file: &str) -> BTreeMap<String, String> {
        let mut seen = BTreeMap::new();
        for (key, value) in entries(file) {
            assert!(seen.insert(key.clone(), value).is_none(), "{file} has {key} twice; the first is never shown");
        }
        seen
    }

    fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files_under(&path, out);
            } else {
                out.push(path);
            }
        }
    }

    /// Keys written out in full as `t("…")` in the code and the templates (keys built with format! are
    /// checked by the tests of the page that builds them).
    fn literal_keys() -> BTreeSet<String> {
        let mut files = Vec::new();
        files_under(&root().join("src"), &mut files);
        files_under(&root().join("templates"), &mut files);
        let mut keys = BTreeSet::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (at, _) in text.match_indices("t(\"") {
                let before = text[..at].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let rest = &text[at + 3..];
                let key: String = rest.chars().take_while(|c| *c != '"').collect();
                if !key.is_empty()
                    && key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._".contains(c))
                    && key.contains('.')
                {
                    keys.insert(key);
                }
            }
        }
        keys
    }

    #[test]
    fn no_key_is_written_twice_and_both_languages_have_the_same_keys() {
        let zh = catalog("zh-CN.yml");
        let en = catalog("en.yml");
        let only_zh: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        let only_en: Vec<_> = en.keys().filter(|k| !zh.contains_key(*k)).collect();
        assert!(only_zh.is_empty(), "missing in English: {only_zh:?}");
        assert!(only_en.is_empty(), "missing in Chinese: {only_en:?}");
    }

    #[test]
    fn every_key_the_code_asks_for_exists() {
        let zh = catalog("zh-CN.yml");
        let missing: Vec<_> = literal_keys().into_iter().filter(|key| !zh.contains_key(key)).collect();
        assert!(missing.is_empty(), "asked for but not in the catalogs: {missing:?}");
    }

    #[test]
    fn every_chinese_text_is_chinese() {
        // The one deliberate exception: the switch names the other language in that language.
        let untranslated: Vec<_> = catalog("zh-CN.yml")
            .into_iter()
            .filter(|(key, value)| {
                key != "common.switch_language" && value.is_ascii() && value.chars().any(char::is_alphabetic)
            })
            .collect();
        assert!(untranslated.is_empty(), "English text in the Chinese catalog: {untranslated:?}");
    }
}
