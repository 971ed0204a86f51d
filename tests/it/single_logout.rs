//! Single logout across systems: Back-Channel Logout 1.0 (a signed logout token POSTed to every system
//! that had a login in the ended session, from a durable queue) and Front-Channel Logout 1.0 (hidden
//! frames on the logout page). The systems here are real HTTP endpoints on 127.0.0.1.

use crate::helpers::{Browser, Step, TestApp, param};
use crate::logout::id_token_for;
use crate::rp::{AuthRequest, http, jwt_claims};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use yimen::oidc::client::{ClientRegistration, LogoutChannels, Registered};
use yimen::store::logout_deliveries::LogoutDeliveryStatus;

const BYE: &str = "http://127.0.0.1:9/bye";
const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A department system's logout endpoint: records every POST (path, logout_token) and answers `status`.
struct Receiver {
    base: String,
    status: Arc<AtomicU16>,
    received: Arc<Mutex<Vec<(String, String)>>>,
}

type Shared = (Arc<AtomicU16>, Arc<Mutex<Vec<(String, String)>>>);

impl Receiver {
    async fn start() -> Self {
        let status = Arc::new(AtomicU16::new(200));
        let received = Arc::new(Mutex::new(Vec::new()));
        let app = axum::Router::new()
            .route(
                "/{name}",
                axum::routing::post(
                    |State((status, received)): State<Shared>, Path(name): Path<String>, body: String| async move {
                        let token = url::form_urlencoded::parse(body.as_bytes())
                            .find(|(key, _)| key == "logout_token")
                            .map(|(_, value)| value.into_owned())
                            .unwrap_or_default();
                        received.lock().unwrap().push((name, token));
                        StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap()
                    },
                ),
            )
            .with_state((status.clone(), received.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base, status, received }
    }

    fn uri(&self, name: &str) -> String {
        format!("{}/{name}", self.base)
    }

    /// Waits (up to ten seconds) until `count` POSTs arrived, and returns them all.
    async fn await_posts(&self, count: usize) -> Vec<(String, String)> {
        for _ in 0..200 {
            let received = self.received.lock().unwrap().clone();
            if received.len() >= count {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {count} logout POSTs, got {:?}", self.received.lock().unwrap().len());
    }
}

async fn system_with(app: &TestApp, name: &str, logout: LogoutChannels) -> Registered {
    app.client(ClientRegistration {
        name: name.into(),
        redirect_uris: vec![crate::helpers::RP.into()],
        post_logout_redirect_uris: vec![BYE.into()],
        logout,
        ..ClientRegistration::default()
    })
    .await
}

fn back_channel(uri: String) -> LogoutChannels {
    LogoutChannels { backchannel_uri: Some(uri), backchannel_session_required: true, ..LogoutChannels::default() }
}

fn logout_url(app: &TestApp, params: &[(&str, &str)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    app.url(&format!("/logout?{query}"))
}

/// Verifies a logout token the way a relying party must (Back-Channel Logout 1.0 §2.6): signature by a key
/// of the JWKS named by `kid`, issuer, audience, and the claims; returns the claims.
async fn verify_logout_token(app: &TestApp, token: &str, client_id: &str) -> serde_json::Value {
    let header = jsonwebtoken::decode_header(token).expect("a JWT header");
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"), "explicitly typed (Back-Channel Logout 1.0 §2.4)");
    let kid = header.kid.clone().expect("a kid");
    let jwks: jsonwebtoken::jwk::JwkSet =
        http().get(app.url("/jwks")).send().await.unwrap().json().await.expect("the JWKS");
    let jwk = jwks.find(&kid).expect("the kid names a published key");
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_issuer(&[&app.base]);
    validation.set_audience(&[client_id]);
    validation.set_required_spec_claims(&["iss", "aud", "exp", "iat"]);
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let claims =
        jsonwebtoken::decode::<serde_json::Value>(token, &key, &validation).expect("the signature verifies").claims;
    assert!(claims["jti"].as_str().is_some_and(|jti| !jti.is_empty()), "a jti: {claims}");
    assert_eq!(claims["events"][LOGOUT_EVENT], serde_json::json!({}), "the logout event: {claims}");
    assert!(claims.get("nonce").is_none(), "a logout token never carries a nonce: {claims}");
    claims
}

/// The delivery status of a client's notices once `settled` holds (waiting up to five seconds).
async fn status_once(
    app: &TestApp,
    client_id: &str,
    settled: impl Fn(&LogoutDeliveryStatus) -> bool,
) -> LogoutDeliveryStatus {
    let mut status = app.provider.logout_delivery_status(client_id).await.unwrap();
    for _ in 0..100 {
        if settled(&status) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        status = app.provider.logout_delivery_status(client_id).await.unwrap();
    }
    status
}

#[tokio::test]
async fn every_system_with_a_login_in_the_session_is_told_over_the_back_channel() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let receiver = Receiver::start().await;
    let tax = system_with(&app, "个税查询", back_channel(receiver.uri("tax"))).await;
    let housing = system_with(&app, "公积金", back_channel(receiver.uri("housing"))).await;
    let unused = system_with(&app, "不动产登记", back_channel(receiver.uri("unused"))).await;
    let quiet = system_with(&app, "社保查询", LogoutChannels::default()).await;
    let browser = app.browser();
    let tax_token = id_token_for(&app, &browser, &tax, crate::helpers::PHONE).await;
    let housing_token = id_token_for(&app, &browser, &housing, crate::helpers::PHONE).await;
    id_token_for(&app, &browser, &quiet, crate::helpers::PHONE).await;
    // The same person in another browser: a session nobody ends here.
    let elsewhere = app.browser();
    id_token_for(&app, &elsewhere, &tax, crate::helpers::PHONE).await;

    let left = browser
        .open(&logout_url(&app, &[("id_token_hint", &tax_token), ("post_logout_redirect_uri", BYE)]))
        .await
        .left();
    assert!(left.as_str().starts_with(BYE), "{left}");

    let mut posts = receiver.await_posts(2).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        receiver.received.lock().unwrap().len(),
        2,
        "one notice per system that had a login, none for the other session"
    );
    posts.sort();
    assert_eq!(posts.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(), ["housing", "tax"]);
    assert!(!posts.iter().any(|(name, _)| name == "unused"), "{} had no login in the session", unused.client.name);
    for ((_, token), (registered, id_token)) in posts.iter().zip([(&housing, &housing_token), (&tax, &tax_token)]) {
        let claims = verify_logout_token(&app, token, &registered.client.id).await;
        let id_claims = jwt_claims(id_token);
        assert_eq!(claims["sub"], id_claims["sub"], "the sub this system knows the person by");
        assert_eq!(claims["sid"], id_claims["sid"], "the session this system's ID token named");
    }
    for registered in [&tax, &housing] {
        let status = status_once(&app, &registered.client.id, |s| s.pending == 0).await;
        assert_eq!((status.delivered, status.pending, status.failed), (1, 0, 0));
    }
    let metrics = http().get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains("yimen_backchannel_logout_attempts_total{outcome=\"delivered\"} 2"),
        "delivery shows in /metrics: {metrics}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_notice_survives_an_unreachable_system_and_a_restart() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let receiver = Receiver::start().await;
    receiver.status.store(503, Ordering::SeqCst);
    let tax = system_with(&app, "个税查询", back_channel(receiver.uri("tax"))).await;
    let browser = app.browser();
    let tax_token = id_token_for(&app, &browser, &tax, crate::helpers::PHONE).await;
    browser.open(&logout_url(&app, &[("id_token_hint", &tax_token), ("post_logout_redirect_uri", BYE)])).await.left();
    receiver.await_posts(1).await;
    // The outcome is recorded once the system has answered.
    let status = status_once(&app, &tax.client.id, |s| s.last_error.is_some()).await;
    assert_eq!((status.delivered, status.pending), (0, 1), "a 503 leaves the notice queued");
    assert_eq!(status.last_error.as_deref(), Some("the system answered HTTP 503"));

    // The instance goes away before the retry is due; the system recovers; another instance starts.
    let clock = app.clock.clone();
    let app = {
        clock.advance_secs(11);
        receiver.status.store(200, Ordering::SeqCst);
        app.restart().await
    };
    let posts = receiver.await_posts(2).await;
    let claims = verify_logout_token(&app, &posts[1].1, &tax.client.id).await;
    assert_eq!(claims["sid"], jwt_claims(&tax_token)["sid"]);
    let status = status_once(&app, &tax.client.id, |s| s.pending == 0).await;
    assert_eq!((status.delivered, status.pending, status.failed), (1, 0, 0), "delivered after the restart");
    app.stop().await;
}

#[tokio::test]
async fn a_system_that_refuses_the_notice_is_shown_as_failed_not_retried_forever() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let receiver = Receiver::start().await;
    receiver.status.store(404, Ordering::SeqCst);
    let tax = system_with(&app, "个税查询", back_channel(receiver.uri("tax"))).await;
    let browser = app.browser();
    let tax_token = id_token_for(&app, &browser, &tax, crate::helpers::PHONE).await;
    browser.open(&logout_url(&app, &[("id_token_hint", &tax_token)])).await;
    receiver.await_posts(1).await;
    let status = status_once(&app, &tax.client.id, |s| s.pending == 0).await;
    assert_eq!((status.delivered, status.pending, status.failed), (0, 0, 1));
    assert_eq!(status.last_error.as_deref(), Some("the system answered HTTP 404"));
    app.stop().await;
}

#[tokio::test]
async fn an_expired_session_and_a_sign_out_everywhere_are_told_too() {
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    let receiver = Receiver::start().await;
    let tax = system_with(&app, "个税查询", back_channel(receiver.uri("tax"))).await;
    let first = app.browser();
    let first_token = id_token_for(&app, &first, &tax, crate::helpers::PHONE).await;

    app.clock.advance_secs(12 * 3600 + 1);
    assert_eq!(app.provider.sweep_logout_queue().await.unwrap(), 1, "the sweep ends the expired session");
    let posts = receiver.await_posts(1).await;
    let claims = verify_logout_token(&app, &posts[0].1, &tax.client.id).await;
    assert_eq!(claims["sid"], jwt_claims(&first_token)["sid"]);

    let second = app.browser();
    let second_token = id_token_for(&app, &second, &tax, crate::helpers::PHONE).await;
    app.provider.end_all_sessions(&person.id, "signed out everywhere by an administrator").await.unwrap();
    let posts = receiver.await_posts(2).await;
    let claims = verify_logout_token(&app, &posts[1].1, &tax.client.id).await;
    assert_eq!(claims["sid"], jwt_claims(&second_token)["sid"]);
    app.stop().await;
}

#[tokio::test]
async fn front_channel_systems_are_loaded_in_hidden_frames_before_the_redirect() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let portal = system_with(
        &app,
        "网上办事大厅",
        LogoutChannels {
            frontchannel_uri: Some("http://127.0.0.1:7001/fc?tenant=1".into()),
            frontchannel_session_required: true,
            ..LogoutChannels::default()
        },
    )
    .await;
    let plain = system_with(
        &app,
        "预约系统",
        LogoutChannels { frontchannel_uri: Some("http://127.0.0.1:7002/fc".into()), ..LogoutChannels::default() },
    )
    .await;
    let browser: Browser = app.browser();
    let token = id_token_for(&app, &browser, &portal, crate::helpers::PHONE).await;
    id_token_for(&app, &browser, &plain, crate::helpers::PHONE).await;
    let sid = jwt_claims(&token)["sid"].as_str().unwrap().to_owned();

    let response = browser
        .http
        .get(logout_url(&app, &[("id_token_hint", &token), ("post_logout_redirect_uri", BYE), ("state", "s")]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "a page with the frames instead of an immediate redirect");
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        csp.contains("frame-src http://127.0.0.1:7001 http://127.0.0.1:7002"),
        "frames from those origins only: {csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let html = response.text().await.unwrap();
    let document = scraper::Html::parse_document(&html);
    let mut frames: Vec<String> = document
        .select(&scraper::Selector::parse("iframe").unwrap())
        .map(|frame| frame.value().attr("src").unwrap().to_owned())
        .collect();
    frames.sort();
    let issuer: String = url::form_urlencoded::byte_serialize(app.base.as_bytes()).collect();
    assert_eq!(
        frames,
        [format!("http://127.0.0.1:7001/fc?tenant=1&iss={issuer}&sid={sid}"), "http://127.0.0.1:7002/fc".to_owned()]
    );
    let refresh = document.select(&scraper::Selector::parse("meta[http-equiv=refresh]").unwrap()).next().unwrap();
    assert_eq!(refresh.value().attr("content"), Some(format!("2;url={BYE}?state=s").as_str()), "then on to the system");

    let silent = AuthRequest::new(&portal.client.id).with("prompt", "none").url(&app);
    match browser.open(&silent).await {
        Step::Left(callback) => assert_eq!(param(&callback, "error").as_deref(), Some("login_required")),
        Step::Page { status, .. } => panic!("expected a redirect, got a page ({status})"),
    }
    app.stop().await;
}
