//! The sorted customers as a Parquet file (Snappy-compressed), with the CSV's column names.
//! Written a batch of rows at a time, in row groups of up to [`ROW_GROUP_ROWS`] rows, so that
//! only the file itself grows with the number of rows. Pure: no host calls.

use std::sync::Arc;

use arrow_array::{ArrayRef, RecordBatch, StringArray, UInt32Array};
use arrow_schema::{ArrowError, DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;

use crate::csv::COLUMNS;
use crate::customers::{Customers, Row};

/// Rows per row group: readers can skip or read a group at a time.
pub const ROW_GROUP_ROWS: usize = 1 << 20;

/// Rows turned into Arrow arrays at once.
const BATCH_ROWS: usize = 1 << 16;

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
pub fn to_parquet(customers: &Customers) -> Result<Vec<u8>, ParquetWriteError> {
    write(customers, ROW_GROUP_ROWS, BATCH_ROWS)
}

fn write(
    customers: &Customers,
    row_group_rows: usize,
    batch_rows: usize,
) -> Result<Vec<u8>, ParquetWriteError> {
    let schema = Arc::new(schema());
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_size(row_group_rows)
        .build();
    let mut bytes = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut bytes, Arc::clone(&schema), Some(properties))?;
    for rows in customers.rows().chunks(batch_rows) {
        writer.write(&batch(&schema, customers, rows)?)?;
    }
    writer.close()?;
    Ok(bytes)
}

/// `rows` of `customers` as one record batch.
fn batch(
    schema: &Arc<Schema>,
    customers: &Customers,
    rows: &[Row],
) -> Result<RecordBatch, ArrowError> {
    let column = |f: fn(&Row) -> u32| -> ArrayRef {
        Arc::new(UInt32Array::from_iter_values(rows.iter().map(f)))
    };
    let genders = StringArray::from_iter_values(rows.iter().map(|r| customers.gender(r)));
    RecordBatch::try_new(
        Arc::clone(schema),
        vec![
            column(|r| r.customer_id),
            Arc::new(genders),
            column(|r| r.age.into()),
            column(|r| r.annual_income_k),
            column(|r| r.spending_score.into()),
        ],
    )
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

        /// The rows of the file and its number of row groups.
        pub(super) fn read_back(bytes: Vec<u8>) -> (Vec<Customer>, usize) {
            let builder = ParquetRecordBatchReaderBuilder::try_new(bytes::Bytes::from(bytes))
                .expect("a Parquet file");
            let groups = builder.metadata().num_row_groups();
            let reader = builder.build().expect("a reader");
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
            (out, groups)
        }
    }

    fn sorted_sample() -> Customers {
        let mut customers =
            Customers::read(crate::sample::SAMPLE_CSV.as_bytes(), 0).expect("valid");
        crate::analysis::sort_table_by_spending(&mut customers);
        customers
    }

    #[test]
    fn writes_every_row_in_order_and_reads_back_the_same() {
        let sorted = sorted_sample();
        let bytes = to_parquet(&sorted).expect("written");
        assert_eq!(&bytes[..4], b"PAR1");
        assert_eq!(&bytes[bytes.len() - 4..], b"PAR1");
        assert_eq!(read_back(bytes), (sorted.to_vec(), 1));
    }

    #[test]
    fn rows_are_written_batch_by_batch_into_row_groups() {
        let sorted = sorted_sample();
        let bytes = write(&sorted, 6, 4).expect("written");
        assert_eq!(read_back(bytes), (sorted.to_vec(), 4), "20 rows, 6 a group");
    }

    #[test]
    fn no_customers_is_an_empty_file_with_the_schema() {
        let bytes = to_parquet(&Customers::default()).expect("written");
        assert!(read_back(bytes).0.is_empty());
    }
}
