//! Operations endpoints, migrations, headers and page language.

use crate::helpers::TestApp;
use std::collections::BTreeSet;

#[test]
fn both_migration_folders_list_the_same_versions_and_names() {
    let names = |backend: &str| -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
    };
    let sqlite = names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("postgres"));
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let health = http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body, serde_json::json!({ "database": "ok", "ephemeral": "ok" }));
    http.get(app.url("/.well-known/openid-configuration")).send().await.unwrap();
    let metrics = http.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(
            "yimen_http_requests_total{route=\"/.well-known/openid-configuration\",method=\"GET\",status=\"200\"} 1"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("yimen_http_request_duration_seconds_bucket"));
    app.stop().await;
}

#[tokio::test]
async fn pages_carry_security_headers_and_speak_both_languages() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::new();
    let zh = http.get(app.url("/")).send().await.unwrap();
    let headers = zh.headers().clone();
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["cache-control"], "no-store");
    let html = zh.text().await.unwrap();
    assert!(html.contains("lang=\"zh-CN\"") && html.contains("统一身份认证平台"));
    let en =
        http.get(app.url("/")).header("accept-language", "en-GB,en;q=0.8").send().await.unwrap().text().await.unwrap();
    assert!(en.contains("lang=\"en\"") && en.contains("Unified Identity Platform"));
    let missing = http.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("找不到"));
    app.stop().await;
}

#[tokio::test]
async fn the_language_switch_only_returns_to_local_paths() {
    let app = TestApp::spawn().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let local = http.get(app.url("/lang?to=en&back=%2Flogin")).send().await.unwrap();
    assert_eq!(local.headers()["location"], "/login");
    assert!(local.headers()["set-cookie"].to_str().unwrap().starts_with("yimen_lang=en"));
    let offsite = http.get(app.url("/lang?to=en&back=%2F%2Fevil.example%2F")).send().await.unwrap();
    assert_eq!(offsite.headers()["location"], "/");
    app.stop().await;
}

#[tokio::test]
async fn discovery_advertises_what_the_server_does() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value =
        reqwest::get(app.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(doc["issuer"], app.base);
    assert_eq!(doc["authorization_endpoint"], app.url("/authorize"));
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(doc["code_challenge_methods_supported"], serde_json::json!(["S256"]));
    assert!(doc["id_token_signing_alg_values_supported"].as_array().unwrap().contains(&"RS256".into()));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    let jwks: serde_json::Value = reqwest::get(doc["jwks_uri"].as_str().unwrap()).await.unwrap().json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    let algs: BTreeSet<&str> = keys.iter().map(|k| k["alg"].as_str().unwrap()).collect();
    assert_eq!(algs, BTreeSet::from(["EdDSA", "ES256", "RS256"]));
    for key in keys {
        assert!(key["kid"].is_string());
        assert!(key.get("d").is_none() && key.get("p").is_none(), "private material in JWKS: {key}");
    }
    app.stop().await;
}

/// The developer page is generated from what the server does: every endpoint, every scope with its
/// claims, every level and what reaches it, and every error code with advice, in both languages.
#[tokio::test]
async fn the_developer_page_describes_this_server_in_both_languages() {
    let app = crate::helpers::TestApp::spawn().await;
    for (language, advice) in [("zh-CN", "处理方法"), ("en", "What to do")] {
        let response =
            crate::rp::http().get(app.url("/developers")).header("accept-language", language).send().await.unwrap();
        assert_eq!(response.status(), 200);
        let html = response.text().await.unwrap();
        assert!(html.contains(&app.url("/.well-known/openid-configuration")), "{language}: the discovery URL");
        assert!(html.contains(&app.url("/token")) && html.contains(&app.url("/logout")));
        for cas in ["/cas/login", "/cas/p3/serviceValidate", "/cas/logout"] {
            assert!(html.contains(&app.url(cas)), "{language}: the CAS endpoint {cas}");
        }
        for (claim, scope) in yimen::oidc::claims::CLAIM_SCOPES {
            assert!(html.contains(&format!("<code>{claim}</code>")) && html.contains(&format!("<code>{scope}</code>")));
        }
        for acr in ["urn:yimen:loa:1", "urn:yimen:loa:2", "urn:yimen:loa:3", "urn:yimen:loa:4"] {
            assert!(html.contains(acr), "{language}: {acr}");
        }
        for code in yimen::oidc::ErrorCode::ALL {
            assert!(html.contains(&format!("<code>{}</code>", code.as_str())), "{language}: {}", code.as_str());
        }
        assert!(html.contains(advice));
        assert!(
            !html.contains("developers.") && !html.contains("method.") && !html.contains("consent.scope."),
            "{language}: every text is there"
        );
    }
    app.stop().await;
}
