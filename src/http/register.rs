//! GET /register, POST /register/code, POST /register: self-registration. The phone is proven by an SMS
//! code; the identity document is checked (resident ID numbers in full, others by format); the result is a
//! level-1 account whose evidence (phone verified, identity self-asserted) is recorded.

use super::error::AppError;
use super::flow::{
    SendRequest, code_sent_notice, otp_message, recalled_phone, remember_phone, resend_wait, send_request,
};
use super::guard::csrf_field;
use super::i18n::Tr;
use super::login::{FlowFields, LoginContext, SignInForm};
use super::pages::{Chrome, RegisterPage, render};
use super::password_reset::policy_message;
use super::session::Browser;
use super::state::AppState;
use crate::assurance::{Method, NewEvidence};
use crate::audit::{Actor, ActorRole, Event};
use crate::http::client_ip::ClientIp;
use crate::identity::amr::Amr;
use crate::identity::document::{DocumentKind, IdDocument};
use crate::identity::login::Authenticated;
use crate::identity::otp::{OtpError, OtpPurpose};
use crate::identity::person::parse_name;
use crate::identity::phone::PhoneNumber;
use crate::identity::{AccountError, NewCitizen};
use crate::paths;
use crate::secret::SecretString;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

const FLOW: &str = "register";

#[derive(Deserialize)]
pub struct FlowQuery {
    rid: Option<String>,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rid: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    resend: String,
    /// "1": forget the number the code went to and ask for the number again.
    #[serde(default)]
    change: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    document_type: String,
    #[serde(default)]
    document_number: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
}

pub async fn get_register(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<FlowQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let context =
        LoginContext::load(&state, &browser, &headers, query.rid.as_deref().unwrap_or_default(), query.next.as_deref())
            .await?;
    let phone = recalled_phone(&state, &browser, FLOW).await?;
    page(&state, &browser, &context, StatusCode::OK, phone.as_ref(), None, None, &RegisterForm::default()).await
}

pub async fn post_send(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    SignInForm(form, context): SignInForm<RegisterForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = Tr(context.locale);
    let (change, resend) = (form.change == "1", form.resend == "1");
    let phone = match send_request(&state, &browser, FLOW, change, resend, &form.phone).await? {
        SendRequest::ChangeNumber(previous) => {
            let page = register_page(&state, &browser, &context, previous.as_ref(), false, None, None, &form).await?;
            return Ok(render(StatusCode::OK, &page));
        }
        SendRequest::CodeTo(phone) => phone,
    };
    let Some(phone) = phone else {
        let message = Some(tr.t("flow.bad_phone"));
        let mut page = register_page(&state, &browser, &context, None, false, message, None, &form).await?;
        page.phone = form.phone.trim().chars().take(40).collect();
        return Ok(render(StatusCode::BAD_REQUEST, &page));
    };
    remember_phone(&state, &browser, FLOW, &phone).await?;
    // Whether the number is taken is said only after the code proves the number is the person's.
    match state.otp.send(OtpPurpose::Register, &phone, Some(&peer.to_string()), true).await {
        Ok(()) => {
            let notice = code_sent_notice(tr, &phone, state.otp.code_minutes(), false);
            page(&state, &browser, &context, StatusCode::OK, Some(&phone), None, Some(notice), &form).await
        }
        Err(error) => match otp_message(tr, &error) {
            Some(message) => {
                page(
                    &state,
                    &browser,
                    &context,
                    StatusCode::TOO_MANY_REQUESTS,
                    Some(&phone),
                    Some(message),
                    None,
                    &form,
                )
                .await
            }
            None => Err(AppError::from(error)),
        },
    }
}

pub async fn post_register(
    State(state): State<AppState>,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    SignInForm(form, context): SignInForm<RegisterForm>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = Tr(context.locale);
    let Some(phone) = recalled_phone(&state, &browser, FLOW).await? else {
        return page(
            &state,
            &browser,
            &context,
            StatusCode::BAD_REQUEST,
            None,
            Some(tr.t("flow.code_expired")),
            None,
            &form,
        )
        .await;
    };
    // A refusal names the field it is about: the message is shown there and the focus goes there.
    let (shared, held, request, number, typed) = (&state, &browser, &context, &phone, &form);
    let refuse = move |field: &'static str, status: StatusCode, message: String| async move {
        let mut page = register_page(shared, held, request, Some(number), true, Some(message), None, typed).await?;
        page.error_field = field;
        Ok::<_, AppError>(render(status, &page))
    };
    let bad = StatusCode::BAD_REQUEST;
    let Ok(name) = parse_name(&form.name) else { return refuse("name", bad, tr.t("register.bad_name")).await };
    let kind = DocumentKind::parse(&form.document_type).unwrap_or(DocumentKind::ResidentId);
    let document = match IdDocument::parse(kind, &form.document_number, state.accounts.today()) {
        Ok(document) => document,
        Err(reason) => return refuse("document_number", bad, document_message(tr, &reason)).await,
    };
    if form.password != form.password2 {
        return refuse("password2", bad, tr.t("flow.passwords_differ")).await;
    }
    let facts = crate::identity::password_context::PersonalFacts {
        name: &name,
        document_number: Some(document.number()),
        phone: Some(phone.as_str()),
    };
    if let Err(reason) = crate::identity::password_context::check_password_for(&form.password, &facts) {
        return refuse("password", bad, policy_message(tr, &reason)).await;
    }
    let ip = peer.to_string();
    match state.otp.verify(OtpPurpose::Register, &phone, &form.code).await {
        Ok(()) => {}
        Err(OtpError::Store(error)) => return Err(AppError::from(error)),
        Err(error) => {
            let message = otp_message(tr, &error).unwrap_or_default();
            return refuse("code", StatusCode::UNAUTHORIZED, message).await;
        }
    }
    let citizen = || NewCitizen {
        name: name.clone(),
        document: document.clone(),
        phone: Some(phone.clone()),
        phone_verified: true,
        password: Some(SecretString::new(form.password.clone())),
    };
    let mut proven_by_register = false;
    let registered = match state.accounts.register_citizen(citizen()).await {
        Err(AccountError::DuplicateIdNumber)
            if taken_back_by_register(&state, &name, &document, &phone, &ip).await? =>
        {
            proven_by_register = true;
            state.accounts.register_citizen(citizen()).await
        }
        other => other,
    };
    let person = match registered {
        Ok(person) => person,
        Err(AccountError::DuplicatePhone) => return refuse("", bad, tr.t("register.phone_taken")).await,
        Err(AccountError::DuplicateIdNumber) => {
            return refuse("document_number", bad, tr.t("register.document_taken")).await;
        }
        Err(AccountError::Policy(reason)) => return refuse("password", bad, policy_message(tr, &reason)).await,
        Err(error) => return Err(AppError::from(error)),
    };
    record_registration(&state, &person, &phone, &ip).await?;
    if proven_by_register {
        let matched = NewEvidence {
            person_id: &person.id,
            method: Method::RegisterMatch,
            verifier: "system",
            hall_id: None,
            passed: true,
            reference: Some(person.document.masked()),
            adapter: None,
        };
        state.evidence.record(matched).await?;
    }
    browser.take_flow(FLOW).await?;
    let location = context.finish(&state, &browser, &headers, ip, Authenticated::new(&person.id, &[Amr::Sms])).await?;
    Ok(Redirect::to(&location).into_response())
}

/// A registration whose resident ID number another account claims without proof (level 1) takes it back
/// when the population register confirms the name and number (level 2): true when it did.
async fn taken_back_by_register(
    state: &AppState,
    name: &str,
    document: &IdDocument,
    phone: &PhoneNumber,
    ip: &str,
) -> Result<bool, AppError> {
    let Some(claimant) = state.desk.unproven_holder(document).await? else {
        return Ok(false);
    };
    let budget = format!("registration:{}", state.keyring.blind_index("phone", phone.as_str()));
    match state.assurance.check_register_before_account(name, document, &budget).await {
        Ok(crate::assurance::register::RegisterAnswer::Match) => {}
        Ok(_) => return Ok(false),
        Err(error) => {
            tracing::info!(%error, "a registration could not check a claimed number against the register");
            return Ok(false);
        }
    }
    let actor = Actor { id: None, role: ActorRole::Citizen, hall_id: None, origin: Some(ip.to_owned()) };
    state.desk.take_back(&claimant, &actor, "register", document).await?;
    Ok(true)
}

/// Why a document number was refused, in the page's language.
pub fn document_message(tr: Tr, reason: &crate::identity::document::DocumentError) -> String {
    use crate::identity::document::DocumentError;
    use crate::identity::resident_id::ResidentIdError as R;
    let detail = match reason {
        DocumentError::ResidentId(R::Length(n)) => tr.t("doc_error.length").replace("%{count}", &n.to_string()),
        DocumentError::ResidentId(R::NotDigits) => tr.t("doc_error.digits"),
        DocumentError::ResidentId(R::BadCheckCharacter) => tr.t("doc_error.last_character"),
        DocumentError::ResidentId(R::Area(_)) => tr.t("doc_error.area"),
        DocumentError::ResidentId(R::BirthDate(_)) => tr.t("doc_error.birth_date"),
        DocumentError::ResidentId(R::Checksum { .. }) => tr.t("doc_error.checksum"),
        DocumentError::Format(_) => tr.t("doc_error.format"),
    };
    format!("{}{detail}", tr.t("register.bad_document"))
}

/// The evidence a self-registration yields, and its audit entry.
async fn record_registration(
    state: &AppState,
    person: &crate::identity::Person,
    phone: &PhoneNumber,
    ip: &str,
) -> Result<(), AppError> {
    let sms = NewEvidence {
        person_id: &person.id,
        method: Method::Sms,
        verifier: "system",
        hall_id: None,
        passed: true,
        reference: Some(phone.masked()),
        adapter: Some(state.otp.sender_name()),
    };
    state.evidence.record(sms).await?;
    let asserted = NewEvidence {
        person_id: &person.id,
        method: Method::SelfAsserted,
        verifier: "system",
        hall_id: None,
        passed: true,
        reference: Some(format!("{}:{}", person.document.kind().as_str(), person.document.masked())),
        adapter: None,
    };
    state.evidence.record(asserted).await?;
    let actor = Actor::person(&person.id, ActorRole::Citizen, Some(ip.to_owned()));
    let detail = serde_json::json!({ "document": person.document.kind().as_str(), "phone": phone.masked() });
    let event =
        Event { action: "account.register", subject_type: "person", subject_id: Some(person.id.clone()), detail };
    state.audit.record(&actor, event).await?;
    Ok(())
}

csrf_field!(RegisterForm);

impl FlowFields for RegisterForm {
    fn rid(&self) -> &str {
        &self.rid
    }
    fn next(&self) -> &str {
        &self.next
    }
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    browser: &Browser<'_>,
    context: &LoginContext,
    status: StatusCode,
    phone: Option<&PhoneNumber>,
    error: Option<String>,
    notice: Option<String>,
    form: &RegisterForm,
) -> Result<Response, AppError> {
    let page = register_page(state, browser, context, phone, phone.is_some(), error, notice, form).await?;
    Ok(render(status, &page))
}

/// The page at the number step (`phone` prefilled, when it is being changed) or the code step, keeping
/// what the person typed except passwords.
#[allow(clippy::too_many_arguments)]
async fn register_page(
    state: &AppState,
    browser: &Browser<'_>,
    context: &LoginContext,
    phone: Option<&PhoneNumber>,
    code_stage: bool,
    error: Option<String>,
    notice: Option<String>,
    form: &RegisterForm,
) -> Result<RegisterPage, AppError> {
    let tr = Tr(context.locale);
    let query = context.query();
    let resend_wait = resend_wait(state, OtpPurpose::Register, phone.filter(|_| code_stage)).await?;
    Ok(RegisterPage {
        chrome: Chrome::new(context.locale, &format!("{}{query}", paths::REGISTER)),
        error,
        notice,
        csrf: browser.csrf_token().await?,
        rid: context.rid.clone(),
        next: context.next.clone(),
        query,
        phone: phone.map(|p| p.as_str().to_owned()).unwrap_or_default(),
        code_stage,
        resend_wait,
        document_types: DocumentKind::ALL
            .iter()
            .map(|kind| (kind.as_str(), tr.t(&format!("doc.{}", kind.as_str()))))
            .collect(),
        form_name: form.name.clone(),
        form_document_type: if form.document_type.is_empty() {
            "resident_id".to_owned()
        } else {
            form.document_type.clone()
        },
        form_document_number: form.document_number.clone(),
        form_code: form.code.trim().chars().filter(char::is_ascii_digit).take(6).collect(),
        error_field: "",
    })
}
