//! Customer rows: parsing and validating the Mall Customers CSV. Pure: no host calls.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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

/// One customer row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// `CustomerID`: unique within the file.
    pub customer_id: u32,
    /// `Gender`, as written in the file.
    pub gender: String,
    /// `Age` in years.
    pub age: u32,
    /// `Annual Income (k$)`, in thousands of dollars.
    pub annual_income_k: u32,
    /// `Spending Score (1-100)`.
    pub spending_score: u32,
}

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

/// Parse and validate a Mall Customers CSV. Blank lines are ignored; fields may be quoted
/// with `"` (a doubled `""` inside stands for one quote). The second column may be headed
/// `Genre`, as in Kaggle's original file, instead of `Gender`.
pub fn parse_csv(text: &str) -> Result<Vec<Customer>, CsvError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let (header_line, header) = lines.next().ok_or(CsvError::Empty)?;
    let names = split_fields(header, header_line)?;
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
    if names != COLUMNS {
        return Err(CsvError::Header {
            found: header.to_owned(),
        });
    }

    let mut customers = Vec::new();
    let mut first_line_of: BTreeMap<u32, usize> = BTreeMap::new();
    for (line, text) in lines {
        let customer = parse_row(text, line)?;
        if let Some(&first_line) = first_line_of.get(&customer.customer_id) {
            return Err(CsvError::DuplicateId {
                line,
                id: customer.customer_id,
                first_line,
            });
        }
        first_line_of.insert(customer.customer_id, line);
        customers.push(customer);
    }
    Ok(customers)
}

fn parse_row(text: &str, line: usize) -> Result<Customer, CsvError> {
    let fields = split_fields(text, line)?;
    let [id, gender, age, income, score] = fields.as_slice() else {
        return Err(CsvError::FieldCount {
            line,
            found: fields.len(),
        });
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

    let gender = gender.trim();
    if gender.is_empty() {
        return Err(field_error(COLUMNS[1], gender, "is empty"));
    }
    let age_years = number(COLUMNS[2], age)?;
    if age_years > 150 {
        return Err(field_error(COLUMNS[2], age, "is not a plausible age"));
    }
    let spending_score = number(COLUMNS[4], score)?;
    if !(1..=100).contains(&spending_score) {
        return Err(field_error(COLUMNS[4], score, "is not between 1 and 100"));
    }
    Ok(Customer {
        customer_id: number(COLUMNS[0], id)?,
        gender: gender.to_owned(),
        age: age_years,
        annual_income_k: number(COLUMNS[3], income)?,
        spending_score,
    })
}

/// Split one CSV line into fields.
fn split_fields(text: &str, line: usize) -> Result<Vec<String>, CsvError> {
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
            (',', false) => fields.push(std::mem::take(&mut field)),
            (c, _) => field.push(c),
        }
    }
    if in_quotes {
        return Err(CsvError::Quote { line });
    }
    fields.push(field);
    Ok(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn parses_the_built_in_sample() {
        let customers = parse_csv(SAMPLE_CSV).expect("the sample is valid");
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
    fn accepts_crlf_blank_lines_spaces_and_quotes() {
        let text = format!("{HEADER}\r\n\r\n 7 , \"Male\" ,40,\"55\",  60 \r\n\n");
        let customers = parse_csv(&text).expect("valid");
        assert_eq!(customers.len(), 1);
        assert_eq!(customers[0].customer_id, 7);
        assert_eq!(customers[0].gender, "Male");
        assert_eq!(customers[0].annual_income_k, 55);
        assert_eq!(customers[0].spending_score, 60);
    }

    #[test]
    fn accepts_the_kaggle_header_with_genre() {
        let text =
            "CustomerID,Genre,Age,Annual Income (k$),Spending Score (1-100)\n1,Male,19,15,39\n";
        let customers = parse_csv(text).expect("valid");
        assert_eq!(customers[0].gender, "Male");
        let err = parse_csv("CustomerID,Age,Genre,Annual Income (k$),Spending Score (1-100)\n")
            .expect_err("Genre only in the second column");
        assert!(matches!(err, CsvError::Header { .. }));
    }

    #[test]
    fn a_header_only_file_has_no_customers() {
        assert_eq!(parse_csv(&csv(&[])).expect("valid"), []);
    }

    #[test]
    fn rejects_an_empty_file() {
        assert_eq!(parse_csv(" \n\n"), Err(CsvError::Empty));
    }

    #[test]
    fn rejects_a_wrong_header() {
        let err = parse_csv("id,gender,age,income,score\n1,Male,20,10,10\n").expect_err("bad");
        assert!(matches!(err, CsvError::Header { .. }), "{err:?}");
        assert!(err.to_string().starts_with("line 1: expected the header"));
    }

    #[test]
    fn a_bad_number_names_its_line_and_column() {
        let err = parse_csv(&csv(&["1,Male,20,10,10", "2,Female,abc,10,10"])).expect_err("bad");
        assert_eq!(
            err.to_string(),
            "line 3, column `Age`: `abc` is not a whole number"
        );
    }

    #[test]
    fn line_numbers_count_blank_lines() {
        let text = format!("{HEADER}\n\n1,Male,20,10,10\n\n2,Male,20,x,10\n");
        let err = parse_csv(&text).expect_err("bad income");
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
    fn rejects_out_of_range_values() {
        let err = parse_csv(&csv(&["1,Male,20,10,0"])).expect_err("score 0");
        assert!(
            matches!(
                err,
                CsvError::Field {
                    line: 2,
                    column: "Spending Score (1-100)",
                    ..
                }
            ),
            "{err:?}"
        );
        let err = parse_csv(&csv(&["1,Male,20,10,101"])).expect_err("score 101");
        assert!(matches!(err, CsvError::Field { .. }), "{err:?}");
        let err = parse_csv(&csv(&["1,Male,200,10,50"])).expect_err("age 200");
        assert!(
            matches!(err, CsvError::Field { column: "Age", .. }),
            "{err:?}"
        );
        let err = parse_csv(&csv(&["1,,20,10,50"])).expect_err("no gender");
        assert!(
            matches!(
                err,
                CsvError::Field {
                    column: "Gender",
                    ..
                }
            ),
            "{err:?}"
        );
        let err = parse_csv(&csv(&["-1,Male,20,10,50"])).expect_err("negative id");
        assert!(
            matches!(
                err,
                CsvError::Field {
                    column: "CustomerID",
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn rejects_rows_with_the_wrong_number_of_fields() {
        let err = parse_csv(&csv(&["1,Male,20,10"])).expect_err("short");
        assert_eq!(err, CsvError::FieldCount { line: 2, found: 4 });
        let err = parse_csv(&csv(&["1,Male,20,10,5,6"])).expect_err("long");
        assert_eq!(err, CsvError::FieldCount { line: 2, found: 6 });
    }

    #[test]
    fn rejects_duplicate_ids_and_unterminated_quotes() {
        let err = parse_csv(&csv(&["1,Male,20,10,5", "1,Female,30,10,5"])).expect_err("dup");
        assert_eq!(
            err,
            CsvError::DuplicateId {
                line: 3,
                id: 1,
                first_line: 2
            }
        );
        let err = parse_csv(&csv(&["1,\"Male,20,10,5"])).expect_err("quote");
        assert_eq!(err, CsvError::Quote { line: 2 });
    }
}
