//! The sorted customers as a Parquet file (Snappy-compressed), with the CSV's column names.
//! Written with the `parquet` crate's column writers, in row groups of up to
//! [`ROW_GROUP_ROWS`] rows and a batch of rows at a time, so that only the file itself grows
//! with the number of rows. Pure: no host calls.

use std::sync::Arc;

use parquet::basic::{Compression, LogicalType, Repetition, Type as PhysicalType};
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::{SerializedFileWriter, SerializedRowGroupWriter};
use parquet::schema::types::Type;

use crate::csv::COLUMNS;
use crate::customers::{Customers, Row};

/// Rows per row group: readers can skip or read a group at a time.
pub const ROW_GROUP_ROWS: usize = 1 << 20;

/// Rows of one column handed to the writer at once.
const BATCH_ROWS: usize = 1 << 16;

/// Why the Parquet file could not be written.
#[derive(Debug, thiserror::Error)]
#[error("writing Parquet: {0}")]
pub struct ParquetWriteError(#[from] ParquetError);

/// The file's schema: the CSV's five columns, none nullable; the numbers as unsigned 32-bit
/// integers (`INT32` annotated `UINT_32`), the gender as UTF-8 text.
pub fn schema() -> Result<Type, ParquetError> {
    let column = |name: &str, physical, logical| {
        Type::primitive_type_builder(name, physical)
            .with_repetition(Repetition::REQUIRED)
            .with_logical_type(Some(logical))
            .build()
            .map(Arc::new)
    };
    let uint32 = |name| {
        column(
            name,
            PhysicalType::INT32,
            LogicalType::Integer {
                bit_width: 32,
                is_signed: false,
            },
        )
    };
    Type::group_type_builder("schema")
        .with_fields(vec![
            uint32(COLUMNS[0])?,
            column(COLUMNS[1], PhysicalType::BYTE_ARRAY, LogicalType::String)?,
            uint32(COLUMNS[2])?,
            uint32(COLUMNS[3])?,
            uint32(COLUMNS[4])?,
        ])
        .build()
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
    let properties = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_size(row_group_rows)
        .build();
    let mut bytes = Vec::new();
    let mut writer =
        SerializedFileWriter::new(&mut bytes, Arc::new(schema()?), Arc::new(properties))?;
    for group in customers.rows().chunks(row_group_rows) {
        let mut row_group = writer.next_row_group()?;
        let batches = || group.chunks(batch_rows);
        // Unsigned values go into INT32 bit for bit, as the `UINT_32` annotation says.
        let uint32 = |f: fn(&Row) -> u32| {
            move |rows: &[Row]| -> Vec<i32> { rows.iter().map(|r| f(r).cast_signed()).collect() }
        };
        write_int32(&mut row_group, batches(), uint32(|r| r.customer_id))?;
        let Some(mut column) = row_group.next_column()? else {
            return Err(ParquetError::General("the schema has no gender column".into()).into());
        };
        for rows in batches() {
            let genders: Vec<ByteArray> = rows
                .iter()
                .map(|r| ByteArray::from(customers.gender(r)))
                .collect();
            column
                .typed::<ByteArrayType>()
                .write_batch(&genders, None, None)?;
        }
        column.close()?;
        write_int32(&mut row_group, batches(), uint32(|r| r.age.into()))?;
        write_int32(&mut row_group, batches(), uint32(|r| r.annual_income_k))?;
        write_int32(
            &mut row_group,
            batches(),
            uint32(|r| r.spending_score.into()),
        )?;
        row_group.close()?;
    }
    writer.close()?;
    Ok(bytes)
}

/// Writes the row group's next column, an `INT32` one, from `batches` of rows.
fn write_int32<'a>(
    row_group: &mut SerializedRowGroupWriter<'_, &mut Vec<u8>>,
    batches: impl Iterator<Item = &'a [Row]>,
    values: impl Fn(&[Row]) -> Vec<i32>,
) -> Result<(), ParquetError> {
    let Some(mut column) = row_group.next_column()? else {
        return Err(ParquetError::General(
            "the schema has fewer columns than written".into(),
        ));
    };
    for rows in batches {
        column
            .typed::<Int32Type>()
            .write_batch(&values(rows), None, None)?;
    }
    column.close()
}

#[cfg(test)]
mod tests {
    use bytes_reader::read_back;

    use super::*;

    /// Reading the file back, with the `parquet` crate's own reader.
    mod bytes_reader {
        use parquet::file::reader::{FileReader, SerializedFileReader};
        use parquet::record::RowAccessor;

        use crate::customers::Customer;

        /// The rows of the file and its number of row groups.
        pub(super) fn read_back(bytes: Vec<u8>) -> (Vec<Customer>, usize) {
            let reader =
                SerializedFileReader::new(bytes::Bytes::from(bytes)).expect("a Parquet file");
            let groups = reader.metadata().num_row_groups();
            let rows = reader.get_row_iter(None).expect("a row reader");
            let out = rows
                .map(|row| {
                    let row = row.expect("a row");
                    // Read as unsigned and as text: the types the schema declares.
                    let uint = |i: usize| row.get_uint(i).expect("an unsigned column");
                    Customer {
                        customer_id: uint(0),
                        gender: row.get_string(1).expect("a text column").clone(),
                        age: uint(2),
                        annual_income_k: uint(3),
                        spending_score: uint(4),
                    }
                })
                .collect();
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
