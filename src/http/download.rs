//! Sending a [`Sheet`] as a file: CSV (with the byte-order mark Excel needs) or an Excel workbook, never
//! cached.

use super::error::AppError;
use crate::spreadsheet::Sheet;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

/// The file `{basename}.csv` or `{basename}.xlsx`.
pub fn download(sheet: &Sheet, format: Format, basename: &str) -> Result<Response, AppError> {
    let (bytes, content_type, extension) = match format {
        Format::Csv => (sheet.to_csv(), "text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (sheet.to_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    };
    let bytes = bytes?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let disposition = format!("attachment; filename=\"{basename}.{extension}\"");
    headers.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition)?);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
