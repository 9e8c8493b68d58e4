"""The ``mall_customers_python`` DAG: the S3 homework in Python on Weft's SDK.

``extract >> [sort_by_spending, aggregate_by_gender] >> report``, reading a Mall Customers CSV
from an S3-compatible bucket through the connection ``aws_default`` and writing back the
customers sorted by spending score as Parquet, and the figures per gender as JSON:

* ``extract`` downloads the CSV and validates it: a bad row fails the task for good, naming
  its line and column. It returns where the CSV is, its ETag and how many rows it has; the
  rows stay in the bucket;
* ``sort_by_spending`` reads the CSV again (only the version ``extract`` read), sorts it by
  spending score (ties by id) and writes ``sorted_by_spending.parquet`` under the output prefix;
* ``aggregate_by_gender`` reads it again (the same version) and writes ``by_gender.json`` there;
* ``report`` sums up: the number of customers, the Parquet file's name and the figures.

The run's conf may give ``{"s3": {"bucket": ..., "input_key": ..., "output_prefix": ...}}``:
the bucket defaults to the connection's ``schema``, the input to ``Mall_Customers.csv`` and the
prefix to ``mall_customers_python/<run id>/``.

The project's one dependency, ``aws-request-signer`` (``requirements.txt``, pure Python), signs
the requests (``s3.py``); the Parquet file is written by ``columnar.py``.
"""

from __future__ import annotations

import json
from typing import Any

from weft import Context, Dag, PermanentError

import columnar
import customers
from customers import COLUMNS, CsvError, Customer
from s3 import Bucket

#: The connection to the S3-compatible store (``conn_type`` ``aws``).
S3_CONNECTION = "aws_default"

#: Where the S3 tasks may send requests, fixed at build time: any port of the loopback
#: address, where a local S3-compatible server listens. For a cloud endpoint, name it here
#: (``"GET,PUT https://s3.eu-west-3.amazonaws.com"``); the operator's policy narrows further.
S3_EGRESS = ["GET,PUT http://127.0.0.1:*"]

#: The object read when the conf names none: Kaggle's file name.
DEFAULT_INPUT_KEY = "Mall_Customers.csv"

#: The settings of every task that talks to S3.
S3_TASK: dict[str, Any] = {
    "connections": [S3_CONNECTION],
    "egress": S3_EGRESS,
    "retries": 2,
    "retry_delay": 1,
    "memory_bytes": 256 * 1024 * 1024,
}

dag = Dag(
    "mall_customers_python",
    description="The S3 homework in Python: a Mall Customers CSV from S3, sorted by spending score, back as Parquet.",
    start_date="2024-01-01",
    tags=["example", "python", "s3"],
)


def s3_conf(ctx: Context) -> dict[str, str]:
    """The run's ``s3`` settings; a setting of the wrong type fails the task for good."""
    conf = ctx.conf.get("s3", {})
    if not isinstance(conf, dict):
        raise PermanentError(f"the run's conf field `s3` is not an object: {conf!r}")
    for name in ("bucket", "input_key"):
        if name in conf and (not isinstance(conf[name], str) or not conf[name]):
            raise PermanentError(f"the run's conf field `s3.{name}` is not a non-empty string: {conf[name]!r}")
    if "output_prefix" in conf and not isinstance(conf["output_prefix"], str):
        raise PermanentError(f"the run's conf field `s3.output_prefix` is not a string: {conf['output_prefix']!r}")
    return conf


def bucket_of(ctx: Context) -> Bucket:
    """The run's bucket, through ``aws_default``."""
    return Bucket.from_connection(ctx.connection(S3_CONNECTION), s3_conf(ctx).get("bucket"))


def output_key(ctx: Context, name: str) -> str:
    """The key of the output `name` under the run's prefix."""
    prefix = s3_conf(ctx).get("output_prefix", f"mall_customers_python/{ctx.run_id}/")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return prefix + name


def read_customers(ctx: Context, bucket: Bucket, key: str, etag: str | None = None) -> tuple[list[Customer], str | None]:
    """The validated rows of the CSV `key` and its ETag; with `etag`, only while the object is
    still the one `extract` read (a replaced object fails the task for good)."""
    data, etag = bucket.get(ctx.http, key, if_match=etag)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise PermanentError(f"{bucket.uri(key)} is not UTF-8 text: byte {error.start}") from error
    try:
        return customers.parse_csv(text), etag
    except CsvError as error:
        raise PermanentError(f"{bucket.uri(key)}: {error}") from error


@dag.task(**S3_TASK)
def extract(ctx: Context) -> dict:
    """Download the CSV and validate every row; say where it is and how many rows it has."""
    bucket = bucket_of(ctx)
    key = s3_conf(ctx).get("input_key", DEFAULT_INPUT_KEY)
    rows, etag = read_customers(ctx, bucket, key)
    ctx.log.info("extract: %d valid customers in %s", len(rows), bucket.uri(key))
    return {"bucket": bucket.name, "key": key, "rows": len(rows), "etag": etag}


@dag.task(**S3_TASK)
def sort_by_spending(ctx: Context, extract: dict) -> dict:
    """Sort the customers by spending score and write them back as Parquet."""
    bucket = bucket_of(ctx)
    rows, _ = read_customers(ctx, bucket, extract["key"], extract["etag"])
    rows = customers.sort_by_spending(rows)
    table = columnar.write_table(
        [
            columnar.Column.uint32(COLUMNS[0], [c.customer_id for c in rows]),
            columnar.Column.string(COLUMNS[1], [c.gender for c in rows]),
            columnar.Column.uint32(COLUMNS[2], [c.age for c in rows]),
            columnar.Column.uint32(COLUMNS[3], [c.annual_income_k for c in rows]),
            columnar.Column.uint32(COLUMNS[4], [c.spending_score for c in rows]),
        ]
    )
    key = output_key(ctx, "sorted_by_spending.parquet")
    bucket.put(ctx.http, key, table, "application/vnd.apache.parquet")
    ctx.log.info("sort_by_spending: wrote %d customers, %d bytes, to %s", len(rows), len(table), bucket.uri(key))
    return {"parquet": bucket.uri(key), "rows": len(rows), "bytes": len(table)}


@dag.task(**S3_TASK)
def aggregate_by_gender(ctx: Context, extract: dict) -> dict:
    """Compute the figures per gender and write them as JSON."""
    bucket = bucket_of(ctx)
    rows, _ = read_customers(ctx, bucket, extract["key"], extract["etag"])
    figures = customers.aggregate_by_gender(rows)
    key = output_key(ctx, "by_gender.json")
    bucket.put(ctx.http, key, json.dumps(figures, indent=2).encode("utf-8"), "application/json")
    ctx.log.info("aggregate_by_gender: %d genders, written to %s", len(figures), bucket.uri(key))
    return {"json": bucket.uri(key), "by_gender": figures}


@dag.task
def report(ctx: Context) -> dict:
    """Sum up the run: how many customers, where the Parquet file is, the figures."""
    extracted = ctx.xcom_pull("extract")
    sorted_ = ctx.xcom_pull("sort_by_spending")
    figures = ctx.xcom_pull("aggregate_by_gender")
    if sorted_["rows"] != extracted["rows"]:
        raise PermanentError(f"sort_by_spending wrote {sorted_['rows']} rows of the {extracted['rows']} extracted")
    summary = {"customers": extracted["rows"], "parquet": sorted_["parquet"], "by_gender": figures["by_gender"]}
    ctx.log.info("report: %d customers, sorted into %s", summary["customers"], summary["parquet"])
    return summary


extract >> [sort_by_spending, aggregate_by_gender] >> report
