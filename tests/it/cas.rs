//! CAS 3.0 for legacy systems, driven as a CAS client drives it: `/cas/login` through the real login and
//! consent pages, the ticket validated over HTTP in XML, JSON and CAS 1.0, every refusal the specification
//! names, gateway and renew, and single logout as a SAML LogoutRequest POSTed to a real service.

use crate::helpers::{Browser, PASSWORD, PHONE, Step, TestApp, field, param};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use yimen::oidc::client::{ClientRegistration, Protocol, Registered};

/// A legacy system registered by a prefix of its URLs.
async fn cas_service(app: &TestApp, prefix: &str) -> Registered {
    app.client(ClientRegistration {
        name: "不动产登记（旧系统）".into(),
        protocol: Protocol::Cas,
        redirect_uris: vec![format!("{prefix}*")],
        scopes: Some(yimen::oidc::scope::ScopeSet::parse("openid profile identity").unwrap()),
        ..ClientRegistration::default()
    })
    .await
}

fn login_url(app: &TestApp, service: &str, extra: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(service.as_bytes()).collect();
    app.url(&format!("/cas/login?service={encoded}{extra}"))
}

/// Signs in on a login page and consents when asked; returns where the browser left for.
async fn through_login(browser: &Browser, step: Step) -> url::Url {
    match step {
        Step::Page { html, .. } if html.contains("name=\"password\"") => {
            browser.sign_in(&html, PHONE, PASSWORD).await.left()
        }
        Step::Page { html, .. } if html.contains("/consent") => browser.consent(&html, "allow").await.left(),
        other => other.left(),
    }
}

async fn validate(app: &TestApp, path: &str, service: &str, ticket: &str, extra: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("service", service)
        .append_pair("ticket", ticket)
        .finish();
    let response = reqwest::get(app.url(&format!("{path}?{query}{extra}"))).await.unwrap();
    assert_eq!(response.status(), 200, "CAS answers every validation with 200");
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.text().await.unwrap()
}

fn failure_code(xml: &str) -> Option<String> {
    let start = xml.find("<cas:authenticationFailure code=\"")? + "<cas:authenticationFailure code=\"".len();
    Some(xml[start..start + xml[start..].find('"')?].to_owned())
}

fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<cas:{name}>");
    let start = xml.find(&open)? + open.len();
    Some(xml[start..start + xml[start..].find('<')?].to_owned())
}

#[tokio::test]
async fn a_legacy_system_signs_a_citizen_in_over_cas_and_counts_as_connected() {
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    let registered = cas_service(&app, "http://127.0.0.1:9/estate/").await;
    let service = "http://127.0.0.1:9/estate/home?from=portal";
    let browser = app.browser();

    let (_, _, login) = browser.open(&login_url(&app, service, "")).await.page();
    assert!(login.contains("不动产登记"), "the login page names the system");
    let back = through_login(&browser, Step::Page { status: 200, url: String::new(), html: login }).await;
    assert!(back.as_str().starts_with("http://127.0.0.1:9/estate/home?from=portal&ticket=ST-"), "{back}");
    let ticket = param(&back, "ticket").unwrap();
    assert!(ticket.len() >= 3 + 43, "256 random bits: {ticket}");
    assert!(app.db.client_connection(&registered.client.id).await.unwrap().is_none(), "not connected before use");

    let xml = validate(&app, "/cas/p3/serviceValidate", service, &ticket, "").await;
    assert_eq!(failure_code(&xml), None, "{xml}");
    let user = element(&xml, "user").expect("a user");
    assert_eq!(user, app.provider.subject_for(&registered.client, &person.id), "the system's own subject");
    assert_eq!(element(&xml, "name").as_deref(), Some("张三"), "{xml}");
    assert_eq!(element(&xml, "id_number").as_deref(), Some(crate::helpers::ID_NUMBER), "{xml}");
    assert_eq!(element(&xml, "acr").as_deref(), Some("urn:yimen:loa:1"));
    assert_eq!(element(&xml, "isFromNewLogin").as_deref(), Some("true"));
    assert!(element(&xml, "phone_number").is_none(), "phone was not approved for this system: {xml}");
    assert!(app.db.client_connection(&registered.client.id).await.unwrap().is_some(), "the login connects it");

    let again = validate(&app, "/cas/p3/serviceValidate", service, &ticket, "").await;
    assert_eq!(failure_code(&again).as_deref(), Some("INVALID_TICKET"), "a ticket is validated once: {again}");

    // Single sign-on: the next visit gets a ticket at once, which says so.
    let other_page = "http://127.0.0.1:9/estate/cases/7";
    let back = browser.open(&login_url(&app, other_page, "")).await.left();
    let ticket = param(&back, "ticket").unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&validate(&app, "/cas/serviceValidate", other_page, &ticket, "&format=JSON").await)
            .unwrap();
    let success = &json["serviceResponse"]["authenticationSuccess"];
    assert_eq!(success["user"], user.as_str(), "{json}");
    assert_eq!(success["attributes"]["isFromNewLogin"], "false", "{json}");
    assert_eq!(success["attributes"]["amr"], "pwd", "{json}");

    // CAS 1.0.
    let back = browser.open(&login_url(&app, other_page, "")).await.left();
    let v1 = validate(&app, "/cas/validate", other_page, &param(&back, "ticket").unwrap(), "").await;
    assert_eq!(v1, format!("yes\n{user}\n"));
    assert_eq!(validate(&app, "/cas/validate", other_page, "ST-nothing", "").await, "no\n\n");
}

#[tokio::test]
async fn tickets_are_refused_as_the_specification_says() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    cas_service(&app, "http://127.0.0.1:9/estate/").await;
    let service = "http://127.0.0.1:9/estate/";
    let browser = app.browser();
    let first = browser.open(&login_url(&app, service, "")).await;
    let ticket = param(&through_login(&browser, first).await, "ticket").unwrap();

    let wrong = validate(&app, "/cas/p3/serviceValidate", "http://127.0.0.1:9/estate/other", &ticket, "").await;
    assert_eq!(failure_code(&wrong).as_deref(), Some("INVALID_SERVICE"), "{wrong}");
    let after = validate(&app, "/cas/p3/serviceValidate", service, &ticket, "").await;
    assert_eq!(failure_code(&after).as_deref(), Some("INVALID_TICKET"), "a wrong service spends the ticket: {after}");

    let ticket = param(&browser.open(&login_url(&app, service, "")).await.left(), "ticket").unwrap();
    app.clock.advance_secs(11);
    let expired = validate(&app, "/cas/p3/serviceValidate", service, &ticket, "").await;
    assert_eq!(failure_code(&expired).as_deref(), Some("INVALID_TICKET"), "ten seconds at most: {expired}");

    // renew=true at validation refuses a ticket single sign-on produced …
    let ticket = param(&browser.open(&login_url(&app, service, "")).await.left(), "ticket").unwrap();
    let renewed = validate(&app, "/cas/p3/serviceValidate", service, &ticket, "&renew=true").await;
    assert_eq!(failure_code(&renewed).as_deref(), Some("INVALID_TICKET"), "{renewed}");
    // … and renew=true at login asks for the password again, even with a session, and then passes.
    let (_, _, login) = browser.open(&login_url(&app, service, "&renew=true")).await.page();
    assert!(login.contains("name=\"password\""), "renew asks for credentials again");
    let ticket = param(&browser.sign_in(&login, PHONE, PASSWORD).await.left(), "ticket").unwrap();
    let fresh = validate(&app, "/cas/p3/serviceValidate", service, &ticket, "&renew=true").await;
    assert_eq!(failure_code(&fresh), None, "{fresh}");

    let missing = validate(&app, "/cas/p3/serviceValidate", service, "", "").await;
    assert_eq!(failure_code(&missing).as_deref(), Some("INVALID_REQUEST"), "{missing}");
    let proxy = validate(&app, "/cas/proxyValidate", service, "PT-1234", "").await;
    assert_eq!(failure_code(&proxy).as_deref(), Some("INVALID_TICKET_SPEC"), "{proxy}");
    let forged = validate(&app, "/cas/p3/serviceValidate", service, "ST-<forged>&", "&format=JSON").await;
    let forged: serde_json::Value = serde_json::from_str(&forged).unwrap();
    assert_eq!(forged["serviceResponse"]["authenticationFailure"]["code"], "INVALID_TICKET");
    let format = validate(&app, "/cas/p3/serviceValidate", service, "ST-x", "&format=yaml").await;
    assert_eq!(failure_code(&format).as_deref(), Some("INVALID_REQUEST"), "{format}");
}

#[tokio::test]
async fn unregistered_services_get_no_ticket_and_gateway_never_asks() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    cas_service(&app, "http://127.0.0.1:9/estate/").await;
    let browser = app.browser();
    for outside in [
        "http://127.0.0.1:9/estatex/",
        "http://127.0.0.1:9/estate/../admin",
        "http://127.0.0.1:10/estate/",
        "https://evil.example/estate/",
    ] {
        let (status, _, page) = browser.open(&login_url(&app, outside, "")).await.page();
        assert_eq!(status, 400, "{outside} is not the system's");
        assert!(page.contains("尚未在统一身份认证平台登记"), "{outside}: {page}");
    }

    // Gateway without a session goes back to the service without a ticket, asking nothing.
    let service = "http://127.0.0.1:9/estate/";
    let back = browser.open(&login_url(&app, service, "&gateway=true")).await.left();
    assert_eq!(back.as_str(), service, "no ticket and no error parameters");

    // Declining consent tells the person; the service hears nothing.
    let (_, _, login) = browser.open(&login_url(&app, service, "")).await.page();
    let (_, _, consent) = browser.login_only(&login, PHONE, PASSWORD).await.page();
    let (status, _, page) = browser.consent(&consent, "deny").await.page();
    assert_eq!(status, 403);
    assert!(page.contains("登录没有完成"), "{page}");
    // Signed in but without consent, gateway still asks nothing.
    let back = browser.open(&login_url(&app, service, "&gateway=true")).await.left();
    assert_eq!(back.as_str(), service);
}

/// A legacy system's own server: records every form POST and answers 200.
async fn logout_receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let kept = received.clone();
    let app = axum::Router::new().fallback(axum::routing::post(move |body: String| {
        let kept = kept.clone();
        async move {
            let request = url::form_urlencoded::parse(body.as_bytes())
                .find(|(key, _)| key == "logoutRequest")
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default();
            kept.lock().unwrap().push(request);
            "ok"
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, received)
}

#[tokio::test]
async fn logging_out_tells_the_service_which_ticket_ended() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let (base, received) = logout_receiver().await;
    let service = format!("{base}/estate/");
    let registered = cas_service(&app, &service).await;
    let browser = app.browser();
    let first = browser.open(&login_url(&app, &service, "")).await;
    let ticket = param(&through_login(&browser, first).await, "ticket").unwrap();
    let xml = validate(&app, "/cas/p3/serviceValidate", &service, &ticket, "").await;
    let user = element(&xml, "user").unwrap();

    let encoded: String = url::form_urlencoded::byte_serialize(service.as_bytes()).collect();
    let (_, _, confirm) = browser.open(&app.url(&format!("/cas/logout?service={encoded}"))).await.page();
    assert!(confirm.contains("不动产登记"), "the question names the system that asked");
    let fields =
        [("csrf", field(&confirm, "csrf")), ("ticket", field(&confirm, "ticket")), ("decision", "logout".into())];
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let back = browser.submit("/logout/confirm", &borrowed).await.left();
    assert_eq!(back.as_str(), service, "back to the service once logged out");

    let mut requests = Vec::new();
    for _ in 0..200 {
        requests = received.lock().unwrap().clone();
        if !requests.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(requests.len(), 1, "one LogoutRequest for the one ticket");
    assert!(requests[0].starts_with("<samlp:LogoutRequest"), "{}", requests[0]);
    assert!(requests[0].contains(&format!("<samlp:SessionIndex>{ticket}</samlp:SessionIndex>")), "{}", requests[0]);
    assert!(requests[0].contains(&format!("<saml:NameID>{user}</saml:NameID>")), "{}", requests[0]);
    let status = app.provider.logout_delivery_status(&registered.client.id).await.unwrap();
    assert_eq!(status.delivered, 1, "{status:?}");

    // The session is gone: the next login asks for the password again.
    let (_, _, page) = browser.open(&login_url(&app, &service, "")).await.page();
    assert!(page.contains("name=\"password\""));
}

#[tokio::test]
async fn a_service_that_needs_a_higher_level_sends_the_person_to_step_up() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    app.client(ClientRegistration {
        name: "公积金（旧系统）".into(),
        protocol: Protocol::Cas,
        redirect_uris: vec!["http://127.0.0.1:9/fund/".into()],
        min_acr: Some("urn:yimen:loa:2".into()),
        ..ClientRegistration::default()
    })
    .await;
    let browser = app.browser();
    let (_, _, login) = browser.open(&login_url(&app, "http://127.0.0.1:9/fund/", "")).await.page();
    let (_, url, _) = browser.login_only(&login, PHONE, PASSWORD).await.page();
    assert!(url.contains("/stepup"), "a level-1 person is asked to raise their level first: {url}");
}
