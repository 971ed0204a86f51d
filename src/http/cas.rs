//! The CAS 3.0 endpoints for legacy systems: `/cas/login` starts the same sign-in as `/authorize` and ends
//! in a service ticket; the validation endpoints answer the service's back-channel call in XML or JSON;
//! `/cas/logout` asks the person, logs out everywhere, and returns to a registered service.

use super::authorize::{admit_anonymous, advance, current_login};
use super::error::AppError;
use super::i18n::Locale;
use super::pages::error_page;
use super::session::Browser;
use super::state::AppState;
use crate::oidc::cas::response::{self, Format};
use crate::oidc::cas::{LoginParams, LoginRefusal, flag};
use crate::paths;
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

pub async fn get_login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Query(params): Query<LoginParams>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let locale = Locale::negotiate(params.locale.as_deref(), &headers);
    let Some(service) = params.service.as_deref().filter(|s| !s.is_empty()) else {
        // No service: sign in to yimen itself (§2.1.1), or see the account if already signed in.
        return Ok(Redirect::to(paths::ACCOUNT).into_response());
    };
    let renew = flag(params.renew.as_deref());
    let gateway = flag(params.gateway.as_deref());
    let (request, client) = match state.provider.cas_login_request(service, renew, gateway, params.locale).await {
        Ok(found) => found,
        Err(LoginRefusal::UnknownService) => {
            // Never redirected: an unregistered service must not receive a ticket, nor be a way out.
            let detail = Some(format!("service: {service}"));
            return Ok(error_page(StatusCode::BAD_REQUEST, locale, "error.cas_unknown_service", detail));
        }
        Err(LoginRefusal::Unavailable) => {
            return Ok(error_page(StatusCode::SERVICE_UNAVAILABLE, locale, "error.unavailable", None));
        }
    };
    if browser.login().await?.is_none() && !admit_anonymous(&state).await? {
        return Ok(error_page(StatusCode::SERVICE_UNAVAILABLE, locale, "error.busy", None));
    }
    browser.put_pending(&request).await?;
    advance(&state, &browser, request, &client).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ValidateParams {
    service: Option<String>,
    ticket: Option<String>,
    renew: Option<String>,
    format: Option<String>,
}

/// `/cas/serviceValidate`, `/cas/p3/serviceValidate` and their proxy forms. Proxy tickets are not
/// enabled for any service, so the proxy forms validate service tickets only and never issue a
/// proxy-granting ticket (a `pgtUrl` is ignored, as §2.5.4 allows).
pub async fn get_service_validate(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params: ValidateParams = serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let Some(format) = response::Format::parse(params.format.as_deref()) else {
        let failure = response::Failure::new(response::FailureCode::InvalidRequest, "format must be XML or JSON");
        return validation_response(Format::Xml, response::render(&Err(failure), Format::Xml));
    };
    let outcome = validate(&state, &params).await;
    validation_response(format, response::render(&outcome, format))
}

/// `/cas/validate` (CAS 1.0): "yes" and the user, or "no".
pub async fn get_validate(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let params: ValidateParams = serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let outcome = validate(&state, &params).await;
    let mut response = (StatusCode::OK, response::render_v1(&outcome)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn validate(state: &AppState, params: &ValidateParams) -> Result<response::Success, response::Failure> {
    let outcome = state
        .provider
        .validate_service_ticket(params.ticket.as_deref(), params.service.as_deref(), flag(params.renew.as_deref()))
        .await;
    state.metrics.cas_validation(match &outcome {
        Ok(_) => "success",
        Err(failure) => failure.code.as_str(),
    });
    outcome
}

/// Every validation answers 200: the outcome is in the body, as CAS clients expect.
fn validation_response(format: Format, body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Default, Deserialize)]
pub struct LogoutParams {
    /// CAS 2 clients name it `url`.
    #[serde(alias = "url")]
    service: Option<String>,
    locale: Option<String>,
}

/// `/cas/logout` (§2.3): logs the person out of yimen and so of every system (each hears of it), then
/// returns to `service` when it is a registered CAS service. Like RP-initiated logout without proof, it
/// asks first, so a stray link cannot log anyone out.
pub async fn get_logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let params: LogoutParams = serde_urlencoded::from_str(query.as_deref().unwrap_or_default()).unwrap_or_default();
    let locale = Locale::negotiate(params.locale.as_deref(), &headers);
    let browser = Browser(&session);
    let client = match params.service.as_deref().filter(|s| !s.is_empty()) {
        Some(service) => state.provider.cas_client_for(service).await?,
        None => None,
    };
    let redirect = client.as_ref().and(params.service.clone());
    let here = match query.as_deref() {
        Some(query) if !query.is_empty() => format!("{}?{query}", paths::CAS_LOGOUT),
        _ => paths::CAS_LOGOUT.to_owned(),
    };
    let signed_in = current_login(&state, &browser).await?.is_some();
    super::logout::confirm(&browser, signed_in, locale, &here, redirect, client.map(|c| c.name)).await
}
