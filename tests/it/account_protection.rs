//! One stolen factor cannot be turned into two: adding, renaming or removing a passkey, changing the phone
//! or the password and closing the account need a two-factor sign-in from the last ten minutes; a staff
//! member's first passkey may instead come with an enrolment code handed over in person, which works once;
//! every passkey added is audited and told to the account's phone.

use crate::helpers::{Browser, ID_NUMBER, PASSWORD, PHONE, TestApp, field, next_code_may_be_sent, sign_in_twice};
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_rs_proto::CreationChallengeResponse;
use yimen::audit::Actor;
use yimen::counter::HallKind;
use yimen::identity::roles::RoleKind;
use yimen::secret::SecretString;

const STAFF_ID: &str = "440301199003071230";
const STAFF_PHONE: &str = "13700137000";
const OTHER_ID: &str = "110101199003076771";
const OTHER_PHONE: &str = "13600136000";

async fn post_json(browser: &Browser, url: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = browser.http.post(url).json(&body).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// A browser signed in with the password alone; returns it with a CSRF token of its session.
async fn password_only(app: &TestApp, phone: &str) -> (Browser, String) {
    let browser = app.browser();
    let (_, _, login) = browser.open(&app.url("/login")).await.page();
    let (_, url, _) = browser.login_only(&login, phone, PASSWORD).await.page();
    assert!(url.ends_with("/account"), "{url}");
    let (_, _, sessions) = browser.open(&app.url("/account/sessions")).await.page();
    let csrf = field(&sessions, "csrf");
    (browser, csrf)
}

/// Registers a passkey with the software authenticator; returns the finish response.
async fn add_passkey(
    app: &TestApp,
    browser: &Browser,
    key: &mut SoftPasskey,
    csrf: &str,
    enrolment_code: &str,
) -> (u16, serde_json::Value) {
    let body = serde_json::json!({ "csrf": csrf, "enrolment_code": enrolment_code });
    let (status, options) = post_json(browser, &app.url("/account/passkeys/options"), body).await;
    if status != 200 {
        return (status, options);
    }
    let options: CreationChallengeResponse = serde_json::from_value(options).unwrap();
    let credential = key.do_registration(url::Url::parse(&app.base).unwrap(), options).expect("the key registers");
    let body = serde_json::json!({
        "csrf": csrf, "name": "工作密钥", "attachment": "cross-platform",
        "enrolment_code": enrolment_code, "credential": credential,
    });
    post_json(browser, &app.url("/account/passkeys/register"), body).await
}

async fn audit_actions(app: &TestApp, prefix: &str) -> Vec<(String, serde_json::Value)> {
    let filter = yimen::store::audit::AuditFilter {
        action_prefix: Some(prefix.to_owned()),
        limit: 1_000,
        ..yimen::store::audit::AuditFilter::default()
    };
    let rows = app.desk.audit.search(&filter).await.unwrap();
    rows.into_iter().map(|row| (row.action, serde_json::from_str(&row.detail).unwrap_or_default())).collect()
}

#[tokio::test]
async fn a_password_alone_cannot_add_a_passkey_or_change_how_the_account_signs_in() {
    let app = TestApp::spawn_on_localhost().await;
    let person = app.citizen().await;
    let (browser, csrf) = password_only(&app, PHONE).await;

    let (_, url, page) = browser.open(&app.url("/account/passkeys")).await.page();
    assert!(url.contains("/login/second"), "the passkeys page asks for a second factor first: {url}");
    assert!(page.contains("修改账号的登录方式前"), "and says why: {page}");
    let mut key = SoftPasskey::new(true);
    let (status, body) = add_passkey(&app, &browser, &mut key, &csrf, "").await;
    assert_eq!(status, 401, "no registration ceremony for a one-factor sign-in: {body}");
    let (status, _) =
        post_json(&browser, &app.url("/account/passkeys/register"), serde_json::json!({ "csrf": csrf })).await;
    assert_eq!(status, 401);

    let (_, url, _) = browser
        .submit(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("password", "fresh-linen-cloud-3"),
                ("password2", "fresh-linen-cloud-3"),
            ],
        )
        .await
        .page();
    assert!(url.contains("/login/second"), "{url}");
    let changed = app.accounts.password_login(PHONE, &SecretString::new("fresh-linen-cloud-3"), None).await;
    assert!(changed.is_err(), "the password did not change");

    let sent_before = app.sent_codes().len();
    let (_, url, _) = browser.submit("/account/phone/code", &[("csrf", &csrf), ("phone", OTHER_PHONE)]).await.page();
    assert!(url.contains("/login/second"), "{url}");
    assert_eq!(app.sent_codes().len(), sent_before, "no code went to a new phone");

    let (_, url, _) = browser
        .submit("/account/close", &[("csrf", &csrf), ("action", "close"), ("confirm", "yes"), ("current", PASSWORD)])
        .await
        .page();
    assert!(url.contains("/login/second"), "{url}");
    assert!(app.accounts.find(&person.id).await.unwrap().unwrap().is_active(), "the account is not closing");

    // An SMS sign-in is one factor too, and the same phone cannot be its second: it signs in again with
    // the password.
    let sms = app.browser();
    let (_, _, page) = sms.open(&app.url("/login/sms")).await.page();
    let (_, _, sent) = sms.submit("/login/sms/code", &[("csrf", &field(&page, "csrf")), ("phone", PHONE)]).await.page();
    let code = app.code_for(PHONE).await;
    let (_, url, _) = sms.submit("/login/sms", &[("csrf", &field(&sent, "csrf")), ("code", &code)]).await.page();
    assert!(url.ends_with("/account"), "signed in by SMS: {url}");
    let (_, url, page) = sms.open(&app.url("/account/passkeys")).await.page();
    assert!(url.contains("/login?next=%2Faccount%2Fpasskeys"), "{url}");
    assert!(page.contains("name=\"password\""), "the password is asked for: {page}");
    app.stop().await;
}

#[tokio::test]
async fn two_factors_open_the_changes_for_ten_minutes_and_every_passkey_is_told_to_the_phone() {
    let app = TestApp::spawn_on_localhost().await;
    app.citizen().await;
    let browser = app.browser();
    let (status, url, page) = sign_in_twice(&app, &browser, PHONE, "/account/passkeys").await;
    assert_eq!((status, url.ends_with("/account/passkeys")), (200, true), "{url}");
    assert!(!page.contains("enrolment-code"), "no enrolment code after two factors");
    let csrf = field(&page, "csrf");
    let mut key = SoftPasskey::new(true);
    let (status, done) = add_passkey(&app, &browser, &mut key, &csrf, "").await;
    assert_eq!(status, 200, "{done}");
    let (_, _, listed) = browser.open(&app.url(done["redirect"].as_str().unwrap())).await.page();
    assert!(listed.contains("已添加通行密钥"), "the page confirms the new passkey: {listed}");
    let notices = app.sent_texts(PHONE);
    assert!(notices.iter().any(|text| text.contains("添加了通行密钥“工作密钥”")), "the phone is told: {notices:?}");
    let added = audit_actions(&app, "account.passkey.add").await;
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].1["via"], "two_factor_sign_in");

    app.clock.advance_secs(601);
    let (_, url, login) = browser.open(&app.url("/account/passkeys")).await.page();
    assert!(url.contains("/login?next=%2Faccount%2Fpasskeys"), "ten minutes later the person signs in again: {url}");
    assert!(login.contains("name=\"password\""), "{login}");
    let (status, _) = add_passkey(&app, &browser, &mut SoftPasskey::new(true), &csrf, "").await;
    assert_eq!(status, 401, "an old two-factor sign-in adds no passkey");
    app.stop().await;
}

/// A hall with a staff member, and a platform administrator (张三) signed in with two factors at the
/// enrolment page.
async fn hall_and_admin(app: &TestApp) -> (String, Browser) {
    let admin = app.citizen().await;
    app.desk.roles.grant(&admin.id, RoleKind::PlatformAdmin, None, &Actor::operator()).await.unwrap();
    let hall = app.desk.halls.create("市民中心", HallKind::City, None, &Actor::operator()).await.unwrap();
    let staff = app.citizen_with(STAFF_ID, STAFF_PHONE).await;
    app.desk.roles.grant(&staff.id, RoleKind::HallStaff, Some(&hall.id), &Actor::operator()).await.unwrap();
    let browser = app.browser();
    let (status, url, _) = sign_in_twice(app, &browser, PHONE, "/admin/enrolment").await;
    assert_eq!((status, url.ends_with("/admin/enrolment")), (200, true), "{url}");
    (hall.id, browser)
}

/// Issues an enrolment code on the console page; returns (status, page).
async fn issue_code(app: &TestApp, issuer: &Browser, account: &str) -> (u16, String) {
    let (_, _, page) = issuer.open(&app.url("/admin/enrolment")).await.page();
    let (status, _, page) =
        issuer.submit("/admin/enrolment", &[("csrf", &field(&page, "csrf")), ("account", account)]).await.page();
    (status, page)
}

fn code_in(page: &str) -> String {
    regex::Regex::new(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}")
        .unwrap()
        .find(page)
        .expect("a code on the page")
        .as_str()
        .to_owned()
}

#[tokio::test]
async fn a_staff_members_first_passkey_takes_an_enrolment_code_that_works_once() {
    let app = TestApp::spawn_on_localhost().await;
    let (_, admin) = hall_and_admin(&app).await;
    app.citizen_with(OTHER_ID, OTHER_PHONE).await;

    let (status, refused) = issue_code(&app, &admin, OTHER_PHONE).await;
    assert_eq!(status, 422, "no codes for people without a role: {refused}");
    let (status, issued) = issue_code(&app, &admin, STAFF_PHONE).await;
    assert_eq!(status, 201, "{issued}");
    let code = code_in(&issued);

    let (staff, csrf) = password_only(&app, STAFF_PHONE).await;
    let (status, _, page) = staff.open(&app.url("/account/passkeys")).await.page();
    assert_eq!(status, 200, "a staff member without a passkey may enrol with a code: {page}");
    assert!(page.contains("id=\"enrolment-code\""), "{page}");
    let mut key = SoftPasskey::new(true);
    let (status, _) = add_passkey(&app, &staff, &mut key, &csrf, "ABCD-2345").await;
    assert_eq!(status, 401, "a wrong code adds nothing");
    let (status, done) = add_passkey(&app, &staff, &mut key, &csrf, &code.to_lowercase().replace('-', "")).await;
    assert_eq!(status, 200, "the code, however typed, enrols the first passkey: {done}");
    let (status, _, confirmed) = staff.open(&app.url(done["redirect"].as_str().unwrap())).await.page();
    assert_eq!(status, 200, "the confirmation opens without two factors: {confirmed}");
    assert!(confirmed.contains("已添加通行密钥") && confirmed.contains("工作密钥"), "{confirmed}");
    assert!(!confirmed.contains("passkey-add") && !confirmed.contains("value=\"remove\""), "but read-only");
    let added = audit_actions(&app, "account.passkey.add").await;
    assert_eq!(added.len(), 1);
    assert_eq!(added[0].1["via"], "enrolment_code");
    assert_eq!(audit_actions(&app, "passkey.enrolment_code.issue").await.len(), 1);
    assert!(app.sent_texts(STAFF_PHONE).iter().any(|text| text.contains("添加了通行密钥")));

    // The code is spent, and with a passkey on the account the way in is two factors, not a code.
    let (status, _) = add_passkey(&app, &staff, &mut SoftPasskey::new(true), &csrf, &code).await;
    assert_eq!(status, 401, "an enrolment code works once");
    let (_, url, _) = staff.open(&app.url("/account/passkeys")).await.page();
    assert!(url.contains("/login/second"), "{url}");

    // A citizen without a role is never offered a code.
    let (citizen, _) = password_only(&app, OTHER_PHONE).await;
    let (_, url, _) = citizen.open(&app.url("/account/passkeys")).await.page();
    assert!(url.contains("/login/second"), "{url}");
    app.stop().await;
}

#[tokio::test]
async fn enrolment_codes_expire_and_supervisors_issue_them_only_for_their_halls() {
    let app = TestApp::spawn_on_localhost().await;
    let (hall, admin) = hall_and_admin(&app).await;
    let (_, issued) = issue_code(&app, &admin, STAFF_PHONE).await;
    let code = code_in(&issued);
    app.clock.advance_secs(86_401);
    let (staff, csrf) = password_only(&app, STAFF_PHONE).await;
    let (status, _) = add_passkey(&app, &staff, &mut SoftPasskey::new(true), &csrf, &code).await;
    assert_eq!(status, 401, "a code older than a day is refused");

    // A supervisor of another hall cannot issue one for this hall's staff; one of this hall can.
    let other_hall = app.desk.halls.create("区政务中心", HallKind::City, None, &Actor::operator()).await.unwrap();
    let supervisor = app.citizen_with(OTHER_ID, OTHER_PHONE).await;
    let role = app
        .desk
        .roles
        .grant(&supervisor.id, RoleKind::HallSupervisor, Some(&other_hall.id), &Actor::operator())
        .await
        .unwrap();
    next_code_may_be_sent(&app).await;
    let browser = app.browser();
    sign_in_twice(&app, &browser, OTHER_PHONE, "/admin/enrolment").await;
    let (status, page) = issue_code(&app, &browser, STAFF_PHONE).await;
    assert_eq!(status, 403, "{page}");
    assert!(page.contains("只能为本大厅及下级大厅的工作人员签发"), "{page}");
    app.desk.roles.revoke(&role.id, &Actor::operator()).await.unwrap();
    app.desk.roles.grant(&supervisor.id, RoleKind::HallSupervisor, Some(&hall), &Actor::operator()).await.unwrap();
    let (status, page) = issue_code(&app, &browser, STAFF_PHONE).await;
    assert_eq!(status, 201, "{page}");
    app.stop().await;
}

#[tokio::test]
async fn the_command_line_issues_enrolment_codes_for_role_holders_only() {
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    let run = |account: &str| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_yimen"));
        command
            .args(["role", "enrol-code", "--account", account])
            .env("YIMEN_DATA_DIR", app.data_dir())
            .env_remove("YIMEN_REDIS_URL");
        match app.database_url() {
            Some(url) => command.env("YIMEN_DATABASE_URL", url),
            None => command.env_remove("YIMEN_DATABASE_URL"),
        };
        command.output().expect("the yimen binary runs")
    };
    // A command run in the very moment the server starts its first upkeep round can wait out SQLite's
    // busy timeout and fail ("database is locked"): a known defect, reported, not what this test is about.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let refused = run(ID_NUMBER);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("holds no role"));
    app.desk.roles.grant(&person.id, RoleKind::Auditor, None, &Actor::operator()).await.unwrap();
    let issued = run(ID_NUMBER);
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    let code = String::from_utf8_lossy(&issued.stdout).trim().to_owned();
    assert!(regex::Regex::new(r"^[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}$").unwrap().is_match(&code), "{code}");
    app.stop().await;
}
