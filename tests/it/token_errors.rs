//! The token endpoint's refusals: wrong verifier, code reuse, refresh reuse, bad client credentials,
//! expired codes and malformed requests, each with its RFC error code and no-store caching.

use crate::helpers::{RP, TestApp};
use crate::rp::{code_for, http, redeem_code, token_request, userinfo_status};

#[tokio::test]
async fn a_wrong_or_missing_verifier_is_invalid_grant() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let browser = app.browser();
    let (code, _) = code_for(&app, &browser, &registered.client.id, "openid").await;
    let wrong = "x".repeat(43);
    let (status, body, headers) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &wrong)],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert!(body["error_description"].as_str().unwrap().contains("code_verifier"));
    assert_eq!(headers["cache-control"], "no-store");
    let (code, _) = code_for(&app, &browser, &registered.client.id, "openid").await;
    let (status, body, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP)],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    app.stop().await;
}

#[tokio::test]
async fn a_reused_code_is_refused_and_revokes_what_it_issued() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (code, verifier) = code_for(&app, &app.browser(), &registered.client.id, "openid offline_access").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, first, _) = token_request(&app, Some(basic), &form).await;
    assert_eq!(status, 200);
    let access_token = first["access_token"].as_str().unwrap();
    assert_eq!(userinfo_status(&app, access_token).await, 200);

    let (status, second, _) = token_request(&app, Some(basic), &form).await;
    assert_eq!((status, second["error"].as_str()), (400, Some("invalid_grant")));
    assert!(second["error_description"].as_str().unwrap().contains("already used"));
    assert_eq!(userinfo_status(&app, access_token).await, 401, "the access token from the first redemption is revoked");
    let (status, refreshed, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "refresh_token"), ("refresh_token", first["refresh_token"].as_str().unwrap())],
    )
    .await;
    assert_eq!((status, refreshed["error"].as_str()), (400, Some("invalid_grant")), "and so is its refresh token");
    app.stop().await;
}

#[tokio::test]
async fn a_code_redeemed_twice_at_once_revokes_what_the_winner_got() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let browser = app.browser();
    for trial in 0..12 {
        let (code, verifier) = code_for(&app, &browser, &registered.client.id, "openid offline_access").await;
        let (first, second) =
            tokio::join!(redeem_code(&app, basic, &code, &verifier), redeem_code(&app, basic, &code, &verifier));
        for (status, body) in [&first, &second].map(|(status, body, _)| (status, body)) {
            if *status != 200 {
                assert_eq!(*status, 400, "trial {trial}: {body}");
                assert!(
                    body["error_description"].as_str().unwrap().contains("already used"),
                    "trial {trial}: a refused redemption says the code was used, not that it is unknown: {body}"
                );
            }
        }
        assert!(first.0 != 200 || second.0 != 200, "trial {trial}: both redemptions got tokens");
        // Either one redemption got tokens, which are dead, or the replay was seen before the first one
        // had finished, and neither got any.
        let Some(won) = [first, second].into_iter().find(|(status, _, _)| *status == 200).map(|(_, body, _)| body)
        else {
            continue;
        };
        let access_token = won["access_token"].as_str().unwrap();
        assert_eq!(
            userinfo_status(&app, access_token).await,
            401,
            "trial {trial}: the winner's access token is revoked"
        );
        let refresh = [("grant_type", "refresh_token"), ("refresh_token", won["refresh_token"].as_str().unwrap())];
        let (status, body, _) = token_request(&app, Some(basic), &refresh).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "trial {trial}: and its refresh token"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (code, verifier) = code_for(&app, &app.browser(), &registered.client.id, "openid").await;
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    let original = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, rotated, headers) =
        token_request(&app, Some(basic), &[("grant_type", "refresh_token"), ("refresh_token", &original)]).await;
    assert_eq!(status, 200, "{rotated}");
    assert_eq!(headers["cache-control"], "no-store");
    let successor = rotated["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(successor, original);

    // Past the grace for a retry, a used token is a stolen one.
    app.clock.advance_secs(yimen::oidc::grant::RETRY_GRACE_SECS + 1);
    let (status, reuse, _) =
        token_request(&app, Some(basic), &[("grant_type", "refresh_token"), ("refresh_token", &original)]).await;
    assert_eq!((status, reuse["error"].as_str()), (400, Some("invalid_grant")));
    let (status, after, _) =
        token_request(&app, Some(basic), &[("grant_type", "refresh_token"), ("refresh_token", &successor)]).await;
    assert_eq!((status, after["error"].as_str()), (400, Some("invalid_grant")), "the successor dies with the family");
    let userinfo =
        http().get(app.url("/userinfo")).bearer_auth(rotated["access_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(userinfo.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn a_refresh_retried_after_its_answer_was_lost_is_answered_but_not_once_the_answer_was_used() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (code, verifier) = code_for(&app, &app.browser(), &registered.client.id, "openid").await;
    let (_, tokens, _) = redeem_code(&app, basic, &code, &verifier).await;
    let refresh = |token: String| {
        let app = &app;
        async move { token_request(app, Some(basic), &[("grant_type", "refresh_token"), ("refresh_token", &token)]).await }
    };
    let original = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, lost, _) = refresh(original.clone()).await;
    assert_eq!(status, 200, "{lost}");

    // The answer never arrived (a killed instance, a cut connection): the client retries the same token.
    app.clock.advance_secs(10);
    let (status, retried, _) = refresh(original.clone()).await;
    assert_eq!(status, 200, "a retry within the grace is answered: {retried}");
    let current = retried["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(current, lost["refresh_token"].as_str().unwrap(), "with a new pair");
    assert_eq!(userinfo_status(&app, retried["access_token"].as_str().unwrap()).await, 200, "which works");

    // The client goes on with what it received; then the first token comes back (a thief, or a bug):
    // its successor has been used, so this is reuse, and the whole grant ends.
    let (status, next, _) = refresh(current).await;
    assert_eq!(status, 200, "{next}");
    let (status, reuse, _) = refresh(original).await;
    assert_eq!((status, reuse["error"].as_str()), (400, Some("invalid_grant")), "{reuse}");
    assert!(reuse["error_description"].as_str().unwrap().contains("already used"));
    let (status, _, _) = refresh(next["refresh_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(status, 400, "the family is revoked");
    assert_eq!(userinfo_status(&app, next["access_token"].as_str().unwrap()).await, 401);
    app.stop().await;
}

#[tokio::test]
async fn refresh_tokens_are_bound_to_their_client() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let owner = app.confidential_client().await;
    let other = app.confidential_client().await;
    let (code, verifier) = code_for(&app, &app.browser(), &owner.client.id, "openid").await;
    let owner_basic = (owner.client.id.as_str(), owner.secret.as_deref().unwrap());
    let (_, tokens, _) = token_request(
        &app,
        Some(owner_basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let other_basic = (other.client.id.as_str(), other.secret.as_deref().unwrap());
    let (status, body, _) =
        token_request(&app, Some(other_basic), &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let (status, _, _) =
        token_request(&app, Some(owner_basic), &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!(status, 200, "the attempt by another client does not burn the owner's token");
    app.stop().await;
}

#[tokio::test]
async fn bad_client_credentials_are_invalid_client() {
    let app = TestApp::spawn().await;
    let registered = app.confidential_client().await;
    let id = registered.client.id.as_str();
    let form = [("grant_type", "client_credentials")];
    let (status, body, headers) = token_request(&app, Some((id, "not-the-secret")), &form).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_eq!(headers["cache-control"], "no-store");
    let (status, body, _) = token_request(
        &app,
        None,
        &[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", "nope")],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let (status, body, _) = token_request(&app, Some(("ym-unknown", "x")), &form).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
    let (status, body, _) = token_request(&app, None, &[("grant_type", "client_credentials"), ("client_id", id)]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "a confidential client must authenticate"
    );
    let secret = registered.secret.as_deref().unwrap();
    let (status, body, _) = token_request(
        &app,
        Some((id, secret)),
        &[("grant_type", "client_credentials"), ("client_id", id), ("client_secret", secret)],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "two authentication methods at once");
    app.stop().await;
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (code, verifier) = code_for(&app, &app.browser(), &registered.client.id, "openid").await;
    app.clock.advance_secs(61);
    let (status, body, _) = token_request(
        &app,
        Some(basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    app.stop().await;
}

#[tokio::test]
async fn a_code_is_bound_to_its_redirect_uri_and_client() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let other = app.confidential_client().await;
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let browser = app.browser();
    let (code, verifier) = code_for(&app, &browser, &registered.client.id, "openid").await;
    let (status, body, _) = token_request(
        &app,
        Some(basic),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:9/other"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let (code, verifier) = code_for(&app, &browser, &registered.client.id, "openid").await;
    let other_basic = (other.client.id.as_str(), other.secret.as_deref().unwrap());
    let (status, body, _) = token_request(
        &app,
        Some(other_basic),
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", RP), ("code_verifier", &verifier)],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    app.stop().await;
}

#[tokio::test]
async fn malformed_token_requests_get_their_rfc_codes() {
    let app = TestApp::spawn().await;
    let registered = app.confidential_client().await;
    let basic = Some((registered.client.id.as_str(), registered.secret.as_deref().unwrap()));
    let (status, body, _) = token_request(&app, basic, &[("code", "x")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")));
    let (status, body, _) = token_request(&app, basic, &[("grant_type", "password"), ("username", "a")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
    let (status, body, _) =
        token_request(&app, basic, &[("grant_type", "authorization_code"), ("grant_type", "refresh_token")]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "repeated parameter");
    let (status, body, _) =
        token_request(&app, basic, &[("grant_type", "authorization_code"), ("redirect_uri", RP)]).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_request")), "no code");
    let (status, body, _) =
        token_request(&app, basic, &[("grant_type", "authorization_code"), ("code", "forged"), ("redirect_uri", RP)])
            .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let (status, body, _) = token_request(&app, basic, &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unauthorized_client")),
        "not registered for client_credentials"
    );
    let json = http()
        .post(app.url("/token"))
        .basic_auth(&registered.client.id, registered.secret.as_deref())
        .json(&serde_json::json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json.status(), 400);
    let body: serde_json::Value = json.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    app.stop().await;
}
