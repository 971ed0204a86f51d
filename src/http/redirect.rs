//! Where a request may ask to be sent next (`next=` after a sign-in, `back=` after the language switch):
//! only a path on this server, rebuilt from its parsed form, so that nothing a browser strips or
//! reinterprets (a tab in `/\t/host`, a backslash, a newline) can turn it into another host — and a
//! control character never reaches a `Location` header.

/// The local path (and query) `target` names, or None when it is not one.
pub fn local_path(target: &str) -> Option<String> {
    if !target.starts_with('/') || target.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let base = url::Url::parse("http://yimen.invalid/").ok()?;
    let url = base.join(target).ok()?;
    if url.origin() != base.origin() || url.path().starts_with("//") {
        return None;
    }
    Some(match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_server_pass() {
        assert_eq!(local_path("/account/passkeys").as_deref(), Some("/account/passkeys"));
        assert_eq!(local_path("/dashboard?department=d1").as_deref(), Some("/dashboard?department=d1"));
        for hostile in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "/\n/x",
            "https://evil.example",
            "evil",
            "/%0A/x\r",
        ] {
            assert_eq!(local_path(hostile), None, "{hostile:?}");
        }
        assert_eq!(local_path("/%0A/x").as_deref(), Some("/%0A/x"), "an encoded newline stays encoded");
        assert_eq!(local_path("/a/../../b").as_deref(), Some("/b"));
    }
}
