//! The command line, run as a user would run it.

use std::process::{Command, Stdio};

/// A command run against an embedded deployment in `data_dir` with cheap password hashing, its standard
/// streams piped.
fn piped<'a>(command: &'a mut Command, data_dir: &std::path::Path) -> &'a mut Command {
    command
        .env("YIMEN_DATA_DIR", data_dir)
        .env("YIMEN_PASSWORD__MEMORY_KIB", "4096")
        .env("YIMEN_PASSWORD__ITERATIONS", "1")
        .env_remove("YIMEN_DATABASE_URL")
        .env_remove("YIMEN_REDIS_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
}

fn yimen(data_dir: &std::path::Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut child =
        piped(Command::new(env!("CARGO_BIN_EXE_yimen")).args(args), data_dir).spawn().expect("the yimen binary runs");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

#[test]
fn user_add_checks_the_id_number_and_client_add_prints_the_secret_once() {
    let dir = tempfile::tempdir().unwrap();
    let bad = yimen(
        dir.path(),
        &[
            "user",
            "add",
            "--name",
            "李四",
            "--id-number",
            "110105194912310021",
            "--phone",
            "13800138000",
            "--password-stdin",
        ],
        Some("lantern-quilt-9\n"),
    );
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("check character is wrong: expected X"), "{stderr}");

    let good = yimen(
        dir.path(),
        &[
            "user",
            "add",
            "--name",
            "李四",
            "--id-number",
            "11010519491231002x",
            "--phone",
            "13800138000",
            "--password-stdin",
            "--json",
        ],
        Some("lantern-quilt-9\n"),
    );
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
    let person: serde_json::Value = serde_json::from_slice(&good.stdout).unwrap();
    assert_eq!(person["id_number"], "110*************2X", "personal numbers are masked in output");

    let duplicate = yimen(
        dir.path(),
        &[
            "user",
            "add",
            "--name",
            "李四",
            "--id-number",
            "11010519491231002X",
            "--phone",
            "13900139000",
            "--no-password",
        ],
        None,
    );
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));

    let common = yimen(
        dir.path(),
        &[
            "user",
            "add",
            "--name",
            "王五",
            "--id-number",
            "440301199003071230",
            "--phone",
            "13700137000",
            "--password-stdin",
        ],
        Some("password123\n"),
    );
    assert!(String::from_utf8_lossy(&common.stderr).contains("most commonly used"));

    let added = yimen(
        dir.path(),
        &["client", "add", "--name", "社保", "--redirect-uri", "https://rp.example/cb", "--json"],
        None,
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let client: serde_json::Value = serde_json::from_slice(&added.stdout).unwrap();
    let id = client["client_id"].as_str().unwrap();
    assert!(client["client_secret"].as_str().unwrap().len() >= 43);
    let shown = yimen(dir.path(), &["client", "show", id, "--json"], None);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert!(shown.get("client_secret").is_none(), "the secret is never shown again");
    assert_eq!(shown["redirect_uris"], serde_json::json!(["https://rp.example/cb"]));
    let disabled = yimen(dir.path(), &["client", "disable", id], None);
    assert!(disabled.status.success());
    let listed = String::from_utf8_lossy(&yimen(dir.path(), &["client", "list"], None).stdout).into_owned();
    assert!(listed.contains(id) && listed.contains("false"));

    let insecure = yimen(dir.path(), &["client", "add", "--name", "x", "--redirect-uri", "http://rp.example/cb"], None);
    assert!(String::from_utf8_lossy(&insecure.stderr).contains("plain http is allowed only for loopback"));
}

#[test]
fn config_check_layers_settings_and_redacts_secrets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("yimen.toml"),
        "issuer = \"https://id.city.gov.cn\"\n[tokens]\naccess_token_ttl_secs = 300\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_yimen"))
        .args(["config", "check", "--listen", "0.0.0.0:9000"])
        .current_dir(dir.path())
        .env("YIMEN_TOKENS__ACCESS_TOKEN_TTL_SECS", "120")
        .env("YIMEN_SECRETS__DATA_KEY", "c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcy0hIQ==")
        .env("YIMEN_DATABASE_URL", "postgres://app:hunter2@db.internal/yimen")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("listen = \"0.0.0.0:9000\""), "flags win: {text}");
    assert!(text.contains("access_token_ttl_secs = 120"), "env beats the file");
    assert!(text.contains("issuer = \"https://id.city.gov.cn/\""), "the file beats defaults");
    assert!(!text.contains("hunter2") && !text.contains("c2VjcmV0"), "secrets are redacted");
    assert!(text.contains("postgres://app:****@db.internal/yimen"));

    let bad = Command::new(env!("CARGO_BIN_EXE_yimen"))
        .args(["config", "check"])
        .current_dir(dir.path())
        .env("YIMEN_TOKENS__ACCESS_TOKEN_TTL_SECS", "-5")
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("access_token_ttl_secs must be positive"));
}

#[test]
fn on_a_developers_machine_the_issuer_is_localhost_so_that_passkeys_work() {
    let dir = tempfile::tempdir().unwrap();
    let check = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_yimen"))
            .args(args)
            .current_dir(dir.path())
            .env_remove("YIMEN_ISSUER")
            .env_remove("YIMEN_LISTEN")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(check(&["config", "check"]).contains("# issuer: http://localhost:8080"), "the default");
    assert!(check(&["config", "check", "--listen", "127.0.0.1:9100"]).contains("# issuer: http://localhost:9100"));
    assert!(
        !check(&["config", "check", "--listen", "127.0.0.1:0"]).contains("localhost:0"),
        "a port chosen at bind time is not written into the issuer"
    );
    assert!(
        check(&["config", "check", "--listen", "0.0.0.0:9100"]).contains("# issuer: http://0.0.0.0:9100"),
        "only 127.0.0.1 becomes localhost; other addresses need an explicit issuer"
    );
}

#[test]
fn the_example_configuration_is_valid() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/yimen.example.toml");
    let output = Command::new(env!("CARGO_BIN_EXE_yimen"))
        .args(["--config"])
        .arg(&example)
        .args(["config", "check"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[tokio::test]
async fn on_sigterm_the_server_stops_being_ready_while_it_still_serves_then_exits() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_yimen"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("YIMEN_DATA_DIR", dir.path())
        .env("YIMEN_HTTP__DRAIN_SECS", "2")
        .env_remove("YIMEN_DATABASE_URL")
        .env_remove("YIMEN_REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the yimen binary runs");
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().unwrap();
    let mut ready = false;
    for _ in 0..100 {
        if let Ok(response) = http.get(format!("{base}/readyz")).send().await {
            ready = response.status() == 200;
            if ready {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ready, "the server became ready");

    let killed = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().unwrap();
    assert!(killed.success());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let draining = http.get(format!("{base}/readyz")).send().await.expect("still answering while draining");
    assert_eq!(draining.status(), 503, "not ready: the load balancer stops sending new requests");
    assert_eq!(draining.json::<serde_json::Value>().await.unwrap()["draining"], true);
    let page = http.get(format!("{base}/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(page.status(), 200, "requests that still arrive are served");

    let mut exited = None;
    for _ in 0..100 {
        if let Some(status) = server.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let status = exited.unwrap_or_else(|| {
        let _ = server.kill();
        panic!("the server did not exit within ten seconds of SIGTERM")
    });
    assert!(status.success(), "a clean exit: {status}");
}

#[test]
fn the_password_benchmark_times_checks_with_the_configured_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let output = yimen(dir.path(), &["password", "benchmark", "--count", "3"], None);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.starts_with("argon2id m=4096 KiB t=1 p=1: "), "the parameters in force: {text}");
    assert!(text.contains("ms per password check (median of 3;"), "{text}");
}

/// A newcomer reading `--help` finds the command's own options first and the ones every command takes
/// apart, and `role grant --help` says what each role may do.
#[test]
fn subcommand_help_shows_its_own_options_first_and_role_grant_explains_the_roles() {
    let dir = tempfile::tempdir().unwrap();
    let help = String::from_utf8(yimen(dir.path(), &["client", "add", "--help"], None).stdout).unwrap();
    let (own, global) = help.split_once("Global options:").expect("a separate group of global options");
    assert!(own.contains("--redirect-uri") && own.contains("--name"), "{own}");
    assert!(!own.contains("--database-url") && global.contains("--database-url") && global.contains("--listen"));
    let roles = String::from_utf8(yimen(dir.path(), &["role", "grant", "--help"], None).stdout).unwrap();
    for role in ["platform_admin", "department_admin", "auditor", "hall_staff", "hall_supervisor"] {
        assert!(roles.contains(&format!("- {role}:")), "{role} is explained: {roles}");
    }
    let wrong = yimen(dir.path(), &["role", "grant", "--account", "x", "--role", "admin"], None);
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        !wrong.status.success() && stderr.contains("platform_admin"),
        "a wrong role lists the right ones: {stderr}"
    );
}

/// Mistakes answered with their fix: a redirect URI without its scheme, a port that is taken.
#[test]
fn errors_say_how_to_fix_them() {
    let dir = tempfile::tempdir().unwrap();
    let add = yimen(dir.path(), &["client", "add", "--name", "社保查询", "--redirect-uri", "rp.example/cb"], None);
    let stderr = String::from_utf8_lossy(&add.stderr);
    assert!(!add.status.success() && stderr.contains("add https://"), "{stderr}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let serve = yimen(dir.path(), &["serve", "--listen", &address], None);
    let stderr = String::from_utf8_lossy(&serve.stderr);
    assert!(!serve.status.success(), "{stderr}");
    assert!(stderr.contains("in use") && stderr.contains("--listen 127.0.0.1:"), "{stderr}");
}

/// `user add` never makes an account that cannot sign in by accident: without a terminal to ask on and
/// without --password-stdin it refuses and names the ways; --no-password makes one and says how that
/// person signs in. Passkey warnings are the server's business and no other command prints them.
#[test]
fn user_add_asks_for_a_password_or_an_explicit_no_password() {
    let dir = tempfile::tempdir().unwrap();
    let citizen = ["user", "add", "--name", "王五", "--id-number", "11010519491231002X", "--phone", "13800138000"];
    let refused = yimen(dir.path(), &citizen, None);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(stderr.contains("--password-stdin") && stderr.contains("--no-password"), "{stderr}");
    let made = yimen(dir.path(), &[&citizen[..], &["--no-password"]].concat(), None);
    let stdout = String::from_utf8_lossy(&made.stdout);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(stdout.contains("created account") && stdout.contains("SMS code"), "{stdout}");
    let stderr = String::from_utf8_lossy(&made.stderr);
    assert!(!stderr.contains("passkeys"), "only serve speaks of passkeys: {stderr}");
}

/// The server itself says when passkeys are off and what fixes it; its log to a file or a pipe carries no
/// colour codes.
#[tokio::test]
async fn serve_says_how_to_turn_passkeys_on_and_writes_plain_text_to_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log = std::fs::File::create(dir.path().join("serve.log")).unwrap();
    let mut server = Command::new(env!("CARGO_BIN_EXE_yimen"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--issuer", &format!("http://127.0.0.1:{port}")])
        .env("YIMEN_DATA_DIR", dir.path().join("data"))
        .env("YIMEN_HTTP__DRAIN_SECS", "0")
        .env_remove("YIMEN_DATABASE_URL")
        .env_remove("YIMEN_REDIS_URL")
        .env_remove("NO_COLOR")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("the yimen binary runs");
    let http = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..100 {
        if http.get(format!("http://127.0.0.1:{port}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let text = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(ready, "{text}");
    assert!(
        text.contains("passkeys are off") && text.contains(&format!("set --issuer http://localhost:{port}")),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour codes in a file: {text}");
}

/// At a terminal, `user add` asks for the password twice without echo (here through a pseudo-terminal
/// that util-linux's `script` gives it), refuses two that differ, and makes the account with the one typed.
#[test]
fn user_add_at_a_terminal_asks_for_the_password_twice() {
    let dir = tempfile::tempdir().unwrap();
    let at_terminal = |phone: &str, typed: &str| {
        use std::io::Write;
        let command = format!(
            "{} user add --name 王五 --id-number 11010519491231002X --phone {phone} --json",
            env!("CARGO_BIN_EXE_yimen")
        );
        let mut child = piped(Command::new("script").args(["-qec", &command, "/dev/null"]), dir.path())
            .env("RUST_LOG", "error")
            .spawn()
            .expect("util-linux's script runs (Debian's bsdutils)");
        child.stdin.take().unwrap().write_all(typed.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let differ = at_terminal("13800138000", "lantern-quilt-harbour-9\nlantern-quilt-harbour-8\n");
    assert!(differ.contains("password for 王五") && differ.contains("the two passwords differ"), "{differ}");
    let made = at_terminal("13800138000", "lantern-quilt-harbour-9\nlantern-quilt-harbour-9\n");
    assert!(made.contains("\"has_password\": true"), "{made}");
}
