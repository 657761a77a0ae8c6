//! A CSV file's head and column kinds, for the web app's preview before a table is
//! used (read leniently; [`super::csv_table::read_csv`] names every problem when the
//! table is used).

use super::csv_table::{CsvError, MAX_CSV_BYTES, MAX_CSV_COLUMNS, finite};

/// The head of a CSV file, for a preview before it is used.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CsvPreview {
    /// Column names.
    pub header: Vec<String>,
    /// The first rows, as written.
    pub rows: Vec<Vec<String>>,
    /// Whether every value of a column (in the whole file) is a finite number.
    pub numeric: Vec<bool>,
    /// Data rows in the file.
    pub row_count: usize,
}

/// The header, the first `n` rows and each column's kind, read leniently (a ragged
/// row is shown as it is; [`read_csv`] names it when the table is used).
pub fn preview_csv(bytes: &[u8], delimiter: u8, n: usize) -> Result<CsvPreview, CsvError> {
    let fail = |message: String| CsvError {
        file: String::new(),
        row: None,
        column: None,
        message,
    };
    if bytes.len() > MAX_CSV_BYTES {
        return Err(fail(format!(
            "over the {} MiB a CSV dataset may have",
            MAX_CSV_BYTES >> 20
        )));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut out = CsvPreview::default();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| fail(format!("unreadable: {e}")))?;
        let fields: Vec<String> = record.iter().map(|f| f.trim().to_string()).collect();
        if i == 0 {
            if fields.len() > MAX_CSV_COLUMNS {
                return Err(fail(format!("more than {MAX_CSV_COLUMNS} columns")));
            }
            out.numeric = vec![true; fields.len()];
            out.header = fields;
            continue;
        }
        if fields.len() == 1 && fields[0].is_empty() {
            continue;
        }
        for (c, f) in fields.iter().enumerate() {
            if let Some(k) = out.numeric.get_mut(c) {
                *k &= finite(f).is_some();
            }
        }
        if out.rows.len() < n {
            out.rows.push(fields);
        }
        out.row_count += 1;
    }
    if out.header.is_empty() {
        return Err(fail("the file is empty".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_shows_the_head_and_each_column_kind() {
        let p = preview_csv(b"a,b,name\n1,2,x\n3,4.5,y\n5,z,w\n", b',', 2).expect("previews");
        assert_eq!(p.header, ["a", "b", "name"]);
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.row_count, 3);
        assert_eq!(p.numeric, [true, false, false]);
        assert!(preview_csv(b"", b',', 2).is_err());
    }
}
