//! Two instances of one deployment, sharing PostgreSQL (or the SQLite file) and Redis, as replicas
//! behind a load balancer: what one instance changes, the other acts on within a second. These need
//! Redis and are ignored in the SQLite run; `scripts/test.sh` runs them when YIMEN_TEST_REDIS_URL is set.

use crate::helpers::TestApp;
use crate::rp::{code_for, http, redeem_code, token_request};
use std::time::{Duration, Instant};

/// Polls `check` until it holds, for at most `within`; true when it did.
async fn holds_within(within: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let started = Instant::now();
    loop {
        if check().await {
            return true;
        }
        if started.elapsed() > within {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn userinfo(app: &TestApp, token: &str) -> u16 {
    http().get(app.url("/userinfo")).bearer_auth(token).send().await.unwrap().status().as_u16()
}

async fn introspect(app: &TestApp, basic: (&str, &str), token: &str) -> bool {
    let (status, body, _) = crate::rp::post_form(app, "/introspect", Some(basic), &[("token", token)]).await;
    assert_eq!(status, 200, "{body}");
    body["active"] == true
}

/// Two instances of one deployment (this needs Redis: in-process state is not shared).
async fn two_instances() -> (TestApp, TestApp) {
    assert!(std::env::var("YIMEN_TEST_REDIS_URL").is_ok_and(|u| !u.is_empty()), "needs YIMEN_TEST_REDIS_URL");
    let a = TestApp::spawn().await;
    let b = a.another_instance().await;
    (a, b)
}

/// Tokens for the citizen through instance `app`: (access token, refresh token).
async fn tokens(app: &TestApp, client_id: &str, secret: &str) -> (String, String) {
    let (code, verifier) = code_for(app, &app.browser(), client_id, "openid offline_access").await;
    let (status, body, _) = redeem_code(app, (client_id, secret), &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
    (body["access_token"].as_str().unwrap().to_owned(), body["refresh_token"].as_str().unwrap().to_owned())
}

#[tokio::test]
#[ignore = "needs Redis: set YIMEN_TEST_REDIS_URL (scripts/test.sh runs it on PostgreSQL + Redis)"]
async fn a_client_disabled_on_one_instance_stops_working_on_the_other_at_once_and_stays_dead_when_enabled_again() {
    let (a, b) = two_instances().await;
    a.citizen().await;
    let client = a.confidential_client().await;
    let (id, secret) = (client.client.id.clone(), client.secret.clone().unwrap());
    let (access, refresh) = tokens(&a, &id, &secret).await;
    // Instance b has the client and the account in its caches.
    assert_eq!(userinfo(&b, &access).await, 200);
    assert!(introspect(&b, (&id, &secret), &access).await);

    a.provider.set_client_enabled(&id, false).await.unwrap();
    assert!(
        holds_within(Duration::from_secs(1), async || userinfo(&b, &access).await == 401).await,
        "the other instance still serves the disabled client's token a second later"
    );
    let (status, body, _) = token_request(&b, Some((&id, &secret)), &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, 401, "nor does it authenticate the client: {body}");

    // Enabled again, the client works, but what it held before stays dead on both instances.
    a.provider.set_client_enabled(&id, true).await.unwrap();
    assert!(
        holds_within(Duration::from_secs(1), async || {
            let (status, _, _) = token_request(
                &b,
                Some((&id, &secret)),
                &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
            )
            .await;
            status == 400
        })
        .await
    );
    for app in [&a, &b] {
        assert_eq!(userinfo(app, &access).await, 401, "the old access token stays dead");
        assert!(!introspect(app, (&id, &secret), &access).await);
        assert!(!introspect(app, (&id, &secret), &refresh).await, "and so does the old refresh token");
    }
    a.clock.advance_secs(1);
    let (fresh, _) = tokens(&b, &id, &secret).await;
    assert_eq!(userinfo(&a, &fresh).await, 200, "new tokens work");
}

#[tokio::test]
#[ignore = "needs Redis: set YIMEN_TEST_REDIS_URL (scripts/test.sh runs it on PostgreSQL + Redis)"]
async fn an_account_closed_on_one_instance_gets_no_tokens_and_no_active_introspection_on_the_other() {
    let (a, b) = two_instances().await;
    let person = a.citizen().await;
    let client = a.confidential_client().await;
    let (id, secret) = (client.client.id.clone(), client.secret.clone().unwrap());
    let (access, refresh) = tokens(&a, &id, &secret).await;
    assert!(introspect(&b, (&id, &secret), &access).await, "instance b knows the account");

    a.accounts.request_closure(&person, 30).await.unwrap();
    assert!(
        holds_within(Duration::from_secs(1), async || !introspect(&b, (&id, &secret), &access).await).await,
        "the other instance still calls the closing account's token active a second later"
    );
    assert_eq!(userinfo(&b, &access).await, 401);
    assert!(!introspect(&b, (&id, &secret), &refresh).await, "nor its refresh token");
    let (status, body, _) =
        token_request(&b, Some((&id, &secret)), &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(status, 400, "and issues it nothing: {body}");
}
