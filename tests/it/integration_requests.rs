//! Self-service credentials: a department developer asks for a business system's client on
//! /developers/credentials, the dashboard says the system is waiting, an administrator of that department
//! (never the requester) approves it on the console, and the requester sees the secret once — the secret
//! works, a second look is refused, and every step is audited. In a sandbox the request is granted at once.

use crate::catalog::catalogue;
use crate::console::sign_in_with_two_factors;
use crate::helpers::{Browser, PHONE, TestApp, field};
use crate::rp::post_form;
use yimen::audit::Actor;
use yimen::catalog::Scope;
use yimen::identity::roles::RoleKind;
use yimen::store::connections::ItemFilter;

const ADMIN_ID: &str = "440301199003071230";
const ADMIN_PHONE: &str = "13700137000";

async fn submit(browser: &Browser, page: &str, action: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let mut all = vec![("csrf", field(page, "csrf")), ("action", action.to_owned())];
    all.extend(fields.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let borrowed: Vec<(&str, &str)> = all.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.submit("/developers/credentials", &borrowed).await.page()
}

async fn audited(app: &TestApp) -> Vec<String> {
    let filter = yimen::store::audit::AuditFilter {
        action_prefix: Some("integration.".into()),
        limit: 100,
        ..Default::default()
    };
    app.desk.audit.search(&filter).await.unwrap().into_iter().map(|row| row.action).collect()
}

#[tokio::test]
async fn a_developer_asks_an_administrator_decides_and_the_secret_is_shown_once() {
    let app = TestApp::spawn_with(|config| config.otp.resend_interval_secs = 1).await;
    let developer = app.citizen().await;
    let catalogued = catalogue(&app).await;
    let system = app.catalog.systems(&Scope::All, &catalogued.district).await.unwrap().remove(0);
    let admin = app.citizen_with(ADMIN_ID, ADMIN_PHONE).await;
    for person in [&admin.id, &developer.id] {
        app.desk
            .roles
            .grant(person, RoleKind::DepartmentAdmin, Some(&catalogued.district), &Actor::operator())
            .await
            .unwrap();
    }

    let browser = app.browser();
    let (_, at, _) = browser.open(&app.url("/developers/credentials")).await.page();
    assert!(at.contains("/login"), "credentials need a sign-in: {at}");
    sign_in_with_two_factors(&app, &browser, PHONE).await;
    let (status, _, page) = browser.open(&app.url("/developers/credentials")).await.page();
    assert_eq!(status, 200);
    assert!(page.contains(&system.name), "the catalog's systems are offered");

    let bad = [
        ("system_id", system.id.as_str()),
        ("redirect_uris", "http://jiuzhu.example.gov.cn/cb"),
        ("purpose", "区级救助系统接入统一身份认证"),
    ];
    let (status, _, refused) = submit(&browser, &page, "request", &bad).await;
    assert_eq!(status, 422);
    assert!(refused.contains("只有本机地址"), "the field's problem, at once");
    let good = [
        ("system_id", system.id.as_str()),
        ("name", "区级救助"),
        ("redirect_uris", "https://jiuzhu.example.gov.cn/cb"),
        ("purpose", "区级救助系统接入统一身份认证"),
    ];
    let (status, _, requested) = submit(&browser, &refused, "request", &good).await;
    assert_eq!(status, 201, "{requested}");
    assert!(requested.contains("等待部门管理员审批") && !requested.contains("client-secret"));
    let missing = app.reports.missing(&ItemFilter::default(), 100).await.unwrap();
    let waiting: Vec<_> =
        missing.iter().filter(|row| row.system_name.as_deref() == Some(system.name.as_str())).collect();
    assert!(!waiting.is_empty() && waiting.iter().all(|row| row.reason == "requested"), "{waiting:?}");

    // The requester is an administrator of the department too, but cannot decide their own request.
    let department = format!("/admin/catalog/departments/{}", catalogued.district);
    let (_, _, console) = browser.open(&app.url(&department)).await.page();
    let request_id = field(&console, "request_id");
    let own = [
        ("csrf", field(&console, "csrf")),
        ("action", "decide_request".into()),
        ("request_id", request_id.clone()),
        ("decision", "approve".into()),
    ];
    let borrowed: Vec<(&str, &str)> = own.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, _, refused) = browser.submit(&department, &borrowed).await.page();
    assert!(refused.contains("不能审批自己提交的申请"), "four eyes");

    let admin_browser = app.browser();
    sign_in_with_two_factors(&app, &admin_browser, ADMIN_PHONE).await;
    let (_, _, console) = admin_browser.open(&app.url(&department)).await.page();
    assert!(console.contains("区级救助系统接入统一身份认证"), "the administrator sees the purpose");
    assert!(console.contains("<span class=\"stage\">已申请接入凭据，等待部门审批</span>"), "and the system's stage");
    let approve = [
        ("csrf", field(&console, "csrf")),
        ("action", "decide_request".into()),
        ("request_id", request_id),
        ("decision", "approve".into()),
        ("note", "同意".into()),
    ];
    let borrowed: Vec<(&str, &str)> = approve.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, _, decided) = admin_browser.submit(&department, &borrowed).await.page();
    assert!(decided.contains("已批准"), "{decided}");
    assert!(!decided.contains("client-secret"), "the administrator never sees the secret");

    let (_, _, page) = browser.open(&app.url("/developers/credentials")).await.page();
    assert!(page.contains("已批准") && page.contains("同意"));
    let reveal = [("request_id", field(&page, "request_id"))];
    let borrowed: Vec<(&str, &str)> = reveal.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, shown) = submit(&browser, &page, "reveal", &borrowed).await;
    assert_eq!(status, 200);
    let document = scraper::Html::parse_document(&shown);
    let text = |id: &str| {
        let selector = scraper::Selector::parse(&format!("#{id}")).unwrap();
        document.select(&selector).next().map(|e| e.text().collect::<String>()).unwrap_or_default()
    };
    let (client_id, secret) = (text("client-id"), text("client-secret"));
    assert!(client_id.starts_with("ym-") && secret.len() > 30, "{client_id} {secret}");
    let (status, body, _) = post_form(&app, "/introspect", Some((&client_id, &secret)), &[("token", "x")]).await;
    assert_eq!(status, 200, "the secret authenticates the client: {body}");
    let stored = app.provider.client_by_id(&client_id).await.unwrap().unwrap();
    assert_eq!(stored.system_id.as_deref(), Some(system.id.as_str()), "the client belongs to the system");

    let (status, _, again) = submit(&browser, &shown, "reveal", &borrowed).await;
    assert_eq!(status, 409);
    assert!(again.contains("已经显示过一次") && !again.contains(&secret));
    let missing = app.reports.missing(&ItemFilter::default(), 100).await.unwrap();
    assert!(
        missing
            .iter()
            .filter(|row| row.system_name.as_deref() == Some(system.name.as_str()))
            .all(|row| row.reason == "no_login")
    );
    assert_eq!(
        audited(&app).await,
        ["integration.secret_shown", "integration.approve", "integration.request"],
        "newest first: the request, the approval and the showing"
    );
}

#[tokio::test]
async fn the_sandbox_grants_a_request_at_once() {
    let app = TestApp::spawn_with(|config| config.sandbox = Some(true)).await;
    let catalogued = catalogue(&app).await;
    let system = app.catalog.systems(&Scope::All, &catalogued.district).await.unwrap().remove(0);
    let browser = app.browser();
    let (_, _, picker) = browser.open(&app.url("/developers/credentials")).await.page();
    assert!(picker.contains("沙箱登录"), "the sandbox's sign-in is the picker");
    let fields = [
        ("csrf", field(&picker, "csrf")),
        ("rid", String::new()),
        ("next", field(&picker, "next")),
        ("person", "2".into()),
    ];
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = browser.submit("/sandbox/login", &borrowed).await.page();
    assert_eq!(status, 200);
    let good = [
        ("system_id", system.id.as_str()),
        ("redirect_uris", "http://127.0.0.1:3000/callback"),
        ("purpose", "在沙箱中试接入"),
    ];
    let (status, _, shown) = submit(&browser, &page, "request", &good).await;
    assert_eq!(status, 201, "{shown}");
    assert!(shown.contains("id=\"client-secret\""), "granted and shown at once");
    assert!(
        app.reports.missing(&ItemFilter::default(), 100).await.unwrap().iter().all(|row| row.reason != "requested")
    );
}

#[tokio::test]
async fn production_issues_sandbox_credentials_and_sees_the_system_tried_there() {
    let sandbox = TestApp::spawn_with(|config| config.sandbox = Some(true)).await;
    let operator =
        sandbox.accounts.find_by_login_identifier(yimen::sandbox::PEOPLE[3].id_number).await.unwrap().unwrap();
    sandbox.desk.roles.grant(&operator.id, RoleKind::PlatformAdmin, None, &Actor::operator()).await.unwrap();
    let token = sandbox.desk.roles.issue_api_token(&operator.id, "production", 30, &Actor::operator()).await.unwrap();
    let sandbox_url = url::Url::parse(&sandbox.base).unwrap();
    let app = TestApp::spawn_with(move |config| {
        config.otp.resend_interval_secs = 1;
        config.developers.sandbox_url = Some(sandbox_url);
        config.developers.sandbox_token = Some(yimen::secret::SecretString::new(token));
    })
    .await;
    let developer = app.citizen().await;
    let catalogued = catalogue(&app).await;
    let system = app.catalog.systems(&Scope::All, &catalogued.district).await.unwrap().remove(0);
    let reason = |app: &TestApp| {
        let name = system.name.clone();
        let reports = app.reports.clone();
        async move {
            let missing = reports.missing(&ItemFilter::default(), 100).await.unwrap();
            let reasons: Vec<String> = missing
                .into_iter()
                .filter(|row| row.system_name.as_deref() == Some(name.as_str()))
                .map(|r| r.reason)
                .collect();
            assert!(!reasons.is_empty() && reasons.iter().all(|r| *r == reasons[0]), "{reasons:?}");
            reasons[0].clone()
        }
    };
    assert_eq!(reason(&app).await, "no_client");

    let browser = app.browser();
    sign_in_with_two_factors(&app, &browser, PHONE).await;
    let (_, _, page) = browser.open(&app.url("/developers/credentials")).await.page();
    assert!(page.contains("name=\"environment\""), "production linked to a sandbox offers both");
    let wanted = [
        ("environment", "sandbox"),
        ("system_id", system.id.as_str()),
        ("redirect_uris", crate::helpers::RP),
        ("purpose", "先在沙箱中试"),
    ];
    let (status, _, shown) = submit(&browser, &page, "request", &wanted).await;
    assert_eq!(status, 201, "{shown}");
    let document = scraper::Html::parse_document(&shown);
    let text = |id: &str| {
        let selector = scraper::Selector::parse(&format!("#{id}")).unwrap();
        document.select(&selector).next().map(|e| e.text().collect::<String>()).unwrap_or_default()
    };
    let (client_id, secret) = (text("client-id"), text("client-secret"));
    assert_eq!(text("where"), format!("{}/.well-known/openid-configuration", sandbox.base), "the sandbox's issuer");
    assert!(sandbox.provider.client_by_id(&client_id).await.unwrap().is_some(), "registered in the sandbox");
    assert!(app.provider.client_by_id(&client_id).await.unwrap().is_none(), "and not in production");
    assert_eq!(reason(&app).await, "sandbox_requested");

    // The developer signs a synthetic person in to the sandbox with the new credentials.
    let (callback, verifier) = crate::sandbox::pick(&sandbox, &sandbox.browser(), &client_id, 1, "sign_in").await;
    let code = crate::helpers::param(&callback, "code").unwrap();
    let (status, _, _) = crate::rp::redeem_code(&sandbox, (&client_id, &secret), &code, &verifier).await;
    assert_eq!(status, 200);
    let (_, _, page) = browser.open(&app.url("/developers/credentials")).await.page();
    assert!(page.contains("在沙箱中成功登录"), "production asked the sandbox");
    assert_eq!(reason(&app).await, "sandbox_used");

    let production = [
        ("environment", "local"),
        ("system_id", system.id.as_str()),
        ("redirect_uris", "https://jiuzhu.example.gov.cn/cb"),
        ("purpose", "沙箱已调通，申请生产凭据"),
    ];
    let (status, _, _) = submit(&browser, &page, "request", &production).await;
    assert_eq!(status, 201);
    assert_eq!(reason(&app).await, "requested");

    sandbox.stop().await;
    let (status, _, refused) = submit(&browser, &page, "request", &wanted).await;
    assert_eq!(status, 503);
    assert!(refused.contains("沙箱暂时无法登记客户端"));
    let requests = app.db.integration_requests_of(&developer.id).await.unwrap();
    assert_eq!(requests.len(), 2, "a refused sandbox request leaves nothing behind");
}
