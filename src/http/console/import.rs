//! POST /admin/catalog/departments/{id}/import: a department's item list as a CSV or JSON file. Every row
//! is checked; a file with problems changes nothing and the page lists each one with its line.

use super::catalog::{actor_of, catalog_console};
use super::department::show;
use crate::catalog::CatalogError;
use crate::catalog::import::ImportFormat;
use crate::http::account::expired_form;
use crate::http::error::AppError;
use crate::http::session::Browser;
use crate::http::state::AppState;
use axum::extract::{ConnectInfo, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use tower_sessions::Session;

/// Import problems listed on the page; the rest are counted.
const SHOWN_ERRORS: usize = 200;

pub async fn post_import(
    State(state): State<AppState>,
    session: Session,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let here = format!("/admin/catalog/departments/{id}");
    let (console, scope) = match catalog_console(&state, &browser, &headers, &here, Some(peer.ip().to_string())).await?
    {
        Ok(found) => found,
        Err(response) => return Ok(response),
    };
    let tr = console.tr();
    let (mut csrf, mut format, mut file_name, mut content) =
        (String::new(), String::new(), String::new(), None::<Vec<u8>>);
    let refuse = |message: String| {
        show(&state, &browser, &console, &scope, &id, 0, StatusCode::BAD_REQUEST, None, Some(message), Vec::new())
    };
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("csrf") => csrf = field.text().await.unwrap_or_default(),
                Some("format") => format = field.text().await.unwrap_or_default(),
                Some("file") => {
                    file_name = field.file_name().unwrap_or_default().to_owned();
                    content = field.bytes().await.ok().map(|b| b.to_vec());
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return refuse(tr.t("catalog.import_unreadable")).await,
        }
    }
    if !browser.csrf_matches(&csrf).await? {
        return Ok(expired_form(&headers));
    }
    let extension = file_name.rsplit('.').next().unwrap_or_default().to_owned();
    let Some(format) = ImportFormat::parse(&format).or_else(|| ImportFormat::parse(&extension)) else {
        return refuse(tr.t("catalog.import_format")).await;
    };
    let Some(text) = content.filter(|c| !c.is_empty()).and_then(|c| String::from_utf8(c).ok()) else {
        return refuse(tr.t("catalog.import_unreadable")).await;
    };
    match state.catalog.import(&scope, &id, format, &text, &actor_of(&console, &scope)).await {
        Ok(summary) => {
            let notice = format!("{here}?done=imported&created={}&updated={}", summary.created, summary.updated);
            Ok(Redirect::to(&notice).into_response())
        }
        Err(CatalogError::Import(errors)) => {
            let mut listed: Vec<String> = errors
                .iter()
                .take(SHOWN_ERRORS)
                .map(|e| {
                    if e.line == 0 {
                        e.reason.clone()
                    } else {
                        tr.t("catalog.import_line")
                            .replace("%{line}", &e.line.to_string())
                            .replace("%{field}", e.field)
                            .replace("%{reason}", &e.reason)
                    }
                })
                .collect();
            if errors.len() > SHOWN_ERRORS {
                listed
                    .push(tr.t("catalog.import_more").replace("%{count}", &(errors.len() - SHOWN_ERRORS).to_string()));
            }
            let message = tr.t("catalog.import_refused").replace("%{count}", &errors.len().to_string());
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
                listed,
            )
            .await
        }
        Err(CatalogError::NotFound) => {
            Ok(crate::http::pages::error_page(StatusCode::NOT_FOUND, console.signed.locale, "catalog.not_found", None))
        }
        Err(error) => Err(error.into()),
    }
}
