//! The SQL step: with `{"sql": {...}}` in the run's conf, `sort_by_spending` also loads the
//! sorted customers into a PostgreSQL table through the connection `postgres_default`, and
//! `top_spenders` reads the ten highest spending scores back by SQL.
//!
//! The host opens the connection: the task never sees its password, and the operator's egress
//! policy must allow its `tcp://HOST:PORT`. The table holds the rows of every run, keyed by run
//! id and place in the sorted order; loading one run replaces that run's rows in a single
//! transaction, so another attempt (or a task that fails half-way) never leaves a run half
//! loaded or loaded twice.
//!
//! The statements are built here and unit-tested on the host; the table's name, from the conf,
//! is checked to be a plain identifier before it is spliced into them.

use serde::{Deserialize, Serialize};
use weft_sdk::prelude::*;
use weft_sdk::sql::{SqlParam, SqlValue};

use crate::conf::SqlConf;
use crate::customers::Customer;

/// The connection to the database (conn type `postgres`).
pub const SQL_CONNECTION: &str = "postgres_default";

/// The table the sorted rows go to when the conf names none.
pub const DEFAULT_TABLE: &str = "mall_customers_sorted";

/// Rows per `INSERT`: six parameters each plus the run id, far below PostgreSQL's 65,535, and
/// few statements for millions of rows (the host caps statements per attempt).
pub const INSERT_BATCH: usize = 1000;

/// How many spenders `top_spenders` reads back.
pub const TOP: usize = 10;

/// Parameters of one row in an `INSERT`, the run id aside.
const ROW_PARAMS: usize = 6;

/// A table name safe to splice into a statement: one or two (`schema.table`) lower-case
/// identifiers of letters, digits and `_`, not starting with a digit, each at most 63 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table(String);

impl Table {
    /// The table `conf` names, else [`DEFAULT_TABLE`].
    pub fn of(conf: &SqlConf) -> Result<Self, String> {
        Self::parse(conf.table.as_deref().unwrap_or(DEFAULT_TABLE))
    }

    /// Check `name`; the error says what is wrong with it.
    pub fn parse(name: &str) -> Result<Self, String> {
        let parts: Vec<&str> = name.split('.').collect();
        let plain = |part: &&str| {
            !part.is_empty()
                && part.len() <= 63
                && !part.starts_with(|c: char| c.is_ascii_digit())
                && part
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        };
        if parts.len() <= 2 && parts.iter().all(plain) {
            Ok(Self(name.to_owned()))
        } else {
            Err(format!(
                "sql.table {name:?} is not a table name: use lower-case letters, digits and `_` \
                 (not first), at most 63 of them, optionally after a schema and `.`"
            ))
        }
    }

    /// The name, as spliced into statements.
    pub fn name(&self) -> &str {
        &self.0
    }

    /// Create the table unless it exists.
    pub fn create_statement(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             run_id text NOT NULL, \
             sorted_position bigint NOT NULL, \
             customer_id bigint NOT NULL, \
             gender text NOT NULL, \
             age integer NOT NULL, \
             annual_income_k bigint NOT NULL, \
             spending_score integer NOT NULL, \
             PRIMARY KEY (run_id, sorted_position))",
            self.0
        )
    }

    /// Remove a run's rows (`$1`: the run id).
    pub fn delete_statement(&self) -> String {
        format!("DELETE FROM {} WHERE run_id = $1", self.0)
    }

    /// Insert `rows` rows of one run: `$1` is the run id, then six parameters a row.
    pub fn insert_statement(&self, rows: usize) -> String {
        let mut statement = format!(
            "INSERT INTO {} (run_id, sorted_position, customer_id, gender, age, \
             annual_income_k, spending_score) VALUES ",
            self.0
        );
        for row in 0..rows {
            let first = 2 + row * ROW_PARAMS;
            if row > 0 {
                statement.push_str(", ");
            }
            statement.push_str("($1");
            for param in first..first + ROW_PARAMS {
                statement.push_str(&format!(", ${param}"));
            }
            statement.push(')');
        }
        statement
    }

    /// How many rows a run has (`$1`: the run id).
    pub fn count_statement(&self) -> String {
        format!("SELECT count(*) FROM {} WHERE run_id = $1", self.0)
    }

    /// A run's [`TOP`] highest spending scores, ties by customer id (`$1`: the run id).
    pub fn top_statement(&self) -> String {
        format!(
            "SELECT customer_id, gender, age, annual_income_k, spending_score FROM {} \
             WHERE run_id = $1 ORDER BY spending_score DESC, customer_id LIMIT {TOP}",
            self.0
        )
    }
}

/// One sorted customer, as loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortedRow<'a> {
    /// `CustomerID`.
    pub customer_id: u32,
    /// `Gender`.
    pub gender: &'a str,
    /// `Age` in years.
    pub age: u32,
    /// `Annual Income (k$)`.
    pub annual_income_k: u32,
    /// `Spending Score (1-100)`.
    pub spending_score: u32,
}

impl<'a> From<&'a Customer> for SortedRow<'a> {
    fn from(c: &'a Customer) -> Self {
        Self {
            customer_id: c.customer_id,
            gender: &c.gender,
            age: c.age,
            annual_income_k: c.annual_income_k,
            spending_score: c.spending_score,
        }
    }
}

/// The parameters of `row`, at `position` (from 1) in the sorted order.
fn row_params(position: usize, row: &SortedRow<'_>) -> [SqlValue; ROW_PARAMS] {
    [
        SqlValue::Int(i64::try_from(position).unwrap_or(i64::MAX)),
        SqlValue::Int(row.customer_id.into()),
        SqlValue::Text(row.gender.to_owned()),
        SqlValue::Int(row.age.into()),
        SqlValue::Int(row.annual_income_k.into()),
        SqlValue::Int(row.spending_score.into()),
    ]
}

/// What `top_spenders` returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopSpenders {
    /// The table read.
    pub table: String,
    /// The run's rows in it.
    pub customers: u64,
    /// The highest spending scores, highest first, ties by customer id.
    pub top: Vec<Customer>,
}

/// Replace run `ctx.run_id()`'s rows in `table` by `rows`, in sorted order; how many went in.
pub(crate) fn load<'a>(
    ctx: &Context,
    table: &Table,
    rows: impl IntoIterator<Item = SortedRow<'a>>,
) -> TaskResult<usize> {
    let run_id = ctx.run_id();
    let on = |what: &str| format!("{what} {} through `{SQL_CONNECTION}`", table.name());
    let mut db = ctx.sql(SQL_CONNECTION)?;
    db.execute(&table.create_statement(), &[])
        .map_err(|e| e.into_task_error().context(on("creating")))?;
    let tx = db.begin()?;
    let replaced = tx
        .execute(&table.delete_statement(), &[&run_id])
        .map_err(|e| {
            e.into_task_error()
                .context(on("clearing this run's rows of"))
        })?;
    if replaced > 0 {
        info!("replacing the {replaced} rows an earlier attempt loaded");
    }
    let run_param = SqlValue::Text(run_id.to_owned());
    let mut values: Vec<SqlValue> = Vec::with_capacity(INSERT_BATCH * ROW_PARAMS);
    let mut loaded = 0;
    let flush = |values: &mut Vec<SqlValue>| -> TaskResult<()> {
        let rows = values.len() / ROW_PARAMS;
        if rows == 0 {
            return Ok(());
        }
        let params: Vec<&dyn SqlParam> = std::iter::once(&run_param as &dyn SqlParam)
            .chain(values.iter().map(|v| v as &dyn SqlParam))
            .collect();
        tx.execute(&table.insert_statement(rows), &params)
            .map_err(|e| e.into_task_error().context(on("loading")))?;
        values.clear();
        Ok(())
    };
    for row in rows {
        loaded += 1;
        values.extend(row_params(loaded, &row));
        if values.len() == INSERT_BATCH * ROW_PARAMS {
            flush(&mut values)?;
        }
    }
    flush(&mut values)?;
    tx.commit()
        .map_err(|e| e.into_task_error().context(on("committing the rows of")))?;
    info!("{loaded} rows loaded into {}", table.name());
    Ok(loaded)
}

/// Read back how many rows the run loaded into `table`, and its top spenders.
pub(crate) fn top_spenders(ctx: &Context, table: &Table) -> TaskResult<TopSpenders> {
    let run_id = ctx.run_id();
    let db = ctx.sql(SQL_CONNECTION)?;
    let reading = || format!("reading {} through `{SQL_CONNECTION}`", table.name());
    let customers: Vec<i64> = db
        .query(&table.count_statement(), &[&run_id])
        .map_err(|e| e.into_task_error().context(reading()))?;
    let customers = customers.first().copied().unwrap_or(0);
    let top: Vec<Customer> = db
        .query(&table.top_statement(), &[&run_id])
        .map_err(|e| e.into_task_error().context(reading()))?;
    info!(
        "{customers} rows of this run in {}; the highest spending score is {}",
        table.name(),
        top.first().map_or(0, |c| c.spending_score)
    );
    Ok(TopSpenders {
        table: table.name().to_owned(),
        customers: u64::try_from(customers).unwrap_or(0),
        top,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table::parse("mall_customers_sorted").expect("valid")
    }

    #[test]
    fn table_names_are_plain_identifiers() {
        for good in ["mall_customers_sorted", "_t", "reports.sorted_2", "t1"] {
            assert_eq!(
                Table::parse(good).map(|t| t.name().to_owned()),
                Ok(good.into())
            );
        }
        let long = "x".repeat(64);
        for bad in [
            "",
            "1t",
            "Mall",
            "t; drop table x",
            "a.b.c",
            "a.",
            "t\"",
            "t-1",
            long.as_str(),
        ] {
            let err = Table::parse(bad).expect_err(bad);
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
        let default = Table::of(&SqlConf::default()).expect("the default is valid");
        assert_eq!(default.name(), DEFAULT_TABLE);
    }

    #[test]
    fn an_insert_names_the_run_once_and_six_parameters_a_row() {
        assert_eq!(
            table().insert_statement(2),
            "INSERT INTO mall_customers_sorted (run_id, sorted_position, customer_id, gender, \
             age, annual_income_k, spending_score) VALUES ($1, $2, $3, $4, $5, $6, $7), \
             ($1, $8, $9, $10, $11, $12, $13)"
        );
        let full = table().insert_statement(INSERT_BATCH);
        assert!(full.ends_with(&format!("${})", 1 + INSERT_BATCH * ROW_PARAMS)));
        assert!(1 + INSERT_BATCH * ROW_PARAMS <= 65_535);
    }

    #[test]
    fn a_row_becomes_its_position_and_five_columns() {
        let customer = Customer {
            customer_id: 7,
            gender: "Female".into(),
            age: 31,
            annual_income_k: 120,
            spending_score: 99,
        };
        assert_eq!(
            row_params(3, &SortedRow::from(&customer)),
            [
                SqlValue::Int(3),
                SqlValue::Int(7),
                SqlValue::Text("Female".into()),
                SqlValue::Int(31),
                SqlValue::Int(120),
                SqlValue::Int(99),
            ]
        );
    }

    #[test]
    fn the_other_statements_read_and_clear_one_run() {
        let t = table();
        assert!(
            t.create_statement()
                .starts_with("CREATE TABLE IF NOT EXISTS mall_customers_sorted (")
        );
        assert!(
            t.create_statement()
                .ends_with("PRIMARY KEY (run_id, sorted_position))")
        );
        assert_eq!(
            t.delete_statement(),
            "DELETE FROM mall_customers_sorted WHERE run_id = $1"
        );
        assert_eq!(
            t.top_statement(),
            "SELECT customer_id, gender, age, annual_income_k, spending_score FROM \
             mall_customers_sorted WHERE run_id = $1 ORDER BY spending_score DESC, customer_id \
             LIMIT 10"
        );
    }
}
