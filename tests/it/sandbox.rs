//! The developers' sandbox (`serve --sandbox`) as a department developer uses it: a synthetic person
//! picked instead of a password, each injected outcome arriving exactly as production would send it,
//! every token marked `sandbox: true`, no connection counted, and a database that is the sandbox's alone.

use crate::helpers::{Browser, RP, TestApp, field, param};
use crate::rp::{AuthRequest, http, jwt_claims, pkce, redeem_code, userinfo};
use std::sync::Arc;

async fn sandbox() -> TestApp {
    TestApp::spawn_with(|config| config.sandbox = Some(true)).await
}

/// Starts a sign-in for the client `client_id` (redirect URI `RP`) and, on the sandbox page, picks
/// `person` (an index of `yimen::sandbox::PEOPLE`) and `outcome`; consents when asked. Returns where the
/// browser left for and the PKCE verifier.
pub async fn pick(
    app: &TestApp,
    browser: &Browser,
    client_id: &str,
    person: usize,
    outcome: &str,
) -> (url::Url, String) {
    let (verifier, challenge) = pkce();
    let url = AuthRequest::new(client_id)
        .scope("openid profile")
        .with("state", "s1")
        .with("nonce", "n1")
        .with("code_challenge", &challenge)
        .with("code_challenge_method", "S256")
        .url(app);
    let (_, at, page) = browser.open(&url).await.page();
    assert!(at.contains("/sandbox/login"), "the sandbox picks a person instead of a password: {at}");
    let person = person.to_string();
    let fields =
        [("csrf", field(&page, "csrf")), ("rid", field(&page, "rid")), ("person", person), ("outcome", outcome.into())];
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let left = match browser.submit("/sandbox/login", &borrowed).await {
        crate::helpers::Step::Page { html, .. } if html.contains("/consent") => browser.consent(&html, "allow").await,
        other => other,
    };
    (left.left(), verifier)
}

#[tokio::test]
async fn a_synthetic_person_signs_in_with_every_token_marked_and_nothing_counted() {
    let app = sandbox().await;
    let client = app.confidential_client().await;
    let browser = app.browser();
    let (_, _, page) = browser.open(&AuthRequest::new(&client.client.id).url(&app)).await.page();
    for synthetic in yimen::sandbox::PEOPLE {
        assert!(page.contains(synthetic.name), "{} is offered", synthetic.name);
    }
    for level in ["urn:yimen:loa:1", "urn:yimen:loa:2", "urn:yimen:loa:3", "urn:yimen:loa:4"] {
        assert!(page.contains(level), "someone at {level}");
    }
    assert!(page.contains("法定代表人") && page.contains("经办人"), "the organisation's representative and agent");

    let (callback, verifier) = pick(&app, &browser, &client.client.id, 1, "sign_in").await;
    assert!(callback.as_str().starts_with(RP) && param(&callback, "state").as_deref() == Some("s1"));
    let secret = client.secret.clone().unwrap();
    let (status, tokens, _) =
        redeem_code(&app, (&client.client.id, &secret), &param(&callback, "code").unwrap(), &verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["sandbox"], true, "{claims}");
    assert_eq!(claims["acr"], "urn:yimen:loa:2", "the person picked is at level 2");
    assert_eq!(claims["iss"], app.base.as_str());
    let info = userinfo(&app, &tokens).await;
    assert_eq!(info["sandbox"], true, "{info}");
    assert_eq!(info["name"], "沙箱二级");
    assert!(
        app.db.client_connection(&client.client.id).await.unwrap().is_none(),
        "sandbox logins never count toward the connection rate"
    );
}

#[tokio::test]
async fn refusals_arrive_exactly_as_production_sends_them() {
    let app = sandbox().await;
    let client = app.confidential_client().await;
    for (outcome, description) in [
        ("login_required", "the person is not logged in"),
        ("consent_required", "the person has not consented to this client and scope"),
        ("access_denied", "the person declined to share the requested information"),
        ("unmet_authentication_requirements", "the person did not reach the required assurance level"),
    ] {
        let browser = app.browser();
        let (callback, _) = pick(&app, &browser, &client.client.id, 0, outcome).await;
        assert_eq!(param(&callback, "error").as_deref(), Some(outcome));
        assert_eq!(param(&callback, "error_description").as_deref(), Some(description));
        assert_eq!(param(&callback, "state").as_deref(), Some("s1"));
        assert_eq!(param(&callback, "iss").as_deref(), Some(app.base.as_str()));
        assert!(param(&callback, "code").is_none());
    }
}

#[tokio::test]
async fn an_expired_id_token_a_new_key_and_a_slow_answer_can_be_injected() {
    let app = sandbox().await;
    let client = app.confidential_client().await;
    let secret = client.secret.clone().unwrap();
    let basic = (client.client.id.as_str(), secret.as_str());

    let (callback, verifier) = pick(&app, &app.browser(), &client.client.id, 0, "expired_id_token").await;
    let (_, tokens, _) = redeem_code(&app, basic, &param(&callback, "code").unwrap(), &verifier).await;
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    let now = app.provider.now();
    assert!(claims["exp"].as_i64().unwrap() <= now - 60, "expired a minute ago or more: {claims}");

    let kids = |jwks: &serde_json::Value| -> Vec<String> {
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    };
    let before: serde_json::Value = http().get(app.url("/jwks")).send().await.unwrap().json().await.unwrap();
    let (callback, verifier) = pick(&app, &app.browser(), &client.client.id, 0, "key_rotation").await;
    let (_, tokens, _) = redeem_code(&app, basic, &param(&callback, "code").unwrap(), &verifier).await;
    let header = jsonwebtoken::decode_header(tokens["id_token"].as_str().unwrap()).unwrap();
    let kid = header.kid.unwrap();
    assert!(!kids(&before).contains(&kid), "signed with a key the client has not seen");
    let after: serde_json::Value = http().get(app.url("/jwks")).send().await.unwrap().json().await.unwrap();
    assert!(kids(&after).contains(&kid), "and which a fresh JWKS has");

    let (callback, verifier) = pick(&app, &app.browser(), &client.client.id, 0, "slow_token_endpoint").await;
    let impatient = reqwest::Client::builder().timeout(std::time::Duration::from_secs(2)).build().unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &param(&callback, "code").unwrap()),
        ("redirect_uri", RP),
        ("code_verifier", &verifier),
    ];
    let started = std::time::Instant::now();
    let answer = impatient.post(app.url("/token")).basic_auth(basic.0, Some(basic.1)).form(&form).send().await;
    assert!(answer.is_err_and(|e| e.is_timeout()), "a client with a 2 s timeout gives up");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[tokio::test]
async fn a_sandbox_never_runs_on_production_data_nor_production_on_a_sandbox() {
    use yimen::config::Config;
    for first_sandbox in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let config =
            |sandbox: bool| Config { data_dir: dir.path().to_owned(), sandbox: Some(sandbox), ..Config::default() };
        let clock = Arc::new(yimen::clock::OffsetClock::default());
        let build = |sandbox: bool| {
            yimen::app::Services::build_with(config(sandbox), clock.clone(), Arc::new(crate::helpers::PregeneratedKeys))
        };
        build(first_sandbox).await.expect("the first start marks it");
        let Err(error) = build(!first_sandbox).await else {
            panic!("a database made for one mode must refuse the other");
        };
        let text = format!("{error:#}");
        assert!(text.contains("needs a database of its own"), "{text}");
        build(first_sandbox).await.expect("the same mode starts again");
        let unsaid = Config { data_dir: dir.path().to_owned(), ..Config::default() };
        let services =
            yimen::app::Services::build_with(unsaid, clock.clone(), Arc::new(crate::helpers::PregeneratedKeys))
                .await
                .expect("the command line, saying nothing, follows the database");
        assert_eq!(services.provider.is_sandbox(), first_sandbox);
    }
}
