//! Faults of the stores behind a running server, made real: the server talks to the test Redis through
//! a TCP proxy that the test can cut, as a network partition or a Redis that stops answering would.
//! These need Redis and are ignored in the SQLite run; `scripts/test.sh` runs them when
//! YIMEN_TEST_REDIS_URL is set.

use crate::helpers::TestApp;
use crate::rp::{code_for, redeem_code, token_request};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const NEEDS_REDIS: &str = "needs Redis: set YIMEN_TEST_REDIS_URL (scripts/test.sh runs these on PostgreSQL + Redis)";

fn redis_url() -> url::Url {
    let url = std::env::var("YIMEN_TEST_REDIS_URL").ok().filter(|u| !u.is_empty()).expect(NEEDS_REDIS);
    url::Url::parse(&url).expect("YIMEN_TEST_REDIS_URL is a URL")
}

/// A TCP proxy to the test Redis. Cut, it drops every open connection and accepts new ones without ever
/// answering them (the failure that takes longest to notice); restored, it forwards again.
pub struct RedisLine {
    pub url: String,
    state: Arc<Mutex<LineState>>,
    _accepting: JoinHandle<()>,
}

#[derive(Default)]
struct LineState {
    cut: bool,
    forwarding: Vec<JoinHandle<()>>,
    held: Vec<TcpStream>,
}

impl RedisLine {
    pub async fn open() -> Self {
        let upstream = redis_url();
        let target = format!("{}:{}", upstream.host_str().unwrap_or("127.0.0.1"), upstream.port().unwrap_or(6379));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut url = upstream.clone();
        url.set_host(Some("127.0.0.1")).unwrap();
        url.set_port(Some(listener.local_addr().unwrap().port())).unwrap();
        let state = Arc::new(Mutex::new(LineState::default()));
        let shared = state.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut state = shared.lock().unwrap();
                if state.cut {
                    state.held.push(inbound);
                    continue;
                }
                let target = target.clone();
                state.forwarding.push(tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                }));
            }
        });
        Self { url: url.to_string(), state, _accepting: accepting }
    }

    /// A server whose Redis is reached through this line.
    async fn server(&self) -> TestApp {
        TestApp::spawn_with(|config| config.redis_url = Some(yimen::secret::ConnectionUrl::new(self.url.clone()))).await
    }

    pub fn cut(&self) {
        let mut state = self.state.lock().unwrap();
        state.cut = true;
        for task in state.forwarding.drain(..) {
            task.abort();
        }
    }

    pub fn restore(&self) {
        let mut state = self.state.lock().unwrap();
        state.cut = false;
        state.held.clear();
    }
}

/// A client that gives up after five seconds: a server that has not answered by then is hanging.
fn impatient() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap()
}

/// Polls /readyz after Redis came back; fails if it is not 200 within ten seconds.
async fn ready_again_within_ten_seconds(app: &TestApp) {
    let restored = Instant::now();
    loop {
        let status = impatient().get(app.url("/readyz")).send().await.unwrap().status();
        if status == 200 {
            return;
        }
        assert!(restored.elapsed() < Duration::from_secs(10), "still {status} ten seconds after Redis came back");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn metric(app: &TestApp, name: &str) -> f64 {
    let text = impatient().get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    text.lines()
        .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
        .unwrap_or_else(|| panic!("/metrics has no {name}"))
}

#[tokio::test]
#[ignore = "needs Redis: set YIMEN_TEST_REDIS_URL (scripts/test.sh runs it on PostgreSQL + Redis)"]
async fn while_redis_is_cut_off_every_request_is_answered_at_once_with_503_and_service_returns_by_itself() {
    let line = RedisLine::open().await;
    let app = line.server().await;
    app.citizen().await;
    let client = app.confidential_client().await;
    let secret = client.secret.clone().unwrap();
    let http = impatient();
    assert_eq!(http.get(app.url("/readyz")).send().await.unwrap().status(), 200);

    line.cut();
    let ready = http.get(app.url("/readyz")).send().await.expect("/readyz answers while Redis is away");
    assert_eq!(ready.status(), 503);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["ephemeral"], "unreachable");
    assert_eq!(body["database"], "ok");

    let page = http.get(app.url("/login")).send().await.expect("a page answers while Redis is away");
    assert_eq!(page.status(), 503, "a page that needs the session store says the service is unavailable");
    assert!(page.headers().contains_key("retry-after"), "and when to try again");
    let text = page.text().await.unwrap();
    assert!(text.contains("暂时无法提供服务"), "a readable page: {text}");

    let (status, body, headers) =
        token_request(&app, Some((&client.client.id, &secret)), &[("grant_type", "authorization_code"), ("code", "x")])
            .await;
    assert_eq!(status, 503, "the token endpoint: {body}");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(headers.contains_key("retry-after"));
    assert!(metric(&app, "yimen_ephemeral_failures_total").await >= 1.0, "the failures are counted");
    assert_eq!(metric(&app, "yimen_ephemeral_available").await, 0.0, "and the store is shown as away");

    line.restore();
    ready_again_within_ten_seconds(&app).await;
    assert_eq!(metric(&app, "yimen_ephemeral_available").await, 1.0);

    // And a whole sign-in goes through again.
    let browser = app.browser();
    let (code, verifier) = code_for(&app, &browser, &client.client.id, "openid").await;
    let (status, body, _) = redeem_code(&app, (&client.client.id, &secret), &code, &verifier).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
#[ignore = "needs Redis: set YIMEN_TEST_REDIS_URL (scripts/test.sh runs it on PostgreSQL + Redis)"]
async fn two_instances_serve_one_login_between_them_and_both_return_after_redis_is_cut_off() {
    let line = RedisLine::open().await;
    let a = line.server().await;
    let b = a.another_instance().await;
    a.citizen().await;
    let client = a.confidential_client().await;
    let (id, secret) = (client.client.id.clone(), client.secret.clone().unwrap());
    let basic = Some((id.as_str(), secret.as_str()));
    let redeem =
        async |app: &TestApp, code: &str, verifier: &str| redeem_code(app, (&id, &secret), code, verifier).await;

    // A code from instance a is redeemed at b; b's tokens work at a; a refresh at a is retried at b.
    let (code, verifier) = code_for(&a, &a.browser(), &id, "openid offline_access").await;
    let (status, tokens, _) = redeem(&b, &code, &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(crate::rp::userinfo_status(&a, access).await, 200);
    let refresh = [("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"].as_str().unwrap())];
    let (status, _, _) = token_request(&a, basic, &refresh).await;
    assert_eq!(status, 200);
    let (status, retried, _) = token_request(&b, basic, &refresh).await;
    assert_eq!(status, 200, "a retry at the other instance, its answer from a lost: {retried}");
    // Revoked at a, the token is dead at b.
    let revoked_access = retried["access_token"].as_str().unwrap();
    let (status, _, _) = crate::rp::post_form(&a, "/revoke", basic, &[("token", revoked_access)]).await;
    assert_eq!(status, 200);
    assert_eq!(crate::rp::userinfo_status(&b, revoked_access).await, 401);

    // Redis goes away: both instances say so at once; it comes back: both return by themselves.
    line.cut();
    let http = impatient();
    for app in [&a, &b] {
        let ready = http.get(app.url("/readyz")).send().await.expect("/readyz answers while Redis is away");
        assert_eq!(ready.status(), 503);
    }
    line.restore();
    for app in [&a, &b] {
        ready_again_within_ten_seconds(app).await;
    }
    let (code, verifier) = code_for(&b, &b.browser(), &id, "openid").await;
    let (status, body, _) = redeem(&a, &code, &verifier).await;
    assert_eq!(status, 200, "a whole sign-in across both instances after the outage: {body}");
}
