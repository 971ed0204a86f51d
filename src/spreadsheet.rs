//! Tables meant to be opened in a spreadsheet, as CSV or as an Excel workbook ([`Sheet`]).
//!
//! CSV starts with a UTF-8 byte-order mark: without it Excel on Chinese Windows reads the file as GBK and
//! garbles every Chinese cell. A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a
//! formula to Excel and WPS, so a department's item name or a person's name could run as one on an
//! official's machine (CSV injection); such cells are written with a leading apostrophe, which the
//! spreadsheet shows as text. In a workbook every cell is written as text or as a number, never as a
//! formula. Every export goes through [`Sheet`] or [`write_row`].

use std::borrow::Cow;

/// The cell as a spreadsheet will show it as text.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A cell: text, or a number a spreadsheet can sum.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::Text(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::Text(text.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(number: i64) -> Self {
        Cell::Number(number as f64)
    }
}

/// One table with a header row, in the reader's language.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    #[error("xlsx: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

impl Sheet {
    /// CSV with a byte-order mark, cells neutralised.
    pub fn to_csv(&self) -> Result<Vec<u8>, SheetError> {
        let mut out = "\u{feff}".as_bytes().to_vec();
        let mut writer = csv::Writer::from_writer(&mut out);
        write_row(&mut writer, &self.headers)?;
        for row in &self.rows {
            write_row(
                &mut writer,
                row.iter().map(|cell| match cell {
                    Cell::Text(text) => text.clone(),
                    Cell::Number(number) => number.to_string(),
                }),
            )?;
        }
        writer.flush().map_err(csv::Error::from)?;
        drop(writer);
        Ok(out)
    }

    /// An Excel workbook with one worksheet: a bold, frozen header row, text as text, numbers as numbers.
    pub fn to_xlsx(&self) -> Result<Vec<u8>, SheetError> {
        use rust_xlsxwriter::{Format, Workbook};
        let mut workbook = Workbook::new();
        let sheet = workbook.add_worksheet();
        // Worksheet names are at most 31 characters and cannot hold []:*?/\.
        let name: String = self.name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        if !name.is_empty() {
            sheet.set_name(&name)?;
        }
        let bold = Format::new().set_bold();
        for (column, header) in self.headers.iter().enumerate() {
            sheet.write_string_with_format(0, column as u16, header, &bold)?;
        }
        for (index, row) in self.rows.iter().enumerate() {
            let line = index as u32 + 1;
            for (column, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Text(text) => sheet.write_string(line, column as u16, text)?,
                    Cell::Number(number) => sheet.write_number(line, column as u16, *number)?,
                };
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofit();
        Ok(workbook.save_to_buffer()?)
    }
}

/// Writes one row, every cell neutralised.
pub fn write_row<W: std::io::Write, S: AsRef<str>>(
    writer: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = S>,
) -> csv::Result<()> {
    let cells: Vec<String> = cells.into_iter().map(|cell| neutralised(cell.as_ref()).into_owned()).collect();
    writer.write_record(&cells)
}

#[cfg(test)]
mod tests {
    use super::neutralised;

    #[test]
    fn csv_starts_with_a_byte_order_mark_and_workbooks_are_zip_files() {
        let sheet = super::Sheet {
            name: "接入率".into(),
            headers: vec!["部门".into(), "事项数".into()],
            rows: vec![vec!["=民政局".into(), super::Cell::from(4)]],
        };
        let csv = sheet.to_csv().unwrap();
        assert!(csv.starts_with("\u{feff}部门,事项数\n".as_bytes()), "{:?}", String::from_utf8_lossy(&csv));
        assert!(String::from_utf8(csv).unwrap().contains("'=民政局,4"), "formulas neutralised");
        assert!(sheet.to_xlsx().unwrap().starts_with(b"PK"), "an xlsx file is a zip archive");
    }

    #[test]
    fn formulas_become_text() {
        for formula in ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralised(formula), format!("'{formula}"));
        }
        assert_eq!(neutralised("社保查询"), "社保查询");
        assert_eq!(neutralised("12.5%"), "12.5%");
    }
}
