//! The authorization code flow end to end with the openidconnect crate as the relying party: discovery,
//! authorize, login, consent, token, ID-token verification, userinfo, refresh, revoke, logout; and SSO.

use crate::helpers::{PHONE, RP, TestApp, param};
use crate::rp::{AuthRequest, code_for, discover, http, jwt_claims, pkce, token_request};
use openidconnect::core::{CoreAuthenticationFlow, CoreJwsSigningAlgorithm, CoreUserInfoClaims};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, Scope, TokenResponse,
};
use yimen::keys::SigningAlg;
use yimen::oidc::client::{ClientRegistration, SubjectType};

#[tokio::test]
async fn a_department_system_signs_a_citizen_in_and_out() {
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    let registered = app.confidential_client().await;
    let client = discover(&app, &registered.client.id, registered.secret.as_deref()).await;
    let http = http();

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("phone".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let browser = app.browser();
    let login_page = browser.open(url.as_str()).await.page().2;
    assert!(login_page.contains("社保查询"), "the login page names the system");
    let consent_page = browser.login_only(&login_page, PHONE, crate::helpers::PASSWORD).await.page().2;
    for expected in ["姓名、性别、出生日期", "手机号码", "在您退出后继续保持访问"] {
        assert!(consent_page.contains(expected), "consent page lists {expected}");
    }
    let callback = browser.consent(&consent_page, "allow").await.left();
    assert!(callback.as_str().starts_with(RP));
    assert_eq!(param(&callback, "state").as_deref(), Some(state.secret().as_str()));
    assert_eq!(param(&callback, "iss").as_deref(), Some(app.base.as_str()));

    let tokens = client
        .exchange_code(AuthorizationCode::new(param(&callback, "code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let id_verifier = client.id_token_verifier();
    let claims = id_token.claims(&id_verifier, &nonce).expect("the ID token verifies");
    let at_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));
    assert_eq!(claims.auth_context_ref().map(|acr| acr.as_str()), Some("urn:yimen:loa:1"));
    assert_eq!(claims.auth_method_refs().unwrap().iter().map(|m| m.as_str()).collect::<Vec<_>>(), vec!["pwd"]);
    assert!(claims.auth_time().is_some());
    assert_ne!(claims.subject().as_str(), person.id, "subjects are pairwise by default");
    let raw = jwt_claims(&id_token.to_string());
    assert!(raw["sid"].is_string());
    assert!(raw.get("name").is_none(), "scope claims go to userinfo, not the ID token");

    let info: CoreUserInfoClaims =
        client.user_info(tokens.access_token().clone(), None).unwrap().request_async(&http).await.expect("userinfo");
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(info.name().and_then(|n| n.get(None)).map(|n| n.as_str()), Some("张三"));
    assert_eq!(info.phone_number().map(|p| p.as_str()), Some("+8613800138000"));
    assert_eq!(info.birthdate().map(|b| b.as_str()), Some("1949-12-31"));

    let first_refresh = tokens.refresh_token().expect("a refresh token").clone();
    let refreshed = client.exchange_refresh_token(&first_refresh).unwrap().request_async(&http).await.expect("refresh");
    let new_refresh = refreshed.refresh_token().expect("a rotated refresh token").clone();
    assert_ne!(new_refresh.secret(), first_refresh.secret());
    let refreshed_claims =
        refreshed.id_token().unwrap().claims(&id_verifier, &nonce).expect("refreshed ID token verifies");
    assert_eq!(refreshed_claims.subject(), claims.subject());
    assert_eq!(refreshed_claims.auth_time(), claims.auth_time());

    // openidconnect refuses a plain-http revocation URL, so this one call goes by hand.
    let (status, _, _) = crate::rp::post_form(
        &app,
        "/revoke",
        Some((&registered.client.id, registered.secret.as_deref().unwrap())),
        &[("token", new_refresh.secret()), ("token_type_hint", "refresh_token")],
    )
    .await;
    assert_eq!(status, 200);
    let after_revoke: Result<CoreUserInfoClaims, _> =
        client.user_info(refreshed.access_token().clone(), None).unwrap().request_async(&http).await;
    assert!(after_revoke.is_err(), "revoking the refresh token ends the grant's access tokens");
    let (status, body, _) = token_request(
        &app,
        Some((&registered.client.id, registered.secret.as_deref().unwrap())),
        &[("grant_type", "refresh_token"), ("refresh_token", new_refresh.secret())],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));

    let logout = format!(
        "{}?id_token_hint={}&post_logout_redirect_uri={}&state=bye",
        app.url("/logout"),
        id_token,
        url::form_urlencoded::byte_serialize(b"http://127.0.0.1:9/bye").collect::<String>()
    );
    let after = browser.open(&logout).await.left();
    assert_eq!(after.as_str(), "http://127.0.0.1:9/bye?state=bye");
    let silent = AuthRequest::new(&registered.client.id).with("prompt", "none").with("state", "x").url(&app);
    let answer = browser.open(&silent).await.left();
    assert_eq!(param(&answer, "error").as_deref(), Some("login_required"));
    app.stop().await;
}

#[tokio::test]
async fn a_second_system_signs_in_without_a_password_and_sees_another_subject() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let first = app.confidential_client().await;
    let second = app
        .client(ClientRegistration {
            name: "公积金系统".into(),
            redirect_uris: vec!["http://localhost:9/cb".into()],
            ..ClientRegistration::default()
        })
        .await;
    let browser = app.browser();
    let (code, verifier) = code_for(&app, &browser, &first.client.id, "openid").await;
    let basic = (first.client.id.as_str(), first.secret.as_deref().unwrap());
    let (_, first_tokens, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;

    let (verifier, challenge) = pkce();
    let url = AuthRequest::new(&second.client.id)
        .with("redirect_uri", "http://localhost:9/cb")
        .with("code_challenge", &challenge)
        .with("code_challenge_method", "S256")
        .url(&app);
    // Already signed in: only the consent page for the new system, no password.
    let (_, _, page) = browser.open(&url).await.page();
    assert!(!page.contains("name=\"password\""), "SSO must not ask for the password again");
    let callback = browser.consent(&page, "allow").await.left();
    let code = param(&callback, "code").unwrap();
    let basic = (second.client.id.as_str(), second.secret.as_deref().unwrap());
    let (status, second_tokens, _) = token_request(
        &app,
        Some(basic),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://localhost:9/cb"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, 200, "{second_tokens}");
    let first_claims = jwt_claims(first_tokens["id_token"].as_str().unwrap());
    let second_claims = jwt_claims(second_tokens["id_token"].as_str().unwrap());
    assert_ne!(first_claims["sub"], second_claims["sub"], "pairwise subjects differ between sectors");
    assert_eq!(first_claims["sid"], second_claims["sid"], "one SSO session");
    assert_eq!(first_claims["auth_time"], second_claims["auth_time"]);

    // Consent is remembered: the second system now signs in silently.
    let silent = AuthRequest::new(&second.client.id)
        .with("redirect_uri", "http://localhost:9/cb")
        .with("prompt", "none")
        .url(&app);
    assert!(param(&browser.open(&silent).await.left(), "code").is_some());
    app.stop().await;
}

#[tokio::test]
async fn clients_may_choose_es256_or_eddsa_and_public_subjects() {
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    for alg in [SigningAlg::Es256, SigningAlg::EdDsa] {
        let registered = app
            .client(ClientRegistration {
                name: format!("system {alg:?}"),
                redirect_uris: vec![RP.into()],
                id_token_alg: Some(alg),
                subject_type: Some(SubjectType::Public),
                ..ClientRegistration::default()
            })
            .await;
        let client = discover(&app, &registered.client.id, registered.secret.as_deref()).await;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, _, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge)
            .url();
        let browser = app.browser();
        let callback = browser.authorize(url.as_str()).await;
        let tokens = client
            .exchange_code(AuthorizationCode::new(param(&callback, "code").unwrap()))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http())
            .await
            .unwrap();
        let id_token = tokens.id_token().unwrap();
        let expected = match alg {
            SigningAlg::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            _ => CoreJwsSigningAlgorithm::EdDsa,
        };
        let verifier = client.id_token_verifier().set_allowed_algs(vec![expected.clone()]);
        let claims = id_token.claims(&verifier, &nonce).expect("verifies with the chosen algorithm");
        assert_eq!(id_token.signing_alg().unwrap(), &expected);
        assert_eq!(claims.subject().as_str(), person.id, "public subject is the account id");
        let at_hash = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(claims.access_token_hash(), Some(&at_hash));
    }
    app.stop().await;
}

#[tokio::test]
async fn prompt_login_and_max_age_force_a_fresh_login_in_the_same_session() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let browser = app.browser();
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (code, verifier) = code_for(&app, &browser, &registered.client.id, "openid").await;
    let (_, first, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    let first = jwt_claims(first["id_token"].as_str().unwrap());

    app.clock.advance_secs(5);
    let url = AuthRequest::new(&registered.client.id).with("max_age", "1").url(&app);
    let (_, _, page) = browser.open(&url).await.page();
    assert!(page.contains("name=\"password\""), "max_age=1 after 5 s asks for the password again");
    let callback = browser.sign_in(&page, PHONE, crate::helpers::PASSWORD).await.left();
    let (_, second, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &param(&callback, "code").unwrap()), ("redirect_uri", RP)],
    )
    .await;
    let second = jwt_claims(second["id_token"].as_str().unwrap());
    assert!(second["auth_time"].as_i64() > first["auth_time"].as_i64());
    assert_eq!(second["sid"], first["sid"], "re-authentication keeps the session id relying parties know");
    assert_eq!(second["sub"], first["sub"]);

    let url = AuthRequest::new(&registered.client.id).with("prompt", "login").url(&app);
    let (_, _, page) = browser.open(&url).await.page();
    assert!(page.contains("name=\"password\""), "prompt=login asks for the password again");
    app.stop().await;
}

#[tokio::test]
async fn the_claims_parameter_releases_only_what_the_client_may_have() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let browser = app.browser();
    let (verifier, challenge) = pkce();
    let claims = r#"{"userinfo":{"name":{"essential":true},"id_number":null},"id_token":{"birthdate":null}}"#;
    let url = AuthRequest::new(&registered.client.id)
        .with("claims", claims)
        .with("code_challenge", &challenge)
        .with("code_challenge_method", "S256")
        .url(&app);
    let callback = browser.authorize(&url).await;
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
    assert_eq!(jwt_claims(tokens["id_token"].as_str().unwrap())["birthdate"], "1949-12-31");
    let info: serde_json::Value = crate::rp::userinfo(&app, &tokens).await;
    assert_eq!(info["name"], "张三");
    assert!(info.get("id_number").is_none(), "identity claims need the identity scope, which this client lacks");
    assert!(info.get("phone_number").is_none(), "phone was not requested");
    app.stop().await;
}

#[tokio::test]
async fn the_identity_scope_releases_the_id_number_to_approved_clients_only() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let approved = app
        .client(ClientRegistration {
            name: "不动产登记".into(),
            redirect_uris: vec![RP.into()],
            scopes: Some(yimen::oidc::scope::ScopeSet::parse("openid identity").unwrap()),
            ..ClientRegistration::default()
        })
        .await;
    let browser = app.browser();
    let (code, verifier) = code_for(&app, &browser, &approved.client.id, "openid identity").await;
    let basic = (approved.client.id.as_str(), approved.secret.as_deref().unwrap());
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    assert_eq!(tokens["scope"], "identity openid");
    let info: serde_json::Value = crate::rp::userinfo(&app, &tokens).await;
    assert_eq!(info["id_number"], "11010519491231002X");
    assert_eq!(info["id_type"], "resident_id");

    let ordinary = app.confidential_client().await;
    let (code, verifier) = code_for(&app, &browser, &ordinary.client.id, "openid identity").await;
    let basic = (ordinary.client.id.as_str(), ordinary.secret.as_deref().unwrap());
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    assert_eq!(tokens["scope"], "openid", "an unapproved scope is dropped, not granted");
    app.stop().await;
}

#[tokio::test]
async fn max_age_zero_always_asks_for_a_new_login() {
    use openidconnect::core::CoreAuthenticationFlow;
    use openidconnect::{CsrfToken, Nonce};
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let client = discover(&app, &registered.client.id, registered.secret.as_deref()).await;
    let browser = app.browser();
    let (first, _, _) =
        client.authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random).url();
    browser.authorize(first.as_str()).await;
    for prompt_none in [false, true] {
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_max_age(std::time::Duration::from_secs(0));
        if prompt_none {
            request = request.add_prompt(openidconnect::core::CoreAuthPrompt::None);
        }
        let (url, _, _) = request.url();
        match browser.open(url.as_str()).await {
            crate::helpers::Step::Page { url, html, .. } => {
                assert!(!prompt_none, "prompt=none answers at the client");
                assert!(url.contains("/login") && html.contains("name=\"password\""), "a new login: {url}");
            }
            crate::helpers::Step::Left(callback) => {
                assert!(prompt_none, "a login of this very second is not fresh enough for max_age=0: {callback}");
                assert_eq!(param(&callback, "error").as_deref(), Some("login_required"));
            }
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_claims_request_naming_a_subject_is_answered_only_for_that_subject() {
    use openidconnect::core::CoreAuthenticationFlow;
    use openidconnect::{AuthorizationCode, CsrfToken, Nonce, PkceCodeChallenge, TokenResponse};
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let client = discover(&app, &registered.client.id, registered.secret.as_deref()).await;
    let browser = app.browser();
    let sign_in = |claims: Option<String>| {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge);
        if let Some(claims) = claims {
            request = request.add_extra_param("claims", claims);
        }
        let (url, _, nonce) = request.url();
        (url, nonce, verifier)
    };
    let (url, nonce, verifier) = sign_in(None);
    let callback = browser.authorize(url.as_str()).await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(param(&callback, "code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http())
        .await
        .unwrap();
    let subject = tokens.id_token().unwrap().claims(&client.id_token_verifier(), &nonce).unwrap().subject().to_string();

    let named = |sub: &str| Some(format!(r#"{{"id_token":{{"sub":{{"value":"{sub}"}}}}}}"#));
    let (url, _, _) = sign_in(named(&subject));
    assert!(param(&browser.open(url.as_str()).await.left(), "code").is_some(), "the same subject: answered at once");
    let (url, _, _) = sign_in(named("somebody-else"));
    match browser.open(url.as_str()).await {
        crate::helpers::Step::Page { url, html, .. } => {
            assert!(
                url.contains("/login") && html.contains("name=\"password\""),
                "another subject signs in again: {url}"
            );
            let callback = browser.sign_in(&html, PHONE, crate::helpers::PASSWORD).await.left();
            assert_eq!(
                param(&callback, "error").as_deref(),
                Some("login_required"),
                "never an answer for someone else"
            );
            assert!(param(&callback, "code").is_none());
        }
        crate::helpers::Step::Left(callback) => panic!("answered for another subject: {callback}"),
    }
    app.stop().await;
}
