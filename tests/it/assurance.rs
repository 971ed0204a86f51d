//! Assurance levels: computed from evidence, asked for by clients, raised online through the register
//! (file-backed here; the HTTP adapter against a real server below), and the standard error when a
//! person cannot or will not step up.

use crate::helpers::{ID_NUMBER, PASSWORD, PHONE, RP, Step, TestApp, field, param};
use crate::rp::{AuthRequest, authorize_url, jwt_claims, pkce, token_request};
use yimen::oidc::client::ClientRegistration;
use yimen::oidc::scope::ScopeSet;

fn write_register(app: &TestApp, name: &str, photo: &[u8]) {
    use sha2::Digest;
    let photo: String = sha2::Sha256::digest(photo).iter().map(|b| format!("{b:02x}")).collect();
    let register = serde_json::json!({ "people": [{ "id_number": ID_NUMBER, "name": name, "photo_sha256": photo }] });
    std::fs::write(app.data_dir().join("register.json"), register.to_string()).unwrap();
}

async fn client_needing(app: &TestApp, min_acr: Option<&str>) -> yimen::oidc::client::Registered {
    app.client(ClientRegistration {
        name: "公积金提取".into(),
        redirect_uris: vec![RP.into()],
        scopes: Some(ScopeSet::parse("openid profile assurance").unwrap()),
        min_acr: min_acr.map(str::to_owned),
        ..ClientRegistration::default()
    })
    .await
}

/// Starts a login for a client and signs in; returns the page the person lands on.
async fn sign_in(
    app: &TestApp,
    browser: &crate::helpers::Browser,
    client_id: &str,
    extra: &[(&str, &str)],
) -> (Step, String) {
    let (verifier, challenge) = pkce();
    let mut params = vec![
        ("client_id", client_id),
        ("redirect_uri", RP),
        ("response_type", "code"),
        ("scope", "openid assurance"),
        ("state", "s"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    let (_, _, login) = browser.open(&authorize_url(app, &params)).await.page();
    (browser.login_only(&login, PHONE, PASSWORD).await, verifier)
}

#[tokio::test]
async fn discovery_lists_the_ladder_and_tokens_carry_the_level() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let doc: serde_json::Value =
        reqwest::get(app.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(
        doc["acr_values_supported"],
        serde_json::json!(["urn:yimen:loa:1", "urn:yimen:loa:2", "urn:yimen:loa:3", "urn:yimen:loa:4"])
    );
    let registered = client_needing(&app, None).await;
    let browser = app.browser();
    let (step, verifier) = sign_in(&app, &browser, &registered.client.id, &[]).await;
    let callback = match step {
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
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["acr"], "urn:yimen:loa:1");
    let info: serde_json::Value = crate::rp::userinfo(&app, &tokens).await;
    assert_eq!(info["assurance"]["level"], "urn:yimen:loa:1");
    app.stop().await;
}

#[tokio::test]
async fn a_person_below_the_level_steps_up_online_and_the_request_continues() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    write_register(&app, "张三", b"a photo of zhang san");
    let registered = client_needing(&app, Some("urn:yimen:loa:2")).await;
    let browser = app.browser();
    let (step, verifier) = sign_in(&app, &browser, &registered.client.id, &[]).await;
    let (_, url, page) = step.page();
    assert!(url.contains("/stepup"), "the step-up page: {url}");
    assert!(page.contains("二级") && page.contains("一级"), "it says what is needed and what the person has");
    let step =
        browser.submit("/stepup/register", &[("csrf", &field(&page, "csrf")), ("rid", &field(&page, "rid"))]).await;
    let callback = match step {
        Step::Page { html, .. } => browser.consent(&html, "allow").await.left(),
        Step::Left(url) => url,
    };
    assert_eq!(param(&callback, "state").as_deref(), Some("s"), "the original request continued");
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
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["acr"], "urn:yimen:loa:2");
    let info: serde_json::Value = crate::rp::userinfo(&app, &tokens).await;
    let methods: Vec<&str> =
        info["assurance"]["verifications"].as_array().unwrap().iter().map(|v| v["method"].as_str().unwrap()).collect();
    assert_eq!(methods, vec!["register_match"]);
    let evidence = app
        .provider
        .assurance()
        .evidence()
        .of(&app.accounts.find_by_login_identifier(PHONE).await.unwrap().unwrap().id)
        .await
        .unwrap();
    assert_eq!(evidence[0].adapter.as_deref(), Some("file"), "the adapter that answered is recorded");
    app.stop().await;
}

#[tokio::test]
async fn a_face_check_reaches_level_three() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    write_register(&app, "张三", b"the register photo");
    let registered = client_needing(&app, Some("urn:yimen:loa:3")).await;
    let browser = app.browser();
    let (step, _) = sign_in(&app, &browser, &registered.client.id, &[]).await;
    let (_, _, page) = step.page();
    let (_, _, page) = browser
        .submit("/stepup/register", &[("csrf", &field(&page, "csrf")), ("rid", &field(&page, "rid"))])
        .await
        .page();
    assert!(page.contains("name=\"photo\""), "after the register match, the face check is offered");
    let upload = |photo: &'static [u8]| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", field(&page, "csrf"))
            .text("rid", field(&page, "rid"))
            .part("photo", reqwest::multipart::Part::bytes(photo).file_name("me.jpg").mime_str("image/jpeg").unwrap());
        browser.http.post(app.url("/stepup/face")).multipart(form).send()
    };
    let wrong = upload(b"someone else").await.unwrap().text().await.unwrap();
    assert!(wrong.contains("照片与户籍登记照片不一致"));
    let right = upload(b"the register photo").await.unwrap();
    assert_eq!(right.status(), 303);
    assert!(right.headers()["location"].to_str().unwrap().starts_with("/authorize/continue"));
    let person = app.accounts.find_by_login_identifier(PHONE).await.unwrap().unwrap();
    assert_eq!(app.provider.assurance().acr_of(&person.id).await.unwrap(), "urn:yimen:loa:3");
    app.stop().await;
}

#[tokio::test]
async fn who_cannot_step_up_is_told_why_and_the_client_gets_the_standard_error() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    write_register(&app, "李四", b"photo");
    let registered = client_needing(&app, None).await;
    let browser = app.browser();
    let (step, _) =
        sign_in(&app, &browser, &registered.client.id, &[("acr_values", "urn:yimen:loa:2 urn:yimen:loa:3")]).await;
    let (_, url, page) = step.page();
    assert!(url.contains("/stepup"), "acr_values asks for at least level 2: {url}");
    let (_, _, mismatch) = browser
        .submit("/stepup/register", &[("csrf", &field(&page, "csrf")), ("rid", &field(&page, "rid"))])
        .await
        .page();
    assert!(mismatch.contains("与户籍登记不一致"), "the person learns why");
    let (_, _, counter) = browser
        .submit("/stepup/counter", &[("csrf", &field(&mismatch, "csrf")), ("rid", &field(&mismatch, "rid"))])
        .await
        .page();
    let code = scraper::Html::parse_document(&counter)
        .select(&scraper::Selector::parse("p.code").unwrap())
        .next()
        .map(|e| e.text().collect::<String>())
        .unwrap();
    assert_eq!(code.len(), 9, "a counter code like ABCD-EFGH: {code}");
    let cancelled = browser.open(&app.url(&format!("/stepup/cancel?rid={}", field(&mismatch, "rid")))).await.left();
    assert_eq!(param(&cancelled, "error").as_deref(), Some("unmet_authentication_requirements"));

    let silent = AuthRequest::new(&registered.client.id)
        .with("prompt", "none")
        .with("claims", r#"{"id_token":{"acr":{"essential":true,"values":["urn:yimen:loa:4"]}}}"#)
        .url(&app);
    assert_eq!(
        param(&browser.open(&silent).await.left(), "error").as_deref(),
        Some("unmet_authentication_requirements"),
        "an essential acr is a requirement too"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_register_that_is_down_is_a_message_not_a_500() {
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let app = TestApp::spawn_with(|config| {
        config.register.adapter = yimen::config::RegisterAdapterKind::Http;
        config.register.http.url = format!("http://{dead}");
        config.register.http.retries = 0;
        config.register.http.timeout_ms = 500;
    })
    .await;
    app.citizen().await;
    let registered = client_needing(&app, Some("urn:yimen:loa:2")).await;
    let browser = app.browser();
    let (step, _) = sign_in(&app, &browser, &registered.client.id, &[]).await;
    let (_, _, page) = step.page();
    let (status, _, down) = browser
        .submit("/stepup/register", &[("csrf", &field(&page, "csrf")), ("rid", &field(&page, "rid"))])
        .await
        .page();
    assert_eq!(status, 200);
    assert!(down.contains("核验服务暂时不可用"));
    app.stop().await;
}

mod http_adapter {
    use axum::Json;
    use axum::routing::post;
    use std::time::Duration;
    use yimen::assurance::register::{HttpRegister, Register, RegisterAnswer, RegisterError};
    use yimen::config::RegisterHttpConfig;

    async fn register_service(answer: &'static str, delay_ms: u64) -> HttpRegister {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let reply = move |Json(body): Json<serde_json::Value>| async move {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
            assert!(body.get("id_number").is_some());
            Json(serde_json::json!({ "result": answer }))
        };
        let router = axum::Router::new().route("/identity", post(reply)).route("/face", post(reply));
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        HttpRegister::new(RegisterHttpConfig {
            url,
            timeout_ms: 300,
            retries: 1,
            retry_backoff_ms: 10,
            ..RegisterHttpConfig::default()
        })
        .unwrap()
    }

    #[tokio::test]
    async fn answers_matches_mismatches_and_timeouts() {
        assert_eq!(
            register_service("match", 0).await.check_identity("张三", "11010519491231002X").await.unwrap(),
            RegisterAnswer::Match
        );
        assert_eq!(
            register_service("mismatch", 0).await.check_face("11010519491231002X", b"jpeg").await.unwrap(),
            RegisterAnswer::Mismatch
        );
        assert_eq!(
            register_service("not_found", 0).await.check_identity("张三", "11010519491231002X").await.unwrap(),
            RegisterAnswer::NotFound
        );
        assert!(matches!(
            register_service("match", 1_000).await.check_identity("张三", "x").await,
            Err(RegisterError::Timeout)
        ));
        assert!(matches!(
            register_service("maybe", 0).await.check_identity("张三", "x").await,
            Err(RegisterError::Unavailable(_))
        ));
    }
}

#[tokio::test]
async fn an_essential_acr_with_values_is_answered_with_one_of_them() {
    use openidconnect::core::CoreAuthenticationFlow;
    use openidconnect::{AuthorizationCode, CsrfToken, Nonce, PkceCodeChallenge, TokenResponse};
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    // 张三 is at level 2: the register confirmed his name and number.
    let evidence = yimen::assurance::NewEvidence {
        person_id: &person.id,
        method: yimen::assurance::Method::RegisterMatch,
        verifier: "system",
        hall_id: None,
        passed: true,
        reference: None,
        adapter: None,
    };
    app.desk.assurance.evidence().record(evidence).await.unwrap();
    let registered = client_needing(&app, None).await;
    let rp = crate::rp::discover(&app, &registered.client.id, registered.secret.as_deref()).await;
    let browser = app.browser();
    for (values, expected) in [
        (r#"["urn:yimen:loa:1"]"#, "urn:yimen:loa:1"),
        (r#"["urn:yimen:loa:1","urn:yimen:loa:2"]"#, "urn:yimen:loa:2"),
        (r#"["urn:yimen:loa:0-unknown","urn:yimen:loa:1"]"#, "urn:yimen:loa:1"),
    ] {
        let claims = format!(r#"{{"id_token":{{"acr":{{"essential":true,"values":{values}}}}}}}"#);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, _, nonce) = rp
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_extra_param("claims", claims)
            .set_pkce_challenge(challenge)
            .url();
        let callback = browser.authorize(url.as_str()).await;
        let tokens = rp
            .exchange_code(AuthorizationCode::new(crate::helpers::param(&callback, "code").unwrap()))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&crate::rp::http())
            .await
            .expect("code exchange");
        let id_token = tokens.id_token().expect("an ID token");
        let verified = id_token.claims(&rp.id_token_verifier(), &nonce).expect("the ID token verifies");
        assert_eq!(verified.auth_context_ref().map(|acr| acr.as_str()), Some(expected), "values {values}");
    }
    app.stop().await;
}
