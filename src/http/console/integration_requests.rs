//! Developers' requests for credentials as the department page shows them, and an administrator's
//! decision on one (approve or reject, never their own).

use crate::audit::Actor;
use crate::catalog::Scope;
use crate::catalog::integration::IntegrationError;
use crate::http::error::AppError;
use crate::http::i18n::Tr;
use crate::http::state::AppState;

/// A pending request on the department page.
pub struct RequestView {
    pub id: String,
    pub system: String,
    pub name: String,
    pub protocol: &'static str,
    pub uris: String,
    pub purpose: String,
    pub requester: String,
    pub created: String,
}

pub async fn pending_views(
    state: &AppState,
    scope: &Scope,
    department_id: &str,
    system_name: impl Fn(&str) -> String,
) -> Result<Vec<RequestView>, AppError> {
    let mut views = Vec::new();
    for row in state.integration.pending_for(scope, department_id).await.map_err(anyhow::Error::new)? {
        let requester = state.accounts.find(&row.person_id).await?;
        views.push(RequestView {
            system: system_name(&row.system_id),
            name: row.name,
            protocol: if row.protocol == "cas" { "CAS" } else { "OIDC" },
            uris: row.redirect_uris.join(" "),
            purpose: row.purpose,
            requester: requester
                .map(|p| format!("{} {}", p.name, p.phone.map(|phone| phone.masked()).unwrap_or_default()))
                .unwrap_or_default(),
            created: crate::http::account::when(row.created_at),
            id: row.id,
        });
    }
    Ok(views)
}

/// Approves or rejects a request; Ok(Err(message)) for a refusal the administrator can act on.
pub async fn decide(
    state: &AppState,
    tr: Tr,
    scope: &Scope,
    request_id: &str,
    decision: &str,
    note: &str,
    actor: &Actor,
) -> Result<Result<&'static str, String>, AppError> {
    let approve = match decision {
        "approve" => true,
        "reject" => false,
        _ => return Ok(Err(tr.t("error.malformed"))),
    };
    match state.integration.decide(scope, request_id, approve, Some(note), actor).await {
        Ok(()) => Ok(Ok(if approve { "approved" } else { "rejected" })),
        Err(IntegrationError::OwnRequest) => Ok(Err(tr.t("console.error.own_request"))),
        Err(IntegrationError::NotPending | IntegrationError::NotFound) => Ok(Err(tr.t("console.error.decided"))),
        Err(IntegrationError::Invalid(reason)) => Ok(Err(super::department::registration_message(tr, &reason))),
        Err(error) => Err(anyhow::Error::new(error).into()),
    }
}
