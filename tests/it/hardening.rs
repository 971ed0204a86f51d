//! Smaller holes found by hostile testing, each closed: redirects that browsers turn into another host,
//! spreadsheet formulas in CSV exports, another department's trend on the dashboard, world-readable data
//! files, and NUL characters that reached the database.

use crate::catalog::catalogue;
use crate::console::sign_in_with_two_factors;
use crate::helpers::{PASSWORD, PHONE, TestApp, field};
use crate::rp::http;
use yimen::audit::Actor;
use yimen::catalog::Scope;
use yimen::catalog::import::ImportFormat;
use yimen::identity::roles::RoleKind;

const ADMIN_ID: &str = "440301199003071230";
const ADMIN_PHONE: &str = "13700137000";

#[tokio::test]
async fn next_and_back_lead_only_to_paths_on_this_server() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    for next in ["/%09/evil.example", "/%0A/evil.example", "%2F%2Fevil.example", "/%5Cevil.example"] {
        let browser = app.browser();
        let (status, _, login) = browser.open(&app.url(&format!("/login?next={next}"))).await.page();
        assert_eq!(status, 200, "{next}: the login page, not a server error");
        let response = browser
            .http
            .post(app.url("/login"))
            .form(&[
                ("csrf", field(&login, "csrf")),
                ("rid", String::new()),
                ("next", field(&login, "next")),
                ("account", PHONE.to_owned()),
                ("password", PASSWORD.to_owned()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["location"], "/account", "{next} leads home, not away");
    }
    let switch = http().get(app.url("/lang?to=en&back=/%09/evil.example")).send().await.unwrap();
    assert_eq!(switch.headers()["location"], "/", "the language switch stays here too");
    let kept = http().get(app.url("/lang?to=en&back=/register%3Frid%3Dr1")).send().await.unwrap();
    assert_eq!(kept.headers()["location"], "/register?rid=r1");
    app.stop().await;
}

#[tokio::test]
async fn csv_exports_show_formulas_as_text() {
    let app = TestApp::spawn().await;
    let admin = app.citizen().await;
    let catalogued = catalogue(&app).await;
    let items = r#"[{"code": "MZ-900", "name": "=HYPERLINK(\"http://evil.example\",\"点击\")", "type": "public_service", "audience": "person"}]"#;
    app.catalog.import(&Scope::All, &catalogued.city, ImportFormat::Json, items, &Actor::operator()).await.unwrap();
    app.desk.roles.grant(&admin.id, RoleKind::PlatformAdmin, None, &Actor::operator()).await.unwrap();
    let browser = app.browser();
    sign_in_with_two_factors(&app, &browser, PHONE).await;
    let export =
        browser.http.get(app.url("/dashboard/export.csv?what=missing")).send().await.unwrap().text().await.unwrap();
    let row = export.lines().find(|line| line.contains("MZ-900")).expect("the item is exported");
    assert!(row.contains("'=HYPERLINK"), "the formula is text: {row}");
    let audit = browser.http.get(app.url("/audit/export.csv")).send().await.unwrap().text().await.unwrap();
    assert!(audit.lines().count() > 1, "{audit}");
    assert!(audit.lines().all(|line| line.split(',').all(|cell| !cell.starts_with('='))), "{audit}");
    app.stop().await;
}

#[tokio::test]
async fn a_department_administrator_sees_no_other_departments_trend() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let catalogued = catalogue(&app).await;
    for _ in 0..3 {
        app.reports.record_snapshot().await.unwrap();
        app.clock.advance_secs(86_400);
    }
    let admin = app.citizen_with(ADMIN_ID, ADMIN_PHONE).await;
    app.desk
        .roles
        .grant(&admin.id, RoleKind::DepartmentAdmin, Some(&catalogued.district), &Actor::operator())
        .await
        .unwrap();
    let browser = app.browser();
    sign_in_with_two_factors(&app, &browser, ADMIN_PHONE).await;
    let (_, _, own) = browser.open(&app.url("/dashboard")).await.page();
    assert!(own.contains("<figure class=\"chart-box\"><svg"), "their own department's trend is drawn");
    let (_, _, other) = browser.open(&app.url(&format!("/dashboard?department={}", catalogued.city))).await.page();
    let trend = other.split("id=\"trend-title\"").nth(1).and_then(|rest| rest.split("</section>").next()).unwrap();
    assert!(!trend.contains("<svg"), "another department's trend is not drawn: {trend}");
    app.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_its_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let data_dir = parent.path().join("fresh");
    let app = TestApp::spawn_with(|config| {
        config.data_dir = data_dir.clone();
        config.database_url = None;
    })
    .await;
    app.citizen().await;
    let browser = app.browser();
    let (_, _, page) = browser.open(&app.url("/login/sms")).await.page();
    browser.submit("/login/sms/code", &[("csrf", &field(&page, "csrf")), ("phone", PHONE)]).await;
    for _ in 0..100 {
        if data_dir.join("sms-outbox.jsonl").exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let mode = |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data_dir), 0o700, "the data directory");
    for file in ["yimen.db", "yimen.db-wal", "yimen.key", "sms-outbox.jsonl"] {
        let path = data_dir.join(file);
        assert!(path.exists(), "{file} exists");
        assert_eq!(mode(&path), 0o600, "{file}");
    }
    app.stop().await;
}

#[tokio::test]
async fn nul_characters_are_refused_with_a_clear_error() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let browser = app.browser();
    let (_, _, page) = browser.open(&app.url("/register")).await.page();
    let response = browser
        .http
        .post(app.url("/register/code"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={}&phone=139%0012345678", field(&page, "csrf")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("空字符"), "the page says what is wrong");
    let token = http()
        .post(app.url("/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials&client_id=a%00b&client_secret=x")
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 400);
    let body: serde_json::Value = token.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    let query = browser.http.get(app.url("/login?next=/account%00")).send().await.unwrap();
    assert_eq!(query.status(), 400);
    let items = "code,name,type,audience\nMZ-1,结婚\u{0}登记,public_service,person\n";
    let catalogued = catalogue(&app).await;
    let refused = app.catalog.import(&Scope::All, &catalogued.city, ImportFormat::Csv, items, &Actor::operator()).await;
    assert!(refused.is_err(), "an item name with a NUL is refused, not stored");
    app.stop().await;
}

#[tokio::test]
async fn a_new_password_may_not_contain_what_others_know_about_its_owner() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let browser = app.browser();
    let (_, _, page) = crate::helpers::sign_in_twice(&app, &browser, PHONE, "/account/password").await;
    let csrf = field(&page, "csrf");
    for (password, language, message) in [
        ("harbour-19491231-quilt", "zh-CN", "出生日期"),
        ("my-phone-13800138000", "zh-CN", "手机号"),
        ("quilt-231002X-harbour", "en", "document number"),
        ("aaaaaaaaaaaa", "en", "too easy to guess"),
    ] {
        let response = browser
            .http
            .post(app.url("/account/password"))
            .header("accept-language", language)
            .form(&[("csrf", csrf.as_str()), ("current", PASSWORD), ("password", password), ("password2", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{password}");
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "{password}: the reason, in {language}: {html}");
    }
    let strong = "copper-meadow-lantern-4";
    let (status, _, _) = browser
        .submit(
            "/account/password",
            &[("csrf", &csrf), ("current", PASSWORD), ("password", strong), ("password2", strong)],
        )
        .await
        .page();
    assert_eq!(status, 200);
    app.stop().await;
}

/// A sign-in request the server cannot check because its database did not answer is not the client's
/// mistake: it is answered 503 "try again", never 400 "the request is wrong", which would send a
/// department's developers looking for a bug in their integration.
#[tokio::test]
async fn a_database_failure_during_an_authorization_request_is_not_called_a_malformed_request() {
    let app = TestApp::spawn().await;
    app.execute_sql("ALTER TABLE clients RENAME TO clients_away").await;
    let response = http()
        .get(app.url("/authorize?client_id=never-seen&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Frp.example%2Fcb"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let page = response.text().await.unwrap();
    assert!(page.contains("briefly unavailable"), "{page}");
    assert!(!page.contains("incomplete or wrong"), "{page}");
    app.execute_sql("ALTER TABLE clients_away RENAME TO clients").await;
    app.stop().await;
}
