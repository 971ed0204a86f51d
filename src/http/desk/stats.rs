//! GET /desk/stats: a hall's daily volume by kind of task, for the hall and every hall below it.

use super::{AtDesk, DeskFrame, frame};
use crate::http::error::AppError;
use crate::http::pages::{Chrome, render};
use crate::http::state::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "desk/stats.html")]
struct StatsPage {
    chrome: Chrome,
    desk: DeskFrame,
    date: String,
    rows: Vec<(String, String, i64)>,
    total: i64,
}

#[derive(Deserialize)]
pub struct StatsQuery {
    date: Option<String>,
}

pub async fn get_stats(
    State(state): State<AppState>,
    desk: AtDesk,
    Query(query): Query<StatsQuery>,
) -> Result<Response, AppError> {
    let tr = desk.tr();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let offset = time::macros::offset!(+8);
    let today = time::OffsetDateTime::from_unix_timestamp(state.provider.now())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(offset)
        .date();
    let day = query.date.as_deref().and_then(|d| time::Date::parse(d, &format).ok()).unwrap_or(today);
    let from = day.midnight().assume_offset(offset).unix_timestamp();
    let rows: Vec<(String, String, i64)> = state
        .desk
        .volume(&desk.seat, from)
        .await?
        .into_iter()
        .map(|(hall, action, count)| (hall, tr.t(&format!("task.{action}")), count))
        .collect();
    let total = rows.iter().map(|(_, _, n)| n).sum();
    let (chrome, frame) = frame(&state, &desk).await?;
    Ok(render(
        StatusCode::OK,
        &StatsPage { chrome, desk: frame, date: day.format(&format).unwrap_or_default(), rows, total },
    ))
}
