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

use crate::conf::{Conf, SqlConf};
use crate::customers::Customer;

/// The connection to the database (conn type `postgres`).
pub const SQL_CONNECTION: &str = "postgres_default";

/// The table the sorted rows go to when the conf names none.
pub const DEFAULT_TABLE: &str = "mall_customers_sorted";

/// Rows per `INSERT`: six parameters each plus the run id, 60,001 in all, below PostgreSQL's
/// 65,535; 4.4 million rows take 440 statements (the host caps an attempt's statements, by
/// default at 10,000).
pub const INSERT_BATCH: usize = 10_000;

/// How many spenders `top_spenders` reads back.
pub const TOP: usize = 10;

/// Parameters of one row in an `INSERT`, the run id aside.
const ROW_PARAMS: usize = 6;

/// SQLSTATEs of a `CREATE TABLE IF NOT EXISTS` that lost a race with another session creating
/// the same table (PostgreSQL checks for the table before it takes the lock): the table exists.
const CREATED_BY_ANOTHER: [&str; 2] = ["23505", "42P07"];

/// The table the sorted rows go to, when `conf` asks for the SQL step; a name that is not
/// a table name fails the task for good.
pub fn table(conf: &Conf) -> TaskResult<Option<Table>> {
    conf.sql
        .as_ref()
        .map(|sql| Table::of(sql).map_err(TaskError::permanent))
        .transpose()
}

/// A table name safe to splice into a statement: one or two (`schema.table`) lower-case
/// identifiers of letters, digits and `_`, not starting with a digit, each at most 63 bytes,
/// and not in PostgreSQL's own schemas (`pg_*`, `information_schema`). Each part is quoted
/// in statements, so names that are keywords (`order`, `user`) work too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    name: String,
    quoted: String,
}

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
        if !(parts.len() <= 2 && parts.iter().all(plain)) {
            return Err(format!(
                "sql.table {name:?} is not a table name: use lower-case letters, digits and `_` \
                 (not first), at most 63 of them, optionally after a schema and `.`"
            ));
        }
        if parts.len() == 2 && (parts[0].starts_with("pg_") || parts[0] == "information_schema") {
            return Err(format!(
                "sql.table {name:?} is in one of PostgreSQL's own schemas: name another"
            ));
        }
        let quoted: Vec<String> = parts.iter().map(|part| format!("\"{part}\"")).collect();
        Ok(Self {
            name: name.to_owned(),
            quoted: quoted.join("."),
        })
    }

    /// The name, as the conf gave it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key of the advisory lock the attempts loading run `run_id` into this table take
    /// turns on: 64 bits of FNV-1a over the table's name and the run id.
    pub fn lock_key(&self, run_id: &str) -> i64 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in self.name.bytes().chain([0]).chain(run_id.bytes()) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        i64::from_ne_bytes(hash.to_ne_bytes())
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
            self.quoted
        )
    }

    /// Remove a run's rows (`$1`: the run id).
    pub fn delete_statement(&self) -> String {
        format!("DELETE FROM {} WHERE run_id = $1", self.quoted)
    }

    /// Insert `rows` rows of one run: `$1` is the run id, then six parameters a row.
    pub fn insert_statement(&self, rows: usize) -> String {
        let mut statement = format!(
            "INSERT INTO {} (run_id, sorted_position, customer_id, gender, age, \
             annual_income_k, spending_score) VALUES ",
            self.quoted
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
        format!("SELECT count(*) FROM {} WHERE run_id = $1", self.quoted)
    }

    /// A run's [`TOP`] highest spending scores, ties by customer id (`$1`: the run id).
    pub fn top_statement(&self) -> String {
        format!(
            "SELECT customer_id, gender, age, annual_income_k, spending_score FROM {} \
             WHERE run_id = $1 ORDER BY spending_score DESC, customer_id LIMIT {TOP}",
            self.quoted
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
    match db.execute(&table.create_statement(), &[]) {
        Err(e)
            if !e
                .code()
                .is_some_and(|code| CREATED_BY_ANOTHER.contains(&code)) =>
        {
            return Err(e.into_task_error().context(on("creating")));
        }
        _ => {}
    }
    let tx = db.begin()?;
    // Two attempts of one run (a worker thought lost still running, say) take turns: the
    // second waits until the first commits or rolls back, then replaces what it loaded.
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&table.lock_key(run_id)],
    )
    .map_err(|e| {
        e.into_task_error()
            .context(on("waiting for another attempt loading"))
    })?;
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
        for theirs in ["pg_catalog.t", "pg_temp.t", "information_schema.t"] {
            let err = Table::parse(theirs).expect_err(theirs);
            assert!(err.contains("PostgreSQL's own schemas"), "{err}");
        }
        let default = Table::of(&SqlConf::default()).expect("the default is valid");
        assert_eq!(default.name(), DEFAULT_TABLE);
        let keyword = Table::parse("reports.order").expect("a keyword, quoted");
        assert_eq!(
            keyword.delete_statement(),
            "DELETE FROM \"reports\".\"order\" WHERE run_id = $1"
        );
    }

    #[test]
    fn attempts_of_one_run_share_a_lock_and_other_runs_do_not() {
        let t = table();
        assert_eq!(t.lock_key("run-1"), t.lock_key("run-1"));
        assert_ne!(t.lock_key("run-1"), t.lock_key("run-2"));
        let other = Table::parse("other").expect("valid");
        assert_ne!(t.lock_key("run-1"), other.lock_key("run-1"));
        // The name and the run id are kept apart: `ab` + `c` is not `a` + `bc`.
        let ab = Table::parse("ab").expect("valid");
        let a = Table::parse("a").expect("valid");
        assert_ne!(ab.lock_key("c"), a.lock_key("bc"));
    }

    #[test]
    fn an_insert_names_the_run_once_and_six_parameters_a_row() {
        assert_eq!(
            table().insert_statement(2),
            "INSERT INTO \"mall_customers_sorted\" (run_id, sorted_position, customer_id, gender, \
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
                .starts_with("CREATE TABLE IF NOT EXISTS \"mall_customers_sorted\" (")
        );
        assert!(
            t.create_statement()
                .ends_with("PRIMARY KEY (run_id, sorted_position))")
        );
        assert_eq!(
            t.delete_statement(),
            "DELETE FROM \"mall_customers_sorted\" WHERE run_id = $1"
        );
        assert_eq!(
            t.top_statement(),
            "SELECT customer_id, gender, age, annual_income_k, spending_score FROM \
             \"mall_customers_sorted\" WHERE run_id = $1 ORDER BY spending_score DESC, customer_id \
             LIMIT 10"
        );
    }
}
