//! Two instances of one deployment, sharing PostgreSQL (or the SQLite file) and Redis, as replicas
//! behind a load balancer: what one instance changes, the other acts on within a second. These need
//! Redis and are ignored in the SQLite run; `scripts/test.sh` runs them when YIMEN_TEST_REDIS_URL is set.

use crate::helpers::TestApp;
use crate::rp::{AuthRequest, code_for, redeem_code, token_request, userinfo_status};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
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
    assert_eq!(userinfo_status(&b, &access).await, 200);
    assert!(introspect(&b, (&id, &secret), &access).await);

    a.provider.set_client_enabled(&id, false).await.unwrap();
    assert!(
        holds_within(Duration::from_secs(1), async || userinfo_status(&b, &access).await == 401).await,
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
        assert_eq!(userinfo_status(app, &access).await, 401, "the old access token stays dead");
        assert!(!introspect(app, (&id, &secret), &access).await);
        assert!(!introspect(app, (&id, &secret), &refresh).await, "and so does the old refresh token");
    }
    a.clock.advance_secs(1);
    let (fresh, _) = tokens(&b, &id, &secret).await;
    assert_eq!(userinfo_status(&a, &fresh).await, 200, "new tokens work");
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
    assert_eq!(userinfo_status(&b, &access).await, 401);
    assert!(!introspect(&b, (&id, &secret), &refresh).await, "nor its refresh token");
    let (status, body, _) =
        token_request(&b, Some((&id, &secret)), &[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    assert_eq!(status, 400, "and issues it nothing: {body}");
}

/// A load balancer in front of the instances, as an ordinary TCP balancer works: each new connection goes
/// to the next instance in turn. Bound first, since the instances' issuer is its address.
struct RoundRobin {
    url: String,
    listener: std::sync::Mutex<Option<tokio::net::TcpListener>>,
    served: Arc<[AtomicUsize; 2]>,
}

impl RoundRobin {
    async fn bind() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        Self { url, listener: std::sync::Mutex::new(Some(listener)), served: Arc::default() }
    }

    fn start(&self, instances: [SocketAddr; 2]) {
        let listener = self.listener.lock().unwrap().take().expect("started once");
        let served = self.served.clone();
        tokio::spawn(async move {
            let mut next = 0;
            while let Ok((mut inbound, _)) = listener.accept().await {
                let (target, turn) = (instances[next], next);
                next = (next + 1) % instances.len();
                served[turn].fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
    }

    fn served(&self) -> [usize; 2] {
        [self.served[0].load(Ordering::Relaxed), self.served[1].load(Ordering::Relaxed)]
    }
}

async fn ready_again_within_ten_seconds(instance: SocketAddr) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    let ready = holds_within(Duration::from_secs(10), async || {
        client.get(format!("http://{instance}/readyz")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert!(ready, "{instance} is not ready ten seconds after Redis came back");
}

#[tokio::test]
#[ignore = "needs Redis: set YIMEN_TEST_REDIS_URL (scripts/test.sh runs it on PostgreSQL + Redis)"]
async fn behind_a_round_robin_balancer_a_citizen_signs_in_refreshes_outlasts_a_redis_outage_and_logs_out() {
    let line = crate::faults::RedisLine::open().await;
    let balancer = RoundRobin::bind().await;
    let a = TestApp::spawn_with(|config| {
        config.redis_url = Some(yimen::secret::ConnectionUrl::new(line.url.clone()));
        config.issuer = Some(balancer.url.parse().unwrap());
    })
    .await;
    let b = a.another_instance().await;
    balancer.start([a.address(), b.address()]);
    assert_eq!(a.base, balancer.url, "the helpers speak to the balancer");
    a.citizen().await;
    let client = a.confidential_client().await;
    let basic = (client.client.id.as_str(), client.secret.as_deref().unwrap());
    let browser = crate::helpers::Browser::without_keep_alive(&a.base);

    // Authorize, sign in, consent, code and token, each request on the next instance.
    let (code, verifier) = code_for(&a, &browser, &client.client.id, "openid profile").await;
    let (status, tokens, _) = redeem_code(&a, basic, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let field = |tokens: &serde_json::Value, name: &str| tokens[name].as_str().unwrap().to_owned();
    let id_token = field(&tokens, "id_token");
    for _ in 0..4 {
        assert_eq!(userinfo_status(&a, &field(&tokens, "access_token")).await, 200, "either instance serves the token");
    }
    let refresh = |refresh_token: String| {
        let a = &a;
        async move {
            token_request(a, Some(basic), &[("grant_type", "refresh_token"), ("refresh_token", &refresh_token)]).await
        }
    };
    let (status, tokens, _) = refresh(field(&tokens, "refresh_token")).await;
    assert_eq!(status, 200, "{tokens}");

    // Redis goes away for three seconds: both instances come back by themselves, and nothing was lost.
    line.cut();
    tokio::time::sleep(Duration::from_secs(3)).await;
    line.restore();
    ready_again_within_ten_seconds(a.address()).await;
    ready_again_within_ten_seconds(b.address()).await;
    let (status, tokens, _) = refresh(field(&tokens, "refresh_token")).await;
    assert_eq!(status, 200, "the refresh token survived the outage: {tokens}");
    for _ in 0..2 {
        assert_eq!(userinfo_status(&a, &field(&tokens, "access_token")).await, 200);
    }

    // Logging out on whichever instance ends the session on both.
    let logout = format!("{}/logout?id_token_hint={id_token}", a.base);
    let (status, _, page) = browser.open(&logout).await.page();
    assert_eq!(status, 200);
    assert!(page.contains("您已退出"), "{page}");
    let (status, answer, _) = refresh(field(&tokens, "refresh_token")).await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("invalid_grant")), "the session's refresh token ended");
    for _ in 0..2 {
        assert_eq!(
            userinfo_status(&a, &field(&tokens, "access_token")).await,
            401,
            "so did its access token, everywhere"
        );
    }
    let silent = AuthRequest::new(&client.client.id).with("prompt", "none").url(&a);
    for _ in 0..2 {
        let callback = browser.open(&silent).await.left();
        assert_eq!(crate::helpers::param(&callback, "error").as_deref(), Some("login_required"));
    }

    // A client disabled on one instance is refused through the balancer at once.
    a.provider.set_client_enabled(&client.client.id, false).await.unwrap();
    let refused = holds_within(Duration::from_secs(1), async || {
        let mut statuses = Vec::new();
        for _ in 0..2 {
            statuses.push(crate::rp::post_form(&a, "/introspect", Some(basic), &[("token", "x")]).await.0);
        }
        statuses == [401, 401]
    })
    .await;
    assert!(refused, "an instance still authenticates the disabled client");
    let [to_a, to_b] = balancer.served();
    assert!(to_a >= 8 && to_b >= 8, "the balancer alternated: {to_a} connections to one, {to_b} to the other");
    b.stop().await;
    a.stop().await;
}
