//! CSV meant to be opened in a spreadsheet. A cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage
//! return is a formula to Excel and WPS, so a department's item name or a person's name could run as one
//! on an official's machine (CSV injection); such cells are written with a leading apostrophe, which the
//! spreadsheet shows as text. Every CSV export goes through [`write_row`].

use std::borrow::Cow;

/// The cell as a spreadsheet will show it as text.
pub fn neutralised(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
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
    fn formulas_become_text() {
        for formula in ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralised(formula), format!("'{formula}"));
        }
        assert_eq!(neutralised("社保查询"), "社保查询");
        assert_eq!(neutralised("12.5%"), "12.5%");
    }
}
