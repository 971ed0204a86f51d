//! CAS service URLs as registered: an exact URL, or a prefix ending in `*` that covers every URL under
//! one path of one origin. A prefix is matched on the parsed URL as well as on the text, so that `..`,
//! another port or a look-alike host never falls under it.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    #[error("not an absolute http(s) URL")]
    NotAbsolute,
    #[error("plain http is allowed only for loopback hosts (127.0.0.1, [::1], localhost); use https")]
    InsecureHttp,
    #[error("a service URL must not contain a fragment or user credentials")]
    FragmentOrCredentials,
    #[error("'*' may only end a prefix whose path ends in '/', e.g. https://app.example.gov.cn/cas/*")]
    BadWildcard,
}

/// Checks a registered pattern and returns it as it will be stored.
pub fn validate_pattern(pattern: &str) -> Result<String, ServiceError> {
    let (url_text, prefix) = match pattern.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (pattern, false),
    };
    if url_text.contains('*') {
        return Err(ServiceError::BadWildcard);
    }
    let url = parse_service(url_text)?;
    if prefix && (!url.path().ends_with('/') || url.query().is_some() || url_text != url.as_str()) {
        return Err(ServiceError::BadWildcard);
    }
    Ok(pattern.to_owned())
}

/// Whether `service` (as a client sent it) falls under `pattern` (as registered).
pub fn matches(pattern: &str, service: &str) -> bool {
    match pattern.strip_suffix('*') {
        None => pattern == service,
        Some(stem) => {
            let (Ok(base), Ok(url)) = (parse_service(stem), parse_service(service)) else { return false };
            service.starts_with(stem)
                && url.origin() == base.origin()
                && url.path().starts_with(base.path())
                && !service.contains("/../")
                && !service.contains("/./")
        }
    }
}

fn parse_service(text: &str) -> Result<url::Url, ServiceError> {
    let url = url::Url::parse(text).map_err(|_| ServiceError::NotAbsolute)?;
    if url.fragment().is_some() || text.contains('#') || !url.username().is_empty() || url.password().is_some() {
        return Err(ServiceError::FragmentOrCredentials);
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost")) => Ok(url),
        "http" => Err(ServiceError::InsecureHttp),
        _ => Err(ServiceError::NotAbsolute),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_services_match_only_themselves() {
        let pattern = "https://legacy.example.gov.cn/app/login?from=cas";
        assert!(matches(pattern, pattern));
        for other in [
            "https://legacy.example.gov.cn/app/login",
            "https://legacy.example.gov.cn/app/login?from=cas&x=1",
            "https://legacy.example.gov.cn/app/login?from=CAS",
        ] {
            assert!(!matches(pattern, other), "{other}");
        }
    }

    #[test]
    fn a_prefix_covers_its_path_on_its_origin_only() {
        let pattern = validate_pattern("https://legacy.example.gov.cn/app/*").unwrap();
        for inside in ["https://legacy.example.gov.cn/app/", "https://legacy.example.gov.cn/app/cases?id=7"] {
            assert!(matches(&pattern, inside), "{inside}");
        }
        for outside in [
            "https://legacy.example.gov.cn/application",
            "https://legacy.example.gov.cn/app/../admin",
            "https://legacy.example.gov.cn/app/%2e%2e/admin",
            "https://legacy.example.gov.cn:8443/app/x",
            "https://legacy.example.gov.cn.evil.example/app/x",
            "https://legacy.example.gov.cn@evil.example/app/x",
            "http://legacy.example.gov.cn/app/x",
            "https://legacy.example.gov.cn/app/x#frag",
        ] {
            assert!(!matches(&pattern, outside), "{outside}");
        }
    }

    #[test]
    fn bad_patterns_are_refused_with_a_reason() {
        assert_eq!(validate_pattern("https://legacy.example.gov.cn/app*"), Err(ServiceError::BadWildcard));
        assert_eq!(validate_pattern("https://*.example.gov.cn/"), Err(ServiceError::BadWildcard));
        assert_eq!(validate_pattern("https://legacy.example.gov.cn*"), Err(ServiceError::BadWildcard));
        assert_eq!(validate_pattern("http://legacy.example.gov.cn/"), Err(ServiceError::InsecureHttp));
        assert_eq!(validate_pattern("legacy.example.gov.cn/app"), Err(ServiceError::NotAbsolute));
        assert_eq!(validate_pattern("https://legacy.example.gov.cn/#x"), Err(ServiceError::FragmentOrCredentials));
        assert!(validate_pattern("http://127.0.0.1:8080/cas/*").is_ok());
    }
}
