//! The counter: staff seats at halls, the in-person check and what it refuses, assisted registration and
//! four-eyes credential reset with activation codes texted to the person only, four-eyes organisation
//! verification by staff of the recording hall or above, a supervisor's
//! revocation, daily volumes over a hall's subtree, and the desk's refusal without a passkey sign-in.

use crate::helpers::{ID_NUMBER, PASSWORD, PHONE, TestApp, field};
use crate::rp::{code_for, post_form, token_request};
use yimen::audit::Actor;
use yimen::clock::Clock;
use yimen::counter::{DeskError, Hall, HallKind, InPersonCheck, StaffSeat};
use yimen::identity::document::IdDocument;
use yimen::identity::organisation::{MemberRole, OrgKind};
use yimen::identity::phone::PhoneNumber;
use yimen::identity::resident_id::ResidentId;
use yimen::identity::roles::RoleKind;
use yimen::identity::uscc::Uscc;

const STAFF_ID: &str = "440301199003071230";
const STAFF_PHONE: &str = "13700137000";
const SECOND_STAFF_ID: &str = "320102198506120034";
const SECOND_STAFF_PHONE: &str = "13600136000";
const NEWCOMER_ID: &str = "510107197203040013";
const NEWCOMER_PHONE: &str = "13500135000";
const USCC: &str = "91350100M000100Y43";

fn document(number: &str) -> IdDocument {
    IdDocument::from_resident_id(ResidentId::parse(number, 20261125).unwrap())
}

fn check(number: &str, name: &str) -> InPersonCheck {
    InPersonCheck {
        document: document(number),
        name: name.into(),
        valid_until: Some(20360101),
        face_matches: true,
        approve: true,
    }
}

async fn hall(app: &TestApp, name: &str, kind: HallKind, parent: Option<&str>) -> Hall {
    app.desk.halls.create(name, kind, parent, &Actor::operator()).await.expect("the hall is created")
}

/// A new person with a staff (or supervisor) role at a hall, and their seat there.
async fn staff_at(app: &TestApp, hall: &Hall, id_number: &str, phone: &str, role: RoleKind) -> StaffSeat {
    let person = app.citizen_with(id_number, phone).await;
    app.desk.roles.grant(&person.id, role, Some(&hall.id), &Actor::operator()).await.unwrap();
    app.desk.seat(&person.id, None, Some("10.1.2.3".into())).await.expect("a seat at the hall")
}

async fn audit_entries(app: &TestApp, action_prefix: &str) -> Vec<yimen::store::audit::AuditRow> {
    let filter = yimen::store::audit::AuditFilter {
        action_prefix: Some(action_prefix.into()),
        limit: 1_000,
        ..Default::default()
    };
    app.desk.audit.search(&filter).await.unwrap()
}

async fn acr(app: &TestApp, person_id: &str) -> String {
    app.desk.assurance.acr_of(person_id).await.unwrap()
}

#[tokio::test]
async fn an_in_person_check_refuses_what_does_not_match_and_approval_raises_the_level_at_once() {
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    let city = hall(&app, "市民中心", HallKind::City, None).await;
    let seat = staff_at(&app, &city, STAFF_ID, STAFF_PHONE, RoleKind::HallStaff).await;
    assert!(matches!(app.desk.seat(&person.id, None, None).await, Err(DeskError::NotStaff)), "a citizen has no seat");
    let before = app.desk.assurance.evidence().of(&person.id).await.unwrap().len();

    let refusals = [
        (check(SECOND_STAFF_ID, "张三"), "another person's document"),
        (check(ID_NUMBER, "李四"), "another name"),
        (InPersonCheck { valid_until: Some(20200101), ..check(ID_NUMBER, "张三") }, "an expired document"),
        (InPersonCheck { face_matches: false, ..check(ID_NUMBER, "张三") }, "a face that does not match"),
    ];
    let mut errors = Vec::new();
    for (refused, what) in &refusals {
        let error = app.desk.verify_person(&seat, &person, refused).await.expect_err(what);
        errors.push(format!("{error:?}"));
    }
    assert_eq!(errors, ["DocumentMismatch", "NameMismatch", "DocumentExpired", "FaceNotConfirmed"]);
    assert_eq!(
        app.desk.assurance.evidence().of(&person.id).await.unwrap().len(),
        before,
        "a refused check records nothing"
    );
    assert_eq!(acr(&app, &person.id).await, "urn:yimen:loa:1");

    let outcome = app.desk.verify_person(&seat, &person, &check(ID_NUMBER, "张三")).await.unwrap();
    assert!(outcome.approved);
    assert_eq!(outcome.acr, "urn:yimen:loa:4");
    assert_eq!(acr(&app, &person.id).await, "urn:yimen:loa:4");
    assert!(app.sent_texts(PHONE).iter().any(|text| text.contains("四级")), "the person is told by SMS");

    let evidence = app.desk.assurance.evidence().of(&person.id).await.unwrap();
    let counter = evidence.iter().find(|e| e.method == "counter").expect("the counter evidence");
    assert_eq!(
        (counter.verifier.as_str(), counter.hall_id.as_deref()),
        (seat.person_id.as_str(), Some(city.id.as_str()))
    );
    assert!(!counter.reference.as_deref().unwrap().contains(ID_NUMBER), "the reference is masked");

    let entries = audit_entries(&app, "counter.").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor_id.as_deref(), Some(seat.person_id.as_str()));
    assert_eq!((entries[0].actor_role.as_str(), entries[0].hall_id.as_deref()), ("staff", Some(city.id.as_str())));
    assert_eq!(entries[0].origin.as_deref(), Some("10.1.2.3"));
    app.stop().await;
}

#[tokio::test]
async fn a_supervisor_revokes_a_verification_and_the_person_is_signed_out_everywhere() {
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    let city = hall(&app, "市民中心", HallKind::City, None).await;
    let staff = staff_at(&app, &city, STAFF_ID, STAFF_PHONE, RoleKind::HallStaff).await;
    let supervisor = staff_at(&app, &city, SECOND_STAFF_ID, SECOND_STAFF_PHONE, RoleKind::HallSupervisor).await;
    assert!(supervisor.supervisor);
    app.desk.verify_person(&staff, &person, &check(ID_NUMBER, "张三")).await.unwrap();

    let client = app.confidential_client().await;
    let basic = (client.client.id.as_str(), client.secret.as_deref().unwrap());
    let browser = app.browser();
    let (code, verifier) = code_for(&app, &browser, &client.client.id, "openid").await;
    let (_, tokens, _) = token_request(
        &app,
        Some(basic),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", crate::helpers::RP),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();

    let counter_evidence = app
        .desk
        .assurance
        .evidence()
        .of(&person.id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.method == "counter")
        .unwrap();
    let refused = app.desk.revoke_verification(&staff, &counter_evidence.id, "证件系伪造").await;
    assert!(matches!(refused, Err(DeskError::NotSupervisor)), "staff cannot revoke");
    assert!(
        matches!(
            app.desk.revoke_verification(&supervisor, &counter_evidence.id, "  ").await,
            Err(DeskError::ReasonNeeded)
        ),
        "a reason is required"
    );
    let level = app.desk.revoke_verification(&supervisor, &counter_evidence.id, "证件系伪造").await.unwrap();
    assert_eq!(level, "urn:yimen:loa:1");
    assert_eq!(acr(&app, &person.id).await, "urn:yimen:loa:1", "the level drops at once");

    let (_, introspection, _) = post_form(&app, "/introspect", Some(basic), &[("token", access)]).await;
    assert_eq!(introspection["active"], false, "the access token ended");
    let (status, refreshed, _) =
        token_request(&app, Some(basic), &[("grant_type", "refresh_token"), ("refresh_token", refresh)]).await;
    assert_eq!((status, refreshed["error"].as_str()), (400, Some("invalid_grant")), "the refresh token ended");
    let (_, account_url, _) = browser.open(&app.url("/account")).await.page();
    assert!(account_url.contains("/login"), "the SSO session ended: {account_url}");
    assert!(app.sent_texts(PHONE).iter().any(|text| text.contains("撤销")), "the person is told");
    assert!(
        matches!(
            app.desk.revoke_verification(&supervisor, &counter_evidence.id, "again").await,
            Err(DeskError::UnknownVerification)
        ),
        "a revocation happens once"
    );
    app.stop().await;
}

#[tokio::test]
async fn an_organisation_takes_effect_only_when_a_second_staff_member_confirms() {
    let app = TestApp::spawn().await;
    let representative = app.citizen().await;
    let city = hall(&app, "市民中心", HallKind::City, None).await;
    let first = staff_at(&app, &city, STAFF_ID, STAFF_PHONE, RoleKind::HallStaff).await;
    let second = staff_at(&app, &city, SECOND_STAFF_ID, SECOND_STAFF_PHONE, RoleKind::HallStaff).await;
    let uscc = Uscc::parse(USCC).unwrap();

    let mismatch = app
        .desk
        .record_organisation(
            &first,
            &uscc,
            "测试科技有限公司",
            OrgKind::Enterprise,
            &representative,
            &check(STAFF_ID, "张三"),
        )
        .await;
    assert!(matches!(mismatch, Err(DeskError::DocumentMismatch)), "the representative's document is checked too");
    let recorded = app
        .desk
        .record_organisation(
            &first,
            &uscc,
            "测试科技有限公司",
            OrgKind::Enterprise,
            &representative,
            &check(ID_NUMBER, "张三"),
        )
        .await
        .unwrap();
    assert!(
        app.desk.orgs.find_by_uscc(&uscc).await.unwrap().is_none(),
        "nothing takes effect on one staff member's word"
    );
    let waiting = app.desk.open_verifications(&second).await.unwrap();
    assert_eq!(waiting.len(), 1, "the second staff member sees it waiting");
    let evidence: serde_json::Value = serde_json::from_str(waiting[0].evidence.as_deref().unwrap()).unwrap();
    assert_eq!(
        (evidence["document_kind"].as_str(), evidence["face_matched"].as_bool()),
        (Some("resident_id"), Some(true)),
        "with what the first staff member checked: {evidence}"
    );
    assert!(!waiting[0].evidence.as_deref().unwrap().contains(ID_NUMBER), "but not the document number");
    assert!(matches!(app.desk.settle_organisation(&first, &recorded, true).await, Err(DeskError::SameStaff)));
    let elsewhere = hall(&app, "鼓楼区政务服务中心", HallKind::City, None).await;
    let outsider = staff_at(&app, &elsewhere, NEWCOMER_ID, NEWCOMER_PHONE, RoleKind::HallSupervisor).await;
    assert!(
        matches!(app.desk.settle_organisation(&outsider, &recorded, true).await, Err(DeskError::OtherHall)),
        "staff of an unrelated hall cannot settle it"
    );

    let org_id = app.desk.settle_organisation(&second, &recorded, true).await.unwrap().expect("the organisation");
    let org = app.desk.orgs.find_by_uscc(&uscc).await.unwrap().expect("now it exists");
    assert_eq!((org.id.as_str(), org.name.as_str()), (org_id.as_str(), "测试科技有限公司"));
    let memberships = app.desk.orgs.memberships_of(&representative.id).await.unwrap();
    assert!(
        memberships.iter().any(|(m, o)| o.id == org_id && m.role == MemberRole::LegalRepresentative),
        "the representative is bound"
    );
    assert!(matches!(app.desk.settle_organisation(&second, &recorded, true).await, Err(DeskError::AlreadySettled)));
    assert!(app.desk.open_verifications(&second).await.unwrap().is_empty());

    let again = app
        .desk
        .record_organisation(
            &second,
            &uscc,
            "测试科技有限公司",
            OrgKind::Enterprise,
            &representative,
            &check(ID_NUMBER, "张三"),
        )
        .await
        .unwrap();
    assert_eq!(app.desk.settle_organisation(&first, &again, false).await.unwrap(), None, "a rejection binds nobody");
    let actions: Vec<String> = audit_entries(&app, "counter.").await.into_iter().map(|e| e.action).collect();
    for action in ["counter.org.record", "counter.org.confirm", "counter.org.reject"] {
        assert!(actions.iter().any(|a| a == action), "{action} is audited: {actions:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn assisted_registration_texts_an_activation_code_the_person_redeems_once() {
    let app = TestApp::spawn().await;
    let city = hall(&app, "市民中心", HallKind::City, None).await;
    let seat = staff_at(&app, &city, STAFF_ID, STAFF_PHONE, RoleKind::HallStaff).await;
    let phone = PhoneNumber::parse(NEWCOMER_PHONE).unwrap();

    let person = app.desk.assisted_registration(&seat, &check(NEWCOMER_ID, "王五"), Some(phone.clone())).await.unwrap();
    let code = activation_code_sent_to(&app, NEWCOMER_PHONE);
    assert_eq!(acr(&app, &person.id).await, "urn:yimen:loa:4", "registered in person is verified in person");
    let duplicate = app.desk.assisted_registration(&seat, &check(NEWCOMER_ID, "王五"), Some(phone)).await;
    assert!(matches!(duplicate, Err(DeskError::AlreadyRegistered)));

    let browser = app.browser();
    let (_, _, page) = browser.open(&app.url("/activate")).await.page();
    let activate = |code: String, number: &'static str, csrf: String| {
        let browser = &browser;
        async move {
            browser
                .submit(
                    "/activate",
                    &[
                        ("csrf", &csrf),
                        ("code", &code),
                        ("document_number", number),
                        ("password", PASSWORD),
                        ("password2", PASSWORD),
                    ],
                )
                .await
        }
    };
    let (status, _, wrong) = activate(code.clone(), ID_NUMBER, field(&page, "csrf")).await.page();
    assert_eq!(status, 401, "the code goes with the holder's document number");
    let (status, _, _) = activate("ZZZZ-ZZZZ".into(), NEWCOMER_ID, field(&wrong, "csrf")).await.page();
    assert_eq!(status, 401);
    let done = activate(code.to_lowercase().replace('-', ""), NEWCOMER_ID, field(&wrong, "csrf")).await;
    let (_, url, _) = done.page();
    assert!(url.contains("/account"), "activation signs the person in: {url}");

    let again = app.browser();
    let (_, _, page) = again.open(&app.url("/activate")).await.page();
    let (status, _, _) = again
        .submit(
            "/activate",
            &[
                ("csrf", &field(&page, "csrf")),
                ("code", &code),
                ("document_number", NEWCOMER_ID),
                ("password", PASSWORD),
                ("password2", PASSWORD),
            ],
        )
        .await
        .page();
    assert_eq!(status, 401, "an activation code works once");
    let (_, _, login) = again.open(&app.url("/login")).await.page();
    let (_, url, _) = again.login_only(&login, NEWCOMER_PHONE, PASSWORD).await.page();
    assert!(url.contains("/account"), "the chosen password signs in: {url}");
    app.stop().await;
}

/// The newest activation code texted to a phone (the codes go nowhere else).
fn activation_code_sent_to(app: &TestApp, phone: &str) -> String {
    let pattern = regex::Regex::new(r"激活码 ([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})").unwrap();
    let texts = app.sent_texts(phone);
    texts
        .iter()
        .rev()
        .find_map(|text| pattern.captures(text).map(|c| c[1].to_owned()))
        .unwrap_or_else(|| panic!("no activation code was texted to {phone}: {texts:?}"))
}

#[tokio::test]
async fn a_reset_takes_a_second_staff_member_and_texts_the_code_to_the_person_only() {
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    let city = hall(&app, "市民中心", HallKind::City, None).await;
    let elsewhere = hall(&app, "鼓楼区政务服务中心", HallKind::City, None).await;
    let seat = staff_at(&app, &city, STAFF_ID, STAFF_PHONE, RoleKind::HallStaff).await;
    let second = staff_at(&app, &city, SECOND_STAFF_ID, SECOND_STAFF_PHONE, RoleKind::HallStaff).await;
    let outsider = staff_at(&app, &elsewhere, "110101199003076771", "13900139000", RoleKind::HallSupervisor).await;
    let signed_in = app.browser();
    let (_, _, login) = signed_in.open(&app.url("/login")).await.page();
    signed_in.login_only(&login, PHONE, PASSWORD).await;

    let refused = app.desk.record_reset(&seat, &person, &check(ID_NUMBER, "张三四"), None).await;
    assert!(matches!(refused, Err(DeskError::NameMismatch)));
    let new_phone = PhoneNumber::parse(NEWCOMER_PHONE).unwrap();
    let reset = app.desk.record_reset(&seat, &person, &check(ID_NUMBER, "张三"), Some(new_phone)).await.unwrap();

    // One staff member alone changes nothing.
    let (_, url, _) = signed_in.open(&app.url("/account")).await.page();
    assert!(url.ends_with("/account"), "still signed in while the reset waits: {url}");
    assert!(app.accounts.password_login(PHONE, &yimen::secret::SecretString::new(PASSWORD), None).await.is_ok());
    assert!(matches!(app.desk.settle_reset(&seat, &reset, true).await, Err(DeskError::SameStaff)));
    assert!(matches!(app.desk.settle_reset(&outsider, &reset, true).await, Err(DeskError::OtherHall)));
    assert!(app.sent_texts(NEWCOMER_PHONE).is_empty(), "no code before the confirmation");

    let sent_to = app.desk.settle_reset(&second, &reset, true).await.unwrap();
    assert_eq!(sent_to.as_deref(), Some("135****5000"), "the code went to the new phone");
    assert!(matches!(app.desk.settle_reset(&second, &reset, true).await, Err(DeskError::AlreadySettled)));
    let (_, url, _) = signed_in.open(&app.url("/account")).await.page();
    assert!(url.contains("/login"), "the old sessions ended: {url}");
    let browser = app.browser();
    let (_, _, login) = browser.open(&app.url("/login")).await.page();
    let (_, url, _) = browser.login_only(&login, NEWCOMER_PHONE, PASSWORD).await.page();
    assert!(url.contains("/login"), "the old password no longer works: {url}");
    let old_phone = app.sent_texts(PHONE);
    assert!(
        old_phone.iter().any(|text| text.contains("市民中心") && text.contains("手机号已更换")),
        "the old phone is told where: {old_phone:?}"
    );
    assert!(old_phone.iter().all(|text| !text.contains("激活码")), "the old phone gets no code");
    let code = activation_code_sent_to(&app, NEWCOMER_PHONE);

    let (_, _, page) = browser.open(&app.url("/activate")).await.page();
    let new_password = "copper-meadow-lantern-4";
    let step = browser
        .submit(
            "/activate",
            &[
                ("csrf", &field(&page, "csrf")),
                ("code", &code),
                ("document_number", ID_NUMBER),
                ("password", new_password),
                ("password2", new_password),
            ],
        )
        .await;
    assert!(step.page().1.contains("/account"));
    let fresh = app.browser();
    let (_, _, login) = fresh.open(&app.url("/login")).await.page();
    let (_, url, _) = fresh.login_only(&login, NEWCOMER_PHONE, new_password).await.page();
    assert!(url.contains("/account"), "the new phone and password sign in: {url}");
    let audited = audit_entries(&app, "counter.reset").await;
    let actions: Vec<&str> = audited.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"counter.reset.record") && actions.contains(&"counter.reset.confirm"), "{actions:?}");
    assert!(audited.iter().all(|e| !e.detail.contains(NEWCOMER_PHONE)), "the new phone is masked in the audit");

    // A recorded reset does not wait for ever.
    let stale = app.desk.record_reset(&seat, &person, &check(ID_NUMBER, "张三"), None).await.unwrap();
    app.clock.advance_secs(86_401);
    assert!(matches!(app.desk.settle_reset(&second, &stale, true).await, Err(DeskError::ResetExpired)));
    app.stop().await;
}

#[tokio::test]
async fn a_hall_sees_its_daily_volume_and_that_of_the_halls_below_it() {
    let app = TestApp::spawn().await;
    let person = app.citizen().await;
    let city = hall(&app, "市民中心", HallKind::City, None).await;
    let district = hall(&app, "鼓楼区政务服务中心", HallKind::District, Some(&city.id)).await;
    let town = hall(&app, "东街街道便民服务中心", HallKind::Town, Some(&district.id)).await;
    let supervisor = staff_at(&app, &city, STAFF_ID, STAFF_PHONE, RoleKind::HallSupervisor).await;
    let town_staff = staff_at(&app, &town, SECOND_STAFF_ID, SECOND_STAFF_PHONE, RoleKind::HallStaff).await;

    app.desk.verify_person(&town_staff, &person, &check(ID_NUMBER, "张三")).await.unwrap();
    app.desk
        .assisted_registration(
            &town_staff,
            &check(NEWCOMER_ID, "王五"),
            Some(PhoneNumber::parse(NEWCOMER_PHONE).unwrap()),
        )
        .await
        .unwrap();
    app.desk.verify_person(&supervisor, &person, &check(ID_NUMBER, "张三")).await.unwrap();

    let day_start = app.clock.now() - 3_600;
    let mut from_city = app.desk.volume(&supervisor, day_start).await.unwrap();
    from_city.sort();
    let row = |hall: &str, task: &str| (hall.to_owned(), task.to_owned(), 1);
    let expected = vec![
        row("东街街道便民服务中心", "counter.register"),
        row("东街街道便民服务中心", "counter.verify"),
        row("市民中心", "counter.verify"),
    ];
    assert_eq!(from_city, expected, "the city hall sees its subtree");
    let from_town = app.desk.volume(&town_staff, day_start).await.unwrap();
    assert_eq!(from_town.len(), 2, "a town office sees only itself: {from_town:?}");
    assert!(app.desk.volume(&supervisor, day_start + 86_400).await.unwrap().is_empty(), "the next day is empty");
    app.stop().await;
}

#[tokio::test]
async fn the_desk_refuses_without_a_staff_role_or_a_passkey_sign_in_and_says_why() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let city = hall(&app, "市民中心", HallKind::City, None).await;
    staff_at(&app, &city, STAFF_ID, STAFF_PHONE, RoleKind::HallStaff).await;

    let anonymous = app.browser();
    let (_, url, _) = anonymous.open(&app.url("/desk")).await.page();
    assert!(url.contains("/login"), "the desk asks who you are first: {url}");

    let staff = app.browser();
    let (_, _, login) = staff.open(&app.url("/login?next=%2Fdesk")).await.page();
    let (status, _, page) = staff.login_only(&login, STAFF_PHONE, PASSWORD).await.page();
    assert_eq!(status, 403);
    assert!(page.contains("通行密钥"), "a password sign-in is refused with the reason: {page}");
    let (status, _, stats) = staff.open(&app.url("/desk/stats")).await.page();
    assert_eq!(status, 403, "every desk page refuses, not only the front page");
    assert!(stats.contains("通行密钥"));

    let citizen = app.browser();
    let (_, _, login) = citizen.open(&app.url("/login?next=%2Fdesk")).await.page();
    let (status, _, page) = citizen.login_only(&login, PHONE, PASSWORD).await.page();
    assert_eq!(status, 403);
    assert!(page.contains("通行密钥") || page.contains("窗口工作人员"), "a citizen is refused too: {page}");
    app.stop().await;
}

#[tokio::test]
async fn a_staff_seat_at_a_hall_is_validated() {
    let app = TestApp::spawn().await;
    let orphan =
        app.desk.halls.create("村便民服务点", HallKind::Village, Some("no-such-hall"), &Actor::operator()).await;
    assert!(orphan.is_err(), "a hall's parent must exist");
    let empty = app.desk.halls.create("  ", HallKind::City, None, &Actor::operator()).await;
    assert!(empty.is_err(), "a hall needs a name");
    let city = hall(&app, "市民中心", HallKind::City, None).await;
    let inverted = app.desk.halls.create("市级大厅", HallKind::City, Some(&city.id), &Actor::operator()).await;
    assert!(inverted.is_err(), "a city hall cannot sit under another hall");
    let person = app.citizen().await;
    app.desk.roles.grant(&person.id, RoleKind::HallStaff, Some(&city.id), &Actor::operator()).await.unwrap();
    let other = hall(&app, "鼓楼区政务服务中心", HallKind::District, Some(&city.id)).await;
    assert!(
        matches!(app.desk.seat(&person.id, Some(&other.id), None).await, Err(DeskError::NotStaff)),
        "a seat is only where the role is"
    );
    app.stop().await;
}

#[tokio::test]
async fn the_holder_proven_at_the_counter_takes_a_document_back_from_an_account_that_only_claimed_it() {
    let app = TestApp::spawn().await;
    let claimant = app.citizen().await;
    // What a self-registration proves: a phone, and a number typed in.
    for method in [yimen::assurance::Method::Sms, yimen::assurance::Method::SelfAsserted] {
        app.record_evidence(&claimant.id, method).await;
    }
    let city = hall(&app, "市民中心", HallKind::City, None).await;
    let seat = staff_at(&app, &city, STAFF_ID, STAFF_PHONE, RoleKind::HallStaff).await;
    let holder_phone = PhoneNumber::parse(NEWCOMER_PHONE).unwrap();

    let holder =
        app.desk.assisted_registration(&seat, &check(ID_NUMBER, "张三"), Some(holder_phone.clone())).await.unwrap();
    assert_ne!(holder.id, claimant.id, "the holder gets an account of their own");
    assert_eq!(acr(&app, &holder.id).await, "urn:yimen:loa:4");
    let before = app.accounts.find(&claimant.id).await.unwrap().unwrap();
    assert!(!before.can_sign_in(), "the claiming account is stopped");
    assert!(app.accounts.password_login(PHONE, &yimen::secret::SecretString::new(PASSWORD), None).await.is_err());
    let found = app.accounts.find_by_login_identifier(ID_NUMBER).await.unwrap().unwrap();
    assert_eq!(found.id, holder.id, "the number now leads to its holder");
    assert!(app.sent_texts(PHONE).iter().any(|text| text.contains("收回")), "the claimant is told by SMS");
    assert_eq!(audit_entries(&app, "account.reclaim").await.len(), 1);

    // A document on an account that was verified in any way is not taken back at a desk.
    let again = app
        .desk
        .assisted_registration(&seat, &check(ID_NUMBER, "张三"), Some(PhoneNumber::parse("13900139000").unwrap()))
        .await;
    assert!(matches!(again, Err(DeskError::AlreadyRegistered)), "{again:?}");
    app.stop().await;
}
