//! Customers: the row as tasks hand it over ([`Customer`]) and a compact table of many
//! ([`Customers`], 16 bytes a row) for files of millions of rows. Pure: no host calls.

use std::collections::HashMap;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

use crate::csv::{CsvReader, ReadError, Record};

/// One customer row, as tasks hand it over in JSON.
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

/// Parse and validate a whole Mall Customers CSV (see [`CsvReader`] for the format).
pub fn parse_csv(text: &str) -> Result<Vec<Customer>, ReadError> {
    let mut reader = CsvReader::new(text.as_bytes(), 0)?;
    let mut customers = Vec::new();
    while let Some(record) = reader.next_record()? {
        customers.push(Customer {
            customer_id: record.customer_id,
            gender: record.gender.into_owned(),
            age: record.age.into(),
            annual_income_k: record.annual_income_k,
            spending_score: record.spending_score.into(),
        });
    }
    Ok(customers)
}

/// One customer in 16 bytes, its gender an index into the table's genders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// `CustomerID`.
    pub customer_id: u32,
    /// `Annual Income (k$)`.
    pub annual_income_k: u32,
    /// Index of the `Gender` in [`Customers::gender`].
    pub gender: u32,
    /// `Age` in years.
    pub age: u8,
    /// `Spending Score (1-100)`.
    pub spending_score: u8,
}

/// Many customers, each gender's text held once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Customers {
    rows: Vec<Row>,
    genders: Vec<String>,
    gender_index: HashMap<String, u32>,
}

impl Customers {
    /// Read and validate a whole CSV from `input`; `rows` is how many are expected (`0` if
    /// unknown), to allocate once.
    pub fn read(input: impl BufRead, rows: usize) -> Result<Self, ReadError> {
        let mut reader = CsvReader::new(input, rows)?;
        let mut customers = Self {
            rows: Vec::with_capacity(rows),
            ..Self::default()
        };
        while let Some(record) = reader.next_record()? {
            customers.push(&record);
        }
        Ok(customers)
    }

    /// Add a row at the end.
    pub fn push(&mut self, record: &Record<'_>) {
        let gender = match self.gender_index.get(record.gender.as_ref()) {
            Some(&index) => index,
            None => {
                let index = u32::try_from(self.genders.len()).unwrap_or(u32::MAX);
                self.genders.push(record.gender.clone().into_owned());
                self.gender_index
                    .insert(record.gender.clone().into_owned(), index);
                index
            }
        };
        self.rows.push(Row {
            customer_id: record.customer_id,
            annual_income_k: record.annual_income_k,
            gender,
            age: record.age,
            spending_score: record.spending_score,
        });
    }

    /// Number of customers.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The rows, in order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The gender of `row`.
    pub fn gender(&self, row: &Row) -> &str {
        usize::try_from(row.gender)
            .ok()
            .and_then(|i| self.genders.get(i))
            .map_or("", String::as_str)
    }

    /// Reorder the rows by `key`. Keys that tie may end in any order.
    pub fn sort_unstable_by_key<K: Ord>(&mut self, key: impl FnMut(&Row) -> K) {
        self.rows.sort_unstable_by_key(key);
    }

    /// The customers, in order, as tasks hand them over.
    pub fn to_vec(&self) -> Vec<Customer> {
        self.rows
            .iter()
            .map(|row| Customer {
                customer_id: row.customer_id,
                gender: self.gender(row).to_owned(),
                age: row.age.into(),
                annual_income_k: row.annual_income_k,
                spending_score: row.spending_score.into(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::SAMPLE_CSV;

    #[test]
    fn the_table_holds_what_the_csv_says_in_16_bytes_a_row() {
        assert_eq!(size_of::<Row>(), 16);
        let table = Customers::read(SAMPLE_CSV.as_bytes(), 20).expect("valid");
        assert_eq!(table.len(), 20);
        assert_eq!(table.to_vec(), parse_csv(SAMPLE_CSV).expect("valid"));
        assert_eq!(table.genders, ["Female", "Male"], "each gender once");
        assert_eq!(table.gender(&table.rows()[1]), "Male");
    }

    #[test]
    fn a_bad_row_fails_the_table_too() {
        let text =
            "CustomerID,Gender,Age,Annual Income (k$),Spending Score (1-100)\n1,Male,x,1,1\n";
        let err = Customers::read(text.as_bytes(), 0).expect_err("bad age");
        assert_eq!(
            err.to_string(),
            "line 2, column `Age`: `x` is not a whole number"
        );
    }

    #[test]
    fn an_empty_table_has_no_rows() {
        let table = Customers::default();
        assert!(table.is_empty() && table.to_vec().is_empty());
    }
}
