//! GET/POST /consent: shows what a system will receive and records the person's decision.

use super::authorize::{advance, current_login, expired, pending_with_client};
use super::error::AppError;
use super::extract::parse_form;
use super::i18n::{Locale, Tr};
use super::pages::{Chrome, ConsentPage, error_page, render};
use super::session::Browser;
use super::state::AppState;
use crate::oidc::OAuthError;
use crate::oidc::error::ErrorCode;
use crate::paths;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct ConsentQuery {
    rid: Option<String>,
}

#[derive(Deserialize)]
struct ConsentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rid: String,
    #[serde(default)]
    decision: String,
}

pub async fn get_consent(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(query): Query<ConsentQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let Some((request, client)) = pending_with_client(&state, &browser, query.rid.as_deref()).await? else {
        return Ok(expired(&headers));
    };
    if current_login(&state, &browser).await?.is_none() {
        return Ok(Redirect::to(&format!("{}?rid={}", paths::AUTHORIZE_CONTINUE, request.id)).into_response());
    }
    let locale = Locale::negotiate(request.ui_locales.as_deref(), &headers);
    let tr = Tr(locale);
    let mut items =
        vec![tr.t(if client.has_own_subjects() { "consent.scope.openid" } else { "consent.scope.openid_shared" })];
    items.extend(
        request
            .consent_scopes(&client)
            .iter()
            .filter(|scope| *scope != "openid")
            .map(|scope| tr.t(&format!("consent.scope.{scope}"))),
    );
    let page = ConsentPage {
        chrome: Chrome::new(locale, &format!("{}?rid={}", paths::CONSENT, request.id)),
        intro: tr.t("consent.intro").replace("%{client}", &client.name),
        items,
        csrf: browser.csrf_token().await?,
        rid: request.id.clone(),
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn post_consent(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let locale = Locale::negotiate(None, &headers);
    let Ok(form) = parse_form::<ConsentForm>(&String::from_utf8_lossy(&body)) else {
        return Ok(error_page(StatusCode::BAD_REQUEST, locale, "error.malformed", None));
    };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(error_page(StatusCode::FORBIDDEN, locale, "error.csrf", None));
    }
    let Some((mut request, client)) = pending_with_client(&state, &browser, Some(&form.rid)).await? else {
        return Ok(expired(&headers));
    };
    let Some(login) = current_login(&state, &browser).await? else {
        return Ok(Redirect::to(&format!("{}?rid={}", paths::AUTHORIZE_CONTINUE, request.id)).into_response());
    };
    if form.decision != "allow" {
        browser.remove_pending(&request.id).await?;
        let error = OAuthError::new(ErrorCode::AccessDenied, "the person declined to share the requested information");
        return Ok(super::authorize::refuse(&state, &request, &error, &headers));
    }
    state.provider.record_consent(&login.person_id, &client, &request.consent_scopes(&client)).await?;
    request.consented = true;
    browser.put_pending(&request).await?;
    advance(&state, &browser, request, &client).await
}
