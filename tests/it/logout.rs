//! RP-Initiated Logout: who may send the browser where, and what ends with the session.

use crate::helpers::{RP, Step, TestApp, param};
use crate::rp::{AuthRequest, code_for, http, token_request};

const BYE: &str = "http://127.0.0.1:9/bye";

fn logout_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    app.url(&format!("/logout?{query}"))
}

#[tokio::test]
async fn without_a_valid_hint_the_person_is_asked_and_nothing_redirects_to_unregistered_uris() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let browser = app.browser();
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (code, verifier) = code_for(&app, &browser, &registered.client.id, "openid").await;
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    let id_token = tokens["id_token"].as_str().unwrap();

    let unregistered = browser
        .open(&logout_url(&app, &[("id_token_hint", id_token), ("post_logout_redirect_uri", "https://evil.example/")]))
        .await;
    assert!(matches!(unregistered, Step::Page { status: 400, .. }));
    let query_added = browser
        .open(&logout_url(&app, &[("id_token_hint", id_token), ("post_logout_redirect_uri", &format!("{BYE}?x=1"))]))
        .await;
    assert!(matches!(query_added, Step::Page { status: 400, .. }));
    let unsigned = format!("eyJhbGciOiJub25lIn0.{}.", id_token.split('.').nth(1).unwrap());
    let forged =
        browser.open(&logout_url(&app, &[("id_token_hint", &unsigned), ("post_logout_redirect_uri", BYE)])).await;
    assert!(matches!(forged, Step::Page { status: 400, .. }), "an alg=none hint proves nothing");

    let (status, _, confirm) = browser.open(&app.url("/logout")).await.page();
    assert_eq!(status, 200);
    assert!(confirm.contains("确定要退出"), "no hint: ask first");
    let silent = AuthRequest::new(&registered.client.id).with("prompt", "none").url(&app);
    assert!(param(&browser.open(&silent).await.left(), "code").is_some(), "still signed in before confirming");
    let fields = [
        ("csrf", crate::helpers::field(&confirm, "csrf")),
        ("ticket", crate::helpers::field(&confirm, "ticket")),
        ("decision", "logout".to_owned()),
    ];
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (_, _, done) = browser.submit("/logout/confirm", &borrowed).await.page();
    assert!(done.contains("您已退出"));
    assert_eq!(param(&browser.open(&silent).await.left(), "error").as_deref(), Some("login_required"));

    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, body, _) =
        token_request(&app, Some(basic), &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "session-bound refresh tokens end with the session"
    );
    let userinfo =
        http().get(app.url("/userinfo")).bearer_auth(tokens["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(userinfo.status(), 401, "so do its access tokens");
    app.stop().await;
}

#[tokio::test]
async fn offline_access_survives_logout() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let browser = app.browser();
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (code, verifier) = code_for(&app, &browser, &registered.client.id, "openid offline_access").await;
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    let after = browser
        .open(&logout_url(
            &app,
            &[
                ("id_token_hint", tokens["id_token"].as_str().unwrap()),
                ("post_logout_redirect_uri", BYE),
                ("state", "s"),
            ],
        ))
        .await
        .left();
    assert_eq!(param(&after, "state").as_deref(), Some("s"));
    let (status, _, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 200, "offline_access was granted for exactly this");
    app.stop().await;
}

/// Signs `phone` in through the client in `browser` and returns the ID token the client received.
pub async fn id_token_for(
    app: &TestApp,
    browser: &crate::helpers::Browser,
    registered: &yimen::oidc::client::Registered,
    phone: &str,
) -> String {
    use openidconnect::core::CoreAuthenticationFlow;
    use openidconnect::{AuthorizationCode, CsrfToken, Nonce, PkceCodeChallenge, TokenResponse};
    let rp = crate::rp::discover(app, &registered.client.id, registered.secret.as_deref()).await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .set_pkce_challenge(challenge)
        .url();
    let callback = match browser.open(url.as_str()).await {
        Step::Left(callback) => callback,
        Step::Page { html, .. } => browser.sign_in(&html, phone, crate::helpers::PASSWORD).await.left(),
    };
    let tokens = rp
        .exchange_code(AuthorizationCode::new(param(&callback, "code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    id_token.claims(&rp.id_token_verifier(), &nonce).expect("the ID token verifies");
    id_token.to_string()
}

#[tokio::test]
async fn someone_elses_id_token_cannot_log_this_browser_out() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    app.citizen_with("440301199003071230", "13700137000").await;
    let registered = app.confidential_client().await;
    let victim = app.browser();
    let victims_token = id_token_for(&app, &victim, &registered, crate::helpers::PHONE).await;
    let attacker = app.browser();
    let attackers_token = id_token_for(&app, &attacker, &registered, "13700137000").await;
    let silent = AuthRequest::new(&registered.client.id).with("prompt", "none").url(&app);

    // The attacker's own valid ID token, opened in the victim's browser (a link, an image, a redirect).
    let (status, _, page) = victim
        .open(&logout_url(&app, &[("id_token_hint", &attackers_token), ("post_logout_redirect_uri", BYE)]))
        .await
        .page();
    assert_eq!(status, 200);
    assert!(page.contains("确定要退出"), "another person's hint only leads to the question: {page}");
    assert!(param(&victim.open(&silent).await.left(), "code").is_some(), "the victim is still signed in");
    assert!(param(&attacker.open(&silent).await.left(), "code").is_some(), "and so is the hint's own session");

    // The victim's own hint from another session of theirs names another session: asked, too.
    let second = app.browser();
    let other_session_token = id_token_for(&app, &second, &registered, crate::helpers::PHONE).await;
    let (_, _, page) = victim.open(&logout_url(&app, &[("id_token_hint", &other_session_token)])).await.page();
    assert!(page.contains("确定要退出"), "a hint of another session: asked");
    assert!(param(&second.open(&silent).await.left(), "code").is_some(), "that other session is not ended");

    // The victim's own hint for this session logs out at once, even once the token has expired.
    app.clock.advance_secs(3_600);
    let left = victim
        .open(&logout_url(&app, &[("id_token_hint", &victims_token), ("post_logout_redirect_uri", BYE)]))
        .await
        .left();
    assert!(left.as_str().starts_with(BYE), "{left}");
    assert_eq!(param(&victim.open(&silent).await.left(), "error").as_deref(), Some("login_required"));
    app.stop().await;
}
