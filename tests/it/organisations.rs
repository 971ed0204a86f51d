//! Organisations and the people who act for them: the representative's and administrators' powers,
//! agents' scopes and validity, the acting choice after login, and the `org` claim.

use crate::helpers::{PASSWORD, PHONE, RP, Step, TestApp, field, param};
use crate::rp::{AuthRequest, jwt_claims, pkce, token_request};
use yimen::audit::Actor;
use yimen::identity::organisation::{GrantScope, OrgError, OrgKind, Organisations};
use yimen::identity::uscc::Uscc;
use yimen::oidc::client::ClientRegistration;
use yimen::oidc::scope::ScopeSet;

const AGENT_ID: &str = "440301199003071230";
const AGENT_PHONE: &str = "13700137000";

fn orgs(app: &TestApp) -> Organisations {
    app.provider.organisations().clone()
}

/// Signs in through a client asking for `org`, choosing `choice` ("self" or an organisation id) when asked.
async fn org_login(app: &TestApp, client_id: &str, secret: &str, phone: &str, choice: &str) -> serde_json::Value {
    let browser = app.browser();
    let (verifier, challenge) = pkce();
    let url = AuthRequest::new(client_id)
        .scope("openid org")
        .with("code_challenge", &challenge)
        .with("code_challenge_method", "S256")
        .url(app);
    let (_, _, login) = browser.open(&url).await.page();
    let mut step = browser.login_only(&login, phone, PASSWORD).await;
    loop {
        step = match step {
            Step::Left(_) => break,
            Step::Page { url, html, .. } if url.contains("/account/acting") => {
                browser
                    .submit(
                        "/account/acting",
                        &[("csrf", &field(&html, "csrf")), ("next", &field(&html, "next")), ("choice", choice)],
                    )
                    .await
            }
            Step::Page { html, .. } if html.contains("/consent") => browser.consent(&html, "allow").await,
            Step::Page { status, url, html } => {
                panic!("unexpected {status} at {url}: {}", &html[..html.len().min(300)])
            }
        };
    }
    let Step::Left(callback) = step else { unreachable!() };
    let (_, tokens, _) = token_request(
        app,
        Some((client_id, secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &param(&callback, "code").unwrap()),
            ("redirect_uri", RP),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    let userinfo: serde_json::Value = crate::rp::userinfo(app, &tokens).await;
    serde_json::json!({ "id_token": jwt_claims(tokens["id_token"].as_str().unwrap()), "userinfo": userinfo })
}

#[tokio::test]
async fn people_act_for_organisations_within_their_grants() {
    let app = TestApp::spawn().await;
    let representative = app.citizen().await;
    let agent = app.citizen_with(AGENT_ID, AGENT_PHONE).await;
    let orgs = orgs(&app);
    let org = orgs
        .create(
            &Uscc::parse("91350100M000100Y43").unwrap(),
            "测试科技有限公司",
            OrgKind::Enterprise,
            &Actor::operator(),
        )
        .await
        .unwrap();
    orgs.bind_representative(&org.id, &representative.id, &Actor::operator()).await.unwrap();
    let rp = app
        .client(ClientRegistration {
            name: "企业开办".into(),
            redirect_uris: vec![RP.into()],
            scopes: Some(ScopeSet::parse("openid org").unwrap()),
            ..ClientRegistration::default()
        })
        .await;
    let secret = rp.secret.clone().unwrap();

    let as_org = org_login(&app, &rp.client.id, &secret, PHONE, &org.id).await;
    let expected = serde_json::json!({ "id": org.id, "uscc": "91350100M000100Y43", "name": "测试科技有限公司", "type": "enterprise", "role": "legal_representative" });
    assert_eq!(as_org["id_token"]["org"], expected);
    assert_eq!(as_org["userinfo"]["org"], expected);
    let as_self = org_login(&app, &rp.client.id, &secret, PHONE, "self").await;
    assert!(as_self["id_token"].get("org").is_none(), "acting for oneself carries no organisation");
    assert_eq!(as_self["id_token"]["sub"], as_org["id_token"]["sub"], "the acting person stays the subject");

    // An agent whose grant names another system sees no organisation at this one.
    let elsewhere = GrantScope::Only { clients: vec!["ym-some-other-system".into()], items: vec![] };
    let grant = orgs.authorise_agent(&org.id, &agent.id, elsewhere, None, &representative.id, None).await.unwrap();
    let outside = org_login(&app, &rp.client.id, &secret, AGENT_PHONE, &org.id).await;
    assert!(outside["id_token"].get("org").is_none(), "a system outside the grant sees no organisation");
    orgs.revoke(&grant.id, &representative.id, None).await.unwrap();
    let covering = GrantScope::Only { clients: vec![rp.client.id.clone()], items: vec![] };
    orgs.authorise_agent(&org.id, &agent.id, covering, None, &representative.id, None).await.unwrap();
    let inside = org_login(&app, &rp.client.id, &secret, AGENT_PHONE, &org.id).await;
    assert_eq!(inside["userinfo"]["org"]["role"], "agent");
    app.stop().await;
}

#[tokio::test]
async fn powers_are_limited_by_role_validity_and_revocation_and_every_change_is_audited() {
    let app = TestApp::spawn().await;
    let representative = app.citizen().await;
    let admin = app.citizen_with(AGENT_ID, AGENT_PHONE).await;
    let agent = app.citizen_with("110105198001010016", "13600136000").await;
    let orgs = orgs(&app);
    let org = orgs
        .create(
            &Uscc::parse("91350100M000100Y43").unwrap(),
            "测试科技有限公司",
            OrgKind::Enterprise,
            &Actor::operator(),
        )
        .await
        .unwrap();
    assert!(matches!(
        orgs.create(&Uscc::parse("91350100M000100Y43").unwrap(), "again", OrgKind::Enterprise, &Actor::operator())
            .await,
        Err(OrgError::Duplicate)
    ));
    orgs.bind_representative(&org.id, &representative.id, &Actor::operator()).await.unwrap();
    assert!(matches!(orgs.appoint_administrator(&org.id, &agent.id, &admin.id, None).await, Err(OrgError::NotManager)));
    let admin_grant = orgs.appoint_administrator(&org.id, &admin.id, &representative.id, None).await.unwrap();
    let agent_grant = orgs.authorise_agent(&org.id, &agent.id, GrantScope::All, None, &admin.id, None).await.unwrap();
    assert!(matches!(
        orgs.appoint_administrator(&org.id, &agent.id, &admin.id, None).await,
        Err(OrgError::NotRepresentative)
    ));
    assert!(
        matches!(orgs.revoke(&admin_grant.id, &admin.id, None).await, Err(OrgError::NotRepresentative)),
        "an administrator cannot remove an administrator"
    );
    let members = orgs.members(&org.id).await.unwrap();
    let rep_membership = members.iter().find(|m| m.person_id == representative.id).unwrap();
    assert!(matches!(
        orgs.revoke(&rep_membership.id, &representative.id, None).await,
        Err(OrgError::RepresentativeIsPermanent)
    ));
    assert!(matches!(
        orgs.authorise_agent(&org.id, &agent.id, GrantScope::All, Some(app.provider.now() - 1), &admin.id, None).await,
        Err(OrgError::BadValidity)
    ));

    orgs.revoke(&agent_grant.id, &admin.id, None).await.unwrap();
    assert!(orgs.memberships_of(&agent.id).await.unwrap().is_empty(), "revoked at once");
    let until = app.provider.now() + 3600;
    orgs.authorise_agent(&org.id, &agent.id, GrantScope::All, Some(until), &representative.id, None).await.unwrap();
    assert_eq!(orgs.memberships_of(&agent.id).await.unwrap().len(), 1);
    app.clock.advance_secs(3601);
    assert!(orgs.memberships_of(&agent.id).await.unwrap().is_empty(), "expired grants stop by themselves");

    let audit = app.provider.audit();
    let actions: Vec<String> = audit
        .search(&yimen::store::audit::AuditFilter { limit: 100, ..Default::default() })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for expected in [
        "org.create",
        "org.representative.bind",
        "org.administrator.appoint",
        "org.agent.authorise",
        "org.member.revoke",
    ] {
        assert!(actions.iter().any(|a| a == expected), "{expected} audited: {actions:?}");
    }
    let verification = audit.verify().await.unwrap();
    assert!(verification.problems.is_empty(), "{:?}", verification.problems);
    assert_eq!(verification.entries, 6, "one entry per change, none for refusals");
    app.stop().await;
}

#[tokio::test]
async fn the_representative_manages_agents_from_the_account_pages() {
    let app = TestApp::spawn().await;
    let representative = app.citizen().await;
    app.citizen_with(AGENT_ID, AGENT_PHONE).await;
    let orgs = orgs(&app);
    let org = orgs
        .create(
            &Uscc::parse("91350100M000100Y43").unwrap(),
            "测试科技有限公司",
            OrgKind::Enterprise,
            &Actor::operator(),
        )
        .await
        .unwrap();
    orgs.bind_representative(&org.id, &representative.id, &Actor::operator()).await.unwrap();
    let browser = app.browser();
    let (_, _, login) =
        browser.open(&app.url(&format!("/login?next=%2Faccount%2Forganisations%2F{}", org.id))).await.page();
    let mut step = browser.login_only(&login, PHONE, PASSWORD).await;
    if let Step::Page { ref url, ref html, .. } = step
        && url.contains("/account/acting")
    {
        step = browser
            .submit(
                "/account/acting",
                &[("csrf", &field(html, "csrf")), ("next", &field(html, "next")), ("choice", "self")],
            )
            .await;
    }
    let (_, url, page) = step.page();
    assert!(url.ends_with(&format!("/account/organisations/{}", org.id)), "{url}");
    let action = format!("/account/organisations/{}", org.id);
    let (_, _, refused) = browser
        .submit(
            &action,
            &[
                ("csrf", &field(&page, "csrf")),
                ("action", "grant"),
                ("name", "王五"),
                ("id_number", AGENT_ID),
                ("role", "agent"),
                ("scope", "all"),
            ],
        )
        .await
        .page();
    assert!(refused.contains("没有找到与该姓名和证件号码一致的账号"), "name and number must match");
    let (status, _, granted) = browser
        .submit(
            &action,
            &[
                ("csrf", &field(&page, "csrf")),
                ("action", "grant"),
                ("name", "张三"),
                ("id_number", AGENT_ID),
                ("role", "agent"),
                ("scope", "all"),
                ("valid_until", "2099-12-31"),
            ],
        )
        .await
        .page();
    assert_eq!(status, 200, "{granted}");
    assert!(granted.contains("440*************30") && granted.contains("经办人"));
    // Granting the same role again is refused in Chinese, not in the service's English.
    let grant_again = |scope: &'static str, system: &'static str| {
        let csrf = field(&granted, "csrf");
        let action = action.clone();
        let browser = &browser;
        async move {
            browser
                .submit(
                    &action,
                    &[
                        ("csrf", csrf.as_str()),
                        ("action", "grant"),
                        ("name", "张三"),
                        ("id_number", AGENT_ID),
                        ("role", "agent"),
                        ("scope", scope),
                        ("system", system),
                    ],
                )
                .await
                .page()
        }
    };
    let (status, _, again) = grant_again("all", "").await;
    assert_eq!(status, 400);
    assert!(again.contains("此人在该单位已有这一身份"), "a domain refusal reads in Chinese: {again}");
    assert!(!again.contains("already has that role"), "{again}");
    // A system that is not registered (a typed name, a stale id) is refused, not stored.
    let (status, _, unknown) = grant_again("only", "社保查询系统").await;
    assert_eq!(status, 400);
    assert!(unknown.contains("所选系统不存在或已停用"), "{unknown}");
    let agent_membership = orgs.members(&org.id).await.unwrap().into_iter().find(|m| m.valid_until.is_some()).unwrap();
    let (_, _, revoked) = browser
        .submit(
            &action,
            &[("csrf", &field(&granted, "csrf")), ("action", "revoke"), ("membership_id", &agent_membership.id)],
        )
        .await
        .page();
    assert!(!revoked.contains("440*************30"), "the agent's row is gone");

    let stranger = app.browser();
    let (_, _, login) = stranger.open(&app.url("/login")).await.page();
    stranger.login_only(&login, AGENT_PHONE, PASSWORD).await;
    let (status, _, _) = stranger.open(&app.url(&action)).await.page();
    assert_eq!(status, 403, "only managers see the members");
    app.stop().await;
}
