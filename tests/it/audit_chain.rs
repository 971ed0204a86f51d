//! The audit log's hash chain: intact after real work, and `yimen audit verify` (and the library call it
//! wraps) names the entry that was altered, the entries that went missing, and a log cut short.

use crate::helpers::{ID_NUMBER, TestApp};
use yimen::audit::{Actor, ChainProblem};
use yimen::counter::{HallKind, InPersonCheck};
use yimen::identity::document::IdDocument;
use yimen::identity::resident_id::ResidentId;
use yimen::identity::roles::RoleKind;

/// Runs `yimen audit verify` on the test's database; returns (succeeded, stdout + stderr).
fn cli_verify(app: &TestApp) -> (bool, String) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_yimen"));
    command.args(["audit", "verify"]).env("YIMEN_DATA_DIR", app.data_dir()).env_remove("YIMEN_REDIS_URL");
    match app.database_url() {
        Some(url) => command.env("YIMEN_DATABASE_URL", url),
        None => command.env_remove("YIMEN_DATABASE_URL"),
    };
    let output = command.output().expect("the yimen binary runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

async fn problems(app: &TestApp) -> Vec<ChainProblem> {
    app.desk.audit.verify().await.unwrap().problems
}

#[tokio::test]
async fn verify_names_altered_missing_and_truncated_entries() {
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    let hall = app.desk.halls.create("市民中心", HallKind::City, None, &Actor::operator()).await.unwrap();
    let staff = app.citizen_with("440301199003071230", "13700137000").await;
    app.desk.roles.grant(&staff.id, RoleKind::HallStaff, Some(&hall.id), &Actor::operator()).await.unwrap();
    let seat = app.desk.seat(&staff.id, None, None).await.unwrap();
    let document = IdDocument::from_resident_id(ResidentId::parse(ID_NUMBER, 20261125).unwrap());
    let check = InPersonCheck { document, name: "张三".into(), valid_until: None, face_matches: true, approve: true };
    for _ in 0..3 {
        app.desk.verify_person(&seat, &person, &check).await.unwrap();
    }
    let intact = app.desk.audit.verify().await.unwrap();
    assert!(intact.entries >= 5, "hall, role and three checks at least: {}", intact.entries);
    assert!(intact.problems.is_empty(), "{:?}", intact.problems);
    let (ok, text) = cli_verify(&app);
    assert!(ok && text.contains("intact"), "{text}");

    app.execute_sql("UPDATE audit_log SET detail = '{\"approved\":false}' WHERE seq = 2").await;
    assert_eq!(problems(&app).await, vec![ChainProblem::Altered { seq: 2 }]);
    let (ok, text) = cli_verify(&app);
    assert!(!ok, "the command fails on a broken chain");
    assert!(text.contains("entry 2 was altered"), "{text}");

    app.execute_sql("DELETE FROM audit_log WHERE seq = 3").await;
    let found = problems(&app).await;
    assert!(found.contains(&ChainProblem::Missing { after: 2, next: 4 }), "{found:?}");

    let last = intact.entries;
    app.execute_sql(&format!("DELETE FROM audit_log WHERE seq = {last}")).await;
    let found = problems(&app).await;
    assert!(found.contains(&ChainProblem::Truncated { last: last - 1, head: last }), "{found:?}");
    let (ok, text) = cli_verify(&app);
    assert!(!ok && text.contains("removed from the end"), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn rewriting_an_entry_and_its_hash_is_still_caught() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    for name in ["市民中心", "第二市民中心"] {
        app.desk.halls.create(name, HallKind::City, None, &Actor::operator()).await.unwrap();
    }
    // An intruder who recomputes a plain SHA-256 still cannot forge the keyed hash, and the next entry's
    // prev_hash no longer follows.
    app.execute_sql("UPDATE audit_log SET hash = 'forged', detail = '{}' WHERE seq = 1").await;
    let found = problems(&app).await;
    assert!(found.contains(&ChainProblem::Altered { seq: 1 }), "{found:?}");
    assert!(found.contains(&ChainProblem::Broken { seq: 2 }), "{found:?}");
    app.stop().await;
}
