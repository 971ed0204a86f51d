//! What the two flows that prove a phone with a code share (signing in with an SMS code, resetting a
//! forgotten password) before each checks the code its own way: the page at the number step or the code
//! step, the form, and sending or re-sending the code, whose answer is the same whether or not the number
//! has an account.

use super::error::AppError;
use super::flow::{
    SendRequest, code_sent_notice, otp_message, recalled_phone, remember_phone, resend_wait, send_request,
};
use super::guard::csrf_field;
use super::i18n::Tr;
use super::login::{FlowFields, LoginContext};
use super::pages::{Chrome, CodeFlowPage, render};
use super::session::Browser;
use super::state::AppState;
use crate::identity::otp::OtpPurpose;
use crate::identity::phone::PhoneNumber;
use crate::paths;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use std::net::IpAddr;

/// One flow: where it lives, what its code is for, and what its page says.
pub struct PhoneCodeFlow {
    /// The key under which the browser session keeps the number between the steps.
    pub name: &'static str,
    pub purpose: OtpPurpose,
    /// The page, where the code is checked.
    pub path: &'static str,
    /// Where the code is sent from.
    pub send_path: &'static str,
    pub title_key: &'static str,
    /// The line under the title.
    pub intro: fn(Tr, &LoginContext) -> String,
    pub submit_key: &'static str,
    /// The code step also asks for a new password.
    pub new_password: bool,
}

#[derive(Deserialize)]
pub struct FlowQuery {
    rid: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct FlowForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rid: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password2: String,
    #[serde(default)]
    resend: String,
    /// "1": forget the number the code went to and ask for the number again.
    #[serde(default)]
    change: String,
}

csrf_field!(FlowForm);

impl FlowFields for FlowForm {
    fn rid(&self) -> &str {
        &self.rid
    }
    fn next(&self) -> &str {
        &self.next
    }
}

impl PhoneCodeFlow {
    /// GET: the number step, or the code step when a code went out in this browser.
    pub async fn get(
        &self,
        state: &AppState,
        browser: &Browser<'_>,
        headers: &HeaderMap,
        query: FlowQuery,
    ) -> Result<Response, AppError> {
        let rid = query.rid.as_deref().unwrap_or_default();
        let context = LoginContext::load(state, browser, headers, rid, query.next.as_deref()).await?;
        let phone = recalled_phone(state, browser, self.name).await?;
        self.page(state, browser, &context, StatusCode::OK, phone.as_ref(), None, None).await
    }

    /// POST to `send_path`: change the number, re-send to the remembered one, or send to a new one.
    pub async fn send(
        &self,
        state: &AppState,
        browser: &Browser<'_>,
        peer: IpAddr,
        form: FlowForm,
        context: LoginContext,
    ) -> Result<Response, AppError> {
        let tr = Tr(context.locale);
        let (change, resend) = (form.change == "1", form.resend == "1");
        let phone = match send_request(state, browser, self.name, change, resend, &form.phone).await? {
            SendRequest::ChangeNumber(previous) => {
                let page = self.flow_page(state, browser, &context, previous.as_ref(), false, None, None).await?;
                return Ok(render(StatusCode::OK, &page));
            }
            SendRequest::CodeTo(phone) => phone,
        };
        let Some(phone) = phone else {
            let message = tr.t("flow.bad_phone");
            let mut page = self.flow_page(state, browser, &context, None, false, Some(message), None).await?;
            page.phone = form.phone.trim().chars().take(40).collect();
            return Ok(render(StatusCode::BAD_REQUEST, &page));
        };
        let deliver = state.accounts.find_by_phone(&phone).await?.is_some_and(|p| p.can_sign_in());
        remember_phone(state, browser, self.name, &phone).await?;
        match state.otp.send(self.purpose, &phone, Some(&peer.to_string()), deliver).await {
            Ok(()) => {
                let notice = code_sent_notice(tr, &phone, state.otp.code_minutes(), true);
                self.page(state, browser, &context, StatusCode::OK, Some(&phone), None, Some(notice)).await
            }
            Err(error) => match otp_message(tr, &error) {
                Some(message) => {
                    let status = StatusCode::TOO_MANY_REQUESTS;
                    self.page(state, browser, &context, status, Some(&phone), Some(message), None).await
                }
                None => Err(AppError::from(error)),
            },
        }
    }

    /// The page at the code step when `phone` is known, else at the number step.
    #[allow(clippy::too_many_arguments)]
    pub async fn page(
        &self,
        state: &AppState,
        browser: &Browser<'_>,
        context: &LoginContext,
        status: StatusCode,
        phone: Option<&PhoneNumber>,
        error: Option<String>,
        notice: Option<String>,
    ) -> Result<Response, AppError> {
        let page = self.flow_page(state, browser, context, phone, phone.is_some(), error, notice).await?;
        Ok(render(status, &page))
    }

    /// The page at the number step (`phone` prefilled, when it is being changed) or the code step.
    #[allow(clippy::too_many_arguments)]
    async fn flow_page(
        &self,
        state: &AppState,
        browser: &Browser<'_>,
        context: &LoginContext,
        phone: Option<&PhoneNumber>,
        code_stage: bool,
        error: Option<String>,
        notice: Option<String>,
    ) -> Result<CodeFlowPage, AppError> {
        let tr = Tr(context.locale);
        let resend_wait = resend_wait(state, self.purpose, phone.filter(|_| code_stage)).await?;
        let query = context.query();
        Ok(CodeFlowPage {
            chrome: Chrome::new(context.locale, &format!("{}{query}", self.path)),
            title: tr.t(self.title_key),
            intro: (self.intro)(tr, context),
            error,
            notice,
            csrf: browser.csrf_token().await?,
            hidden: vec![("rid".into(), context.rid.clone()), ("next".into(), context.next.clone())],
            send_action: self.send_path.to_owned(),
            verify_action: self.path.to_owned(),
            phone_input: true,
            phone: phone.map(|p| p.as_str().to_owned()).unwrap_or_default(),
            code_stage,
            resend_wait,
            new_password: self.new_password,
            submit_label: tr.t(self.submit_key),
            passkey: None,
            back_href: format!("{}{query}", paths::LOGIN),
        })
    }
}
