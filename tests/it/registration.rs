//! Self-registration by phone, and its refusals: bad identity numbers, wrong and expired codes, too
//! many attempts, numbers already taken.

use crate::helpers::{Step, TestApp, field};

const NEW_PHONE: &str = "13912345678";
const NEW_ID: &str = "440301199003071230";
const NEW_PASSWORD: &str = "lantern-quilt-harbour-7";

async fn send_code(app: &TestApp, browser: &crate::helpers::Browser, phone: &str) -> String {
    let (_, _, page) = browser.open(&app.url("/register")).await.page();
    let (status, _, page) =
        browser.submit("/register/code", &[("csrf", &field(&page, "csrf")), ("phone", phone)]).await.page();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("name=\"document_number\""), "the details form follows");
    page
}

fn details<'a>(page: &'a str, code: &'a str, id_number: &'a str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", field(page, "csrf")),
        ("code", code.to_owned()),
        ("name", "李四".to_owned()),
        ("document_type", "resident_id".to_owned()),
        ("document_number", id_number.to_owned()),
        ("password", NEW_PASSWORD.to_owned()),
        ("password2", NEW_PASSWORD.to_owned()),
    ]
}

async fn submit(browser: &crate::helpers::Browser, fields: &[(&'static str, String)]) -> Step {
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    browser.submit("/register", &borrowed).await
}

#[tokio::test]
async fn a_citizen_registers_with_a_phone_code_and_is_signed_in_at_level_one() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let page = send_code(&app, &browser, NEW_PHONE).await;
    let code = app.code_for(NEW_PHONE).await;
    let (status, url, account) = submit(&browser, &details(&page, &code, NEW_ID)).await.page();
    assert_eq!(status, 200);
    assert!(url.ends_with("/account"), "signed in and on the account page: {url}");
    assert!(account.contains("李四") && account.contains("440*************30") && account.contains("139****5678"));
    assert!(account.contains("一级"), "a new account is level 1");
    let export: serde_json::Value =
        browser.http.get(app.url("/account/data.json")).send().await.unwrap().json().await.unwrap();
    let created = export["account"]["created_at"].as_str().expect("times are text");
    assert!(
        time::OffsetDateTime::parse(created, &time::format_description::well_known::Rfc3339).is_ok()
            && created.ends_with("+08:00"),
        "times are ISO 8601 in China Standard Time: {created}"
    );
    assert!(export["about"]["verifications"].as_str().is_some_and(|t| !t.is_ascii()), "every section is described");
    let (status, _, page) = browser.open(&app.url("/account/data")).await.page();
    assert_eq!(status, 200);
    assert!(
        page.contains("实名核验记录") && page.contains("短信验证手机号") && page.contains(NEW_ID),
        "a readable page, in Chinese, with the full document number"
    );
    let methods: Vec<&str> =
        export["verifications"].as_array().unwrap().iter().map(|v| v["method"].as_str().unwrap()).collect();
    assert_eq!(methods, vec!["sms", "self_asserted"], "the evidence of a self-registration");
    assert_eq!(export["account"]["document_number"], NEW_ID);
    let person = app.accounts.find_by_login_identifier(NEW_ID).await.unwrap().expect("the account exists");
    assert!(person.phone_verified);
    app.stop().await;
}

#[tokio::test]
async fn registration_refuses_bad_numbers_wrong_codes_and_taken_phones() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let browser = app.browser();
    let page = send_code(&app, &browser, NEW_PHONE).await;
    let code = app.code_for(NEW_PHONE).await;
    let (status, _, refused) = submit(&browser, &details(&page, &code, "440301199003071231")).await.page();
    assert_eq!(status, 400);
    assert!(refused.contains("校验位不符"), "the reason is given, in the page's language");
    assert!(refused.contains("value=\"李四\""), "what was typed is kept");

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, _, refused) = submit(&browser, &details(&refused, wrong, NEW_ID)).await.page();
    assert_eq!(status, 401);
    assert!(refused.contains("验证码不正确"));

    app.clock.advance_secs(301);
    let (status, _, expired) = submit(&browser, &details(&refused, &code, NEW_ID)).await.page();
    assert_eq!(status, 401);
    assert!(expired.contains("已过期"));

    // A number that already has an account: said only once the code proves the number is theirs.
    app.clock.advance_secs(61);
    let page = send_code(&app, &browser, crate::helpers::PHONE).await;
    let code = app.code_for(crate::helpers::PHONE).await;
    let (status, _, taken) = submit(&browser, &details(&page, &code, NEW_ID)).await.page();
    assert_eq!(status, 400);
    assert!(taken.contains("已经注册过账号"));
    app.stop().await;
}

#[tokio::test]
async fn codes_allow_only_a_few_wrong_attempts_and_resending_is_limited() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let page = send_code(&app, &browser, NEW_PHONE).await;
    let code = app.code_for(NEW_PHONE).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut last = page.clone();
    for _ in 0..5 {
        last = submit(&browser, &details(&last, wrong, NEW_ID)).await.page().2;
    }
    assert!(last.contains("已过期或错误次数过多"), "five wrong entries void the code");
    let (_, _, after) = submit(&browser, &details(&last, &code, NEW_ID)).await.page();
    assert!(after.contains("已过期或错误次数过多"), "even the right code no longer works");
    let (status, _, too_soon) =
        browser.submit("/register/code", &[("csrf", &field(&after, "csrf")), ("resend", "1")]).await.page();
    assert_eq!(status, 429, "a new code only after the resend interval");
    assert!(too_soon.contains("秒后再试"));
    app.stop().await;
}

#[tokio::test]
async fn the_register_confirming_a_number_takes_it_back_from_an_account_that_only_claimed_it() {
    let app = TestApp::spawn().await;
    // Someone registered NEW_ID for themselves first: a phone and a typed-in number, nothing more.
    let browser = app.browser();
    let page = send_code(&app, &browser, crate::helpers::PHONE).await;
    let code = app.code_for(crate::helpers::PHONE).await;
    let (_, url, _) = submit(&browser, &details(&page, &code, NEW_ID)).await.page();
    assert!(url.ends_with("/account"), "{url}");
    let claimant = app.accounts.find_by_login_identifier(NEW_ID).await.unwrap().unwrap();
    // The register knows NEW_ID as 王五's.
    let register = serde_json::json!({ "people": [{ "id_number": NEW_ID, "name": "王五" }] });
    std::fs::write(app.data_dir().join("register.json"), register.to_string()).unwrap();

    // Someone else typing the number with a name the register does not confirm gets nothing.
    let other = app.browser();
    let page = send_code(&app, &other, "13600136000").await;
    let code = app.code_for("13600136000").await;
    let (status, _, refused) = submit(&other, &details(&page, &code, NEW_ID)).await.page();
    assert_eq!(status, 400);
    assert!(refused.contains("这个证件号码已经注册过账号"), "{refused}");
    assert!(app.accounts.find(&claimant.id).await.unwrap().unwrap().can_sign_in(), "the claimant is untouched");

    // 王五, whose name and number the register confirms, takes the number back.
    let holder = app.browser();
    let page = send_code(&app, &holder, NEW_PHONE).await;
    let code = app.code_for(NEW_PHONE).await;
    let mut fields = details(&page, &code, NEW_ID);
    fields[2].1 = "王五".to_owned();
    let (status, url, account) = submit(&holder, &fields).await.page();
    assert_eq!(status, 200, "{account}");
    assert!(url.ends_with("/account") && account.contains("二级"), "signed in at level 2: {url}");
    assert!(!app.accounts.find(&claimant.id).await.unwrap().unwrap().can_sign_in(), "the claimant is stopped");
    let found = app.accounts.find_by_login_identifier(NEW_ID).await.unwrap().unwrap();
    assert_ne!(found.id, claimant.id, "the number leads to its holder now");
    assert!(app.sent_texts(crate::helpers::PHONE).iter().any(|text| text.contains("收回")), "the claimant is told");
    app.stop().await;
}
