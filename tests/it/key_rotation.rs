//! `yimen keys rotate`, run beside a serving instance: within seconds the server publishes the new keys,
//! signs with them once every instance can have published them, and keeps the old keys published, so
//! tokens they signed still verify.

use crate::helpers::{PHONE, TestApp};
use crate::logout::id_token_for;
use crate::rp::http;
use std::collections::BTreeSet;

async fn published_kids(app: &TestApp) -> BTreeSet<String> {
    let jwks: serde_json::Value = http().get(app.url("/jwks")).send().await.unwrap().json().await.unwrap();
    jwks["keys"].as_array().unwrap().iter().map(|key| key["kid"].as_str().unwrap().to_owned()).collect()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.expect("a kid")
}

#[tokio::test]
async fn a_rotation_from_the_command_line_reaches_the_running_server_in_seconds() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let registered = app.confidential_client().await;
    let old_token = id_token_for(&app, &app.browser(), &registered, PHONE).await;
    let old_kid = kid_of(&old_token);
    let before = published_kids(&app).await;
    // See the_command_line_issues_enrolment_codes_for_role_holders_only: the first upkeep round.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;

    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_yimen"));
    command.args(["keys", "rotate"]).env("YIMEN_DATA_DIR", app.data_dir()).env_remove("YIMEN_REDIS_URL");
    match app.database_url() {
        Some(url) => command.env("YIMEN_DATABASE_URL", url),
        None => command.env_remove("YIMEN_DATABASE_URL"),
    };
    let output = command.output().expect("the yimen binary runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let mut after = published_kids(&app).await;
    for _ in 0..50 {
        if after.len() > before.len() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        after = published_kids(&app).await;
    }
    assert!(before.is_subset(&after), "the old keys stay published: {before:?} → {after:?}");
    assert!(after.len() > before.len(), "the new keys are published within seconds: {after:?}");

    // Published is not yet signing: another instance may not publish the new key for a moment.
    let meanwhile = id_token_for(&app, &app.browser(), &registered, PHONE).await;
    assert_eq!(kid_of(&meanwhile), old_kid, "the old key signs until every instance publishes the new one");
    app.clock.advance_secs(yimen::keys::PUBLISH_LEAD_SECS);
    let new_token = id_token_for(&app, &app.browser(), &registered, PHONE).await;
    let new_kid = kid_of(&new_token);
    assert_ne!(new_kid, old_kid, "new tokens are signed with the new key");
    assert!(after.contains(&new_kid) && !before.contains(&new_kid));
    assert!(after.contains(&old_kid), "a token signed before the rotation still finds its key");
    app.stop().await;
}
