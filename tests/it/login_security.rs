//! Login hygiene: a new session id at login, CSRF on every form, lockouts that do not reveal whether an
//! account exists.

use crate::helpers::{PASSWORD, PHONE, Step, TestApp, field};
use crate::rp::AuthRequest;

async fn login_page(app: &TestApp, browser: &crate::helpers::Browser) -> String {
    let registered = app.confidential_client().await;
    let url = AuthRequest::new(&registered.client.id).url(app);
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

/// Submits a fresh login form for `account`; returns the status (401 wrong, 429 throttled, 303 signed in).
async fn try_password(app: &TestApp, account: &str, password: &str, forwarded_for: Option<&str>) -> u16 {
    let browser = app.browser();
    let (_, _, page) = browser.open(&app.url("/login")).await.page();
    let fields = [
        ("csrf", field(&page, "csrf")),
        ("rid", String::new()),
        ("next", String::new()),
        ("account", account.to_owned()),
        ("password", password.to_owned()),
    ];
    let mut request = browser.http.post(app.url("/login")).form(&fields);
    if let Some(address) = forwarded_for {
        request = request.header("x-forwarded-for", address);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn guesses_on_made_up_numbers_from_one_address_do_not_lock_out_its_other_citizens() {
    let app = TestApp::spawn_with(|config| {
        config.login.max_failures_per_ip = 5;
        config.login.lockout_secs = 2;
    })
    .await;
    app.citizen().await;
    for n in 0..15 {
        let status = try_password(&app, &format!("1390013{n:04}"), "not-a-password", None).await;
        assert!(status == 401 || status == 429, "{status}");
    }
    let status = try_password(&app, PHONE, PASSWORD, None).await;
    assert_eq!(status, 303, "the right password of an unlocked account passes, whatever its address did");
    app.stop().await;
}

#[tokio::test]
async fn every_spelling_of_an_account_counts_against_the_one_account() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let spellings = ["+86 138-0013-8000", "0086 13800138000", "138 0013 8000", "11010519491231002x", "(138)00138000"];
    for spelling in spellings {
        assert_eq!(try_password(&app, spelling, "wrong-guess", None).await, 401, "{spelling}");
        app.clock.advance_secs(120);
    }
    assert_eq!(try_password(&app, PHONE, PASSWORD, None).await, 429, "five guesses in any spelling lock the account");
    assert_eq!(try_password(&app, "110105194912310020", PASSWORD, None).await, 401, "another number is not locked");
    app.stop().await;
}

#[tokio::test]
async fn guesses_sent_at_the_same_moment_try_no_more_passwords_than_the_free_attempts() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let guesses = (0..30).map(|n| {
        let app = &app;
        async move { try_password(app, PHONE, &format!("guess-{n}"), None).await }
    });
    let statuses = futures::future::join_all(guesses).await;
    let tried = statuses.iter().filter(|s| **s == 401).count();
    assert!(tried <= 2, "{tried} passwords were tried at once: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 30 - tried, "the rest were told to wait");
    app.stop().await;
}

#[tokio::test]
async fn checks_of_the_current_password_count_against_the_account_too() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let browser = app.browser();
    let (_, _, page) = crate::helpers::sign_in_twice(&app, &browser, PHONE, "/account/password").await;
    let csrf = field(&page, "csrf");
    let change = |current: &'static str| {
        let browser = &browser;
        let csrf = csrf.clone();
        async move {
            let fields = [
                ("csrf", csrf.as_str()),
                ("current", current),
                ("password", "fresh-linen-cloud-3"),
                ("password2", "fresh-linen-cloud-3"),
            ];
            browser.submit("/account/password", &fields).await.page().0
        }
    };
    // Four minutes in all: within the ten in which the two-factor sign-in may change the password.
    for _ in 0..5 {
        assert_eq!(change("wrong-current").await, 401);
        app.clock.advance_secs(60);
    }
    assert_eq!(change(PASSWORD).await, 429, "the sixth check waits, right or wrong");
    assert_eq!(try_password(&app, PHONE, PASSWORD, None).await, 429, "and so does signing in");
    app.stop().await;
}

#[tokio::test]
async fn a_forwarded_address_counts_only_from_a_trusted_proxy() {
    for (trusted, expected) in [(false, "127.0.0.0/24"), (true, "198.51.100.0/24")] {
        let app = TestApp::spawn_with(|config| {
            if trusted {
                config.http.trusted_proxies = vec![yimen::cidr::Cidr::parse("127.0.0.0/8").unwrap()];
            }
        })
        .await;
        app.citizen().await;
        assert_eq!(try_password(&app, PHONE, PASSWORD, Some("198.51.100.7")).await, 303);
        let browser = app.browser();
        let (_, _, login) = browser.open(&app.url("/login?next=%2Faccount%2Fhistory")).await.page();
        let (_, _, history) = browser.login_only(&login, PHONE, PASSWORD).await.page();
        assert!(history.contains(expected), "trusted proxy {trusted}: {expected} in {history}");
        if !trusted {
            assert!(!history.contains("198.51.100."), "a client cannot name its own address");
        }
        app.stop().await;
    }
}
