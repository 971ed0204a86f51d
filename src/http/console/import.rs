//! POST /admin/catalog/departments/{id}/import: a department's item list as a CSV or JSON file. Every row
//! is checked; a file with problems changes nothing and the page lists each one with its line.

use super::catalog::{CatalogConsole, actor_of};
use super::department::show;
use crate::catalog::CatalogError;
use crate::catalog::import::{ImportFormat, RowError};
use crate::http::account::expired_form;
use crate::http::error::AppError;
use crate::http::i18n::Tr;
use crate::http::session::Browser;
use crate::http::state::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// Import problems listed on the page; the rest are counted.
const SHOWN_ERRORS: usize = 200;

pub async fn post_import(
    State(state): State<AppState>,
    CatalogConsole(console, scope): CatalogConsole,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    let browser = Browser(&session);
    let here = format!("/admin/catalog/departments/{id}");
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
            let mut listed: Vec<String> = errors.iter().take(SHOWN_ERRORS).map(|e| problem_text(&tr, e)).collect();
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

/// A problem of an import in the reader's language: the line, the column as the upload hint names it,
/// and what is wrong.
fn problem_text(tr: &Tr, error: &RowError) -> String {
    let problem = tr.t(&format!("import.problem.{}", error.problem.key())).replace("%{value}", &error.problem.value());
    if error.line == 0 {
        return problem;
    }
    tr.t("catalog.import_line")
        .replace("%{line}", &error.line.to_string())
        .replace("%{field}", &tr.t(&format!("import.field.{}", error.field)))
        .replace("%{reason}", &problem)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::import::Problem;
    use crate::http::i18n::Locale;

    #[test]
    fn every_import_problem_reads_in_both_languages() {
        let problems = [
            Problem::EmptyFile,
            Problem::TooManyRows,
            Problem::NotJson("x".into()),
            Problem::NotAList,
            Problem::NotAnObject,
            Problem::UnreadableHeader("x".into()),
            Problem::UnknownColumn("x".into()),
            Problem::MissingColumn("type"),
            Problem::UnreadableRow("x".into()),
            Problem::FieldCount { found: 3, expected: 4 },
            Problem::UnknownField("x".into()),
            Problem::NotAString,
            Problem::BadCode("x".into()),
            Problem::NoName,
            Problem::ControlCharacter,
            Problem::BadKind("x".into()),
            Problem::BadAudience("外国人".into()),
            Problem::BadTheme("x".into()),
            Problem::UnknownSystem("x".into()),
            Problem::BadStatus("x".into()),
            Problem::Repeated { earlier: 2 },
            Problem::OtherDepartment,
        ];
        let fields = ["code", "name", "type", "audience", "themes", "system", "status", "header", "row", "file"];
        for locale in [Locale::ZhCn, Locale::En] {
            for (problem, field) in problems.iter().zip(fields.iter().cycle()) {
                let text = problem_text(&Tr(locale), &RowError::new(3, field, problem.clone()));
                assert!(
                    !text.contains("import.problem.") && !text.contains("import.field.") && !text.contains("%{"),
                    "{locale:?} {problem:?}: {text}"
                );
            }
        }
        let chinese =
            problem_text(&Tr(Locale::ZhCn), &RowError::new(3, "audience", Problem::BadAudience("外国人".into())));
        assert_eq!(chinese, "第 3 行，服务对象：“外国人”不是自然人、法人或自然人和法人。");
    }
}
