//! Passkeys end to end with a software authenticator (webauthn-authenticator-rs): registration from the
//! account centre, use as the second factor a system requires, and single-use challenges. Passwordless
//! login with a discoverable passkey runs in the browser tests (Chromium's virtual authenticator), since
//! the software authenticator cannot hold discoverable credentials.

use crate::helpers::{PASSWORD, PHONE, RP, Step, TestApp, field, param, sign_in_twice};
use crate::rp::{AuthRequest, jwt_claims, pkce, token_request};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs_proto::{CreationChallengeResponse, RequestChallengeResponse};
use yimen::oidc::client::ClientRegistration;

async fn post_json(browser: &crate::helpers::Browser, url: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = browser.http.post(url).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn a_passkey_is_added_then_serves_as_the_second_factor_once_per_challenge() {
    let app = TestApp::spawn_on_localhost().await;
    app.citizen().await;
    let origin = url::Url::parse(&app.base).unwrap();
    let mut key = SoftPasskey::new(true);

    let browser = app.browser();
    let (_, _, page) = sign_in_twice(&app, &browser, PHONE, "/account/passkeys").await;
    let csrf = field(&page, "csrf");
    let (status, options) =
        post_json(&browser, &app.url("/account/passkeys/options"), serde_json::json!({ "csrf": csrf })).await;
    assert_eq!(status, 200, "{options}");
    let options: CreationChallengeResponse = serde_json::from_value(options).unwrap();
    let credential = key.do_registration(origin.clone(), options).expect("the authenticator registers");
    let body = serde_json::json!({ "csrf": csrf, "name": "测试安全密钥", "attachment": "cross-platform", "credential": credential });
    let (status, done) = post_json(&browser, &app.url("/account/passkeys/register"), body.clone()).await;
    assert_eq!(status, 200, "{done}");
    let (status, replay) = post_json(&browser, &app.url("/account/passkeys/register"), body).await;
    assert_eq!(status, 400, "a registration ceremony answers once: {replay}");
    let (_, _, listed) = browser.open(&app.url("/account/passkeys")).await.page();
    assert!(listed.contains("测试安全密钥"));

    let strict = app
        .client(ClientRegistration {
            name: "不动产登记".into(),
            redirect_uris: vec![RP.into()],
            require_mfa: true,
            ..ClientRegistration::default()
        })
        .await;
    let other = app.browser();
    let (verifier, challenge) = pkce();
    let url = AuthRequest::new(&strict.client.id)
        .with("code_challenge", &challenge)
        .with("code_challenge_method", "S256")
        .url(&app);
    let (_, _, login) = other.open(&url).await.page();
    let (_, second_url, second) = other.login_only(&login, PHONE, PASSWORD).await.page();
    assert!(
        second_url.contains("/login/second") && second.contains("data-passkey=\"second\""),
        "the passkey is offered"
    );
    let (csrf, rid) = (field(&second, "csrf"), field(&second, "rid"));
    let (status, options) =
        post_json(&other, &app.url("/login/second/passkey/options"), serde_json::json!({ "csrf": csrf, "rid": rid }))
            .await;
    assert_eq!(status, 200, "{options}");
    let options: RequestChallengeResponse = serde_json::from_value(options).unwrap();
    let assertion = key.do_authentication(origin.clone(), options).expect("the authenticator signs");
    let body = serde_json::json!({ "csrf": csrf, "rid": rid, "credential": assertion });
    let (status, done) = post_json(&other, &app.url("/login/second/passkey"), body.clone()).await;
    assert_eq!(status, 200, "{done}");
    let (status, _) = post_json(&other, &app.url("/login/second/passkey"), body).await;
    assert!((400..500).contains(&status), "the same assertion cannot be replayed: {status}");

    let callback = match other.open(&app.url(done["redirect"].as_str().unwrap())).await {
        Step::Page { html, .. } => other.consent(&html, "allow").await.left(),
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
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["amr"], serde_json::json!(["pwd", "hwk", "mfa"]));
    app.stop().await;
}

#[tokio::test]
async fn passkeys_are_unavailable_when_the_issuer_is_an_ip_address() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let browser = app.browser();
    let (_, _, login) = browser.open(&app.url("/login")).await.page();
    assert!(!login.contains("passkey-login"), "no passkey button where WebAuthn cannot work");
    let (status, body) =
        post_json(&browser, &app.url("/login/passkey/options"), serde_json::json!({ "csrf": field(&login, "csrf") }))
            .await;
    assert_eq!(status, 404, "{body}");
    app.stop().await;
}
