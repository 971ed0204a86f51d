//! GET /account/organisations (the organisations a person acts for) and GET/POST
//! /account/organisations/{id} (for the representative and administrators: who may act for it, granting
//! and revoking). Every change is audited by the organisation service.

use super::{AccountFrame, Signed, expired_form, frame, when};
use crate::http::client_ip::ClientIp;
use crate::http::error::AppError;
use crate::http::guard::{checked_form, csrf_field};
use crate::http::i18n::Tr;
use crate::http::pages::{Chrome, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::organisation::{GrantScope, MemberRole, Membership, OrgError};
use crate::paths;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use tower_sessions::Session;

struct MembershipView {
    org_id: String,
    org_name: String,
    uscc: String,
    role: String,
    until: Option<String>,
    manage: bool,
}

#[derive(Template)]
#[template(path = "account/organisations.html")]
struct OrganisationsPage {
    chrome: Chrome,
    frame: AccountFrame,
    memberships: Vec<MembershipView>,
}

struct MemberView {
    id: String,
    name: String,
    document: String,
    role: String,
    scope: String,
    until: String,
    revocable: bool,
}

#[derive(Template)]
#[template(path = "account/organisation.html")]
struct OrganisationPage {
    chrome: Chrome,
    frame: AccountFrame,
    org_id: String,
    org_name: String,
    uscc: String,
    members: Vec<MemberView>,
    is_representative: bool,
    /// The business systems an agent can be limited to: (client id, name shown).
    systems: Vec<(String, String)>,
    kept: Kept,
}

/// What the authorisation form held when it was refused, shown again with the field in error marked.
#[derive(Default)]
struct Kept {
    name: String,
    id_number: String,
    role: String,
    scope: String,
    systems: Vec<String>,
    items: String,
    valid_until: String,
    /// The id of the field the refusal is about ("" when it is about the whole form).
    field: &'static str,
}

/// A refused authorisation: the message and the field it is about.
struct Refusal {
    message: String,
    field: &'static str,
}

#[derive(Deserialize)]
struct MemberForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    membership_id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    items: String,
    #[serde(default)]
    valid_until: String,
}

csrf_field!(MemberForm);

fn role_label(tr: Tr, role: MemberRole) -> String {
    tr.t(&format!("role.{}", role.as_str()))
}

pub async fn get_organisations(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = signed.tr();
    let (chrome, frame) = frame(&state, &browser, &signed, paths::ACCOUNT_ORGANISATIONS).await?;
    let memberships = state
        .orgs
        .memberships_of(&signed.person.id)
        .await?
        .into_iter()
        .map(|(m, o)| MembershipView {
            org_id: o.id,
            org_name: o.name,
            uscc: o.uscc,
            role: role_label(tr, m.role),
            until: m.valid_until.map(when),
            manage: m.role != MemberRole::Agent,
        })
        .collect();
    Ok(render(StatusCode::OK, &OrganisationsPage { chrome, frame, memberships }))
}

pub async fn get_organisation(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    Path(org_id): Path<String>,
) -> Result<Response, AppError> {
    show(&state, &Browser(&session), &signed, &org_id, StatusCode::OK, None, None, Kept::default()).await
}

pub async fn post_organisation(
    State(state): State<AppState>,
    signed: Signed,
    session: Session,
    ClientIp(peer): ClientIp,
    headers: HeaderMap,
    Path(org_id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Some(form) = checked_form::<MemberForm>(&browser, &body).await? else {
        return Ok(expired_form(&headers));
    };
    // One "system" field per ticked system; serde's form parser keeps only one value of a repeated name.
    let picked: Vec<String> = url::form_urlencoded::parse(&body)
        .filter(|(name, _)| name == "system")
        .map(|(_, value)| value.into_owned())
        .collect();
    let tr = signed.tr();
    let origin = Some(peer.to_string());
    let by = signed.person.id.as_str();
    let outcome = match form.action.as_str() {
        "revoke" => state.orgs.revoke(&form.membership_id, by, origin).await.map(|_| tr.t("orgs.revoked")),
        _ => match grant(&state, &signed, &org_id, &form, &picked, origin).await? {
            Ok(()) => Ok(tr.t("orgs.granted")),
            Err(Refusal { message, field }) => {
                let kept = Kept {
                    name: form.name.clone(),
                    id_number: form.id_number.clone(),
                    role: form.role.clone(),
                    scope: form.scope.clone(),
                    systems: picked,
                    items: form.items.clone(),
                    valid_until: form.valid_until.clone(),
                    field,
                };
                return show(&state, &browser, &signed, &org_id, StatusCode::BAD_REQUEST, None, Some(message), kept)
                    .await;
            }
        },
    };
    match outcome {
        Ok(flash) => show(&state, &browser, &signed, &org_id, StatusCode::OK, Some(flash), None, Kept::default()).await,
        Err(OrgError::Store(error)) => Err(AppError::from(error)),
        Err(error) => {
            let message = Some(org_message(tr, &error));
            show(&state, &browser, &signed, &org_id, StatusCode::FORBIDDEN, None, message, Kept::default()).await
        }
    }
}

/// What a person reads for a refusal of the organisation service, in their language.
pub fn org_message(tr: Tr, error: &OrgError) -> String {
    let key = match error {
        OrgError::Duplicate => "orgs.error.duplicate",
        OrgError::UnknownOrg => "orgs.error.unknown_org",
        OrgError::UnknownMembership => "orgs.error.unknown_membership",
        OrgError::NotRepresentative => "orgs.error.not_representative",
        OrgError::NotManager => "orgs.error.not_manager",
        OrgError::TooManyAdministrators => "orgs.error.too_many_administrators",
        OrgError::AlreadyMember => "orgs.error.already_member",
        OrgError::BadValidity => "orgs.bad_date",
        OrgError::RepresentativeIsPermanent => "orgs.error.representative_is_permanent",
        OrgError::Store(_) => "error.server",
    };
    tr.t(key).replace("%{max}", &crate::identity::organisation::MAX_ADMINISTRATORS.to_string())
}

/// Appoints an administrator or authorises an agent; the outer error is the server's, the inner one a
/// message for the person.
async fn grant(
    state: &AppState,
    signed: &Signed,
    org_id: &str,
    form: &MemberForm,
    picked: &[String],
    origin: Option<String>,
) -> Result<Result<(), Refusal>, AppError> {
    let tr = signed.tr();
    let refuse = |key: &str, field: &'static str| Ok(Err(Refusal { message: tr.t(key), field }));
    let person = state
        .accounts
        .find_by_login_identifier(&form.id_number)
        .await?
        .filter(|p| p.name == form.name.trim() && p.is_active());
    let Some(person) = person else { return refuse("orgs.no_person", "id_number") };
    let by = signed.person.id.as_str();
    let result = if form.role == "administrator" {
        state.orgs.appoint_administrator(org_id, &person.id, by, origin).await
    } else {
        let split =
            |text: &str| text.split([' ', ',', '，']).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        let scope = if form.scope == "only" {
            let items = split(&form.items);
            let mut clients: Vec<String> = picked.to_vec();
            clients.sort();
            clients.dedup();
            if clients.is_empty() && items.is_empty() {
                return refuse("orgs.scope_needed", "system-filter");
            }
            // Only systems that exist: a name typed or a stale id would be stored and match nothing.
            for client in &clients {
                if state.provider.find_client(client).await?.is_none() {
                    return refuse("orgs.unknown_system", "system-filter");
                }
            }
            GrantScope::Only { clients, items }
        } else {
            GrantScope::All
        };
        let valid_until = match form.valid_until.trim() {
            "" => None,
            date => match end_of_day(date) {
                Some(until) => Some(until),
                None => return refuse("orgs.bad_date", "valid_until"),
            },
        };
        state.orgs.authorise_agent(org_id, &person.id, scope, valid_until, by, origin).await
    };
    match result {
        Ok(_) => Ok(Ok(())),
        Err(OrgError::Store(error)) => Err(AppError::from(error)),
        Err(OrgError::BadValidity) => refuse("orgs.bad_date", "valid_until"),
        Err(error) => Ok(Err(Refusal { message: org_message(tr, &error), field: "" })),
    }
}

/// The last second of a YYYY-MM-DD date in China Standard Time.
fn end_of_day(date: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(date, &format).ok()?;
    let end = day.with_hms(23, 59, 59).ok()?.assume_offset(time::macros::offset!(+8));
    Some(end.unix_timestamp())
}

#[allow(clippy::too_many_arguments)]
async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    signed: &Signed,
    org_id: &str,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    kept: Kept,
) -> Result<Response, AppError> {
    let here = format!("{}/{org_id}", paths::ACCOUNT_ORGANISATIONS);
    let tr = signed.tr();
    let membership = state.orgs.membership(&signed.person.id, org_id).await?;
    let Some((own, org)) = membership.filter(|(m, _)| m.role != MemberRole::Agent) else {
        return Ok(crate::http::pages::error_page(StatusCode::FORBIDDEN, signed.locale, "orgs.forbidden", None));
    };
    let (chrome, mut frame) = frame(state, browser, signed, &here).await?;
    frame.flash = flash;
    frame.error = error;
    let mut members = Vec::new();
    for member in state.orgs.members(org_id).await? {
        members.push(member_view(state, tr, &own, member).await?);
    }
    let page = OrganisationPage {
        chrome,
        frame,
        org_id: org.id,
        org_name: org.name,
        uscc: org.uscc,
        members,
        is_representative: own.role == MemberRole::LegalRepresentative,
        systems: system_choices(state).await?,
        kept,
    };
    Ok(render(status, &page))
}

/// Every enabled client, named by its business system (and its own name when the system has several).
async fn system_choices(state: &AppState) -> Result<Vec<(String, String)>, AppError> {
    let mut choices: Vec<(String, String)> = state
        .provider
        .list_clients()
        .await?
        .into_iter()
        .filter(|client| client.enabled && client.allowed_scopes.contains("openid"))
        .map(|client| (client.id, client.name))
        .collect();
    choices.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(choices)
}

async fn member_view(state: &AppState, tr: Tr, own: &Membership, member: Membership) -> Result<MemberView, AppError> {
    let person = state.accounts.find(&member.person_id).await?;
    let revocable = !matches!(
        (own.role, member.role),
        (_, MemberRole::LegalRepresentative) | (MemberRole::Administrator, MemberRole::Administrator)
    );
    let scope = match member.effective_scope() {
        GrantScope::All => tr.t("orgs.scope_all"),
        GrantScope::Only { clients, items } => {
            let mut names = Vec::with_capacity(clients.len() + items.len());
            for client in &clients {
                names
                    .push(state.provider.client_by_id(client).await?.map(|c| c.name).unwrap_or_else(|| client.clone()));
            }
            names.extend(items);
            names.join(tr.comma())
        }
    };
    Ok(MemberView {
        id: member.id,
        name: person.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        document: person.as_ref().map(|p| p.document.masked()).unwrap_or_default(),
        role: role_label(tr, member.role),
        scope,
        until: member.valid_until.map(when).unwrap_or_else(|| "—".to_owned()),
        revocable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::i18n::Locale;

    #[test]
    fn every_refusal_of_the_organisation_service_reads_in_the_persons_language() {
        let all = [
            OrgError::Duplicate,
            OrgError::UnknownOrg,
            OrgError::UnknownMembership,
            OrgError::NotRepresentative,
            OrgError::NotManager,
            OrgError::TooManyAdministrators,
            OrgError::AlreadyMember,
            OrgError::BadValidity,
            OrgError::RepresentativeIsPermanent,
            OrgError::Store(crate::store::StoreError::Corrupt("x".into())),
        ];
        for error in &all {
            let zh = org_message(Tr(Locale::ZhCn), error);
            assert!(!zh.is_ascii() && !zh.contains("orgs."), "{error:?} in Chinese: {zh}");
            let en = org_message(Tr(Locale::En), error);
            assert!(!en.contains("orgs.") && en != zh, "{error:?} in English: {en}");
        }
    }
}
