//! DAG `asset_sorted`, world `weft:dag@0.5.0`: one no-op task, `sort`, that updates asset
//! `s3://weft/sorted.parquet`: each success gives the asset an event, which starts the runs of DAGs waiting
//! for it (`asset_report`).

// The export glue generated here is unsafe by nature (it is the component's ABI); the
// world's task-error is as large as WIT makes it.
#![allow(unsafe_code, clippy::result_large_err)]

/// The bindings of world 0.5.0 and its `dag-spec` helpers.
#[path = "../v5.rs"]
mod v5;

/// The guest of a DAG of one task updating one asset.
#[macro_use]
#[path = "../asset_producer.rs"]
mod asset_producer;

asset_producer!("asset_sorted", "sort", "s3://weft/sorted.parquet");

fn main() {}
