//! The tasks' work in S3 mode: the data moves through the bucket, and only small summaries
//! through the tasks' outputs. `extract` reads and validates the CSV and hands over where it
//! is ([`StagedCsv`]); `sort_by_spending` and `aggregate_by_gender` each read it again as it
//! arrives, the first writing the sorted Parquet file itself; `upload` writes the figures.
//!
//! No task holds the CSV's text: rows are parsed line by line from the response body, into
//! 16 bytes a row where they must be kept (to sort them) and not at all where a running
//! total will do (to validate and to aggregate them).

use std::io::BufReader;

use weft_sdk::http::{BodyReader, HttpError};
use weft_sdk::prelude::*;

use crate::analysis::{self, GenderStats, GenderTally};
use crate::columnar;
use crate::conf::{Conf, S3Conf};
use crate::csv::{CsvReader, ReadError};
use crate::customers::Customers;
use crate::handover::{ParquetWritten, StagedCsv, Uploaded};
use crate::s3::S3Bucket;
use crate::warehouse::{self, SortedRow};
use crate::{AGGREGATE_NAME, DEFAULT_INPUT_KEY, PARQUET_NAME, S3_CONNECTION};

/// Bytes read from a response body at a time.
const READ_BUFFER: usize = 256 << 10;

pub(crate) fn extract(ctx: &Context, s3: &S3Conf) -> TaskResult<StagedCsv> {
    let bucket = bucket(ctx, s3.bucket.as_deref())?;
    let key = s3.input_key.as_deref().unwrap_or(DEFAULT_INPUT_KEY);
    let uri = bucket.s3_uri(key);
    info!("reading customers from {uri}");
    let download = bucket
        .open(key, None)
        .map_err(|e| e.into_task_error().context(format!("reading {uri}")))?;
    let mut reader = CsvReader::new(BufReader::with_capacity(READ_BUFFER, download.body), 0)
        .map_err(|e| read_error(e, &uri))?;
    // Every row is checked, none kept.
    while reader
        .next_record()
        .map_err(|e| read_error(e, &uri))?
        .is_some()
    {}
    let rows = reader.rows();
    if rows == 0 {
        warn!("{uri} holds no customer rows");
    }
    info!("{rows} customer rows; {}", memory_used());
    Ok(StagedCsv {
        bucket: bucket.name().to_owned(),
        key: key.to_owned(),
        rows,
        etag: download.etag,
    })
}

pub(crate) fn sort_by_spending(ctx: &Context, staged: &StagedCsv) -> TaskResult<ParquetWritten> {
    let conf: Conf = ctx.conf()?;
    let no_s3 = S3Conf::default();
    let prefix = conf
        .s3
        .as_ref()
        .unwrap_or(&no_s3)
        .output_prefix(ctx.run_id());
    let (bucket, uri, input) = open_staged(ctx, staged)?;
    let mut customers = Customers::read(input, staged.rows).map_err(|e| read_error(e, &uri))?;
    same_rows(customers.len(), staged, &uri)?;
    analysis::sort_table_by_spending(&mut customers);
    let score = |row: Option<&crate::customers::Row>| row.map(|r| u32::from(r.spending_score));
    let lowest_spending_score = score(customers.rows().first());
    let highest_spending_score = score(customers.rows().last());
    let parquet = columnar::to_parquet(&customers).permanent()?;
    let rows = customers.len();
    if let Some(table) = warehouse::table(&conf)? {
        let sorted = customers.rows().iter().map(|row| SortedRow {
            customer_id: row.customer_id,
            gender: customers.gender(row),
            age: row.age.into(),
            annual_income_k: row.annual_income_k,
            spending_score: row.spending_score.into(),
        });
        warehouse::load(ctx, &table, sorted)?;
    }
    drop(customers);

    let key = format!("{prefix}{PARQUET_NAME}");
    let written = ParquetWritten {
        uri: bucket.s3_uri(&key),
        rows,
        bytes: parquet.len(),
        lowest_spending_score,
        highest_spending_score,
    };
    info!("uploading {} ({} bytes)", written.uri, written.bytes);
    bucket
        .put(&key, parquet, "application/vnd.apache.parquet")
        .map_err(|e| e.into_task_error().context("uploading the Parquet file"))?;
    info!("{rows} rows written; {}", memory_used());
    Ok(written)
}

pub(crate) fn aggregate_by_gender(
    ctx: &Context,
    staged: &StagedCsv,
) -> TaskResult<Vec<GenderStats>> {
    let (_, uri, input) = open_staged(ctx, staged)?;
    let mut reader = CsvReader::new(input, staged.rows).map_err(|e| read_error(e, &uri))?;
    let mut tally = GenderTally::default();
    while let Some(r) = reader.next_record().map_err(|e| read_error(e, &uri))? {
        tally.add(
            &r.gender,
            r.age.into(),
            r.annual_income_k,
            r.spending_score.into(),
        );
    }
    same_rows(reader.rows(), staged, &uri)?;
    info!("{} rows aggregated; {}", reader.rows(), memory_used());
    Ok(tally.finish())
}

pub(crate) fn upload(
    ctx: &Context,
    s3: &S3Conf,
    written: ParquetWritten,
    by_gender: &[GenderStats],
) -> TaskResult<Uploaded> {
    let bucket = bucket(ctx, s3.bucket.as_deref())?;
    let key = format!("{}{AGGREGATE_NAME}", s3.output_prefix(ctx.run_id()));
    let json = serde_json::to_vec_pretty(by_gender).permanent()?;
    info!("uploading {}", bucket.s3_uri(&key));
    bucket.put(&key, json, "application/json").map_err(|e| {
        e.into_task_error()
            .context("uploading the figures per gender")
    })?;
    let where_ = serde_json::json!({"parquet": written.uri, "rows": written.rows});
    ctx.set_asset_extra(crate::SORTED_ASSET, &where_)?;
    Ok(Uploaded {
        parquet: written.uri,
        parquet_bytes: written.bytes,
        rows: written.rows,
        aggregate: bucket.s3_uri(&key),
    })
}

/// Bucket `name` (else the connection's `schema`), through the connection.
fn bucket(ctx: &Context, name: Option<&str>) -> TaskResult<S3Bucket> {
    let connection = ctx
        .connection(S3_CONNECTION)
        .map_err(AccessError::into_task_error)?;
    S3Bucket::from_connection(&connection, name).permanent()
}

/// Start reading the CSV `extract` validated, in the version it read: its bucket, its
/// `s3://` URI and its text as it arrives.
fn open_staged(
    ctx: &Context,
    staged: &StagedCsv,
) -> TaskResult<(S3Bucket, String, BufReader<BodyReader>)> {
    let bucket = bucket(ctx, Some(&staged.bucket))?;
    let uri = bucket.s3_uri(&staged.key);
    info!("reading {} customer rows from {uri}", staged.rows);
    let download = match bucket.open(&staged.key, staged.etag.as_deref()) {
        Ok(download) => download,
        Err(HttpError::Status { status: 412, .. }) => return Err(changed(&uri)),
        Err(e) => return Err(e.into_task_error().context(format!("reading {uri}"))),
    };
    let input = BufReader::with_capacity(READ_BUFFER, download.body);
    Ok((bucket, uri, input))
}

/// Whether the object still holds the rows `extract` counted: a check where the server
/// ignores `If-Match`.
fn same_rows(rows: usize, staged: &StagedCsv, uri: &str) -> TaskResult<()> {
    if rows == staged.rows {
        Ok(())
    } else {
        Err(TaskError::permanent(format!(
            "{uri} holds {rows} customer rows, not the {} `extract` validated: it changed \
             since; trigger a new run",
            staged.rows
        )))
    }
}

/// The object was replaced after `extract` read it: the run's tasks would not see the same
/// data, and another attempt would not either.
fn changed(uri: &str) -> TaskError {
    TaskError::permanent(format!(
        "{uri} changed since `extract` validated it; trigger a new run"
    ))
}

/// The task error for a CSV that could not be read: permanent when the text is invalid, as
/// the HTTP error says when the download failed.
fn read_error(error: ReadError, uri: &str) -> TaskError {
    match error {
        ReadError::Csv(e) => TaskError::permanent(format!("{uri}: {e}")),
        ReadError::Io(e) => match e.downcast::<HttpError>() {
            Ok(http) => http.into_task_error().context(format!("reading {uri}")),
            Err(other) => TaskError::retryable(format!("reading {uri}: {other}")),
        },
    }
}

/// The guest's linear memory, for the log: it never shrinks, so this is the peak so far.
fn memory_used() -> String {
    #[cfg(target_arch = "wasm32")]
    let bytes = core::arch::wasm32::memory_size::<0>() << 16;
    #[cfg(not(target_arch = "wasm32"))]
    let bytes = 0;
    format!("{} MiB of linear memory", bytes >> 20)
}
