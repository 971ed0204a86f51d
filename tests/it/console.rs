//! The administration console's halls page: who may use it (an administrator, signed in recently with
//! two factors), and managing halls and counter roles through it, with every change audited.

use crate::helpers::{Browser, PASSWORD, PHONE, RP, TestApp, field, next_code_may_be_sent, second_factor};
use crate::rp::{AuthRequest, pkce};
use yimen::audit::Actor;
use yimen::counter::DeskError;
use yimen::identity::roles::RoleKind;
use yimen::oidc::client::ClientRegistration;

const STAFF_ID: &str = "440301199003071230";
const STAFF_PHONE: &str = "13700137000";

/// Signs in with a password and an SMS code as second factor, through a system that requires two.
pub async fn sign_in_with_two_factors(app: &TestApp, browser: &Browser, phone: &str) {
    let strict = app
        .client(ClientRegistration {
            name: "二次认证系统".into(),
            redirect_uris: vec![RP.into()],
            require_mfa: true,
            ..ClientRegistration::default()
        })
        .await;
    let (_, challenge) = pkce();
    let url = AuthRequest::new(&strict.client.id)
        .with("code_challenge", &challenge)
        .with("code_challenge_method", "S256")
        .url(app);
    let (_, _, login) = browser.open(&url).await.page();
    let (_, second_url, second) = browser.login_only(&login, phone, PASSWORD).await.page();
    assert!(second_url.contains("/login/second"), "{second_url}");
    let rid = field(&second, "rid");
    let (_, _, sent) =
        browser.submit("/login/second/code", &[("csrf", &field(&second, "csrf")), ("rid", &rid)]).await.page();
    let code = app.code_for(phone).await;
    browser.submit("/login/second", &[("csrf", &field(&sent, "csrf")), ("rid", &rid), ("code", &code)]).await;
}

async fn post(browser: &Browser, page: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let mut all = vec![("csrf", field(page, "csrf"))];
    all.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let borrowed: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.submit("/admin/halls", &borrowed).await.page()
}

#[tokio::test]
async fn the_console_needs_an_administrator_with_a_recent_two_factor_sign_in() {
    // Three SMS codes go to one phone here; Redis spaces them in real time, not by the test clock.
    let app = TestApp::spawn_with(|config| config.otp.resend_interval_secs = 1).await;
    let admin = app.citizen().await;
    app.citizen_with(STAFF_ID, STAFF_PHONE).await;

    let citizen = app.browser();
    sign_in_with_two_factors(&app, &citizen, STAFF_PHONE).await;
    let (status, _, page) = citizen.open(&app.url("/admin/halls")).await.page();
    assert_eq!(status, 403);
    assert!(page.contains("没有管理员角色"), "{page}");

    app.desk.roles.grant(&admin.id, RoleKind::PlatformAdmin, None, &Actor::operator()).await.unwrap();
    let browser = app.browser();
    let (_, _, login) = browser.open(&app.url("/login?next=%2Fadmin%2Fhalls")).await.page();
    let (_, url, second) = browser.login_only(&login, PHONE, PASSWORD).await.page();
    assert!(url.contains("/login/second"), "one factor is not enough for the console: {url}");
    assert!(second.contains("管理控制台要求两步验证"), "{second}");
    let (status, url, page) = second_factor(&app, &browser, &second, PHONE).await;
    assert_eq!(status, 200, "{page}");
    assert!(url.ends_with("/admin/halls"), "the console continues after the second factor: {url}");

    // A one-factor session is asked for the second factor only, without the password again.
    next_code_may_be_sent(&app).await;
    let one_factor = app.browser();
    let (_, _, login) = one_factor.open(&app.url("/login")).await.page();
    let (_, url, _) = one_factor.login_only(&login, PHONE, PASSWORD).await.page();
    assert!(url.ends_with("/account"), "{url}");
    let (_, url, second) = one_factor.open(&app.url("/dashboard")).await.page();
    assert!(url.contains("/login/second") && !second.contains("name=\"password\""), "{url}");
    let (status, url, page) = second_factor(&app, &one_factor, &second, PHONE).await;
    assert!(status == 200 && url.ends_with("/dashboard"), "{status} {url} {page}");

    next_code_may_be_sent(&app).await;
    app.clock.advance_secs(90 * 60);
    let (_, url, login) = browser.open(&app.url("/admin/halls")).await.page();
    assert!(url.contains("/login?next="), "a sign-in from 90 minutes ago is not recent: {url}");
    assert!(login.contains("name=\"password\""), "the person signs in again: {login}");
    let (_, url, second) = browser.login_only(&login, PHONE, PASSWORD).await.page();
    assert!(url.contains("/login/second"), "{url}");
    let (status, url, _) = second_factor(&app, &browser, &second, PHONE).await;
    assert!(status == 200 && url.ends_with("/admin/halls"), "{status} {url}");
    app.stop().await;
}

#[tokio::test]
async fn an_administrator_builds_the_hall_tree_and_seats_and_unseats_staff() {
    let app = TestApp::spawn().await;
    let admin = app.citizen().await;
    let staff = app.citizen_with(STAFF_ID, STAFF_PHONE).await;
    app.desk.roles.grant(&admin.id, RoleKind::PlatformAdmin, None, &Actor::operator()).await.unwrap();
    let browser = app.browser();
    sign_in_with_two_factors(&app, &browser, PHONE).await;
    let (_, _, page) = browser.open(&app.url("/admin/halls")).await.page();
    assert!(page.contains("还没有服务大厅"));

    let (_, _, page) =
        post(&browser, &page, &[("action", "add_hall"), ("name", "市民中心"), ("kind", "city"), ("parent_id", "")])
            .await;
    assert!(page.contains("大厅已添加") && page.contains("市民中心"), "{page}");
    let (status, _, page) = post(
        &browser,
        &page,
        &[("action", "add_hall"), ("name", "鼓楼区政务服务中心"), ("kind", "district"), ("parent_id", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("请选择上级大厅"), "the field message says what to fix: {page}");
    let city = app.desk.halls.list().await.unwrap().into_iter().next().unwrap();
    let (_, _, page) = post(
        &browser,
        &page,
        &[("action", "add_hall"), ("name", "鼓楼区政务服务中心"), ("kind", "district"), ("parent_id", &city.id)],
    )
    .await;
    let district = app
        .desk
        .halls
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.name == "鼓楼区政务服务中心")
        .expect("the district hall");
    assert_eq!(district.parent_id.as_deref(), Some(city.id.as_str()));
    let (status, _, page) = post(
        &browser,
        &page,
        &[("action", "add_hall"), ("name", "市级二中心"), ("kind", "city"), ("parent_id", &district.id)],
    )
    .await;
    assert_eq!(status, 422, "a city hall cannot sit under a district");
    assert_eq!(app.desk.halls.list().await.unwrap().len(), 2, "nothing half-written");

    let (status, _, page) = post(
        &browser,
        &page,
        &[("action", "grant"), ("account", "13900000000"), ("hall_id", &district.id), ("role", "hall_supervisor")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("没有找到该账号"));
    let (_, _, page) = post(
        &browser,
        &page,
        &[("action", "grant"), ("account", STAFF_PHONE), ("hall_id", &district.id), ("role", "hall_supervisor")],
    )
    .await;
    assert!(
        page.contains("已授予角色") && page.contains("137****7000") && !page.contains(STAFF_PHONE),
        "listed with a masked phone: {page}"
    );
    let seat = app.desk.seat(&staff.id, None, None).await.expect("now seated");
    assert!(seat.supervisor && seat.hall_id == district.id);
    let (status, _, page) = post(
        &browser,
        &page,
        &[("action", "grant"), ("account", STAFF_PHONE), ("hall_id", &district.id), ("role", "hall_supervisor")],
    )
    .await;
    assert_eq!(status, 422, "granted once: {page}");

    let (status, _, _) = browser
        .submit("/admin/halls", &[("csrf", "forged"), ("action", "revoke"), ("role_id", &field(&page, "role_id"))])
        .await
        .page();
    assert_eq!(status, 403, "a forged form is refused");
    let role_id = field(&page, "role_id");
    let (status, _, asked) = post(&browser, &page, &[("action", "revoke"), ("role_id", &role_id)]).await;
    assert_eq!(status, 200);
    assert!(asked.contains("role=\"alertdialog\"") && asked.contains("确认取消"), "a removal asks first: {asked}");
    assert!(app.desk.seat(&staff.id, None, None).await.is_ok(), "nothing is removed before the confirmation");
    let (_, _, page) =
        post(&browser, &asked, &[("action", "revoke"), ("role_id", &role_id), ("confirmed", "yes")]).await;
    assert!(page.contains("已移除"));
    assert!(matches!(app.desk.seat(&staff.id, None, None).await, Err(DeskError::NotStaff)), "the seat is gone at once");

    let filter =
        yimen::store::audit::AuditFilter { actor_id: Some(admin.id.clone()), limit: 100, ..Default::default() };
    let actions: Vec<(String, String)> =
        app.desk.audit.search(&filter).await.unwrap().into_iter().map(|e| (e.action, e.actor_role)).collect();
    for action in ["hall.create", "role.grant", "role.revoke"] {
        assert!(
            actions.iter().any(|(a, role)| a == action && role == "platform_admin"),
            "{action} audited: {actions:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_audit_log_and_its_export_need_a_recent_two_factor_sign_in() {
    let app = TestApp::spawn().await;
    let auditor = app.citizen().await;
    app.desk.roles.grant(&auditor.id, RoleKind::Auditor, None, &Actor::operator()).await.unwrap();
    let browser = app.browser();
    let (_, _, login) = browser.open(&app.url("/login")).await.page();
    browser.login_only(&login, PHONE, PASSWORD).await.page();
    for page in ["/audit", "/audit/export.csv"] {
        let response = browser.http.get(app.url(page)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{page} is not shown to a password alone");
        assert_eq!(response.headers()["location"], "/login/second", "{page} asks for the second factor");
    }
    let (_, _, second) = browser.open(&app.url("/audit")).await.page();
    let (status, url, _) = second_factor(&app, &browser, &second, PHONE).await;
    assert_eq!((status, url.ends_with("/audit")), (200, true), "{url}");
    let export = browser.http.get(app.url("/audit/export.csv")).send().await.unwrap();
    assert_eq!(export.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn the_audit_log_reads_in_the_auditors_language_a_page_at_a_time() {
    let app = TestApp::spawn().await;
    let auditor = app.citizen().await;
    app.desk.roles.grant(&auditor.id, RoleKind::Auditor, None, &Actor::operator()).await.unwrap();
    let hall =
        app.desk.halls.create("市民中心", yimen::counter::HallKind::City, None, &Actor::operator()).await.unwrap();
    for _ in 0..60 {
        let event = yimen::audit::Event {
            action: "role.grant",
            subject_type: "person",
            subject_id: Some(auditor.id.clone()),
            detail: serde_json::json!({ "role": "auditor", "hall_id": hall.id }),
        };
        app.desk
            .audit
            .record(&Actor::person(&auditor.id, yimen::audit::ActorRole::PlatformAdmin, None), event)
            .await
            .unwrap();
    }
    let browser = app.browser();
    sign_in_with_two_factors(&app, &browser, PHONE).await;
    let (status, _, page) = browser.open(&app.url("/audit")).await.page();
    assert_eq!(status, 200);
    let table = page.split("<table").nth(1).expect("a table of events");
    assert!(table.contains("授予角色") && !table.contains("role.grant"), "events are named in Chinese");
    assert!(table.contains("大厅：市民中心") && table.contains("办事人：张三"), "ids are replaced by names");
    let uuid = regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    assert!(!uuid.is_match(table), "no ids in the table");
    assert!(page.contains("aria-current=\"page\""), "in the console frame, with its menu");
    let rows = |html: &str| html.matches("<tr><td").count();
    assert_eq!(rows(&page), 50, "a page at a time");
    let older = crate::helpers::attr(&page, "a[rel=next]", "href");
    let (_, _, second) = browser.open(&app.url(&older)).await.page();
    assert!(rows(&second) >= 10, "the older events are on the next page");
    let (_, _, filtered) = browser.open(&app.url("/audit?event=hall.create")).await.page();
    assert_eq!(rows(&filtered), 1, "filtered by event");
    assert!(filtered.contains("建立大厅"));
    app.stop().await;
}
