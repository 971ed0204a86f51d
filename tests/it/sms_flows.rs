//! Signing in with an SMS code, resetting a forgotten password, and the second factor a client can
//! require.

use crate::helpers::{PASSWORD, PHONE, RP, Step, TestApp, field, param};
use crate::rp::{AuthRequest, jwt_claims, pkce, token_request};
use yimen::oidc::client::ClientRegistration;

#[tokio::test]
async fn sms_login_works_and_says_the_same_for_unknown_numbers() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let browser = app.browser();
    let (verifier, challenge) = pkce();
    let url = AuthRequest::new(&registered.client.id)
        .with("code_challenge", &challenge)
        .with("code_challenge_method", "S256")
        .url(&app);
    let (_, login_url, _) = browser.open(&url).await.page();
    let rid = url::Url::parse(&login_url).unwrap().query_pairs().find(|(k, _)| k == "rid").unwrap().1.into_owned();
    let (_, _, page) = browser.open(&app.url(&format!("/login/sms?rid={rid}"))).await.page();

    let (_, _, unknown) = browser
        .submit("/login/sms/code", &[("csrf", &field(&page, "csrf")), ("rid", &rid), ("phone", "13700137000")])
        .await
        .page();
    let (_, _, known) = browser
        .submit("/login/sms/code", &[("csrf", &field(&page, "csrf")), ("rid", &rid), ("phone", PHONE)])
        .await
        .page();
    let notice = |html: &str| {
        html.split("role=\"status\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .map(|t| t.replace("137****7000", "X").replace("138****8000", "X"))
    };
    assert_eq!(notice(&unknown), notice(&known), "the same answer for registered and unknown numbers");
    let codes = app.sent_codes();
    assert!(codes.iter().all(|(to, _)| to != "13700137000"), "nothing is sent to an unknown number");

    let code = app.code_for(PHONE).await;
    let callback =
        browser.submit("/login/sms", &[("csrf", &field(&known, "csrf")), ("rid", &rid), ("code", &code)]).await;
    let callback = match callback {
        Step::Page { html, .. } => browser.consent(&html, "allow").await.left(),
        Step::Left(url) => url,
    };
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[
            ("grant_type", "authorization_code"),
            ("code", &param(&callback, "code").unwrap()),
            ("redirect_uri", RP),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["amr"], serde_json::json!(["sms"]));
    app.stop().await;
}

#[tokio::test]
async fn a_forgotten_password_is_reset_by_sms_and_other_sessions_end() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let elsewhere = app.browser();
    let (code, verifier) = crate::rp::code_for(&app, &elsewhere, &registered.client.id, "openid").await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;

    let browser = app.browser();
    let (_, _, page) = browser.open(&app.url("/password/reset")).await.page();
    let (_, _, page) =
        browser.submit("/password/reset/code", &[("csrf", &field(&page, "csrf")), ("phone", PHONE)]).await.page();
    let sms = app.code_for(PHONE).await;
    let new_password = "quiet-river-stone-88";
    let (status, _, refused) = browser
        .submit(
            "/password/reset",
            &[
                ("csrf", &field(&page, "csrf")),
                ("code", &sms),
                ("password", "password123"),
                ("password2", "password123"),
            ],
        )
        .await
        .page();
    assert_eq!(status, 400);
    assert!(refused.contains("最常用的密码"), "common passwords are refused");
    let step = browser
        .submit(
            "/password/reset",
            &[("csrf", &field(&page, "csrf")), ("code", &sms), ("password", new_password), ("password2", new_password)],
        )
        .await;
    let Step::Page { status: 200, html: done, .. } = step else { panic!("a page after the reset: {step:?}") };
    assert!(
        done.contains("密码已重置") && done.contains("其他设备上的登录已全部退出"),
        "the reset is confirmed: {done}"
    );
    let continue_href = crate::helpers::attr(&done, "#continue", "href");
    let (status, url, _) = browser.open(&app.url(&continue_href)).await.page();
    assert_eq!((status, url.ends_with("/account")), (200, true), "signed in after the reset: {url}");
    assert!(
        app.accounts.password_login(PHONE, &yimen::secret::SecretString::new(PASSWORD), None).await.is_err(),
        "the old password is gone"
    );
    assert!(app.accounts.password_login(PHONE, &yimen::secret::SecretString::new(new_password), None).await.is_ok());
    let (status, _, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 400, "the other browser's session, and its refresh token, ended");
    app.stop().await;
}

#[tokio::test]
async fn a_client_that_requires_two_factors_gets_them() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let strict = app
        .client(ClientRegistration {
            name: "不动产登记".into(),
            redirect_uris: vec![RP.into()],
            require_mfa: true,
            ..ClientRegistration::default()
        })
        .await;
    let relaxed = app.confidential_client().await;
    let browser = app.browser();
    // Signed in with a password at a relaxed system first.
    crate::rp::code_for(&app, &browser, &relaxed.client.id, "openid").await;

    let (verifier, challenge) = pkce();
    let url = AuthRequest::new(&strict.client.id)
        .with("code_challenge", &challenge)
        .with("code_challenge_method", "S256")
        .url(&app);
    let (_, second_url, second) = browser.open(&url).await.page();
    assert!(second_url.contains("/login/second"), "step-up to a second factor: {second_url}");
    assert!(second.contains("138****8000"), "the code goes to the verified phone");
    let silent = AuthRequest::new(&strict.client.id).with("prompt", "none").url(&app);
    assert_eq!(param(&browser.open(&silent).await.left(), "error").as_deref(), Some("interaction_required"));
    let (_, _, second) = browser.open(&second_url).await.page();
    let rid = field(&second, "rid");
    let (_, _, sent) =
        browser.submit("/login/second/code", &[("csrf", &field(&second, "csrf")), ("rid", &rid)]).await.page();
    let sms = app.code_for(PHONE).await;
    let step = browser.submit("/login/second", &[("csrf", &field(&sent, "csrf")), ("rid", &rid), ("code", &sms)]).await;
    let callback = match step {
        Step::Page { html, .. } => browser.consent(&html, "allow").await.left(),
        Step::Left(url) => url,
    };
    let basic = (strict.client.id.as_str(), strict.secret.as_deref().unwrap());
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[
            ("grant_type", "authorization_code"),
            ("code", &param(&callback, "code").unwrap()),
            ("redirect_uri", RP),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["amr"], serde_json::json!(["pwd", "sms", "mfa"]));
    app.stop().await;
}

#[tokio::test]
async fn an_sms_sign_in_cannot_take_its_second_factor_from_the_same_phone() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let strict = app
        .client(ClientRegistration {
            name: "不动产登记".into(),
            redirect_uris: vec![RP.into()],
            require_mfa: true,
            ..ClientRegistration::default()
        })
        .await;
    let browser = app.browser();
    let (_, challenge) = pkce();
    let url = AuthRequest::new(&strict.client.id)
        .with("code_challenge", &challenge)
        .with("code_challenge_method", "S256")
        .url(&app);
    let (_, login_url, _) = browser.open(&url).await.page();
    let rid = url::Url::parse(&login_url).unwrap().query_pairs().find(|(k, _)| k == "rid").unwrap().1.into_owned();
    let (_, _, page) = browser.open(&app.url(&format!("/login/sms?rid={rid}"))).await.page();
    let (_, _, sent) = browser
        .submit("/login/sms/code", &[("csrf", &field(&page, "csrf")), ("rid", &rid), ("phone", PHONE)])
        .await
        .page();
    let code = app.code_for(PHONE).await;
    let (_, second_url, second) =
        browser.submit("/login/sms", &[("csrf", &field(&sent, "csrf")), ("rid", &rid), ("code", &code)]).await.page();
    assert!(second_url.contains("/login/second"), "the system needs a second factor: {second_url}");

    let codes_before = app.sent_codes().len();
    let (status, _, refused) =
        browser.submit("/login/second/code", &[("csrf", &field(&second, "csrf")), ("rid", &rid)]).await.page();
    assert_eq!(status, 400);
    assert!(refused.contains("第二步不能再用同一部手机的验证码"), "{refused}");
    assert_eq!(app.sent_codes().len(), codes_before, "no second code goes to the phone that gave the first");
    let (status, _, _) = browser
        .submit("/login/second", &[("csrf", &field(&refused, "csrf")), ("rid", &rid), ("code", &code)])
        .await
        .page();
    assert_eq!(status, 400, "the first code does not count twice either");
    app.stop().await;
}

/// Asks for a code on one of the SMS pages from a network of the test's choosing (the test server trusts
/// 127.0.0.1 as a proxy, so `X-Forwarded-For` names the network); returns the status.
async fn ask_for_code(app: &TestApp, page: &str, action: &str, phone: &str, network: &str) -> u16 {
    let browser = app.browser();
    let (_, _, form) = browser.open(&app.url(page)).await.page();
    let response = browser
        .http
        .post(app.url(action))
        .header("x-forwarded-for", network)
        .form(&[("csrf", field(&form, "csrf").as_str()), ("phone", phone)])
        .send()
        .await
        .unwrap();
    response.status().as_u16()
}

#[tokio::test]
async fn strangers_asking_for_codes_do_not_spend_the_owners_sign_in_or_second_factor() {
    let app = TestApp::spawn_with(|config| {
        config.http.trusted_proxies = vec![yimen::cidr::Cidr::parse("127.0.0.0/8").unwrap()];
        // No spacing between codes: the allowances are what is tested, and Redis would space them in real time.
        config.otp.resend_interval_secs = 0;
        config.otp.max_per_phone_per_day = 3;
        config.otp.max_per_ip_per_hour = 1_000;
    })
    .await;
    app.citizen().await;
    // A stranger on one network asks for every kind of code anyone may ask for, until refused.
    let stranger = "203.0.113.9";
    let mut delivered = 0;
    for (page, action) in [
        ("/register", "/register/code"),
        ("/password/reset", "/password/reset/code"),
        ("/login/sms", "/login/sms/code"),
    ] {
        let mut statuses = Vec::new();
        for _ in 0..4 {
            statuses.push(ask_for_code(&app, page, action, PHONE, stranger).await);
        }
        assert_eq!(statuses.last(), Some(&429), "{action} from one network is limited: {statuses:?}");
        delivered += statuses.iter().filter(|s| **s == 200).count();
    }
    app.await_codes(PHONE, delivered).await;
    // The owner, from home, still signs in by SMS...
    let browser = app.browser();
    let (_, _, page) = browser.open(&app.url("/login/sms")).await.page();
    let sent = browser
        .http
        .post(app.url("/login/sms/code"))
        .header("x-forwarded-for", "198.51.100.20")
        .form(&[("csrf", field(&page, "csrf").as_str()), ("phone", PHONE)])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status().as_u16(), 200);
    let code = app.code_for(PHONE).await;
    let (_, url, _) = browser.submit("/login/sms", &[("csrf", &field(&page, "csrf")), ("code", &code)]).await.page();
    assert!(url.ends_with("/account"), "the owner's SMS sign-in works: {url}");
    // ...and gets the console's second factor after the password.
    let (status, url, _) = crate::helpers::sign_in_twice(&app, &app.browser(), PHONE, "/account/passkeys").await;
    assert_eq!((status, url.ends_with("/account/passkeys")), (200, true), "{url}");
    app.stop().await;
}

#[tokio::test]
async fn asking_for_a_code_does_not_wait_for_the_sms_gateway() {
    // A gateway that holds every message until the test lets it go.
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let held = release.clone();
    let router = axum::Router::new().route(
        "/send",
        axum::routing::post(move || {
            let held = held.clone();
            async move {
                held.notified().await;
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let app = TestApp::spawn_with(|config| {
        config.sms.sender = yimen::config::SmsSenderKind::Http;
        config.sms.http.url = gateway;
        config.sms.http.timeout_ms = 60_000;
    })
    .await;
    app.citizen().await;
    let browser = app.browser();
    let (_, _, page) = browser.open(&app.url("/login/sms")).await.page();
    let asked = browser
        .http
        .post(app.url("/login/sms/code"))
        .form(&[("csrf", field(&page, "csrf").as_str()), ("phone", PHONE)])
        .send();
    let answered = tokio::time::timeout(std::time::Duration::from_secs(10), asked).await;
    release.notify_waiters();
    let response = answered.expect("answered while the gateway still held the message").unwrap();
    assert_eq!(response.status(), 200, "a registered number is answered like an unknown one, without waiting");
    app.stop().await;
}

#[tokio::test]
async fn guessing_sms_codes_locks_the_account_as_guessing_passwords_does() {
    let app = TestApp::spawn_with(|config| config.login.max_failures_per_account = 3).await;
    app.citizen().await;
    let browser = app.browser();
    let (_, _, page) = browser.open(&app.url("/login/sms")).await.page();
    let (_, _, sent) =
        browser.submit("/login/sms/code", &[("csrf", &field(&page, "csrf")), ("phone", PHONE)]).await.page();
    let code = app.code_for(PHONE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let attempt =
        async |code: &str| match browser.submit("/login/sms", &[("csrf", &field(&sent, "csrf")), ("code", code)]).await
        {
            Step::Page { status, html, .. } => (status, html),
            Step::Left(url) => (302, url.to_string()),
        };
    for n in 1..=3 {
        assert_eq!(attempt(wrong).await.0, 401, "wrong code {n} is refused");
        // Past the growing pause between attempts, well within the code's lifetime.
        app.clock.advance_secs(10);
    }
    let (status, html) = attempt(&code).await;
    assert_eq!(status, 429, "after three wrong codes even the right one waits: {html}");
    assert!(!browser_is_signed_in(&app, &browser).await, "and nobody is signed in");
    app.stop().await;
}

/// Whether the account centre opens, rather than sending the browser to the login page.
async fn browser_is_signed_in(app: &TestApp, browser: &crate::helpers::Browser) -> bool {
    let (_, url, _) = browser.open(&app.url("/account")).await.page();
    !url.contains("/login")
}
