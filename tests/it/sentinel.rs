//! Redis behind Sentinel, made real: a master, a replica and a sentinel started for the test (the
//! `redis-server` that serves the PostgreSQL + Redis run), the master killed, and yimen following the
//! failover by itself, as it would a managed Redis that fails over.

use crate::helpers::TestApp;
use crate::rp::{code_for, redeem_code};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` of the test's own, killed with the test.
struct RedisProcess {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RedisProcess {
    fn start(config: impl FnOnce(u16) -> String, sentinel: bool) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("redis.conf");
        let common = format!("port {port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir {}\n", dir.path().display());
        std::fs::write(&file, common + &config(port)).unwrap();
        let mut command = Command::new("redis-server");
        command.arg(&file);
        if sentinel {
            command.arg("--sentinel");
        }
        let child = command.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("redis-server runs");
        Self { child, port, _dir: dir }
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    async fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> Option<T> {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", self.port)).ok()?;
        let mut connection = client.get_multiplexed_async_connection().await.ok()?;
        command.query_async(&mut connection).await.ok()
    }
}

async fn within(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn role(node: &RedisProcess) -> Option<String> {
    let role: Vec<redis::Value> = node.query(&redis::cmd("ROLE")).await?;
    redis::from_redis_value(role.first()?).ok()
}

#[tokio::test]
#[ignore = "needs redis-server: scripts/test.sh runs it on PostgreSQL + Redis"]
async fn behind_sentinel_yimen_follows_a_failover_by_itself() {
    let master = RedisProcess::start(|_| String::new(), false);
    let replica = RedisProcess::start(|_| format!("replicaof 127.0.0.1 {}\n", master.port), false);
    let sentinel = RedisProcess::start(
        |_| {
            format!(
                "sentinel monitor yimen 127.0.0.1 {} 1\nsentinel down-after-milliseconds yimen 1000\n\
                 sentinel failover-timeout yimen 5000\n",
                master.port
            )
        },
        true,
    );
    within(Duration::from_secs(15), "the replica follows the master", async || {
        let info: Option<String> = replica.query(redis::cmd("INFO").arg("replication")).await;
        info.is_some_and(|info| info.contains("master_link_status:up"))
    })
    .await;
    within(Duration::from_secs(15), "the sentinel knows the replica", async || {
        let replicas: Option<Vec<redis::Value>> =
            sentinel.query(redis::cmd("SENTINEL").arg("replicas").arg("yimen")).await;
        replicas.is_some_and(|r| !r.is_empty())
    })
    .await;

    let url = format!("redis+sentinel://127.0.0.1:{}/yimen", sentinel.port);
    let app = TestApp::spawn_with(|config| config.redis_url = Some(yimen::secret::ConnectionUrl::new(url))).await;
    app.citizen().await;
    let client = app.confidential_client().await;
    let basic = (client.client.id.as_str(), client.secret.as_deref().unwrap());
    let (code, verifier) = code_for(&app, &app.browser(), &client.client.id, "openid").await;
    assert_eq!(redeem_code(&app, basic, &code, &verifier).await.0, 200, "signed in through the master");
    let keys: Option<i64> = master.query(&redis::cmd("DBSIZE")).await;
    assert!(keys.unwrap_or_default() > 0, "yimen's state is on the master the sentinel named");

    master.kill();
    let http = reqwest::Client::builder().timeout(Duration::from_secs(3)).build().unwrap();
    within(Duration::from_secs(20), "yimen is ready again after the failover", async || {
        http.get(app.url("/readyz")).send().await.is_ok_and(|r| r.status() == 200)
    })
    .await;
    assert_eq!(role(&replica).await.as_deref(), Some("master"), "the sentinel promoted the replica");
    let (code, verifier) = code_for(&app, &app.browser(), &client.client.id, "openid").await;
    assert_eq!(redeem_code(&app, basic, &code, &verifier).await.0, 200, "and signing in works on the new master");
    app.stop().await;
}
