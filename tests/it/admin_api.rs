//! The administration API: API tokens for administrators, role checks, and creating organisations.

use crate::helpers::{ID_NUMBER, TestApp};
use crate::rp::http;
use yimen::audit::Actor;
use yimen::identity::roles::{RoleKind, Roles};

#[tokio::test]
async fn platform_admins_create_organisations_with_their_representative() {
    let app = TestApp::spawn().await;
    let admin = app.citizen().await;
    let representative = app.citizen_with("440301199003071230", "13700137000").await;
    let roles: &Roles = app.provider.roles();
    assert!(
        roles.issue_api_token(&admin.id, "ops", 30, &Actor::operator()).await.is_err(),
        "tokens are for administrators"
    );
    roles.grant(&admin.id, RoleKind::PlatformAdmin, None, &Actor::operator()).await.unwrap();
    let token = roles.issue_api_token(&admin.id, "ops", 30, &Actor::operator()).await.unwrap();
    let url = app.url("/admin/api/organisations");
    let body = serde_json::json!({ "uscc": "91350100M000100Y43", "name": "测试科技有限公司", "representative_id_number": "440301199003071230" });

    let anonymous = http().post(&url).json(&body).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let forged = http().post(&url).bearer_auth("ymadm_forged").json(&body).send().await.unwrap();
    assert_eq!(forged.status(), 401);
    let bad = http()
        .post(&url)
        .bearer_auth(&token)
        .json(&serde_json::json!({ "uscc": "91350100M000100Y44", "name": "x", "representative_id_number": ID_NUMBER }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let bad: serde_json::Value = bad.json().await.unwrap();
    assert!(bad["message"].as_str().unwrap().contains("check character"));
    let created = http().post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.unwrap();
    assert_eq!(created["representative_id"], representative.id);
    let again = http().post(&url).bearer_auth(&token).json(&body).send().await.unwrap();
    assert_eq!(again.status(), 409);
    let listed: serde_json::Value = http().get(&url).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed["organisations"].as_array().unwrap().len(), 1);

    let role = roles.of(&admin.id).await.unwrap().remove(0);
    roles.revoke(&role.id, &Actor::operator()).await.unwrap();
    let after = http().get(&url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(after.status(), 403, "the token acts only while the role lasts");
    app.stop().await;
}
