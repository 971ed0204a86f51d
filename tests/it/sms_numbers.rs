//! A mistyped number is never a dead end: every SMS code step shows the number the code went to, with a
//! way to change it (the number step comes back with what was typed) and to send the code again (with the
//! wait before that is possible); a phone change to the current number is refused before any code is sent.

use crate::helpers::{PHONE, Step, TestApp, field, optional_field, sign_in_twice};

const TYPO: &str = "13900139000";

fn code_phone(html: &str) -> Option<String> {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("#code-phone").unwrap();
    document.select(&selector).next().map(|e| e.text().collect())
}

fn resend_wait(html: &str) -> Option<String> {
    let document = scraper::Html::parse_document(html);
    let selector = scraper::Selector::parse("button#resend").unwrap();
    document.select(&selector).next().and_then(|e| e.value().attr("data-wait")).map(str::to_owned)
}

/// At the code step for `TYPO`: the number is shown with "change" and "send again"; changing brings back
/// the number step with the number as typed.
async fn change_from_typo(browser: &crate::helpers::Browser, sent: &str, send_action: &str) -> String {
    assert_eq!(code_phone(sent).as_deref(), Some(TYPO), "the code step shows the number it went to");
    assert_eq!(resend_wait(sent).as_deref(), Some("60"), "and when the code may be sent again");
    assert!(sent.contains("id=\"change-phone\""), "with a way to change the number");
    let mut fields = vec![("csrf", field(sent, "csrf")), ("change", "1".to_owned())];
    for name in ["rid", "next"] {
        if let Some(value) = optional_field(sent, name) {
            fields.push((name, value));
        }
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, again) = browser.submit(send_action, &fields).await.page();
    assert_eq!(status, 200);
    assert_eq!(optional_field(&again, "phone").as_deref(), Some(TYPO), "the number step, with the number as typed");
    assert!(optional_field(&again, "code").is_none() && code_phone(&again).is_none(), "no code step any more");
    again
}

#[tokio::test]
async fn sms_sign_in_and_password_reset_let_a_mistyped_number_be_changed() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let browser = app.browser();
    for (start, send, verify) in [
        ("/login/sms", "/login/sms/code", "/login/sms"),
        ("/password/reset", "/password/reset/code", "/password/reset"),
    ] {
        let (_, _, page) = browser.open(&app.url(start)).await.page();
        let (_, _, sent) = browser.submit(send, &[("csrf", &field(&page, "csrf")), ("phone", TYPO)]).await.page();
        let again = change_from_typo(&browser, &sent, send).await;
        // A fresh visit does not bring the old number back either.
        let (_, _, fresh) = browser.open(&app.url(start)).await.page();
        assert!(code_phone(&fresh).is_none(), "{start}: the changed number is forgotten");
        let (_, _, sent) = browser.submit(send, &[("csrf", &field(&again, "csrf")), ("phone", PHONE)]).await.page();
        assert_eq!(code_phone(&sent).as_deref(), Some(PHONE), "{start}");
        let code = app.code_for(PHONE).await;
        if verify == "/login/sms" {
            let step = browser.submit(verify, &[("csrf", &field(&sent, "csrf")), ("code", &code)]).await;
            assert!(matches!(step, Step::Page { status: 200, ref url, .. } if !url.contains("/login")), "signed in");
            let (_, _, account) = browser.open(&app.url("/")).await.page();
            assert!(account.contains("张三"), "signed in as the right person");
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn a_mistyped_number_at_registration_can_be_changed_and_a_bad_one_is_kept_to_correct() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let (_, _, page) = browser.open(&app.url("/register")).await.page();
    let (status, _, bad) =
        browser.submit("/register/code", &[("csrf", &field(&page, "csrf")), ("phone", "1390013900")]).await.page();
    assert_eq!(status, 400);
    assert_eq!(optional_field(&bad, "phone").as_deref(), Some("1390013900"), "what was typed stays to correct");
    let (_, _, sent) =
        browser.submit("/register/code", &[("csrf", &field(&bad, "csrf")), ("phone", TYPO)]).await.page();
    change_from_typo(&browser, &sent, "/register/code").await;
    app.stop().await;
}

#[tokio::test]
async fn a_phone_change_can_correct_the_new_number_and_refuses_the_current_one() {
    let app = TestApp::spawn().await;
    app.citizen().await;
    let browser = app.browser();
    let (status, url, page) = sign_in_twice(&app, &browser, PHONE, "/account/phone").await;
    assert_eq!((status, url.ends_with("/account/phone")), (200, true));
    let before = app.sent_codes().len();
    let (status, _, same) =
        browser.submit("/account/phone/code", &[("csrf", &field(&page, "csrf")), ("phone", PHONE)]).await.page();
    assert_eq!(status, 400);
    assert!(same.contains("这已是您当前的手机号"), "the current number is refused with a reason");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.sent_codes().len(), before, "and no code is sent for it");
    let (_, _, sent) =
        browser.submit("/account/phone/code", &[("csrf", &field(&same, "csrf")), ("phone", TYPO)]).await.page();
    assert!(sent.contains("name=\"resend\""), "the code step can send the code again");
    change_from_typo(&browser, &sent, "/account/phone/code").await;
    app.stop().await;
}
