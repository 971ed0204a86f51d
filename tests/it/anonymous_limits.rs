//! What an anonymous visitor can make the server hold: authorization parameters have limits, sessions
//! nobody signed in to live minutes, not hours, their number per ten minutes is capped, and large uploads
//! are refused before they are read unless someone is signed in.

use crate::helpers::{PASSWORD, PHONE, RP, Step, TestApp};
use crate::rp::authorize_url;
use std::time::Duration;

fn base_params(client_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("client_id", client_id.to_owned()),
        ("redirect_uri", RP.to_owned()),
        ("response_type", "code".to_owned()),
        ("scope", "openid".to_owned()),
        ("state", "s-1".to_owned()),
    ]
}

fn url_with(app: &TestApp, params: &[(&'static str, String)]) -> String {
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    authorize_url(app, &borrowed)
}

#[tokio::test]
async fn over_long_authorization_parameters_are_refused_before_anything_is_kept() {
    let app = TestApp::spawn().await;
    let client = app.confidential_client().await;
    let long = |n: usize| "a".repeat(n);
    let many = |n: usize| (0..n).map(|i| format!("v{i}")).collect::<Vec<_>>().join(" ");
    for (name, value) in [
        ("ui_locales", long(200)),
        ("ui_locales", many(11)),
        ("acr_values", many(11)),
        ("acr_values", long(600)),
        ("claims", format!("{{\"userinfo\":{{\"name\":{{\"value\":\"{}\"}}}}}}", long(5000))),
        ("login_hint", long(300)),
        ("nonce", long(600)),
        ("id_token_hint", long(9000)),
        ("prompt", long(100)),
    ] {
        let mut params = base_params(&client.client.id);
        params.push((name, value));
        let browser = app.browser();
        let callback = browser.open(&url_with(&app, &params)).await.left();
        let query: std::collections::HashMap<_, _> = callback.query_pairs().into_owned().collect();
        assert_eq!(query.get("error").map(String::as_str), Some("invalid_request"), "{name}: {callback}");
        assert!(query["error_description"].contains(name), "the description names {name}: {query:?}");
        assert_eq!(query.get("state").map(String::as_str), Some("s-1"));
        assert!(browser.cookie("yimen_session").is_none(), "{name}: nothing was kept for the request");
    }
    let mut params = base_params(&client.client.id);
    params[3].1 = format!("openid {}", many(40));
    let callback = app.browser().open(&url_with(&app, &params)).await.left();
    assert!(callback.as_str().contains("error=invalid_request"), "scope with 41 values: {callback}");
    let mut params = base_params(&client.client.id);
    params[4].1 = long(3000);
    let (status, _, page) = app.browser().open(&url_with(&app, &params)).await.page();
    assert_eq!(status, 400, "an over-long state cannot be echoed back, so it gets a page: {page}");
    app.stop().await;
}

/// The Max-Age of the session cookie a response set.
fn session_max_age(response: &reqwest::Response) -> Option<i64> {
    response.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|cookie| {
        cookie.starts_with("yimen_session=").then(|| {
            cookie.split(';').find_map(|part| part.trim().strip_prefix("Max-Age=").and_then(|n| n.parse().ok()))
        })?
    })
}

#[tokio::test]
async fn anonymous_sessions_are_short_lived_and_capped_per_ten_minutes() {
    let app = TestApp::spawn_with(|config| config.http.max_anonymous_requests = 3).await;
    app.citizen().await;
    let client = app.confidential_client().await;
    let url = url_with(&app, &base_params(&client.client.id));

    let first = app.browser();
    let response = first.http.get(&url).send().await.unwrap();
    let max_age = session_max_age(&response).expect("a session for the sign-in");
    assert!((590..=600).contains(&max_age), "a session nobody signed in to lives ten minutes: {max_age}");
    for _ in 0..2 {
        assert!(matches!(app.browser().open(&url).await, Step::Page { status: 200, .. }));
    }
    let (status, _, page) = app.browser().open(&url).await.page();
    assert_eq!(status, 503, "the fourth anonymous request in ten minutes is not kept: {page}");
    assert!(page.contains("当前登录请求过多"), "{page}");
    let metrics = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("yimen_anonymous_requests_refused_total 1"), "{metrics}");

    // Someone who is signed in is not anonymous: their sign-ins continue, and their session lives long.
    let (_, _, login) = first.open(&app.url("/login")).await.page();
    let signed = first
        .http
        .post(app.url("/login"))
        .form(&[
            ("csrf", crate::helpers::field(&login, "csrf")),
            ("rid", String::new()),
            ("next", String::new()),
            ("account", PHONE.to_owned()),
            ("password", PASSWORD.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    let max_age = session_max_age(&signed).expect("a new session id at sign-in");
    assert!(max_age > 3600, "a signed-in session keeps the configured idle lifetime: {max_age}");
    assert!(matches!(first.open(&url).await, Step::Page { .. } | Step::Left(_)));
    let (status, _, _) = match first.open(&url).await {
        Step::Page { status, url, html } => (status, url, html),
        Step::Left(url) => (302, url.to_string(), String::new()),
    };
    assert_ne!(status, 503, "a signed-in person is never refused as anonymous");
    app.stop().await;
}

/// Sends the head of a request announcing a large body and a little of it; returns the status line of
/// the answer if one comes while the rest of the body is still unsent.
async fn answer_before_body(app: &TestApp, method_path: &str, content_type: &str, mib: usize) -> Option<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "{method_path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        mib * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&[b'a'; 4096]).await.unwrap();
    let mut buffer = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await.ok()?.ok()?;
    let text = String::from_utf8_lossy(&buffer[..read]).into_owned();
    text.lines().next().map(str::to_owned)
}

#[tokio::test]
async fn large_uploads_are_refused_before_they_are_read_unless_someone_is_signed_in() {
    let app = TestApp::spawn().await;
    let api = answer_before_body(&app, "POST /admin/api/catalog/departments/d1/items", "text/csv", 31).await;
    assert!(api.as_deref().is_some_and(|line| line.contains(" 401 ")), "the API asks for a token first: {api:?}");
    let page =
        answer_before_body(&app, "POST /admin/catalog/departments/d1/import", "multipart/form-data; boundary=x", 31)
            .await;
    assert!(page.as_deref().is_some_and(|line| line.contains(" 303 ")), "the page sends to the login first: {page:?}");
    let face = answer_before_body(&app, "POST /stepup/face", "multipart/form-data; boundary=x", 5).await;
    assert!(face.as_deref().is_some_and(|line| line.contains(" 303 ")), "{face:?}");
    app.stop().await;
}
