//! The sorted customers as a Parquet file (Snappy-compressed, one row group), with the
//! CSV's column names. Pure: no host calls.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use crate::customers::{COLUMNS, Customer};

/// Why the Parquet file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ParquetWriteError {
    /// The columns did not make a record batch.
    #[error("building the record batch: {0}")]
    Arrow(#[from] ArrowError),
    /// The Parquet writer failed.
    #[error("writing Parquet: {0}")]
    Parquet(#[from] ParquetError),
}

/// The Arrow schema of the file: the CSV's five columns, none nullable.
pub fn schema() -> Schema {
    Schema::new(vec![
        Field::new(COLUMNS[0], DataType::UInt32, false),
        Field::new(COLUMNS[1], DataType::Utf8, false),
        Field::new(COLUMNS[2], DataType::UInt32, false),
        Field::new(COLUMNS[3], DataType::UInt32, false),
        Field::new(COLUMNS[4], DataType::UInt32, false),
    ])
}

/// `customers`, in their order, as the bytes of a Parquet file.
pub fn to_parquet(customers: &[Customer]) -> Result<Vec<u8>, ParquetWriteError> {
    let schema = Arc::new(schema());
    let column = |f: fn(&Customer) -> u32| -> ArrayRef {
        Arc::new(UInt32Array::from_iter_values(customers.iter().map(f)))
    };
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            column(|c| c.customer_id),
            Arc::new(StringArray::from_iter_values(
                customers.iter().map(|c| c.gender.as_str()),
            )),
            column(|c| c.age),
            column(|c| c.annual_income_k),
            column(|c| c.spending_score),
        ],
    )?;
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(properties))?;
    writer.write(&batch)?;
    writer.close()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use bytes_reader::read_back;

    use super::*;

    /// Reading the file back, with the `parquet` crate's own reader.
    mod bytes_reader {
        use arrow_array::Array;
        use arrow_array::cast::AsArray;
        use arrow_array::types::UInt32Type;
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

        use crate::customers::Customer;

        pub(super) fn read_back(bytes: Vec<u8>) -> Vec<Customer> {
            let reader = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
                .expect("a Parquet file")
                .build()
                .expect("a reader");
            let mut out = Vec::new();
            for batch in reader {
                let batch = batch.expect("a batch");
                let u32s = |i: usize| batch.column(i).as_primitive::<UInt32Type>().clone();
                let (ids, ages, incomes, scores) = (u32s(0), u32s(2), u32s(3), u32s(4));
                let genders = batch.column(1).as_string::<i32>().clone();
                for row in 0..batch.num_rows() {
                    assert!(!genders.is_null(row));
                    out.push(Customer {
                        customer_id: ids.value(row),
                        gender: genders.value(row).to_owned(),
                        age: ages.value(row),
                        annual_income_k: incomes.value(row),
                        spending_score: scores.value(row),
                    });
                }
            }
            out
        }
    }

    #[test]
    fn writes_every_row_in_order_and_reads_back_the_same() {
        let customers = crate::customers::parse_csv(crate::sample::SAMPLE_CSV).expect("valid");
        let sorted = crate::analysis::sort_by_spending(customers);
        let bytes = to_parquet(&sorted).expect("written");
        assert_eq!(&bytes[..4], b"PAR1");
        assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
        assert_eq!(read_back(bytes), sorted);
    }

    #[test]
    fn no_customers_is_an_empty_file_with_the_schema() {
        let bytes = to_parquet(&[]).expect("written");
        assert!(read_back(bytes).is_empty());
    }
}
