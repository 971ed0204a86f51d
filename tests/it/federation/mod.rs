//! Signing in with an upstream platform: yimen as the relying party of a provincial OpenID Connect
//! provider and of a token-information style platform, creating and linking accounts at the mapped level,
//! and refusing every answer that does not check out, with nothing written.

mod upstream;

use crate::helpers::{Browser, ID_NUMBER, PASSWORD, PHONE, RP, Step, TestApp, param};
use crate::rp::{AuthRequest, http, jwt_claims, pkce, redeem_code};
use serde_json::{Value, json};
use upstream::{CLIENT_ID, CLIENT_SECRET, FakeUpstream, Fault};
use yimen::assurance::Method;
use yimen::config::UpstreamConfig;
use yimen::identity::document::IdDocument;
use yimen::identity::resident_id::ResidentId;
use yimen::oidc::client::ClientRegistration;
use yimen::oidc::scope::ScopeSet;

/// A second person, whom the city does not know yet.
const NEWCOMER_ID: &str = "440106198503121237";

fn province(base: &str) -> UpstreamConfig {
    toml::from_str(&format!(
        r#"
        id = "province"
        name = "省统一身份认证平台"
        name_en = "Provincial identity platform"
        protocol = "oidc"
        issuer = "{base}"
        client_id = "{CLIENT_ID}"
        client_secret = "{CLIENT_SECRET}"
        scopes = ["openid", "profile"]
        max_acr = "urn:yimen:loa:3"
        [levels]
        "2" = ["register_match"]
        "3" = ["register_match", "face_match"]
        [organisation]
        uscc = "org.uscc"
        name = "org.name"
        role = "org.role"
        [organisation.roles]
        "法定代表人" = "legal_representative"
        "经办人" = "agent"
        "#
    ))
    .unwrap()
}

fn token_info_platform(base: &str) -> UpstreamConfig {
    toml::from_str(&format!(
        r#"
        id = "gd"
        name = "省政务服务网"
        name_en = "Provincial government services"
        protocol = "oauth2-userinfo"
        authorization_endpoint = "{base}/oauth2/authorize"
        token_endpoint = "{base}/oauth2/access_token"
        userinfo_endpoint = "{base}/oauth2/tokeninfo"
        client_id = "{CLIENT_ID}"
        client_secret = "{CLIENT_SECRET}"
        token_auth = "client_secret_post"
        userinfo_style = "query"
        scopes = ["all"]
        max_acr = "urn:yimen:loa:2"
        [authorize_params]
        service = "city-portal"
        [claims]
        subject = "userobj.uid"
        name = "userobj.name"
        id_number = "userobj.idcardno"
        level = "userobj.authlevel"
        [levels]
        "2" = ["register_match"]
        "#
    ))
    .unwrap()
}

async fn city_with(upstream: UpstreamConfig) -> TestApp {
    TestApp::spawn_with(|config| config.federation.upstream = vec![upstream]).await
}

/// The province's person: `sub`, the level it vouches for, and the real-name claims of UserInfo.
fn provincial(sub: &str, id_number: &str, acr: &str) -> Value {
    json!({ "sub": sub, "acr": acr, "name": "李四", "id_number": id_number })
}

/// Follows a browser from `start` on the city to the upstream (where the person is signed in already)
/// and back, returning where the city then sends it.
async fn through_upstream(browser: &Browser, start: &str) -> (Step, url::Url) {
    let to_upstream = browser.open(start).await.left();
    let answer = http().get(to_upstream.clone()).send().await.unwrap();
    let back = answer.headers()["location"].to_str().unwrap().to_owned();
    (browser.open(&back).await, url::Url::parse(&back).unwrap())
}

async fn person_of(city: &TestApp, id_number: &str) -> Option<yimen::identity::Person> {
    let document = IdDocument::from_resident_id(ResidentId::parse(id_number, 20261201).unwrap());
    city.accounts.find_by_document(&document).await.unwrap()
}

async fn links_of(city: &TestApp, person_id: &str) -> Vec<String> {
    city.db.federated_identities_of(person_id).await.unwrap().into_iter().map(|row| row.upstream).collect()
}

async fn audit_actions(city: &TestApp, prefix: &str) -> Vec<String> {
    let filter =
        yimen::store::audit::AuditFilter { action_prefix: Some(prefix.into()), limit: 100, ..Default::default() };
    city.desk.audit.search(&filter).await.unwrap().into_iter().map(|row| row.action).collect()
}

#[tokio::test]
async fn a_provincial_sign_in_creates_the_account_at_the_mapped_level_and_the_system_sees_it() {
    let province_op = FakeUpstream::start().await;
    province_op.sign_in_as(provincial("prov-7", NEWCOMER_ID, "2"));
    let city = city_with(province(&province_op.base)).await;
    let registered = city
        .client(ClientRegistration {
            name: "公积金提取".into(),
            redirect_uris: vec![RP.into()],
            scopes: Some(ScopeSet::parse("openid profile").unwrap()),
            ..ClientRegistration::default()
        })
        .await;
    let login_page = city.browser().open(&city.url("/login")).await.page().2;
    assert!(login_page.contains("/login/upstream/province"), "the login page offers the province");
    assert!(login_page.contains("省统一身份认证平台"));

    let mut subjects = Vec::new();
    for _ in 0..2 {
        let browser = city.browser();
        let (verifier, challenge) = pkce();
        let url = AuthRequest::new(&registered.client.id)
            .scope("openid profile")
            .with("state", "s1")
            .with("nonce", "n1")
            .with("code_challenge", &challenge)
            .with("code_challenge_method", "S256")
            .with("idp_hint", "province")
            .url(&city);
        let to_upstream = browser.open(&url).await.left();
        assert!(to_upstream.as_str().starts_with(&province_op.base), "idp_hint goes straight to the province");
        let answer = http().get(to_upstream).send().await.unwrap();
        let sent = province_op.last_authorize_query();
        assert_eq!(sent["code_challenge_method"], "S256");
        assert!(!sent["nonce"].is_empty() && !sent["state"].is_empty());
        let back = answer.headers()["location"].to_str().unwrap().to_owned();
        let callback = match browser.open(&back).await {
            Step::Page { html, .. } => browser.consent(&html, "allow").await.left(),
            Step::Left(callback) => callback,
        };
        let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
        let (status, tokens, _) = redeem_code(&city, basic, &param(&callback, "code").unwrap(), &verifier).await;
        assert_eq!(status, 200, "{tokens}");
        let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
        assert_eq!(id_token["acr"], "urn:yimen:loa:2", "the province's level 2 counts as a register match");
        assert_eq!(id_token["amr"], json!(["fed"]));
        assert_eq!(id_token["idp"], "province", "and names the platform");
        let refresh = tokens["refresh_token"].as_str().expect("a refresh token");
        let (status, refreshed, _) = crate::rp::token_request(
            &city,
            Some(basic),
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
        assert_eq!(status, 200, "{refreshed}");
        assert_eq!(jwt_claims(refreshed["id_token"].as_str().unwrap())["idp"], "province", "also after a refresh");
        let info: serde_json::Value = crate::rp::userinfo(&city, &tokens).await;
        assert_eq!(info["name"], "李四");
        subjects.push(id_token["sub"].clone());
    }
    assert_eq!(subjects[0], subjects[1], "the second sign-in is the same account");

    let person = person_of(&city, NEWCOMER_ID).await.expect("the account was created");
    assert_eq!(person.name, "李四");
    assert!(person.phone.is_none() && person.password_hash.is_none());
    assert_eq!(links_of(&city, &person.id).await, vec!["province".to_owned()]);
    let evidence = city.desk.assurance.evidence().of(&person.id).await.unwrap();
    let methods: Vec<(&str, &str)> = evidence.iter().map(|e| (e.method.as_str(), e.verifier.as_str())).collect();
    assert_eq!(methods, vec![("register_match", "federation:province")], "evidence is recorded once");
    assert_eq!(audit_actions(&city, "federation.").await, vec!["federation.account_created".to_owned()]);
    city.stop().await;
}

#[tokio::test]
async fn a_system_that_needs_more_than_the_province_vouches_for_sends_the_person_to_step_up() {
    let province_op = FakeUpstream::start().await;
    province_op.sign_in_as(provincial("prov-8", NEWCOMER_ID, "2"));
    let city = city_with(province(&province_op.base)).await;
    let registered = city
        .client(ClientRegistration {
            name: "不动产登记".into(),
            redirect_uris: vec![RP.into()],
            min_acr: Some("urn:yimen:loa:3".into()),
            ..ClientRegistration::default()
        })
        .await;
    let url = AuthRequest::new(&registered.client.id).with("idp_hint", "province").url(&city);
    let (step, _) = through_upstream(&city.browser(), &url).await;
    let (status, at, html) = step.page();
    assert_eq!(status, 200);
    assert!(at.contains("/stepup"), "level 2 from the province is not level 3: {at}");
    assert!(html.contains("rid="), "the request waits at the step-up page");
    city.stop().await;
}

#[tokio::test]
async fn an_account_the_province_vouches_for_at_its_level_is_linked_at_once() {
    let province_op = FakeUpstream::start().await;
    province_op.sign_in_as(provincial("prov-1", ID_NUMBER, "2"));
    let city = city_with(province(&province_op.base)).await;
    let person = city.citizen().await;
    city.record_evidence(&person.id, Method::RegisterMatch).await;

    let (step, _) = through_upstream(&city.browser(), &city.url("/login/upstream/province")).await;
    let (status, at, _) = step.page();
    assert_eq!((status, at.ends_with("/account")), (200, true), "signed in to the existing account: {at}");
    assert_eq!(links_of(&city, &person.id).await, vec!["province".to_owned()]);
    assert_eq!(person_of(&city, ID_NUMBER).await.unwrap().id, person.id, "no second account");
    assert_eq!(audit_actions(&city, "federation.").await, vec!["federation.linked".to_owned()]);
    city.stop().await;
}

#[tokio::test]
async fn an_account_above_the_provinces_level_is_linked_after_its_holder_signs_in_once() {
    let province_op = FakeUpstream::start().await;
    province_op.sign_in_as(provincial("prov-2", ID_NUMBER, "2"));
    let city = city_with(province(&province_op.base)).await;
    let person = city.citizen().await;
    city.record_evidence(&person.id, Method::Counter).await;

    let browser = city.browser();
    let (step, _) = through_upstream(&browser, &city.url("/login/upstream/province")).await;
    let (status, _, html) = step.page();
    assert_eq!(status, 200);
    assert!(html.contains("已在本平台注册过账号"), "the person is asked to sign in to their account once");
    assert!(links_of(&city, &person.id).await.is_empty(), "nothing is linked before they do");

    // Someone else signing in on that page does not get the link.
    let other = city.citizen_with("440304199001014565", "13900139000").await;
    browser.login_only(&html, "13900139000", PASSWORD).await.page();
    assert!(links_of(&city, &other.id).await.is_empty() && links_of(&city, &person.id).await.is_empty());

    let (_, _, html) = through_upstream(&browser, &city.url("/login/upstream/province")).await.0.page();
    let (status, at, _) = browser.login_only(&html, PHONE, PASSWORD).await.page();
    assert_eq!((status, at.ends_with("/account")), (200, true), "{at}");
    assert_eq!(links_of(&city, &person.id).await, vec!["province".to_owned()]);

    let (step, _) = through_upstream(&city.browser(), &city.url("/login/upstream/province")).await;
    let (status, at, _) = step.page();
    assert_eq!((status, at.ends_with("/account")), (200, true), "now the province signs them in directly");
    assert_eq!(person_of(&city, ID_NUMBER).await.unwrap().id, person.id);
    city.stop().await;
}

#[tokio::test]
async fn a_number_claimed_without_proof_is_taken_back_for_the_person_the_province_vouches_for() {
    let province_op = FakeUpstream::start().await;
    province_op.sign_in_as(provincial("prov-3", ID_NUMBER, "2"));
    let city = city_with(province(&province_op.base)).await;
    let squatter = city.citizen().await;

    let (step, _) = through_upstream(&city.browser(), &city.url("/login/upstream/province")).await;
    assert!(step.page().1.ends_with("/account"));
    let holder = person_of(&city, ID_NUMBER).await.expect("the number has an account");
    assert_ne!(holder.id, squatter.id, "the holder has an account of their own");
    assert_eq!(holder.name, "李四");
    assert!(audit_actions(&city, "account.reclaim").await.len() == 1, "the reclaim is audited");
    city.stop().await;
}

#[tokio::test]
async fn answers_that_do_not_check_out_are_refused_with_a_reason_and_nothing_written() {
    let province_op = FakeUpstream::start().await;
    let city = city_with(province(&province_op.base)).await;
    let invalid = "未通过校验";
    let cases: [(Fault, Value, u16, &str); 9] = [
        (Fault::BadSignature, provincial("p", NEWCOMER_ID, "2"), 502, invalid),
        (Fault::WrongIssuer, provincial("p", NEWCOMER_ID, "2"), 502, invalid),
        (Fault::WrongAudience, provincial("p", NEWCOMER_ID, "2"), 502, invalid),
        (Fault::WrongNonce, provincial("p", NEWCOMER_ID, "2"), 502, invalid),
        (Fault::Expired, provincial("p", NEWCOMER_ID, "2"), 502, invalid),
        (Fault::Declined, provincial("p", NEWCOMER_ID, "2"), 400, "取消了登录"),
        (Fault::None, json!({ "sub": "p", "acr": "2", "name": "李四" }), 502, "未提供您的姓名或身份证号码"),
        (Fault::None, provincial("p", "440106198503121230", "2"), 502, "校验不通过"),
        (Fault::OtherUserinfoSubject, provincial("p", NEWCOMER_ID, "2"), 502, invalid),
    ];
    for (index, (fault, person, status, message)) in cases.into_iter().enumerate() {
        province_op.fault(fault);
        province_op.sign_in_as(person);
        let (step, _) = through_upstream(&city.browser(), &city.url("/login/upstream/province")).await;
        let (got, _, html) = step.page();
        assert_eq!(got, status, "{fault:?} {index}");
        assert!(html.contains(message), "{fault:?} {index}: {}", &html[..html.len().min(600)]);
        assert!(html.contains("name=\"password\""), "the login page offers the other ways in");
        assert!(person_of(&city, NEWCOMER_ID).await.is_none(), "{fault:?} {index}: no account");
    }
    assert!(audit_actions(&city, "federation.").await.is_empty());
    city.stop().await;
}

#[tokio::test]
async fn a_returning_browser_cannot_use_an_answer_twice_nor_one_made_for_another_browser() {
    let province_op = FakeUpstream::start().await;
    province_op.sign_in_as(provincial("prov-4", NEWCOMER_ID, "2"));
    let city = city_with(province(&province_op.base)).await;
    let victim = city.browser();
    let to_upstream = victim.open(&city.url("/login/upstream/province")).await.left();
    let answer = http().get(to_upstream).send().await.unwrap();
    let back = answer.headers()["location"].to_str().unwrap().to_owned();

    // An attacker's browser given the victim's callback (login CSRF): it carries no attempt of its own.
    let (status, _, html) = city.browser().open(&back).await.page();
    assert_eq!(status, 400);
    assert!(html.contains("已失效或已使用过"));

    assert!(victim.open(&back).await.page().1.ends_with("/account"));
    let (status, _, _) = victim.open(&back).await.page();
    assert_eq!(status, 400, "the same answer a second time finds nothing to continue");
    city.stop().await;
}

#[tokio::test]
async fn an_upstream_that_is_down_is_a_message_on_the_login_page() {
    let city = city_with(province("http://127.0.0.1:9")).await;
    let (status, _, html) = city.browser().open(&city.url("/login/upstream/province")).await.page();
    assert_eq!(status, 503);
    assert!(html.contains("省统一身份认证平台暂时无法连接"), "{}", &html[..html.len().min(600)]);
    assert!(html.contains("name=\"password\""));
    let ready = http().get(city.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "one way in is gone, not the service");
    let ready: Value = ready.json().await.unwrap();
    assert_eq!((&ready["degraded"], &ready["upstreams"]["province"]), (&json!(true), &json!("unreachable")));
    let (status, _, _) = city.browser().open(&city.url("/login/upstream/nowhere")).await.page();
    assert_eq!(status, 404);
    city.stop().await;
}

#[tokio::test]
async fn a_token_information_platform_signs_people_in_through_the_same_rules() {
    let platform = FakeUpstream::start().await;
    platform.sign_in_as(json!({
        "userobj": { "uid": 880_123, "name": "王五", "idcardno": "350102197806157892", "authlevel": 2 }
    }));
    let city = city_with(token_info_platform(&platform.base)).await;
    let (step, _) = through_upstream(&city.browser(), &city.url("/login/upstream/gd")).await;
    let (status, at, _) = step.page();
    assert_eq!((status, at.ends_with("/account")), (200, true), "{at}");
    let sent = platform.last_authorize_query();
    assert_eq!((sent["scope"].as_str(), sent["service"].as_str()), ("all", "city-portal"));
    assert!(!sent.contains_key("nonce"), "no OpenID Connect parameters for a platform without it");

    let ready: Value = http().get(city.url("/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!((&ready["degraded"], &ready["upstreams"]["gd"]), (&Value::Null, &json!("ok")));
    let person = person_of(&city, "350102197806157892").await.expect("the account was created");
    assert_eq!(person.name, "王五");
    assert_eq!(city.desk.assurance.acr_of(&person.id).await.unwrap(), "urn:yimen:loa:2");
    assert_eq!(links_of(&city, &person.id).await, vec!["gd".to_owned()]);

    let (step, _) = through_upstream(&city.browser(), &city.url("/login/upstream/gd")).await;
    assert!(step.page().1.ends_with("/account"));
    assert_eq!(person_of(&city, "350102197806157892").await.unwrap().id, person.id);
    city.stop().await;
}

#[tokio::test]
async fn the_account_centre_lists_links_and_unlinks_any_but_the_last_way_in() {
    let province_op = FakeUpstream::start().await;
    province_op.sign_in_as(provincial("prov-5", NEWCOMER_ID, "2"));
    let city = city_with(province(&province_op.base)).await;
    let browser = city.browser();
    through_upstream(&browser, &city.url("/login/upstream/province")).await.0.page();
    let (status, _, page) = browser.open(&city.url("/account/upstreams")).await.page();
    assert_eq!(status, 200);
    assert!(page.contains("省统一身份认证平台"));
    let csrf = crate::helpers::field(&page, "csrf");
    let (status, _, html) =
        browser.submit("/account/upstreams", &[("csrf", &csrf), ("upstream", "province")]).await.page();
    assert_eq!(status, 409, "the province is this account's only way in");
    assert!(html.contains("唯一方式"));
    let person = person_of(&city, NEWCOMER_ID).await.unwrap();
    assert_eq!(links_of(&city, &person.id).await, vec!["province".to_owned()]);

    // With a second way in, the link can go.
    let other = city.citizen().await;
    city.record_evidence(&other.id, Method::RegisterMatch).await;
    province_op.sign_in_as(provincial("prov-6", ID_NUMBER, "2"));
    let browser = city.browser();
    through_upstream(&browser, &city.url("/login/upstream/province")).await.0.page();
    let page = browser.open(&city.url("/account/upstreams")).await.page().2;
    let csrf = crate::helpers::field(&page, "csrf");
    let (status, _, html) =
        browser.submit("/account/upstreams", &[("csrf", &csrf), ("upstream", "province")]).await.page();
    assert_eq!(status, 200);
    assert!(html.contains("已取消关联"));
    assert!(links_of(&city, &other.id).await.is_empty());
    assert!(audit_actions(&city, "federation.unlinked").await.len() == 1);
    city.stop().await;
}

#[tokio::test]
async fn logging_out_at_the_city_ends_the_provincial_session_and_returns_to_the_system() {
    let province_op = FakeUpstream::start().await;
    province_op.sign_in_as(provincial("prov-9", NEWCOMER_ID, "2"));
    let city = city_with(province(&province_op.base)).await;
    let registered = city.confidential_client().await;
    let browser = city.browser();
    let (verifier, challenge) = pkce();
    let url = AuthRequest::new(&registered.client.id)
        .with("code_challenge", &challenge)
        .with("code_challenge_method", "S256")
        .with("idp_hint", "province")
        .url(&city);
    let (step, _) = through_upstream(&browser, &url).await;
    let callback = match step {
        Step::Page { html, .. } => browser.consent(&html, "allow").await.left(),
        Step::Left(callback) => callback,
    };
    let basic = (registered.client.id.as_str(), registered.secret.as_deref().unwrap());
    let (_, tokens, _) = redeem_code(&city, basic, &param(&callback, "code").unwrap(), &verifier).await;
    let id_token = tokens["id_token"].as_str().unwrap();

    let logout = format!(
        "/logout?id_token_hint={id_token}&post_logout_redirect_uri={}&state=rp-state",
        url::form_urlencoded::byte_serialize(b"http://127.0.0.1:9/bye").collect::<String>()
    );
    let to_province = browser.open(&city.url(&logout)).await.left();
    assert!(to_province.as_str().starts_with(&format!("{}/logout", province_op.base)), "{to_province}");
    let answer = http().get(to_province).send().await.unwrap();
    let told = province_op.logout_queries();
    assert_eq!(told.len(), 1);
    assert_eq!(jwt_claims(&told[0]["id_token_hint"])["iss"], province_op.base.as_str(), "the province's own ID token");
    assert_eq!(told[0]["client_id"], CLIENT_ID);
    assert_eq!(told[0]["post_logout_redirect_uri"], city.url("/login/upstream/province/logged-out"));

    let back = answer.headers()["location"].to_str().unwrap().to_owned();
    let at_system = browser.open(&back).await.left();
    assert_eq!(at_system.as_str(), "http://127.0.0.1:9/bye?state=rp-state", "then on to the system, with its state");
    let (status, at, _) = browser.open(&city.url("/account")).await.page();
    assert!(status == 200 && at.contains("/login"), "signed out at the city: {at}");

    // The way back works once, and only with the state this browser was given.
    let (status, _, html) = browser.open(&back).await.page();
    assert_eq!(status, 200, "a replay ends at the logged-out page, not at a system");
    assert!(!html.contains("127.0.0.1:9/bye"));
    city.stop().await;
}

#[tokio::test]
async fn an_organisation_the_province_vouches_for_is_joined_as_the_desk_would() {
    use yimen::identity::organisation::{MemberRole, OrgKind};
    use yimen::identity::uscc::Uscc;
    const USCC: &str = "91350100M000100Y43";
    let acting_for = |sub: &str, id_number: &str, acr: &str, role: &str| {
        let mut person = provincial(sub, id_number, acr);
        person["org"] = json!({ "uscc": USCC, "name": "测试科技有限公司", "role": role });
        person
    };
    let province_op = FakeUpstream::start().await;
    let city = city_with(province(&province_op.base)).await;
    let sign_in = |person: Value| {
        province_op.sign_in_as(person);
        let browser = city.browser();
        let start = city.url("/login/upstream/province");
        async move { through_upstream(&browser, &start).await.0.page() }
    };
    let uscc = Uscc::parse(USCC).unwrap();

    // The representative of a company the city does not know yet: the company is created, as a counter
    // would after checking the licence, and they act for it from their first sign-in.
    let (status, at, _) = sign_in(acting_for("prov-10", NEWCOMER_ID, "2", "法定代表人")).await;
    assert_eq!((status, at.contains("/account/acting")), (200, true), "asked in whose name to continue: {at}");
    let org = city.desk.orgs.find_by_uscc(&uscc).await.unwrap().expect("the company was created");
    assert_eq!((org.name.as_str(), org.kind), ("测试科技有限公司", OrgKind::Enterprise));
    let representative = person_of(&city, NEWCOMER_ID).await.unwrap();
    let roles = |members: Vec<yimen::identity::organisation::Membership>| {
        members.into_iter().map(|m| (m.person_id, m.role)).collect::<Vec<_>>()
    };
    assert_eq!(
        roles(city.desk.orgs.members(&org.id).await.unwrap()),
        [(representative.id.clone(), MemberRole::LegalRepresentative)]
    );

    // Someone else named its representative does not replace the one bound; it is audited.
    sign_in(acting_for("prov-11", "440304199001014565", "2", "法定代表人")).await;
    let other = person_of(&city, "440304199001014565").await.unwrap();
    assert_eq!(roles(city.desk.orgs.members(&org.id).await.unwrap()).len(), 1);
    assert_eq!(audit_actions(&city, "federation.org_refused").await.len(), 1);

    // An agent (经办人) joins as one.
    sign_in(acting_for("prov-12", "350102197806157892", "2", "经办人")).await;
    let agent = person_of(&city, "350102197806157892").await.unwrap();
    let members = roles(city.desk.orgs.members(&org.id).await.unwrap());
    assert!(members.contains(&(agent.id.clone(), MemberRole::Agent)), "{members:?}");
    assert!(!members.iter().any(|(id, _)| *id == other.id));

    // A sign-in that vouches for no real name links no organisation.
    sign_in(acting_for("prov-13", "350102197806157809", "1", "经办人")).await;
    assert!(person_of(&city, "350102197806157809").await.is_some(), "they signed in, as themselves");
    assert_eq!(city.desk.orgs.members(&org.id).await.unwrap().len(), 2);
    city.stop().await;
}

#[tokio::test]
async fn the_console_shows_each_platform_its_health_and_how_many_people_it_links() {
    use yimen::audit::Actor;
    use yimen::identity::roles::RoleKind;
    let province_op = FakeUpstream::start().await;
    province_op.sign_in_as(provincial("prov-20", NEWCOMER_ID, "2"));
    let city = TestApp::spawn_with(|config| {
        config.federation.upstream = vec![province(&province_op.base), {
            let mut down = province("http://127.0.0.1:9");
            down.id = "national".into();
            down.name = "国家政务服务平台".into();
            down
        }]
    })
    .await;
    through_upstream(&city.browser(), &city.url("/login/upstream/province")).await.0.page();
    city.browser().open(&city.url("/login/upstream/national")).await.page();

    let admin = city.citizen().await;
    city.desk.roles.grant(&admin.id, RoleKind::PlatformAdmin, None, &Actor::operator()).await.unwrap();
    let browser = city.browser();
    let (status, _, html) = crate::helpers::sign_in_twice(&city, &browser, PHONE, "/admin/upstreams").await;
    assert_eq!(status, 200);
    let document = scraper::Html::parse_document(&html);
    let row = |id: &str| {
        let selector = scraper::Selector::parse(&format!("#upstream-{id}")).unwrap();
        document.select(&selector).next().map(|row| row.text().collect::<String>()).unwrap_or_default()
    };
    let (province_row, national_row) = (row("province"), row("national"));
    assert!(province_row.contains("省统一身份认证平台") && province_row.contains("正常"), "{province_row}");
    assert!(province_row.trim_end().ends_with('1'), "one person linked: {province_row}");
    assert!(national_row.contains("无法连接") && national_row.contains("127.0.0.1:9"), "{national_row}");
    city.stop().await;
}

#[tokio::test]
async fn two_factors_seen_by_the_province_satisfy_a_system_that_needs_them_and_none_is_said_plainly() {
    let province_op = FakeUpstream::start().await;
    let city = city_with(province(&province_op.base)).await;
    let registered = city
        .client(ClientRegistration {
            name: "电子证照".into(),
            redirect_uris: vec![RP.into()],
            require_mfa: true,
            ..ClientRegistration::default()
        })
        .await;
    let url = AuthRequest::new(&registered.client.id).with("idp_hint", "province").url(&city);

    // The province saw a password and an SMS code: two factors, so no second one is asked here.
    let mut person = provincial("prov-30", NEWCOMER_ID, "2");
    person["amr"] = json!(["pwd", "sms", "mfa"]);
    province_op.sign_in_as(person);
    let browser = city.browser();
    let (step, _) = through_upstream(&browser, &url).await;
    let callback = match step {
        Step::Page { html, .. } => browser.consent(&html, "allow").await.left(),
        Step::Left(callback) => callback,
    };
    assert!(param(&callback, "code").is_some(), "{callback}");

    // One factor, and an account with no phone (the province made it): the page says what to do at once.
    province_op.sign_in_as(provincial("prov-31", "440304199001014565", "2"));
    let (status, at, html) = through_upstream(&city.browser(), &url).await.0.page();
    assert_eq!(status, 200);
    assert!(at.contains("/login/second"), "{at}");
    assert!(html.contains("没有可用的手机号"), "{}", &html[..html.len().min(800)]);
    assert!(!html.contains("向  发送验证码"), "no code offered to an empty number");
    city.stop().await;
}

#[tokio::test]
async fn a_key_the_province_rotated_to_is_fetched_and_a_changed_id_number_is_refused() {
    let province_op = FakeUpstream::start().await;
    province_op.sign_in_as(provincial("prov-40", NEWCOMER_ID, "2"));
    let city = city_with(province(&province_op.base)).await;
    let start = city.url("/login/upstream/province");
    assert!(through_upstream(&city.browser(), &start).await.0.page().1.ends_with("/account"));

    // The city holds the province's keys; a token signed with a new key names a kid it has not seen.
    province_op.rotate_key("upstream-2");
    assert!(through_upstream(&city.browser(), &start).await.0.page().1.ends_with("/account"), "fetched again");

    // The same provincial person now with another ID number than the linked account's.
    province_op.sign_in_as(provincial("prov-40", "440304199001014565", "2"));
    let (status, _, html) = through_upstream(&city.browser(), &start).await.0.page();
    assert_eq!(status, 409);
    assert!(html.contains("不一致"), "{}", &html[..html.len().min(600)]);
    assert!(person_of(&city, "440304199001014565").await.is_none(), "nothing made for the new number");
    city.stop().await;
}

#[tokio::test]
async fn a_platform_that_registers_keys_not_secrets_gets_a_signed_client_assertion() {
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let key = p256::SecretKey::random(&mut rand::thread_rng());
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("city-key.pem");
    std::fs::write(&key_file, key.to_pkcs8_pem(LineEnding::LF).unwrap().as_bytes()).unwrap();
    let province_op = FakeUpstream::start().await;
    province_op.accept_client_key(&key.public_key().to_public_key_pem(LineEnding::LF).unwrap());
    province_op.sign_in_as(provincial("prov-50", NEWCOMER_ID, "2"));
    let mut upstream = province(&province_op.base);
    upstream.client_secret = None;
    upstream.token_auth = yimen::config::TokenAuthMethod::PrivateKeyJwt;
    upstream.private_key_file = Some(key_file.clone());
    upstream.private_key_alg = yimen::config::AssertionAlg::ES256;
    let city = city_with(upstream.clone()).await;
    let (step, _) = through_upstream(&city.browser(), &city.url("/login/upstream/province")).await;
    assert!(step.page().1.ends_with("/account"), "the province took the assertion");
    city.stop().await;

    // `config check` names a key file that is not a key.
    std::fs::write(&key_file, "not a key").unwrap();
    let config = yimen::config::Config {
        federation: yimen::config::FederationConfig { upstream: vec![upstream] },
        ..yimen::config::Config::default()
    };
    let error = config.validate().unwrap_err().to_string();
    assert!(error.contains("city-key.pem") && error.contains("ES256"), "{error}");
}
