//! The account centre: password and phone changes, sessions, history, connected systems, export, and
//! closing an account through to erasure.

use crate::helpers::{PASSWORD, PHONE, RP, Step, TestApp, field, sign_in_twice};
use crate::rp::{AuthRequest, code_for, http, token_request};

async fn signed_in(app: &TestApp) -> crate::helpers::Browser {
    let browser = app.browser();
    let (_, _, login) = browser.open(&app.url("/login?next=%2Faccount")).await.page();
    let (status, url, _) = browser.login_only(&login, PHONE, PASSWORD).await.page();
    assert_eq!((status, url.ends_with("/account")), (200, true));
    browser
}

/// A browser signed in with the password and an SMS code, at `page`.
async fn signed_in_twice(app: &TestApp, page: &str) -> crate::helpers::Browser {
    let browser = app.browser();
    let (status, url, _) = sign_in_twice(app, &browser, PHONE, page).await;
    assert_eq!((status, url.ends_with(page)), (200, true), "{url}");
    browser
}

#[tokio::test]
async fn account_pages_need_a_login_and_come_back_after_it() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let browser = app.browser();
    let (_, url, page) = browser.open(&app.url("/account/sessions")).await.page();
    assert!(url.contains("/login?next=%2Faccount%2Fsessions"), "{url}");
    let (_, url, _) = browser.login_only(&page, PHONE, PASSWORD).await.page();
    assert!(url.ends_with("/account/sessions"));
    let data = browser.http.get(app.url("/account/data.json")).send().await.unwrap();
    assert_eq!(data.headers()["cache-control"], "no-store");
    assert!(data.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let offsite = app.browser();
    let (_, url, _) = offsite.open(&app.url("/login?next=%2F%2Fevil.example")).await.page();
    let (_, _, login) = offsite.open(&url).await.page();
    let (_, landed, _) = offsite.login_only(&login, PHONE, PASSWORD).await.page();
    assert!(landed.ends_with("/account"), "an off-site next is ignored: {landed}");
    app.stop().await;
}

/// A form sent by a browser that is not signed in (its session expired while the page was open) goes to
/// the sign-in, which then returns to the page the form was on: never to the action, which a browser
/// cannot open, and never to a form-expired page that loses the way back.
#[tokio::test]
async fn a_form_sent_without_a_sign_in_returns_to_its_page_after_signing_in() {
    let app = TestApp::spawn().await;
    let anonymous = crate::rp::http();
    for (action, page) in [
        ("/account/phone/code", "/account/phone"),
        ("/account/sessions", "/account/sessions"),
        ("/desk/find", "/desk"),
        ("/desk/people/p-1/verify", "/desk/people/p-1"),
        ("/desk/people/p-1/resets/r-9", "/desk/people/p-1"),
        ("/desk/orgs/o-1/settle", "/desk/orgs"),
        ("/admin/halls", "/admin/halls"),
        ("/admin/catalog/departments/d-1/import", "/admin/catalog/departments/d-1"),
        ("/stepup/face", "/stepup"),
    ] {
        let response = anonymous.post(app.url(action)).form(&[("csrf", "stale")]).send().await.unwrap();
        assert_eq!(response.status(), 303, "{action}");
        let next: String = url::form_urlencoded::byte_serialize(page.as_bytes()).collect();
        assert_eq!(response.headers()["location"], format!("/login?next={next}").as_str(), "{action}");
    }
    app.stop().await;
}

/// A shared computer: a second person signing in where the first is still signed in ends the first
/// person's session, so nothing the first did stays open to the second; the same person signing in
/// again keeps their session (its `sid` is known to the systems they use).
#[tokio::test]
async fn a_second_person_signing_in_on_the_same_browser_ends_the_first_persons_session() {
    let app = TestApp::spawn().await;
    let first = app.citizen().await;
    let second = app.citizen_with("440301199003071230", "13700137000").await;
    let registered = app.confidential_client().await;
    let browser = signed_in(&app).await;
    let again = AuthRequest::new(&registered.client.id).with("prompt", "login").url(&app);
    let (_, _, login) = browser.open(&again).await.page();
    browser.sign_in(&login, PHONE, PASSWORD).await.left();
    let sessions = app.provider.active_sessions(&first.id).await.unwrap();
    assert_eq!(sessions.len(), 1, "the same person again: one session, renewed");
    let (_, _, login) = browser.open(&again).await.page();
    browser.sign_in(&login, "13700137000", PASSWORD).await.left();
    assert!(app.provider.active_sessions(&first.id).await.unwrap().is_empty(), "the first person is signed out");
    assert_eq!(app.provider.active_sessions(&second.id).await.unwrap().len(), 1);
    let (_, _, page) = browser.open(&app.url("/account")).await.page();
    let masked = |person: &yimen::identity::Person| person.phone.as_ref().unwrap().masked();
    assert!(page.contains(&masked(&second)) && !page.contains(&masked(&first)), "the second person's account");
    app.stop().await;
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_signs_out_elsewhere() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let other = signed_in(&app).await;
    let browser = signed_in_twice(&app, "/account/password").await;
    let (_, _, page) = browser.open(&app.url("/account/password")).await.page();
    let csrf = field(&page, "csrf");
    let (status, _, wrong) = browser
        .submit(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", "nope-nope-nope"),
                ("password", "fresh-linen-cloud-3"),
                ("password2", "fresh-linen-cloud-3"),
            ],
        )
        .await
        .page();
    assert_eq!(status, 401);
    assert!(wrong.contains("当前密码不正确"));
    let (status, _, done) = browser
        .submit(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("password", "fresh-linen-cloud-3"),
                ("password2", "fresh-linen-cloud-3"),
            ],
        )
        .await
        .page();
    assert_eq!(status, 200);
    assert!(done.contains("密码已修改"));
    let (_, url, _) = other.open(&app.url("/account")).await.page();
    assert!(url.contains("/login"), "the other browser was signed out");
    let (_, url, _) = browser.open(&app.url("/account")).await.page();
    assert!(url.ends_with("/account"), "this browser stays signed in");
    app.stop().await;
}

#[tokio::test]
async fn the_phone_changes_only_with_a_code_to_the_new_number() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    app.citizen_with("440301199003071230", "13700137000").await;
    let browser = signed_in_twice(&app, "/account/phone").await;
    let (_, _, page) = browser.open(&app.url("/account/phone")).await.page();
    let csrf = field(&page, "csrf");
    let (_, _, sent) = browser.submit("/account/phone/code", &[("csrf", &csrf), ("phone", "13700137000")]).await.page();
    let code = app.code_for("13700137000").await;
    let (status, _, taken) = browser
        .submit("/account/phone", &[("csrf", &field(&sent, "csrf")), ("code", &code), ("current", PASSWORD)])
        .await
        .page();
    assert_eq!(status, 409);
    assert!(taken.contains("已被其他账号使用"));
    app.clock.advance_secs(61);
    let (_, _, sent) = browser.submit("/account/phone/code", &[("csrf", &csrf), ("phone", "13600136000")]).await.page();
    let code = app.code_for("13600136000").await;
    let (status, _, done) = browser
        .submit("/account/phone", &[("csrf", &field(&sent, "csrf")), ("code", &code), ("current", PASSWORD)])
        .await
        .page();
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("136****6000"));
    assert!(app.accounts.find_by_login_identifier("13600136000").await.unwrap().is_some());
    assert!(app.accounts.find_by_login_identifier(PHONE).await.unwrap().is_none());
    app.stop().await;
}

#[tokio::test]
async fn sessions_history_and_connected_systems_are_visible_and_revocable() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let other = app.browser();
    let (code, verifier) = code_for(&app, &other, &registered.client.id, "openid profile").await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    let browser = signed_in(&app).await;

    let (_, _, history) = browser.open(&app.url("/account/history")).await.page();
    assert!(history.contains("社保查询"), "the history names the system");
    assert!(history.contains("127.0.0.0/24"), "and only the network of the address");

    let (_, _, connections) = browser.open(&app.url("/account/connections")).await.page();
    assert!(connections.contains("社保查询") && connections.contains("姓名、性别、出生日期"));
    let (_, _, _) = browser
        .submit("/account/connections", &[("csrf", &field(&connections, "csrf")), ("client_id", &registered.client.id)])
        .await
        .page();
    let userinfo =
        http().get(app.url("/userinfo")).bearer_auth(tokens["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(userinfo.status(), 401, "withdrawing consent revokes the system's tokens");
    let silent = AuthRequest::new(&registered.client.id).scope("openid profile").with("prompt", "none").url(&app);
    assert_eq!(crate::helpers::param(&other.open(&silent).await.left(), "error").as_deref(), Some("consent_required"));

    let (_, _, sessions) = browser.open(&app.url("/account/sessions")).await.page();
    assert_eq!(sessions.matches("<tr>").count(), 3, "a header row and two sessions: {sessions}");
    browser.submit("/account/sessions", &[("csrf", &field(&sessions, "csrf")), ("action", "end_others")]).await.page();
    let (_, url, _) = other.open(&app.url("/account")).await.page();
    assert!(url.contains("/login"), "signed out elsewhere");
    app.stop().await;
}

#[tokio::test]
async fn a_closed_account_stops_at_once_can_be_reopened_and_is_erased_after_the_grace_period() {
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    let registered = app.confidential_client().await;
    let browser = signed_in_twice(&app, "/account/close").await;
    let (code, verifier) = code_for(&app, &browser, &registered.client.id, "openid offline_access").await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;

    let (_, _, page) = browser.open(&app.url("/account/close")).await.page();
    let (status, _, closing) = browser
        .submit(
            "/account/close",
            &[("csrf", &field(&page, "csrf")), ("action", "close"), ("confirm", "yes"), ("current", PASSWORD)],
        )
        .await
        .page();
    assert_eq!(status, 200);
    assert!(closing.contains("撤销注销"), "the closing account can be reopened: {closing}");
    let (status, _, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 400, "even offline tokens end with the account");
    let url = AuthRequest::new(&registered.client.id).url(&app);
    match browser.open(&url).await {
        Step::Page { url, .. } => assert!(url.ends_with("/account/close"), "systems are refused while closing: {url}"),
        Step::Left(url) => panic!("a closing account signed in to a system: {url}"),
    }

    browser.submit("/account/close", &[("csrf", &field(&closing, "csrf")), ("action", "reopen")]).await.page();
    assert!(app.accounts.find(&person.id).await.unwrap().unwrap().is_active());
    let (_, _, page) = browser.open(&app.url("/account/close")).await.page();
    browser
        .submit(
            "/account/close",
            &[("csrf", &field(&page, "csrf")), ("action", "close"), ("confirm", "yes"), ("current", PASSWORD)],
        )
        .await
        .page();

    app.clock.advance_secs(31 * 86_400);
    let erased = app.accounts.erase_due().await.unwrap();
    assert_eq!(erased, vec![person.id.clone()]);
    let after = app.accounts.find(&person.id).await.unwrap().unwrap();
    assert_eq!(after.name, "");
    assert!(after.phone.is_none());
    assert!(app.accounts.find_by_login_identifier(PHONE).await.unwrap().is_none(), "nothing finds the person any more");
    assert!(app.accounts.password_login(PHONE, &yimen::secret::SecretString::new(PASSWORD), None).await.is_err());
    app.stop().await;
}
