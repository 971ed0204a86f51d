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
