//! Client credentials, private_key_jwt, introspection, revocation and the ways to present a token to
//! UserInfo.

use crate::helpers::{RP, TestApp};
use crate::rp::{code_for, http, post_form, token_request, userinfo_status};
use yimen::keys::{SigningAlg, generate_key};
use yimen::oidc::client::{AuthMethod, ClientRegistration, GrantType};

async fn machine_client(app: &TestApp) -> (String, String) {
    let registered = app
        .client(ClientRegistration {
            name: "数据共享平台".into(),
            grant_types: vec![GrantType::ClientCredentials],
            ..ClientRegistration::default()
        })
        .await;
    (registered.client.id, registered.secret.unwrap())
}

#[tokio::test]
async fn client_credentials_issue_a_token_for_the_client_itself() {
    let app = TestApp::spawn().await;
    let (id, secret) = machine_client(&app).await;
    let (status, body, headers) =
        token_request(&app, Some((&id, &secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
    assert_eq!(headers["cache-control"], "no-store");
    let token = body["access_token"].as_str().unwrap();
    assert!(token.len() >= 43, "256-bit tokens");
    let (_, introspected, _) = post_form(&app, "/introspect", Some((&id, &secret)), &[("token", token)]).await;
    assert_eq!(introspected["active"], true);
    assert_eq!(introspected["sub"], id);
    let userinfo = http().get(app.url("/userinfo")).bearer_auth(token).send().await.unwrap();
    assert_eq!(userinfo.status(), 403, "no person behind a client-credentials token");
    assert!(userinfo.headers()["www-authenticate"].to_str().unwrap().contains("insufficient_scope"));
    let (status, body, _) =
        token_request(&app, Some((&id, &secret)), &[("grant_type", "client_credentials"), ("scope", "openid")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_scope")));
    // The client is registered for client_secret_basic: the same secret in the body is refused.
    let (status, body, _) = token_request(
        &app,
        None,
        &[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret)],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn a_client_authenticates_only_by_the_method_it_registered() {
    use openidconnect::{AuthType, AuthorizationCode, OAuth2TokenResponse, PkceCodeVerifier};
    let app = TestApp::spawn().await;
    app.citizen().await;
    let basic = app.confidential_client().await;
    let post = app
        .client(ClientRegistration {
            name: "表单认证系统".into(),
            redirect_uris: vec![RP.into()],
            auth_method: Some(AuthMethod::ClientSecretPost),
            ..ClientRegistration::default()
        })
        .await;
    for (registered, auth_type, accepted) in [
        (&basic, AuthType::BasicAuth, true),
        (&basic, AuthType::RequestBody, false),
        (&post, AuthType::RequestBody, true),
        (&post, AuthType::BasicAuth, false),
    ] {
        let rp = crate::rp::discover(&app, &registered.client.id, registered.secret.as_deref())
            .await
            .set_auth_type(auth_type.clone());
        let (code, verifier) = code_for(&app, &app.browser(), &registered.client.id, "openid").await;
        let exchanged = rp
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(PkceCodeVerifier::new(verifier))
            .request_async(&http())
            .await;
        match (accepted, exchanged) {
            (true, Ok(tokens)) => assert!(!tokens.access_token().secret().is_empty()),
            (false, Err(openidconnect::RequestTokenError::ServerResponse(error))) => {
                assert_eq!(error.error().as_ref(), "invalid_client", "{auth_type:?}")
            }
            (accepted, other) => panic!(
                "{auth_type:?} for a {} client, accepted {accepted}: {other:?}",
                registered.client.auth_method.as_str()
            ),
        }
    }
    app.stop().await;
}

fn assertion(pem: &str, kid: &str, client_id: &str, audience: &str, jti: &str, exp: i64) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let claims = serde_json::json!({ "iss": client_id, "sub": client_id, "aud": audience, "jti": jti, "exp": exp, "iat": exp - 60 });
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()).unwrap()
}

async fn send(app: &TestApp, assertion: &str) -> (u16, serde_json::Value, reqwest::header::HeaderMap) {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
        ("client_assertion", assertion),
    ];
    token_request(app, None, &form).await
}

#[tokio::test]
async fn private_key_jwt_authenticates_once_per_jti() {
    let app = TestApp::spawn().await;
    let (pem, jwk) = generate_key(SigningAlg::Rs256, "client-key-1").unwrap();
    let registered = app
        .client(ClientRegistration {
            name: "电子证照系统".into(),
            grant_types: vec![GrantType::ClientCredentials],
            auth_method: Some(AuthMethod::PrivateKeyJwt),
            jwks: Some(serde_json::json!({ "keys": [jwk] })),
            ..ClientRegistration::default()
        })
        .await;
    assert!(registered.secret.is_none(), "no secret for a key-authenticated client");
    let id = registered.client.id.as_str();
    let exp = app.provider.now() + 120;
    let good = assertion(&pem, "client-key-1", id, &app.url("/token"), "jti-1", exp);
    let (status, body, _) = send(&app, &good).await;
    assert_eq!(status, 200, "{body}");
    let (status, body, _) = send(&app, &good).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")), "a replayed jti is refused");
    let issuer_audience = assertion(&pem, "client-key-1", id, &app.base, "jti-2", exp);
    assert_eq!(send(&app, &issuer_audience).await.0, 200, "the issuer is an acceptable audience too");
    let wrong_audience = assertion(&pem, "client-key-1", id, "https://elsewhere.example/token", "jti-3", exp);
    assert_eq!(send(&app, &wrong_audience).await.0, 401);
    let expired = assertion(&pem, "client-key-1", id, &app.url("/token"), "jti-4", app.provider.now() - 600);
    assert_eq!(send(&app, &expired).await.0, 401);
    let (other_pem, _) = generate_key(SigningAlg::Rs256, "client-key-1").unwrap();
    let forged = assertion(&other_pem, "client-key-1", id, &app.url("/token"), "jti-5", exp);
    assert_eq!(send(&app, &forged).await.0, 401, "signed by a key the client never registered");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("client-key-1".to_owned());
    #[allow(clippy::disallowed_methods)] // jsonwebtoken checks nbf against the wall clock
    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let claims = serde_json::json!({ "iss": id, "sub": id, "aud": app.url("/token"), "jti": "jti-6",
        "exp": wall + 3000, "iat": wall, "nbf": wall + 1800 });
    let early =
        jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap())
            .unwrap();
    assert_eq!(send(&app, &early).await.0, 401, "an assertion not valid for another half hour is refused");
    app.stop().await;
}

#[tokio::test]
async fn introspection_and_revocation_respect_token_ownership() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let owner = app.confidential_client().await;
    let (stranger_id, stranger_secret) = machine_client(&app).await;
    let basic = (owner.client.id.as_str(), owner.secret.as_deref().unwrap());
    let (code, verifier) = code_for(&app, &app.browser(), &owner.client.id, "openid profile").await;
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let (status, own, headers) = post_form(&app, "/introspect", Some(basic), &[("token", access)]).await;
    assert_eq!(status, 200);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(own["active"], true);
    assert_eq!(own["scope"], "openid profile");
    assert_eq!(own["client_id"], owner.client.id);
    let (_, own_refresh, _) =
        post_form(&app, "/introspect", Some(basic), &[("token", refresh), ("token_type_hint", "refresh_token")]).await;
    assert_eq!(own_refresh["active"], true);
    assert!(own_refresh.get("token_type").is_none(), "a refresh token has no token_type (RFC 7662 §2.2)");
    let (_, foreign, _) =
        post_form(&app, "/introspect", Some((&stranger_id, &stranger_secret)), &[("token", access)]).await;
    assert_eq!(foreign, serde_json::json!({ "active": false }), "another client learns nothing");
    let (status, _, _) = post_form(&app, "/introspect", None, &[("token", access)]).await;
    assert_eq!(status, 401);

    let (status, _, _) = post_form(&app, "/revoke", Some((&stranger_id, &stranger_secret)), &[("token", access)]).await;
    assert_eq!(status, 200, "RFC 7009: answered as success");
    let (_, still, _) = post_form(&app, "/introspect", Some(basic), &[("token", access)]).await;
    assert_eq!(still["active"], true, "another client cannot revoke it");
    let (status, _, _) = post_form(&app, "/revoke", Some(basic), &[("token", access)]).await;
    assert_eq!(status, 200);
    let (_, gone, _) = post_form(&app, "/introspect", Some(basic), &[("token", access)]).await;
    assert_eq!(gone["active"], false);
    let (_, refresh_alive, _) = post_form(&app, "/introspect", Some(basic), &[("token", refresh)]).await;
    assert_eq!(refresh_alive["active"], true, "revoking an access token leaves the refresh token");
    let (status, _, _) = post_form(&app, "/revoke", Some(basic), &[("token", "never-issued")]).await;
    assert_eq!(status, 200);
    app.stop().await;
}

#[tokio::test]
async fn userinfo_takes_the_token_from_the_header_or_the_body_but_not_both() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (code, verifier) = code_for(&app, &app.browser(), &registered.client.id, "openid profile").await;
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap();
    let http = http();
    let body: serde_json::Value =
        http.post(app.url("/userinfo")).form(&[("access_token", access)]).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["name"], "张三");
    let lower =
        http.get(app.url("/userinfo")).header("authorization", format!("bearer {access}")).send().await.unwrap();
    assert_eq!(lower.status(), 200, "the scheme is case-insensitive");
    let both =
        http.post(app.url("/userinfo")).bearer_auth(access).form(&[("access_token", access)]).send().await.unwrap();
    assert_eq!(both.status(), 400);
    let none = http.get(app.url("/userinfo")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert_eq!(none.headers()["www-authenticate"], "Bearer realm=\"yimen\"");
    let bad = http.get(app.url("/userinfo")).bearer_auth("forged").send().await.unwrap();
    assert_eq!(bad.status(), 401);
    assert!(bad.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    app.clock.advance_secs(901);
    let expired = http.get(app.url("/userinfo")).bearer_auth(access).send().await.unwrap();
    assert_eq!(expired.status(), 401, "access tokens expire");
    app.stop().await;
}

#[tokio::test]
async fn a_client_is_issued_no_more_tokens_a_minute_than_its_budget() {
    let app = TestApp::spawn().await;
    let limited = app
        .client(ClientRegistration {
            name: "批量查询".into(),
            grant_types: vec![GrantType::ClientCredentials],
            max_tokens_per_minute: Some(3),
            ..ClientRegistration::default()
        })
        .await;
    let other = app
        .client(ClientRegistration {
            name: "另一个系统".into(),
            grant_types: vec![GrantType::ClientCredentials],
            ..ClientRegistration::default()
        })
        .await;
    let ask = |registered: &yimen::oidc::client::Registered| {
        let (id, secret) = (registered.client.id.clone(), registered.secret.clone().unwrap());
        let app = &app;
        async move { token_request(app, Some((&id, &secret)), &[("grant_type", "client_credentials")]).await }
    };
    // The budget is per clock minute: start at the top of one, so that the four requests share it.
    use yimen::clock::Clock;
    app.clock.advance_secs(60 - app.clock.now() % 60);
    for _ in 0..3 {
        assert_eq!(ask(&limited).await.0, 200);
    }
    let (status, body, headers) = ask(&limited).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert_eq!(headers["retry-after"], "60");
    assert_eq!(ask(&other).await.0, 200, "another client keeps its own budget");
    app.clock.advance_secs(60);
    assert_eq!(ask(&limited).await.0, 200, "a new minute, a new budget");
    app.stop().await;
}

#[tokio::test]
async fn issuing_access_tokens_keeps_nothing_per_token() {
    let app = TestApp::spawn().await;
    let (id, secret) = machine_client(&app).await;
    let ask = || token_request(&app, Some((&id, &secret)), &[("grant_type", "client_credentials")]);
    let first = ask().await.1["access_token"].as_str().unwrap().to_owned();
    let before = app.ephemeral_entries().await;
    let mut tokens = Vec::new();
    for _ in 0..100 {
        tokens.push(ask().await.1["access_token"].as_str().unwrap().to_owned());
    }
    let after = app.ephemeral_entries().await;
    assert!(after < before + 10, "100 tokens took {} entries of ephemeral state", after - before);
    for token in [&first, &tokens[99]] {
        let (_, answer, _) = post_form(&app, "/introspect", Some((&id, &secret)), &[("token", token)]).await;
        assert_eq!(answer["active"], true, "each token still stands for itself");
        assert_eq!(answer["client_id"], id.as_str());
    }
    app.stop().await;
}

#[tokio::test]
async fn an_access_token_cannot_be_altered_or_read_and_survives_a_restart() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let client = app.confidential_client().await;
    let basic = (client.client.id.as_str(), client.secret.as_deref().unwrap());
    let (code, verifier) = code_for(&app, &app.browser(), &client.client.id, "openid profile").await;
    let (_, tokens, _) = crate::rp::redeem_code(&app, basic, &code, &verifier).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();

    let sealed = yimen::crypto::b64url_decode(access.split('.').next_back().unwrap()).unwrap();
    assert!(!sealed.windows(client.client.id.len()).any(|w| w == client.client.id.as_bytes()), "the content is sealed");
    let middle = access.len() / 2;
    let altered = format!(
        "{}{}{}",
        &access[..middle],
        if &access[middle..=middle] == "A" { "B" } else { "A" },
        &access[middle + 1..]
    );
    assert_eq!(userinfo_status(&app, &altered).await, 401, "an altered token is unknown");
    let (_, answer, _) = post_form(&app, "/introspect", Some(basic), &[("token", &altered)]).await;
    assert_eq!(answer, serde_json::json!({ "active": false }));
    assert_eq!(userinfo_status(&app, &access).await, 200);

    let app = app.restart().await;
    assert_eq!(userinfo_status(&app, &access).await, 200, "a restart of an embedded server keeps the token working");
    let (status, _, _) = post_form(&app, "/revoke", Some(basic), &[("token", &access)]).await;
    assert_eq!(status, 200);
    assert_eq!(userinfo_status(&app, &access).await, 401, "a revoked token is dead although it carries its own record");
    app.stop().await;
}
