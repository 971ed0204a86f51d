//! Who sees what of the catalog: a department administrator reaches only their department through the
//! API and the pages; the dashboard draws the rate and lists whom to call; the OpenAPI document describes
//! every administration route.

use crate::catalog::{catalogue, login_through};
use crate::console::sign_in_with_two_factors;
use crate::helpers::{PHONE, TestApp, field};
use crate::rp::http;
use yimen::audit::Actor;
use yimen::identity::roles::RoleKind;

const ADMIN_ID: &str = "440301199003071230";
const ADMIN_PHONE: &str = "13700137000";

async fn token_for(app: &TestApp, person_id: &str) -> String {
    app.desk.roles.issue_api_token(person_id, "test", 1, &Actor::operator()).await.unwrap()
}

async fn api(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = http().request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn a_department_administrator_reaches_only_their_department_through_the_api() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let catalogued = catalogue(&app).await;
    let admin = app.citizen_with(ADMIN_ID, ADMIN_PHONE).await;
    app.desk
        .roles
        .grant(&admin.id, RoleKind::DepartmentAdmin, Some(&catalogued.district), &Actor::operator())
        .await
        .unwrap();
    let token = token_for(&app, &admin.id).await;
    use reqwest::Method;

    let (status, listed) = api(&app, &token, Method::GET, "/admin/api/catalog/departments", None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> =
        listed["departments"].as_array().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["鼓楼区民政局"], "only their own department");
    let city_systems = format!("/admin/api/catalog/departments/{}/systems", catalogued.city);
    assert_eq!(
        api(&app, &token, Method::GET, &city_systems, None).await.0,
        404,
        "another department does not exist for them"
    );
    assert_eq!(
        api(&app, &token, Method::GET, &format!("/admin/api/catalog/departments/{}/items", catalogued.city), None)
            .await
            .0,
        404
    );
    let smuggled = serde_json::json!([{ "code": "MZ-009", "name": "x", "type": "licence", "audience": "person" }]);
    assert_eq!(
        api(
            &app,
            &token,
            Method::POST,
            &format!("/admin/api/catalog/departments/{}/items", catalogued.city),
            Some(smuggled.clone())
        )
        .await
        .0,
        404
    );
    assert_eq!(
        api(
            &app,
            &token,
            Method::POST,
            &format!("/admin/api/catalog/systems/{}/clients", catalogued.local.client.system_id.as_deref().unwrap()),
            Some(serde_json::json!({ "redirect_uris": ["https://x.example/cb"] }))
        )
        .await
        .0,
        404
    );
    let (status, _) = api(
        &app,
        &token,
        Method::POST,
        "/admin/api/catalog/departments",
        Some(serde_json::json!({ "name": "新部门" })),
    )
    .await;
    assert_eq!(status, 403, "only platform administrators add departments");

    let own_items = format!("/admin/api/catalog/departments/{}/items", catalogued.district);
    let (status, summary) = api(&app, &token, Method::POST, &own_items, Some(smuggled)).await;
    assert_eq!((status, summary["created"].as_i64()), (200, Some(1)), "{summary}");
    let (status, refused) = api(
        &app,
        &token,
        Method::POST,
        &own_items,
        Some(serde_json::json!([{ "code": "GL 9", "name": "", "type": "x", "audience": "person" }])),
    )
    .await;
    assert_eq!((status, refused["error"].as_str()), (422, Some("invalid_rows")));
    assert_eq!(refused["rows"].as_array().unwrap().len(), 3, "every problem with its line: {refused}");
    let csv = http()
        .post(app.url(&own_items))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body("code,name,type,audience\nGL-010,居家养老,公共服务,自然人\n")
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 200);

    let own_systems = format!("/admin/api/catalog/departments/{}/systems", catalogued.district);
    let (status, created) =
        api(&app, &token, Method::POST, &own_systems, Some(serde_json::json!({ "name": "养老服务系统" }))).await;
    assert_eq!(status, 201, "{created}");
    let clients = format!("/admin/api/catalog/systems/{}/clients", created["id"].as_str().unwrap());
    let (status, client) = api(
        &app,
        &token,
        Method::POST,
        &clients,
        Some(serde_json::json!({ "redirect_uris": ["https://yanglao.example.gov.cn/cb"] })),
    )
    .await;
    assert_eq!(status, 201, "{client}");
    assert!(
        client["client_secret"].as_str().is_some_and(|s| s.len() > 30)
            && client["discovery"].as_str().unwrap().ends_with("/.well-known/openid-configuration")
    );
    let legacy = serde_json::json!({ "name": "养老旧系统", "protocol": "cas", "services": ["https://yanglao.example.gov.cn/cas/*"] });
    let (status, cas) = api(&app, &token, Method::POST, &clients, Some(legacy)).await;
    assert_eq!(status, 201, "{cas}");
    assert_eq!(cas["protocol"], "cas");
    assert!(cas["client_secret"].is_null(), "a CAS service has no secret: {cas}");
    let stored = app.provider.client_by_id(cas["client_id"].as_str().unwrap()).await.unwrap().unwrap();
    assert!(stored.has_cas_service("https://yanglao.example.gov.cn/cas/home"));
    for (body, expected) in [
        (serde_json::json!({ "protocol": "saml", "services": ["https://x.example/"] }), "protocol"),
        (serde_json::json!({ "name": "x", "protocol": "cas", "services": ["https://x.example/a*"] }), "'*'"),
        (serde_json::json!({ "name": "x", "protocol": "cas", "services": [] }), "at least one service URL"),
    ] {
        let (status, refused) = api(&app, &token, Method::POST, &clients, Some(body)).await;
        assert_eq!(status, 422, "{refused}");
        assert!(refused.to_string().contains(expected), "{refused}");
    }

    let (status, rate) = api(&app, &token, Method::GET, "/admin/api/connection-rate?by=department", None).await;
    assert_eq!(status, 200);
    let departments = rate["breakdowns"]["department"].as_array().unwrap();
    assert_eq!(departments.len(), 1, "the rate covers their department only: {rate}");
    assert_eq!(rate["overall"]["active_items"], 4);
    let (status, _) =
        api(&app, &token, Method::GET, &format!("/admin/api/connection-rate?department={}", catalogued.city), None)
            .await;
    assert_eq!(status, 200);

    let stranger =
        http().get(app.url("/admin/api/catalog/departments")).bearer_auth("ym-admin-not-a-token").send().await.unwrap();
    assert_eq!(stranger.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn the_pages_keep_a_department_administrator_in_their_department() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let catalogued = catalogue(&app).await;
    let admin = app.citizen_with(ADMIN_ID, ADMIN_PHONE).await;
    app.desk
        .roles
        .grant(&admin.id, RoleKind::DepartmentAdmin, Some(&catalogued.district), &Actor::operator())
        .await
        .unwrap();
    let browser = app.browser();
    sign_in_with_two_factors(&app, &browser, ADMIN_PHONE).await;

    let (_, _, index) = browser.open(&app.url("/admin/catalog")).await.page();
    assert!(index.contains("鼓楼区民政局") && !index.contains("市民政局</a>"), "only their department is listed");
    assert!(!index.contains("add_department"), "no department form for them");
    let (status, _, _) =
        browser.open(&app.url(&format!("/admin/catalog/departments/{}", catalogued.city))).await.page();
    assert_eq!(status, 404);
    let (status, _, page) =
        browser.open(&app.url(&format!("/admin/catalog/departments/{}", catalogued.district))).await.page();
    assert_eq!(status, 200);
    let (status, _, _) = browser
        .submit(
            &format!("/admin/catalog/departments/{}", catalogued.city),
            &[("csrf", &field(&page, "csrf")), ("action", "add_system"), ("name", "偷偷加的系统")],
        )
        .await
        .page();
    assert_eq!(status, 404, "a form aimed at another department changes nothing");
    assert!(
        app.catalog
            .systems(&yimen::catalog::Scope::All, &catalogued.city)
            .await
            .unwrap()
            .iter()
            .all(|s| s.name != "偷偷加的系统")
    );

    let systems = app.catalog.systems(&yimen::catalog::Scope::All, &catalogued.district).await.unwrap();
    let own = format!("/admin/catalog/departments/{}", catalogued.district);
    let form = |services: &'static str| {
        vec![
            ("csrf", field(&page, "csrf")),
            ("action", "register_cas".to_owned()),
            ("system_id", systems[0].id.clone()),
            ("name", "低保旧系统".to_owned()),
            ("services", services.to_owned()),
        ]
    };
    let refused = form("http://dibao.example.gov.cn/");
    let borrowed: Vec<(&str, &str)> = refused.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page_after) = browser.submit(&own, &borrowed).await.page();
    assert_eq!(status, 422);
    assert!(page_after.contains("CAS 服务地址 http://dibao.example.gov.cn/ 不可用"), "a field message");
    let accepted = form("https://dibao.example.gov.cn/app/*\nhttps://dibao.example.gov.cn/m/login");
    let borrowed: Vec<(&str, &str)> = accepted.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, done) = browser.submit(&own, &borrowed).await.page();
    assert_eq!(status, 201, "{done}");
    assert!(done.contains("id=\"cas-server\"") && done.contains("/cas/</dd>"), "the CAS server to configure");
    assert!(!done.contains("client_secret"), "no secret for a CAS service");

    let (status, _, dashboard) = browser.open(&app.url("/dashboard")).await.page();
    assert_eq!(status, 200);
    assert!(
        dashboard.contains("GL-001") && !dashboard.contains("MZ-004"),
        "the dashboard shows their department's items only"
    );
    let (_, _, peek) = browser.open(&app.url(&format!("/dashboard?department={}", catalogued.city))).await.page();
    assert!(
        !peek.contains("MZ-004") && !peek.contains("结婚登记"),
        "asking for another department shows nothing of it"
    );
    let export =
        browser.http.get(app.url("/dashboard/export.csv?what=missing")).send().await.unwrap().text().await.unwrap();
    assert!(export.contains("GL-001") && !export.contains("MZ-004"), "{export}");
    app.stop().await;
}

#[tokio::test]
async fn the_dashboard_draws_the_rate_the_trend_and_whom_to_call() {
    let app = TestApp::spawn().await;
    let admin = app.citizen().await;
    let catalogued = catalogue(&app).await;
    login_through(&app, &catalogued.local).await;
    app.reports.record_snapshot().await.unwrap();
    app.desk.roles.grant(&admin.id, RoleKind::Auditor, None, &Actor::operator()).await.unwrap();
    let browser = app.browser();
    sign_in_with_two_factors(&app, &browser, PHONE).await;
    let (status, _, page) = browser.open(&app.url("/dashboard")).await.page();
    assert_eq!(status, 200, "an auditor reads the dashboard");
    let html = scraper::Html::parse_document(&page);
    let text = |selector: &str| {
        html.select(&scraper::Selector::parse(selector).unwrap())
            .next()
            .map(|e| e.text().collect::<String>())
            .unwrap_or_default()
    };
    assert_eq!(text("#headline-rate"), "33.3%");
    assert!(text("#headline-counts").contains('6') && page.contains("目标 90.0%"));
    let chart = html
        .select(&scraper::Selector::parse("#department-chart svg").unwrap())
        .next()
        .expect("the department chart is drawn");
    assert_eq!(chart.value().attr("role"), Some("img"));
    assert!(chart.html().contains("鼓楼区民政局"), "bars are labelled with department names");
    assert!(page.contains("每日快照满两天后显示趋势") || page.contains("接入率趋势"), "the trend section is there");
    assert!(
        page.contains("殡葬补贴") && page.contains("未关联业务系统") && page.contains("13900001111"),
        "missing items with reason and contact"
    );

    let (_, _, filtered) = browser.open(&app.url("/dashboard?kind=licence")).await.page();
    let filtered = scraper::Html::parse_document(&filtered);
    let rate = filtered
        .select(&scraper::Selector::parse("#headline-rate").unwrap())
        .next()
        .unwrap()
        .text()
        .collect::<String>();
    assert_eq!(rate, "100.0%", "both licences are connected");

    let csv = browser.http.get(app.url("/dashboard/export.csv")).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = csv.bytes().await.unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "a byte-order mark, so Excel reads UTF-8 and not GBK");
    let body = String::from_utf8(bytes[3..].to_vec()).unwrap();
    assert!(
        body.starts_with("部门,在用事项数,已注册客户端,已接入,近期有登录,接入率,是否达标")
            && body.contains("鼓楼区民政局,2,0,0,0,0.0%,否"),
        "headers and values in the page's language: {body}"
    );
    let xlsx = browser.http.get(app.url("/dashboard/export.xlsx?what=missing")).send().await.unwrap();
    assert_eq!(xlsx.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(xlsx.headers()["content-disposition"].to_str().unwrap().ends_with(".xlsx\""));
    let workbook = xlsx.bytes().await.unwrap();
    assert!(workbook.starts_with(b"PK"), "an Excel workbook (a zip archive)");
    assert!(workbook.windows(b"xl/worksheets/sheet1.xml".len()).any(|w| w == b"xl/worksheets/sheet1.xml"));
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_administration_route() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value =
        http().get(app.url("/admin/api/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/paths.rs")).unwrap();
    let routes: Vec<&str> =
        source.lines().filter_map(|l| l.split('"').nth(1)).filter(|p| p.starts_with("/admin/api/")).collect();
    assert!(routes.len() >= 9, "{routes:?}");
    for route in routes {
        assert!(doc["paths"].get(route).is_some(), "{route} is not described");
    }
    app.stop().await;
}
