//! Reading and validating a Mall Customers CSV line by line, from any [`BufRead`]: a string
//! or an S3 object's body as it arrives, without holding the text. Pure: no host calls.
//!
//! A [`CsvReader`] read to its end has validated the whole file, repeated ids included.

use std::borrow::Cow;
use std::io::{self, BufRead};

use crate::unique_ids::UniqueIds;

/// The columns a Mall Customers CSV must have, in this order.
pub const COLUMNS: [&str; 5] = [
    "CustomerID",
    "Gender",
    "Age",
    "Annual Income (k$)",
    "Spending Score (1-100)",
];

/// Another name of the second column: Kaggle's original `Mall_Customers.csv` calls it `Genre`.
pub const GENDER_ALIAS: &str = "Genre";

/// The oldest plausible age, in years.
const MAX_AGE: u8 = 150;

/// Why a CSV was rejected. Lines are numbered from 1, the header being line 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// The text has no header line.
    #[error("the CSV is empty: expected a header line `{}`", COLUMNS.join(","))]
    Empty,
    /// The header does not name the expected columns.
    #[error("line 1: expected the header `{}`, found `{found}`", COLUMNS.join(","))]
    Header {
        /// The header line as found.
        found: String,
    },
    /// A line is not UTF-8 text.
    #[error("line {line} is not UTF-8 text")]
    Utf8 {
        /// The line.
        line: usize,
    },
    /// A row has too few or too many fields.
    #[error("line {line}: expected {} fields, found {found}", COLUMNS.len())]
    FieldCount {
        /// Line of the row.
        line: usize,
        /// How many fields it has.
        found: usize,
    },
    /// A field does not hold a valid value.
    #[error("line {line}, column `{column}`: `{value}` {reason}")]
    Field {
        /// Line of the row.
        line: usize,
        /// Name of the column.
        column: &'static str,
        /// The field as found.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A double quote opens a field that never closes.
    #[error("line {line}: unterminated quoted field")]
    Quote {
        /// Line of the row.
        line: usize,
    },
    /// Two rows have the same customer id.
    #[error("line {line}, column `CustomerID`: {id} was already used on line {first_line}")]
    DuplicateId {
        /// Line of the second row.
        line: usize,
        /// The repeated id.
        id: u32,
        /// Line of the first row with that id.
        first_line: usize,
    },
}

/// Why reading a CSV stopped: the text is invalid (no retry mends it), or reading it failed
/// (an S3 download cut short, say; the [`io::Error`] may carry an `HttpError`).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The text is not a valid Mall Customers CSV.
    #[error(transparent)]
    Csv(#[from] CsvError),
    /// The text could not be read.
    #[error("reading the CSV: {0}")]
    Io(#[from] io::Error),
}

/// One valid customer row, its gender borrowed from the reader's line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record<'a> {
    /// `CustomerID`.
    pub customer_id: u32,
    /// `Gender`, trimmed, as written.
    pub gender: Cow<'a, str>,
    /// `Age` in years, at most 150.
    pub age: u8,
    /// `Annual Income (k$)`.
    pub annual_income_k: u32,
    /// `Spending Score (1-100)`.
    pub spending_score: u8,
}

/// Reads a Mall Customers CSV one row at a time. Blank lines are skipped; fields may be
/// quoted with `"` (a doubled `""` inside stands for one quote, and a quoted field ends on
/// its line). The second column may be headed `Genre`, as in Kaggle's original file.
#[derive(Debug)]
pub struct CsvReader<R> {
    input: R,
    /// The current line, without its line ending.
    text: String,
    /// Number of the current line.
    line: usize,
    ids: UniqueIds,
}

impl<R: BufRead> CsvReader<R> {
    /// Read and check the header; room is made for `rows` ids (`0` if unknown).
    pub fn new(input: R, rows: usize) -> Result<Self, ReadError> {
        let mut reader = Self {
            input,
            text: String::new(),
            line: 0,
            ids: UniqueIds::with_capacity(rows),
        };
        if !reader.next_line()? {
            return Err(CsvError::Empty.into());
        }
        check_header(&reader.text)?;
        Ok(reader)
    }

    /// The next row; `None` at the end, once no id proved to be used twice. On an invalid
    /// row, an id repeated on an earlier line is reported first.
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, ReadError> {
        if !self.next_line()? {
            return match self.ids.first_repeat() {
                Some(repeat) => Err(repeat.into()),
                None => Ok(None),
            };
        }
        match parse_row(&self.text, self.line) {
            Ok(record) => {
                self.ids.push(record.customer_id, self.line);
                Ok(Some(record))
            }
            Err(e) => Err(self.ids.first_repeat().unwrap_or(e).into()),
        }
    }

    /// Rows read so far.
    pub fn rows(&self) -> usize {
        self.ids.len()
    }

    /// Move to the next line that is not blank; `false` at the end of the input.
    fn next_line(&mut self) -> Result<bool, ReadError> {
        loop {
            let mut bytes = std::mem::take(&mut self.text).into_bytes();
            bytes.clear();
            if self.input.read_until(b'\n', &mut bytes)? == 0 {
                return Ok(false);
            }
            self.line += 1;
            if bytes.last() == Some(&b'\n') {
                bytes.pop();
            }
            while bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            self.text = String::from_utf8(bytes).map_err(|_| CsvError::Utf8 { line: self.line })?;
            if !self.text.trim().is_empty() {
                return Ok(true);
            }
        }
    }
}

fn check_header(header: &str) -> Result<(), CsvError> {
    let names = split_fields(header, 1)?;
    let names: Vec<&str> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let n = n.trim().trim_start_matches('\u{feff}');
            if i == 1 && n == GENDER_ALIAS {
                COLUMNS[1]
            } else {
                n
            }
        })
        .collect();
    if names == COLUMNS {
        Ok(())
    } else {
        Err(CsvError::Header {
            found: header.to_owned(),
        })
    }
}

fn parse_row(text: &str, line: usize) -> Result<Record<'_>, CsvError> {
    let fields = split_fields(text, line)?;
    let found = fields.len();
    let Ok([id, gender, age, income, score]) = <[Cow<'_, str>; 5]>::try_from(fields) else {
        return Err(CsvError::FieldCount { line, found });
    };
    let field_error = |column, value: &str, reason| CsvError::Field {
        line,
        column,
        value: value.to_owned(),
        reason,
    };
    let number = |column, value: &str| {
        value
            .trim()
            .parse::<u32>()
            .map_err(|_| field_error(column, value, "is not a whole number"))
    };

    let customer_id = number(COLUMNS[0], &id)?;
    let gender = match gender {
        Cow::Borrowed(g) => Cow::Borrowed(g.trim()),
        Cow::Owned(g) => Cow::Owned(g.trim().to_owned()),
    };
    if gender.is_empty() {
        return Err(field_error(COLUMNS[1], &gender, "is empty"));
    }
    let age = u8::try_from(number(COLUMNS[2], &age)?)
        .ok()
        .filter(|&years| years <= MAX_AGE)
        .ok_or_else(|| field_error(COLUMNS[2], &age, "is not a plausible age"))?;
    let annual_income_k = number(COLUMNS[3], &income)?;
    let spending_score = u8::try_from(number(COLUMNS[4], &score)?)
        .ok()
        .filter(|s| (1..=100).contains(s))
        .ok_or_else(|| field_error(COLUMNS[4], &score, "is not between 1 and 100"))?;
    Ok(Record {
        customer_id,
        gender,
        age,
        annual_income_k,
        spending_score,
    })
}

/// Split one CSV line into fields: borrowed when the line has no quotes, as most do.
fn split_fields(text: &str, line: usize) -> Result<Vec<Cow<'_, str>>, CsvError> {
    if !text.contains('"') {
        return Ok(text.split(',').map(Cow::Borrowed).collect());
    }
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        match (c, in_quotes) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => in_quotes = false,
            ('"', false) if field.trim().is_empty() => {
                field.clear();
                in_quotes = true;
            }
            (',', false) => fields.push(Cow::Owned(std::mem::take(&mut field))),
            (c, _) => field.push(c),
        }
    }
    if in_quotes {
        return Err(CsvError::Quote { line });
    }
    fields.push(Cow::Owned(field));
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::*;
    use crate::customers::{Customer, parse_csv};
    use crate::sample::SAMPLE_CSV;

    const HEADER: &str = "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)";

    fn csv(rows: &[&str]) -> String {
        let mut text = format!("{HEADER}\n");
        for row in rows {
            text.push_str(row);
            text.push('\n');
        }
        text
    }

    fn parse(text: &str) -> Result<Vec<Customer>, CsvError> {
        parse_csv(text).map_err(|e| match e {
            ReadError::Csv(e) => e,
            ReadError::Io(e) => panic!("reading a string failed: {e}"),
        })
    }

    #[test]
    fn parses_the_built_in_sample() {
        let customers = parse(SAMPLE_CSV).expect("the sample is valid");
        assert_eq!(customers.len(), 20);
        assert_eq!(
            customers[0],
            Customer {
                customer_id: 1,
                gender: "Female".into(),
                age: 23,
                annual_income_k: 18,
                spending_score: 62,
            }
        );
    }

    #[test]
    fn reads_the_same_rows_however_the_input_is_cut() {
        // A buffer of 3 bytes: lines arrive in pieces, as from a network stream.
        let mut reader = CsvReader::new(BufReader::with_capacity(3, SAMPLE_CSV.as_bytes()), 0)
            .expect("the header");
        let mut ids = Vec::new();
        while let Some(record) = reader.next_record().expect("valid") {
            ids.push(record.customer_id);
        }
        assert_eq!(ids, (1..=20).collect::<Vec<u32>>());
        assert_eq!(reader.rows(), 20);
    }

    #[test]
    fn accepts_crlf_blank_lines_spaces_and_quotes() {
        let text = format!("{HEADER}\r\n\r\n 7 , \"Male\" ,40,\"55\",  60 \r\n\n");
        let customers = parse(&text).expect("valid");
        assert_eq!(customers.len(), 1);
        assert_eq!(customers[0].customer_id, 7);
        assert_eq!(customers[0].gender, "Male");
        assert_eq!(customers[0].annual_income_k, 55);
        assert_eq!(customers[0].spending_score, 60);
        let quoted = parse(&csv(&["1,\"Fe\"\"male\",20,10,10"])).expect("valid");
        assert_eq!(quoted[0].gender, "Fe\"male");
        let no_final_newline = format!("{HEADER}\n1,Male,20,10,10");
        assert_eq!(parse(&no_final_newline).expect("valid").len(), 1);
    }

    #[test]
    fn accepts_the_kaggle_header_with_genre() {
        let text =
            "CustomerID,Genre,Age,Annual Income (k$),Spending Score (1-100)\n1,Male,19,15,39\n";
        let customers = parse(text).expect("valid");
        assert_eq!(customers[0].gender, "Male");
        let err = parse("CustomerID,Age,Genre,Annual Income (k$),Spending Score (1-100)\n")
            .expect_err("Genre only in the second column");
        assert!(matches!(err, CsvError::Header { .. }));
        let bom = format!("\u{feff}{HEADER}\n1,Male,19,15,39\n");
        assert_eq!(parse(&bom).expect("valid").len(), 1);
    }

    #[test]
    fn a_header_only_file_has_no_customers() {
        assert_eq!(parse(&csv(&[])).expect("valid"), []);
    }

    #[test]
    fn rejects_an_empty_file() {
        assert_eq!(parse(" \n\n"), Err(CsvError::Empty));
        assert_eq!(parse(""), Err(CsvError::Empty));
    }

    #[test]
    fn rejects_a_wrong_header() {
        let err = parse("id,gender,age,income,score\n1,Male,20,10,10\n").expect_err("bad");
        assert!(matches!(err, CsvError::Header { .. }), "{err:?}");
        assert!(err.to_string().starts_with("line 1: expected the header"));
    }

    #[test]
    fn a_bad_number_names_its_line_and_column() {
        let err = parse(&csv(&["1,Male,20,10,10", "2,Female,abc,10,10"])).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "line 3, column `Age`: `abc` is not a whole number"
        );
    }

    #[test]
    fn line_numbers_count_blank_lines() {
        let text = format!("{HEADER}\n\n1,Male,20,10,10\n\n2,Male,20,x,10\n");
        let err = parse(&text).expect_err("bad income");
        assert!(
            matches!(
                err,
                CsvError::Field {
                    line: 5,
                    column: "Annual Income (k$)",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn rejects_text_that_is_not_utf8_naming_its_line() {
        let mut bytes = csv(&["1,Male,20,10,10"]).into_bytes();
        bytes.extend_from_slice(b"2,M\xffle,20,10,10\n");
        let mut reader = CsvReader::new(bytes.as_slice(), 0).expect("the header");
        assert!(reader.next_record().expect("row 1").is_some());
        let err = reader.next_record().expect_err("not UTF-8");
        assert!(
            matches!(err, ReadError::Csv(CsvError::Utf8 { line: 3 })),
            "{err:?}"
        );
    }

    #[test]
    fn rejects_out_of_range_values() {
        let column_of = |row: &str| match parse(&csv(&[row])) {
            Err(CsvError::Field {
                line: 2, column, ..
            }) => column,
            other => panic!("{row}: {other:?}"),
        };
        assert_eq!(column_of("1,Male,20,10,0"), "Spending Score (1-100)");
        assert_eq!(column_of("1,Male,20,10,101"), "Spending Score (1-100)");
        assert_eq!(column_of("1,Male,20,10,300"), "Spending Score (1-100)");
        assert_eq!(column_of("1,Male,200,10,50"), "Age");
        assert_eq!(column_of("1,Male,151,10,50"), "Age");
        assert_eq!(column_of("1,,20,10,50"), "Gender");
        assert_eq!(column_of("1,  ,20,10,50"), "Gender");
        assert_eq!(column_of("-1,Male,20,10,50"), "CustomerID");
        assert_eq!(column_of("1,Male,20,-10,50"), "Annual Income (k$)");
        assert_eq!(parse(&csv(&["1,Male,150,0,100"])).expect("limits").len(), 1);
        let err = parse(&csv(&["1,Male,200,10,50"])).expect_err("age 200");
        assert_eq!(
            err.to_string(),
            "line 2, column `Age`: `200` is not a plausible age"
        );
    }

    #[test]
    fn rejects_rows_with_the_wrong_number_of_fields() {
        let err = parse(&csv(&["1,Male,20,10"])).expect_err("short");
        assert_eq!(err, CsvError::FieldCount { line: 2, found: 4 });
        let err = parse(&csv(&["1,Male,20,10,5,6"])).expect_err("long");
        assert_eq!(err, CsvError::FieldCount { line: 2, found: 6 });
    }

    #[test]
    fn rejects_duplicate_ids_and_unterminated_quotes() {
        let err = parse(&csv(&["1,Male,20,10,5", "1,Female,30,10,5"])).expect_err("dup");
        assert_eq!(
            err,
            CsvError::DuplicateId {
                line: 3,
                id: 1,
                first_line: 2
            }
        );
        let err = parse(&csv(&["1,\"Male,20,10,5"])).expect_err("quote");
        assert_eq!(err, CsvError::Quote { line: 2 });
    }

    #[test]
    fn a_repeated_id_is_reported_before_a_bad_row_after_it() {
        let text = format!("{HEADER}\n5,Male,20,10,5\n\n5,Female,30,10,5\n6,Male,x,10,5\n");
        assert_eq!(
            parse(&text),
            Err(CsvError::DuplicateId {
                line: 4,
                id: 5,
                first_line: 2
            })
        );
        let text = csv(&["5,Male,x,10,5", "5,Female,30,10,5"]);
        assert!(
            matches!(parse(&text), Err(CsvError::Field { line: 2, .. })),
            "the bad row comes first"
        );
    }
}
