//! Login hygiene: a new session id at login, CSRF on every form, lockouts that do not reveal whether an
//! account exists.

use crate::helpers::{PASSWORD, PHONE, RP, Step, TestApp, field};
use crate::rp::authorize_url;

async fn login_page(app: &TestApp, browser: &crate::helpers::Browser) -> String {
    let registered = app.confidential_client().await;
    let url = authorize_url(
        app,
        &[("client_id", &registered.client.id), ("redirect_uri", RP), ("response_type", "code"), ("scope", "openid")],
    );
    browser.open(&url).await.page().2
}

#[tokio::test]
async fn logging_in_renews_the_session_id() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let browser = app.browser();
    let page = login_page(&app, &browser).await;
    let before = browser.cookie("yimen_session").expect("a session cookie before login");
    browser.sign_in(&page, PHONE, PASSWORD).await.left();
    let after = browser.cookie("yimen_session").expect("a session cookie after login");
    assert_ne!(before, after, "session fixation: the id must change at login");
    app.stop().await;
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let browser = app.browser();
    let page = login_page(&app, &browser).await;
    let forged = browser
        .submit(
            "/login",
            &[("csrf", "guess"), ("rid", &field(&page, "rid")), ("account", PHONE), ("password", PASSWORD)],
        )
        .await;
    assert!(matches!(forged, Step::Page { status: 403, .. }));
    let stranger = app.browser();
    let missing =
        stranger.submit("/login", &[("rid", &field(&page, "rid")), ("account", PHONE), ("password", PASSWORD)]).await;
    assert!(matches!(missing, Step::Page { status: 403, .. }));
    app.stop().await;
}

#[tokio::test]
async fn wrong_passwords_slow_down_then_lock_and_unknown_accounts_look_the_same() {
    let app = TestApp::spawn_with(|config| {
        config.login.max_failures_per_account = 3;
        config.login.lockout_secs = 2;
    })
    .await;
    app.citizen().await;
    let browser = app.browser();
    let page = login_page(&app, &browser).await;
    let attempt = |account: &'static str, password: &'static str| {
        let page = page.clone();
        let browser = &browser;
        async move {
            match browser.login_only(&page, account, password).await {
                Step::Page { status, html, .. } => (status, html),
                Step::Left(url) => panic!("unexpected redirect to {url}"),
            }
        }
    };
    let message = |html: &str| {
        scraper::Html::parse_document(html)
            .select(&scraper::Selector::parse("#login-error").unwrap())
            .next()
            .map(|e| e.text().collect::<String>())
    };
    let (status, wrong) = attempt(PHONE, "not-my-password").await;
    let (unknown_status, unknown) = attempt("13900139000", "not-my-password").await;
    assert_eq!((status, unknown_status), (401, 401));
    assert_eq!(message(&wrong), message(&unknown), "the same answer whether or not the account exists");

    attempt(PHONE, "still-wrong-1").await;
    let (status, waiting) = attempt(PHONE, PASSWORD).await;
    assert_eq!(status, 429, "after the free failures, the next attempt must wait");
    assert!(message(&waiting).unwrap().contains("秒后再试"), "{:?}", message(&waiting));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    attempt(PHONE, "still-wrong-2").await;
    let (status, locked) = attempt(PHONE, PASSWORD).await;
    assert_eq!(status, 429, "locked even with the right password");
    assert!(message(&locked).unwrap().contains("暂时锁定"));
    // Real time, not the test clock: with Redis the lock expires by Redis's own TTL.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let page = login_page(&app, &browser).await;
    let step = browser.sign_in(&page, PHONE, PASSWORD).await;
    assert!(matches!(step, Step::Left(_)), "the lock lifts after the lockout period");
    app.stop().await;
}
