//! Bad authorization requests: what must never redirect, and what must redirect with an error.

use crate::helpers::{RP, Step, TestApp, param};
use crate::rp::{AuthRequest, authorize_url, pkce};
use yimen::oidc::client::ClientRegistration;

async fn no_redirect(app: &TestApp, params: &[(&str, &str)]) -> (u16, String) {
    match app.browser().open(&authorize_url(app, params)).await {
        Step::Page { status, html, .. } => (status, html),
        Step::Left(url) => panic!("must not redirect, went to {url}"),
    }
}

#[tokio::test]
async fn unregistered_redirect_uris_and_unknown_clients_get_an_error_page() {
    let app = TestApp::spawn().await;
    let registered = app.confidential_client().await;
    let id = registered.client.id.as_str();
    for bad in [
        format!("{RP}/extra"),
        format!("{RP}?x=1"),
        "http://127.0.0.1:9/CB".to_owned(),
        "https://evil.example/cb".to_owned(),
    ] {
        let (status, html) = no_redirect(
            &app,
            &[("client_id", id), ("redirect_uri", &bad), ("response_type", "code"), ("scope", "openid")],
        )
        .await;
        assert_eq!(status, 400);
        assert!(html.contains("回跳地址未经登记"), "explains the refusal for {bad}");
    }
    let (status, html) = no_redirect(&app, &[("client_id", id), ("response_type", "code"), ("scope", "openid")]).await;
    assert_eq!(status, 400);
    assert!(html.contains("no redirect_uri"));
    let (status, html) = no_redirect(
        &app,
        &[("client_id", "ym-nobody"), ("redirect_uri", RP), ("response_type", "code"), ("scope", "openid")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("未在平台登记"));
    let (status, _) = no_redirect(&app, &[("client_id", id), ("client_id", id), ("redirect_uri", RP)]).await;
    assert_eq!(status, 400, "a repeated parameter is malformed");
    app.stop().await;
}

#[tokio::test]
async fn disabled_clients_cannot_start_a_login() {
    let app = TestApp::spawn().await;
    let registered = app.confidential_client().await;
    assert!(app.provider.set_client_enabled(&registered.client.id, false).await.unwrap());
    let (status, html) = no_redirect(
        &app,
        &[("client_id", &registered.client.id), ("redirect_uri", RP), ("response_type", "code"), ("scope", "openid")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(html.contains("已被停用"));
    app.stop().await;
}

async fn error_of(app: &TestApp, params: &[(&str, &str)]) -> (String, String, Option<String>) {
    let url = app.browser().open(&authorize_url(app, params)).await.left();
    assert!(url.as_str().starts_with(RP), "redirected to the client: {url}");
    assert_eq!(param(&url, "iss").as_deref(), Some(app.base.as_str()));
    (
        param(&url, "error").expect("an error code"),
        param(&url, "error_description").unwrap_or_default(),
        param(&url, "state"),
    )
}

#[tokio::test]
async fn malformed_requests_redirect_with_the_rfc_error_and_state() {
    let app = TestApp::spawn().await;
    let registered = app.confidential_client().await;
    let id = registered.client.id.as_str();
    let base = [("client_id", id), ("redirect_uri", RP), ("state", "keep-me")];
    let with = |extra: &[(&'static str, &'static str)]| -> Vec<(&str, &str)> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };

    let (error, description, state) = error_of(&app, &with(&[("scope", "openid")])).await;
    assert_eq!((error.as_str(), state.as_deref()), ("invalid_request", Some("keep-me")));
    assert!(description.contains("response_type"));
    assert_eq!(
        error_of(&app, &with(&[("response_type", "token"), ("scope", "openid")])).await.0,
        "unsupported_response_type"
    );
    assert_eq!(error_of(&app, &with(&[("response_type", "code"), ("scope", "profile")])).await.0, "invalid_scope");
    assert_eq!(
        error_of(&app, &with(&[("response_type", "code"), ("scope", "openid"), ("prompt", "none login")])).await.0,
        "invalid_request"
    );
    assert_eq!(
        error_of(&app, &with(&[("response_type", "code"), ("scope", "openid"), ("max_age", "soon")])).await.0,
        "invalid_request"
    );
    assert_eq!(
        error_of(&app, &with(&[("response_type", "code"), ("scope", "openid"), ("claims", "{not json")])).await.0,
        "invalid_request"
    );
    assert_eq!(
        error_of(
            &app,
            &with(&[("response_type", "code"), ("scope", "openid"), ("request", "eyJhbGciOiJub25lIn0.e30.")])
        )
        .await
        .0,
        "request_not_supported"
    );
    assert_eq!(
        error_of(
            &app,
            &with(&[
                ("response_type", "code"),
                ("scope", "openid"),
                ("code_challenge", "abc"),
                ("code_challenge_method", "plain")
            ])
        )
        .await
        .0,
        "invalid_request"
    );
    let (error, _, _) =
        error_of(&app, &with(&[("response_type", "code"), ("scope", "openid"), ("prompt", "none")])).await;
    assert_eq!(error, "login_required", "prompt=none without a session");
    app.stop().await;
}

#[tokio::test]
async fn public_clients_must_use_pkce() {
    let app = TestApp::spawn().await;
    let public = app
        .client(ClientRegistration {
            name: "掌上办事".into(),
            redirect_uris: vec![RP.into()],
            public: true,
            ..ClientRegistration::default()
        })
        .await;
    assert!(public.secret.is_none());
    let (error, description, _) = error_of(
        &app,
        &[("client_id", &public.client.id), ("redirect_uri", RP), ("response_type", "code"), ("scope", "openid")],
    )
    .await;
    assert_eq!(error, "invalid_request");
    assert!(description.contains("PKCE"), "{description}");
    let (_, challenge) = pkce();
    let ok = app
        .browser()
        .open(
            &AuthRequest::new(&public.client.id)
                .with("code_challenge", &challenge)
                .with("code_challenge_method", "S256")
                .url(&app),
        )
        .await;
    assert!(matches!(ok, Step::Page { status: 200, .. }), "with PKCE the login page is shown");
    app.stop().await;
}

#[tokio::test]
async fn the_person_can_cancel_or_deny() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let browser = app.browser();
    let url = AuthRequest::new(&registered.client.id).scope("openid profile").with("state", "s").url(&app);
    let (_, _, login) = browser.open(&url).await.page();
    let rid = crate::helpers::field(&login, "rid");
    let cancelled = browser.open(&app.url(&format!("/authorize/cancel?rid={rid}"))).await.left();
    assert_eq!(param(&cancelled, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&cancelled, "state").as_deref(), Some("s"));

    let (_, _, login) = browser.open(&url).await.page();
    let (_, _, consent) = browser.login_only(&login, crate::helpers::PHONE, crate::helpers::PASSWORD).await.page();
    let denied = browser.consent(&consent, "deny").await.left();
    assert_eq!(param(&denied, "error").as_deref(), Some("access_denied"));
    let silent = AuthRequest::new(&registered.client.id).scope("openid profile").with("prompt", "none").url(&app);
    assert_eq!(
        param(&browser.open(&silent).await.left(), "error").as_deref(),
        Some("consent_required"),
        "denial is not remembered as consent"
    );
    app.stop().await;
}
