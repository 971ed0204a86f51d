//! GET/POST /admin/catalog/departments/{id}: one department's business systems and their OIDC clients
//! (registering one shows its secret once, with the settings a department developer needs), its service
//! items, and its department administrators. Outside the administrator's departments it does not exist.

use super::catalog::{CatalogConsole, actor_of};
use super::{AtConsole, ConsoleFrame, grant_role};
use crate::audit::Actor;
use crate::catalog::service::NewSystem;
use crate::catalog::{CatalogError, Department, Portal, Scope, Vertical};
use crate::http::account::expired_form;
use crate::http::dashboard::theme_name;
use crate::http::error::AppError;
use crate::http::extract::parse_form;
use crate::http::i18n::Tr;
use crate::http::pages::{Chrome, error_page, render};
use crate::http::session::Browser;
use crate::http::state::AppState;
use crate::identity::roles::RoleKind;
use crate::oidc::client::{AuthMethod, ClientRegistration, LogoutChannels, Protocol, Registered, RegistrationError};
use crate::oidc::provider::RegisterClientError;
use crate::paths;
use crate::store::logout_deliveries::LogoutDeliveryStatus;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

const ITEMS_PER_PAGE: i64 = 100;

pub struct SystemView {
    pub id: String,
    pub name: String,
    pub vertical: String,
    pub portal: String,
    pub contact: String,
    /// (client id, redirect URIs, connection status)
    pub clients: Vec<(String, String, String)>,
    /// For a system without a client: how far it has come (credentials requested, tried in the sandbox).
    pub stage: String,
}

pub struct ItemView {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub audience: String,
    pub themes: String,
    pub system: String,
    pub withdrawn: bool,
}

pub struct AdminView {
    pub role_id: String,
    pub name: String,
    pub phone: String,
}

#[derive(Template)]
#[template(path = "console/catalog/department.html")]
pub struct DepartmentPage {
    pub chrome: Chrome,
    pub console: ConsoleFrame,
    pub csrf: String,
    pub department: Department,
    pub level: String,
    pub systems: Vec<SystemView>,
    pub verticals: Vec<(&'static str, String)>,
    pub portals: Vec<(&'static str, String)>,
    pub items: Vec<ItemView>,
    pub total_items: i64,
    pub offset: i64,
    pub next_offset: Option<i64>,
    pub admins: Vec<AdminView>,
    pub import_errors: Vec<String>,
    pub requests: Vec<super::integration_requests::RequestView>,
}

#[derive(Template)]
#[template(path = "console/catalog/client.html")]
struct ClientPage {
    chrome: Chrome,
    console: ConsoleFrame,
    department_id: String,
    system_name: String,
    client_id: String,
    secret: Option<String>,
    issuer: String,
    discovery: String,
    redirect_uris: Vec<String>,
    auth_method: String,
    scopes: String,
    /// The CAS server's address, for a CAS service.
    cas_server: Option<String>,
}

#[derive(Deserialize)]
pub struct PageQuery {
    done: Option<String>,
    offset: Option<i64>,
    created: Option<usize>,
    updated: Option<usize>,
}

#[derive(Deserialize)]
struct DepartmentForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    vertical: String,
    #[serde(default)]
    portal: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    system_id: String,
    #[serde(default)]
    redirect_uris: String,
    /// A CAS service's URLs, one per line.
    #[serde(default)]
    services: String,
    #[serde(default)]
    post_logout_redirect_uris: String,
    #[serde(default)]
    backchannel_logout_uri: String,
    #[serde(default)]
    frontchannel_logout_uri: String,
    #[serde(default)]
    public: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    role_id: String,
    #[serde(default)]
    request_id: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn get_department(
    State(state): State<AppState>,
    CatalogConsole(console, scope): CatalogConsole,
    session: Session,
    Path(id): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let tr = console.tr();
    let flash = match query.done.as_deref() {
        Some("imported") => Some(
            tr.t("console.done.imported")
                .replace("%{created}", &query.created.unwrap_or(0).to_string())
                .replace("%{updated}", &query.updated.unwrap_or(0).to_string()),
        ),
        Some(what @ ("system" | "granted" | "revoked" | "approved" | "rejected")) => {
            Some(tr.t(&format!("console.done.{what}")))
        }
        _ => None,
    };
    show(&state, &browser, &console, &scope, &id, query.offset.unwrap_or(0), StatusCode::OK, flash, None, Vec::new())
        .await
}

pub async fn post_department(
    State(state): State<AppState>,
    CatalogConsole(console, scope): CatalogConsole,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let here = format!("/admin/catalog/departments/{id}");
    let Ok(form) = parse_form::<DepartmentForm>(&String::from_utf8_lossy(&body)) else {
        return Ok(expired_form(&headers));
    };
    if !browser.csrf_matches(&form.csrf).await? {
        return Ok(expired_form(&headers));
    }
    let tr = console.tr();
    let department = match state.catalog.department(&scope, &id).await {
        Ok(department) => department,
        Err(CatalogError::NotFound) => {
            return Ok(error_page(StatusCode::NOT_FOUND, console.signed.locale, "catalog.not_found", None));
        }
        Err(error) => return Err(error.into()),
    };
    let actor = actor_of(&console, &scope);
    let outcome = match form.action.as_str() {
        "add_system" => add_system(&state, tr, &scope, &department, &form, &actor).await?,
        "register_client" | "register_cas" => {
            return register_client(&state, &browser, &console, &scope, &department, &form, &actor).await;
        }
        "grant_admin" => grant_role(&state, tr, &form.account, RoleKind::DepartmentAdmin, Some(&department.id), &actor)
            .await?
            .map(|()| "granted"),
        "revoke_admin" => revoke_admin(&state, tr, &department, &form, &actor).await?,
        "decide_request" => {
            super::integration_requests::decide(
                &state,
                tr,
                &scope,
                &form.request_id,
                &form.decision,
                &form.note,
                &actor,
            )
            .await?
        }
        _ => Err(tr.t("error.malformed")),
    };
    match outcome {
        Ok(done) => Ok(Redirect::to(&format!("{here}?done={done}")).into_response()),
        Err(message) => {
            show(
                &state,
                &browser,
                &console,
                &scope,
                &id,
                0,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(message),
                Vec::new(),
            )
            .await
        }
    }
}

async fn add_system(
    state: &AppState,
    tr: Tr,
    scope: &Scope,
    department: &Department,
    form: &DepartmentForm,
    actor: &Actor,
) -> Result<Result<&'static str, String>, AppError> {
    let new = NewSystem {
        name: form.name.clone(),
        vertical: form.vertical.clone(),
        portal: form.portal.clone(),
        contact_name: Some(form.contact_name.clone()),
        contact_phone: Some(form.contact_phone.clone()),
    };
    match state.catalog.create_system(scope, &department.id, new, actor).await {
        Ok(_) => Ok(Ok("system")),
        Err(error) => super::refusal::catalog_message(tr, &error).map(Err).ok_or_else(|| error.into()),
    }
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim()).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// The non-empty lines of a textarea, trimmed: one URI per line.
pub(crate) fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect()
}

fn oidc_registration(form: &DepartmentForm) -> ClientRegistration {
    ClientRegistration {
        name: form.name.clone(),
        redirect_uris: lines(&form.redirect_uris),
        post_logout_redirect_uris: lines(&form.post_logout_redirect_uris),
        public: form.public == "yes",
        // Both channels carry the session id when given: it is what lets a system end the right session.
        logout: LogoutChannels {
            backchannel_uri: optional(&form.backchannel_logout_uri),
            backchannel_session_required: true,
            frontchannel_uri: optional(&form.frontchannel_logout_uri),
            frontchannel_session_required: true,
        },
        ..ClientRegistration::default()
    }
}

async fn register_client(
    state: &AppState,
    browser: &Browser<'_>,
    console: &AtConsole,
    scope: &Scope,
    department: &Department,
    form: &DepartmentForm,
    actor: &Actor,
) -> Result<Response, AppError> {
    let tr = console.tr();
    let registration = if form.action == "register_cas" {
        ClientRegistration {
            name: form.name.clone(),
            protocol: Protocol::Cas,
            redirect_uris: lines(&form.services),
            ..ClientRegistration::default()
        }
    } else {
        oidc_registration(form)
    };
    let registered: Registered = match state.catalog.register_client(scope, &form.system_id, registration, actor).await
    {
        Ok(registered) => registered,
        Err(CatalogError::NotFound) => {
            let message = tr.t("console.error.choose_system");
            return show(
                state,
                browser,
                console,
                scope,
                &department.id,
                0,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(message),
                Vec::new(),
            )
            .await;
        }
        Err(CatalogError::Client(RegisterClientError::Invalid(reason))) => {
            let message = tr.t("console.error.client").replace("%{reason}", &registration_message(tr, &reason));
            return show(
                state,
                browser,
                console,
                scope,
                &department.id,
                0,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(message),
                Vec::new(),
            )
            .await;
        }
        Err(error) => return Err(error.into()),
    };
    let system = state.catalog.system(scope, &form.system_id).await?;
    let client = &registered.client;
    let page = ClientPage {
        chrome: Chrome::new(console.signed.locale, paths::ADMIN_CATALOG),
        console: ConsoleFrame::new(console, paths::ADMIN_CATALOG, Some(tr.t("console.done.client")), None),
        department_id: department.id.clone(),
        system_name: system.name,
        client_id: client.id.clone(),
        secret: registered.secret.clone(),
        issuer: state.provider.issuer().to_owned(),
        discovery: state.provider.endpoint(paths::DISCOVERY),
        redirect_uris: client.redirect_uris.clone(),
        auth_method: if client.auth_method == AuthMethod::None {
            "none (PKCE S256)".to_owned()
        } else {
            client.auth_method.as_str().to_owned()
        },
        scopes: client.allowed_scopes.to_string(),
        cas_server: (client.protocol == Protocol::Cas).then(|| state.provider.endpoint(paths::CAS_PREFIX) + "/"),
    };
    Ok(render(StatusCode::CREATED, &page))
}

async fn revoke_admin(
    state: &AppState,
    tr: Tr,
    department: &Department,
    form: &DepartmentForm,
    actor: &Actor,
) -> Result<Result<&'static str, String>, AppError> {
    let admins = state.roles.holders(&[RoleKind::DepartmentAdmin]).await?;
    if !admins
        .iter()
        .any(|(_, role)| role.id == form.role_id && role.scope_id.as_deref() == Some(department.id.as_str()))
    {
        return Ok(Err(tr.t("console.error.no_role")));
    }
    state.roles.revoke(&form.role_id, actor).await?;
    Ok(Ok("revoked"))
}

/// Renders the department page (404 outside the administrator's departments).
#[allow(clippy::too_many_arguments)]
pub async fn show(
    state: &AppState,
    browser: &Browser<'_>,
    console: &AtConsole,
    scope: &Scope,
    id: &str,
    offset: i64,
    status: StatusCode,
    flash: Option<String>,
    error: Option<String>,
    import_errors: Vec<String>,
) -> Result<Response, AppError> {
    let tr = console.tr();
    let department = match state.catalog.department(scope, id).await {
        Ok(department) => department,
        Err(CatalogError::NotFound) => {
            return Ok(error_page(StatusCode::NOT_FOUND, console.signed.locale, "catalog.not_found", None));
        }
        Err(error) => return Err(error.into()),
    };
    let systems = state.catalog.systems(scope, id).await?;
    let clients = state.catalog.clients(scope, id).await?;
    let mut statuses = std::collections::HashMap::new();
    for client in &clients {
        let status = match state.catalog.connection_of(&client.id).await? {
            Some((first, last)) => tr
                .t("catalog.connected_since")
                .replace("%{first}", &crate::http::account::when(first))
                .replace("%{last}", &crate::http::account::when(last)),
            None if client.enabled => tr.t("catalog.not_connected"),
            None => tr.t("catalog.disabled"),
        };
        let status = match client.logout.backchannel_uri {
            Some(_) => {
                format!("{status} · {}", logout_status(&tr, &state.provider.logout_delivery_status(&client.id).await?))
            }
            None => status,
        };
        statuses.insert(client.id.clone(), status);
    }
    let offset = offset.max(0);
    let (items, total_items) = state.catalog.items(scope, id, ITEMS_PER_PAGE, offset).await?;
    let system_name = |system_id: &Option<String>| {
        system_id.as_ref().and_then(|s| systems.iter().find(|x| &x.id == s)).map(|s| s.name.clone()).unwrap_or_default()
    };
    let item_views = items
        .into_iter()
        .map(|item| ItemView {
            system: system_name(&item.system_id),
            code: item.code,
            name: item.name,
            kind: tr.t(&format!("catalog.type.{}", item.kind.as_str())),
            audience: tr.t(&format!("catalog.audience.{}", item.audience.as_str())),
            themes: item.themes.iter().map(|t| theme_name(tr, t)).collect::<Vec<_>>().join(tr.comma()),
            withdrawn: item.status == crate::catalog::ItemStatus::Withdrawn,
        })
        .collect();
    let mut admins = Vec::new();
    for (person_id, role) in state.roles.holders(&[RoleKind::DepartmentAdmin]).await? {
        if role.scope_id.as_deref() != Some(id) {
            continue;
        }
        if let Some(person) = state.accounts.find(&person_id).await? {
            admins.push(AdminView {
                role_id: role.id,
                name: person.name,
                phone: person.phone.map(|p| p.masked()).unwrap_or_default(),
            });
        }
    }
    let stages = state.integration.stages(scope, id).await.map_err(anyhow::Error::new)?;
    let stage_of = |system_id: &str| match stages.get(system_id) {
        Some(stage) => tr.t(&format!("dashboard.reason.{stage}")),
        None => tr.t("catalog.no_client"),
    };
    let requests = super::integration_requests::pending_views(state, scope, id, |system_id| {
        systems.iter().find(|s| s.id == system_id).map(|s| s.name.clone()).unwrap_or_default()
    })
    .await?;
    let page = DepartmentPage {
        chrome: Chrome::new(console.signed.locale, &format!("/admin/catalog/departments/{id}")),
        requests,
        console: ConsoleFrame::new(console, paths::ADMIN_CATALOG, flash, error),
        csrf: browser.csrf_token().await?,
        level: tr.t(&format!("catalog.level.{}", department.level.as_str())),
        department,
        systems: systems
            .iter()
            .map(|s| SystemView {
                id: s.id.clone(),
                name: s.name.clone(),
                vertical: tr.t(&format!("catalog.vertical.{}", s.vertical.as_str())),
                portal: tr.t(&format!("catalog.portal.{}", s.portal.as_str())),
                contact: [s.contact_name.clone(), s.contact_phone.clone()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
                stage: stage_of(&s.id),
                clients: clients
                    .iter()
                    .filter(|c| c.system_id.as_deref() == Some(s.id.as_str()))
                    .map(|c| {
                        (c.id.clone(), c.redirect_uris.join(" "), statuses.get(&c.id).cloned().unwrap_or_default())
                    })
                    .collect(),
            })
            .collect(),
        verticals: Vertical::ALL
            .iter()
            .map(|v| (v.as_str(), tr.t(&format!("catalog.vertical.{}", v.as_str()))))
            .collect(),
        portals: Portal::ALL.iter().map(|p| (p.as_str(), tr.t(&format!("catalog.portal.{}", p.as_str())))).collect(),
        items: item_views,
        total_items,
        offset,
        next_offset: (offset + ITEMS_PER_PAGE < total_items).then_some(offset + ITEMS_PER_PAGE),
        admins,
        import_errors,
    };
    Ok(render(status, &page))
}

/// How a client's back-channel logout notices fared: counts, and the latest error while any failed.
fn logout_status(tr: &crate::http::i18n::Tr, status: &LogoutDeliveryStatus) -> String {
    let mut text = tr
        .t("catalog.logout_status")
        .replace("%{delivered}", &status.delivered.to_string())
        .replace("%{pending}", &status.pending.to_string())
        .replace("%{failed}", &status.failed.to_string());
    if status.pending + status.failed > 0
        && let Some(error) = &status.last_error
    {
        text.push_str(&tr.t("catalog.logout_last_error").replace("%{error}", error));
    }
    text
}

/// Why a client registration was refused, in the page's language.
pub fn registration_message(tr: crate::http::i18n::Tr, error: &RegistrationError) -> String {
    use crate::oidc::redirect_uri::RedirectUriError as R;
    let uri_reason = |reason: &R| {
        tr.t(match reason {
            R::NotAbsolute => "client_error.uri.not_absolute",
            R::NoScheme(_) => "client_error.uri.no_scheme",
            R::Fragment => "client_error.uri.fragment",
            R::InsecureHttp => "client_error.uri.insecure_http",
            R::Wildcard => "client_error.uri.wildcard",
            R::Credentials => "client_error.uri.credentials",
            R::NotWeb => "client_error.uri.not_web",
        })
    };
    let with_uri =
        |key: &str, uri: &str, reason: &R| tr.t(key).replace("%{uri}", uri).replace("%{reason}", &uri_reason(reason));
    match error {
        RegistrationError::MissingName => tr.t("client_error.missing_name"),
        RegistrationError::NoRedirectUri => tr.t("client_error.no_redirect_uri"),
        RegistrationError::BadRedirectUri { uri, reason } => with_uri("client_error.bad_redirect_uri", uri, reason),
        RegistrationError::BadPostLogoutUri { uri, reason } => {
            with_uri("client_error.bad_post_logout_uri", uri, reason)
        }
        RegistrationError::BadLogoutUri { uri, reason } => with_uri("client_error.bad_logout_uri", uri, reason),
        RegistrationError::PublicGrant => tr.t("client_error.public_grant"),
        RegistrationError::AuthMethodMismatch => tr.t("client_error.auth_method_mismatch"),
        RegistrationError::MissingJwks => tr.t("client_error.missing_jwks"),
        RegistrationError::UnknownScope(scope) => tr.t("client_error.unknown_scope").replace("%{scope}", scope),
        RegistrationError::BadService { uri, reason } => {
            use crate::oidc::cas::service::ServiceError as S;
            let reason = tr.t(match reason {
                S::NotAbsolute => "client_error.uri.not_absolute",
                S::InsecureHttp => "client_error.uri.insecure_http",
                S::FragmentOrCredentials => "client_error.service.fragment_or_credentials",
                S::BadWildcard => "client_error.service.wildcard",
            });
            tr.t("client_error.bad_service").replace("%{uri}", uri).replace("%{reason}", &reason)
        }
        RegistrationError::NoService => tr.t("client_error.no_service"),
        RegistrationError::CasWithOidcSettings => tr.t("client_error.cas_with_oidc_settings"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::i18n::{Locale, Tr};
    use crate::oidc::redirect_uri::RedirectUriError as R;

    #[test]
    fn every_refused_registration_reads_in_the_pages_language() {
        let uri = "https://x.example/cb".to_owned();
        let mut all = vec![
            RegistrationError::MissingName,
            RegistrationError::NoRedirectUri,
            RegistrationError::PublicGrant,
            RegistrationError::AuthMethodMismatch,
            RegistrationError::MissingJwks,
            RegistrationError::UnknownScope("email".into()),
            RegistrationError::NoService,
            RegistrationError::CasWithOidcSettings,
        ];
        use crate::oidc::cas::service::ServiceError as S;
        for reason in [S::NotAbsolute, S::InsecureHttp, S::FragmentOrCredentials, S::BadWildcard] {
            all.push(RegistrationError::BadService { uri: uri.clone(), reason });
        }
        for reason in [
            R::NotAbsolute,
            R::NoScheme("rp.example/cb".into()),
            R::Fragment,
            R::InsecureHttp,
            R::Wildcard,
            R::Credentials,
            R::NotWeb,
        ] {
            all.push(RegistrationError::BadRedirectUri { uri: uri.clone(), reason: reason.clone() });
            all.push(RegistrationError::BadPostLogoutUri { uri: uri.clone(), reason: reason.clone() });
            all.push(RegistrationError::BadLogoutUri { uri: uri.clone(), reason });
        }
        for error in &all {
            let zh = registration_message(Tr(Locale::ZhCn), error);
            let without_uri = zh.replace(&uri, "");
            assert!(!without_uri.is_ascii() && !zh.contains("client_error."), "{error:?} in Chinese: {zh}");
            assert!(!zh.contains("must") && !zh.contains("URI must"), "{error:?}: English inside: {zh}");
            let en = registration_message(Tr(Locale::En), error);
            assert!(!en.contains("client_error.") && en != zh, "{error:?} in English: {en}");
        }
    }
}
