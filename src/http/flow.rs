//! Helpers shared by the SMS-code pages: the phone number kept (encrypted) between the two steps, and
//! the message for each way sending or checking a code can fail.

use super::error::AppError;
use super::i18n::Tr;
use super::session::Browser;
use super::state::AppState;
use crate::identity::otp::{OtpError, OtpPurpose};
use crate::identity::phone::PhoneNumber;
use crate::identity::sms_code_check::CodeCheck;

const FIELD: &str = "flow.phone";

/// Remembers the phone number of a flow step; the session store sees only ciphertext.
pub async fn remember_phone(
    state: &AppState,
    browser: &Browser<'_>,
    flow: &str,
    phone: &PhoneNumber,
) -> Result<(), AppError> {
    let sealed = crate::crypto::b64url(&state.keyring.encrypt_pii(FIELD, phone.as_str()));
    browser.put_flow(flow, &sealed).await
}

pub async fn recalled_phone(
    state: &AppState,
    browser: &Browser<'_>,
    flow: &str,
) -> Result<Option<PhoneNumber>, AppError> {
    let Some(sealed) = browser.flow(flow).await? else { return Ok(None) };
    let Some(bytes) = crate::crypto::b64url_decode(&sealed) else { return Ok(None) };
    let Ok(plain) = state.keyring.decrypt_pii(FIELD, &bytes) else { return Ok(None) };
    Ok(PhoneNumber::parse(&plain).ok())
}

/// What a "send a code" form asked for.
pub enum SendRequest {
    /// Another number: the one the code went to is forgotten, and given back to prefill the form.
    ChangeNumber(Option<PhoneNumber>),
    /// A code to the remembered number (a resend) or to the typed one; None when the typed text is not a
    /// mobile number, or nothing is remembered.
    CodeTo(Option<PhoneNumber>),
}

/// Reads a "send a code" form of `flow`: its change and resend buttons, or the typed number.
pub async fn send_request(
    state: &AppState,
    browser: &Browser<'_>,
    flow: &str,
    change: bool,
    resend: bool,
    typed: &str,
) -> Result<SendRequest, AppError> {
    if change {
        let previous = recalled_phone(state, browser, flow).await?;
        browser.take_flow(flow).await?;
        return Ok(SendRequest::ChangeNumber(previous));
    }
    let phone = if resend { recalled_phone(state, browser, flow).await? } else { PhoneNumber::parse(typed).ok() };
    Ok(SendRequest::CodeTo(phone))
}

/// Seconds until another code may be sent to `phone` (0 without one), for the resend button's countdown.
pub async fn resend_wait(state: &AppState, purpose: OtpPurpose, phone: Option<&PhoneNumber>) -> Result<i64, AppError> {
    match phone {
        Some(phone) => state.otp.resend_wait_secs(purpose, phone).await.map_err(AppError::from),
        None => Ok(0),
    }
}

/// A person-facing message for a failed send or check; None for failures that are the server's.
/// What a code that did not pass tells the person (status and message); None when it passed.
pub fn code_refusal(tr: Tr, check: &CodeCheck) -> Option<(axum::http::StatusCode, Option<String>)> {
    match check {
        CodeCheck::Passed => None,
        CodeCheck::Throttled { retry_after_secs, locked } => Some((
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            Some(super::login::throttled_message(tr, *retry_after_secs, *locked)),
        )),
        CodeCheck::Refused(error) => Some((axum::http::StatusCode::UNAUTHORIZED, otp_message(tr, error))),
    }
}

pub fn otp_message(tr: Tr, error: &OtpError) -> Option<String> {
    Some(match error {
        OtpError::TooSoon { secs } => tr.t("flow.too_soon").replace("%{seconds}", &secs.to_string()),
        OtpError::DailyLimit => tr.t("flow.daily_limit"),
        OtpError::AddressLimit => tr.t("flow.address_limit"),
        OtpError::Wrong { remaining } => tr.t("flow.code_wrong").replace("%{remaining}", &remaining.to_string()),
        OtpError::Expired => tr.t("flow.code_expired"),
        OtpError::Send(_) => tr.t("flow.send_failed"),
        OtpError::Store(_) => return None,
    })
}

/// The "code sent" notice: `conditional` when saying more would reveal whether the number is registered.
pub fn code_sent_notice(tr: Tr, phone: &PhoneNumber, minutes: i64, conditional: bool) -> String {
    let key = if conditional { "flow.code_sent" } else { "flow.code_sent_plain" };
    tr.t(key).replace("%{phone}", &phone.masked()).replace("%{minutes}", &minutes.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::i18n::Locale;
    use crate::sms::SmsError;

    /// Every way sending or checking a code can fail reaches the person in their language; only the
    /// store's failures are the server's (None).
    #[test]
    fn every_code_refusal_reads_in_the_persons_language() {
        let all = [
            OtpError::TooSoon { secs: 42 },
            OtpError::DailyLimit,
            OtpError::AddressLimit,
            OtpError::Wrong { remaining: 2 },
            OtpError::Expired,
            OtpError::Send(SmsError::Timeout),
            OtpError::Send(SmsError::Refused("quota".into())),
        ];
        for error in &all {
            let zh = otp_message(Tr(Locale::ZhCn), error).expect("a message for the person");
            assert!(!zh.is_ascii() && !zh.contains("flow."), "{error:?} in Chinese: {zh}");
            let en = otp_message(Tr(Locale::En), error).unwrap();
            assert!(!en.contains("flow.") && en != zh, "{error:?} in English: {en}");
        }
        let store = OtpError::Store(crate::store::StoreError::Corrupt("x".into()));
        assert!(otp_message(Tr(Locale::ZhCn), &store).is_none(), "a store failure is the server's error page");
    }
}
