//! Host tests of the SQL SDK's pure logic: parameters, values, row decoding and error mapping.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::json;

use super::*;
use crate::bindings::weft::dag::sql as wit;
use crate::{ResultExt, TaskError, TaskErrorKind, TaskResult};

fn column(name: &str, type_name: &str) -> Column {
    Column {
        name: name.into(),
        type_name: type_name.into(),
    }
}

fn customer_row(id: i64, name: &str, score: SqlValue) -> Row {
    Row::new(
        vec![
            column("id", "INT8"),
            column("name", "TEXT"),
            column("score", "FLOAT8"),
        ],
        vec![SqlValue::Int(id), SqlValue::Text(name.into()), score],
    )
}

#[derive(Debug, PartialEq, Deserialize)]
struct Customer {
    id: i64,
    name: String,
    score: Option<f64>,
}

// Parameters.

#[test]
fn integers_are_ints_until_they_pass_i64() {
    assert_eq!(7_i8.to_sql(), SqlValue::Int(7));
    assert_eq!((-7_i16).to_sql(), SqlValue::Int(-7));
    assert_eq!(i64::MIN.to_sql(), SqlValue::Int(i64::MIN));
    assert_eq!(255_u8.to_sql(), SqlValue::Int(255));
    assert_eq!(u32::MAX.to_sql(), SqlValue::Int(4_294_967_295));
    assert_eq!((i64::MAX as u64).to_sql(), SqlValue::Int(i64::MAX));
    assert_eq!(
        (i64::MAX as u64 + 1).to_sql(),
        SqlValue::Decimal("9223372036854775808".into())
    );
    assert_eq!(
        u64::MAX.to_sql(),
        SqlValue::Decimal("18446744073709551615".into())
    );
    assert_eq!(i128::MIN.to_sql(), SqlValue::Decimal(i128::MIN.to_string()));
    assert_eq!(3_usize.to_sql(), SqlValue::Int(3));
}

#[test]
fn floats_pass_as_they_are_nan_included() {
    assert_eq!(1.5_f32.to_sql(), SqlValue::Float(1.5));
    assert_eq!(0.25_f64.to_sql(), SqlValue::Float(0.25));
    assert!(matches!(f64::NAN.to_sql(), SqlValue::Float(x) if x.is_nan()));
    assert!(matches!(f32::NAN.to_sql(), SqlValue::Float(x) if x.is_nan()));
    assert_eq!(f64::INFINITY.to_sql(), SqlValue::Float(f64::INFINITY));
}

#[test]
fn text_bytes_json_and_options_map_to_their_variants() {
    assert_eq!(true.to_sql(), SqlValue::Bool(true));
    assert_eq!("ada".to_sql(), SqlValue::Text("ada".into()));
    assert_eq!(String::from("ada").to_sql(), SqlValue::Text("ada".into()));
    assert_eq!('x'.to_sql(), SqlValue::Text("x".into()));
    assert_eq!(
        std::borrow::Cow::Borrowed("c").to_sql(),
        SqlValue::Text("c".into())
    );
    assert_eq!(b"\x00\x01"[..].to_sql(), SqlValue::Bytes(vec![0, 1]));
    assert_eq!(b"ab".to_sql(), SqlValue::Bytes(b"ab".to_vec()));
    assert_eq!(vec![9_u8].to_sql(), SqlValue::Bytes(vec![9]));
    assert_eq!(
        json!({"a": [1, null]}).to_sql(),
        SqlValue::Json(r#"{"a":[1,null]}"#.into())
    );
    assert_eq!(None::<i64>.to_sql(), SqlValue::Null);
    assert_eq!(Some(5_u16).to_sql(), SqlValue::Int(5));
    assert_eq!(Some(None::<&str>).to_sql(), SqlValue::Null);
    let date = SqlValue::Date("2024-05-01".into());
    assert_eq!(date.to_sql(), date);
}

#[test]
fn a_slice_of_mixed_references_becomes_the_hosts_values() {
    let id = 7_i64;
    let name = String::from("ada");
    let score: Option<f64> = None;
    let params: &[&dyn SqlParam] = &[&id, &name, &score, &"x", &u64::MAX];
    let values = value::wit_params(params);
    assert_eq!(values.len(), 5);
    assert!(matches!(values[0], wit::SqlValue::Int(7)));
    assert!(matches!(&values[1], wit::SqlValue::Text(s) if s == "ada"));
    assert!(matches!(values[2], wit::SqlValue::Null));
    assert!(matches!(&values[3], wit::SqlValue::Text(s) if s == "x"));
    assert!(matches!(&values[4], wit::SqlValue::Decimal(s) if s == "18446744073709551615"));
}

#[test]
fn every_variant_round_trips_through_the_wit_value() {
    let values = [
        SqlValue::Null,
        SqlValue::Bool(false),
        SqlValue::Int(-1),
        SqlValue::Float(2.5),
        SqlValue::Text("t".into()),
        SqlValue::Bytes(vec![1, 2]),
        SqlValue::Decimal("12.50".into()),
        SqlValue::Timestamp("2024-05-01T12:30:00Z".into()),
        SqlValue::Datetime("2024-05-01T12:30:00.5".into()),
        SqlValue::Date("2024-05-01".into()),
        SqlValue::Time("12:30:00".into()),
        SqlValue::Uuid("67e55044-10b1-426f-9247-bb680e5fe0c8".into()),
        SqlValue::Json("{}".into()),
    ];
    for value in values {
        assert_eq!(SqlValue::from_wit(value.clone().into_wit()), value);
    }
    assert!(matches!(
        SqlValue::Bool(true).into_wit(),
        wit::SqlValue::Boolean(true)
    ));
}

#[test]
fn values_display_as_sql_would_print_them() {
    assert_eq!(SqlValue::Null.to_string(), "NULL");
    assert_eq!(SqlValue::Int(3).to_string(), "3");
    assert_eq!(SqlValue::Bytes(vec![0xde, 0xad]).to_string(), "\\xdead");
    assert_eq!(
        SqlValue::Date("2024-05-01".into()).to_string(),
        "2024-05-01"
    );
    assert_eq!(SqlValue::Decimal("1.10".into()).kind_name(), "decimal");
}

// Rows.

#[test]
fn rows_decode_into_structs_by_column_name() {
    let row = customer_row(1, "ada", SqlValue::Float(0.5));
    assert_eq!(
        row.deserialize::<Customer>().expect("fits"),
        Customer {
            id: 1,
            name: "ada".into(),
            score: Some(0.5)
        }
    );
    let row = customer_row(2, "bob", SqlValue::Null);
    assert_eq!(row.deserialize::<Customer>().expect("fits").score, None);
}

#[test]
fn struct_fields_may_be_fewer_renamed_or_borrowed() {
    #[derive(Deserialize)]
    struct Name<'a> {
        #[serde(rename = "name")]
        who: &'a str,
    }
    let row = customer_row(1, "ada", SqlValue::Null);
    assert_eq!(row.deserialize::<Name<'_>>().expect("fits").who, "ada");
}

#[test]
fn rows_decode_into_tuples_by_position() {
    let row = customer_row(1, "ada", SqlValue::Float(0.5));
    let tuple: (i64, String, Option<f64>) = row.deserialize().expect("fits");
    assert_eq!(tuple, (1, "ada".into(), Some(0.5)));

    let err = row
        .deserialize::<(i64, String)>()
        .expect_err("three columns into two");
    assert!(
        err.message().contains("3 columns and the type takes 2"),
        "{}",
        err.message()
    );
    let err = row
        .deserialize::<(i64, String, f64, i32)>()
        .expect_err("three columns into four");
    assert_eq!(err.into_task_error().kind(), TaskErrorKind::Permanent);
}

#[test]
fn rows_decode_into_json_objects_and_maps() {
    let row = Row::new(
        vec![
            column("id", "INT8"),
            column("name", "TEXT"),
            column("score", "FLOAT8"),
            column("price", "NUMERIC"),
            column("doc", "JSONB"),
            column("raw", "BYTEA"),
            column("day", "DATE"),
            column("ok", "BOOL"),
        ],
        vec![
            SqlValue::Int(1),
            SqlValue::Text("ada".into()),
            SqlValue::Null,
            SqlValue::Decimal("12.50".into()),
            SqlValue::Json(r#"{"tags": ["a"]}"#.into()),
            SqlValue::Bytes(vec![1, 2]),
            SqlValue::Date("2024-05-01".into()),
            SqlValue::Bool(true),
        ],
    );
    assert_eq!(
        row.deserialize::<serde_json::Value>().expect("fits"),
        json!({
            "id": 1, "name": "ada", "score": null, "price": "12.50",
            "doc": {"tags": ["a"]}, "raw": [1, 2], "day": "2024-05-01", "ok": true,
        })
    );
    let map: BTreeMap<String, serde_json::Value> = row.deserialize().expect("fits");
    assert_eq!(map["name"], json!("ada"));
}

#[test]
fn a_single_column_decodes_into_a_scalar() {
    let one = |value| Row::new(vec![column("n", "INT8")], vec![value]);
    assert_eq!(
        one(SqlValue::Int(42)).deserialize::<i64>().expect("fits"),
        42
    );
    assert_eq!(
        one(SqlValue::Int(42)).deserialize::<u8>().expect("fits"),
        42
    );
    assert_eq!(
        one(SqlValue::Null)
            .deserialize::<Option<i64>>()
            .expect("fits"),
        None
    );
    assert_eq!(
        one(SqlValue::Text("x".into()))
            .deserialize::<String>()
            .expect("fits"),
        "x"
    );
    let err = customer_row(1, "a", SqlValue::Null)
        .deserialize::<i64>()
        .expect_err("three columns");
    assert!(
        err.message()
            .contains("a row of 3 columns does not fit a single value"),
        "{}",
        err.message()
    );
}

#[test]
fn decimals_decode_as_text_integers_and_floats() {
    let value = |text: &str| {
        Row::new(
            vec![column("total", "NUMERIC")],
            vec![SqlValue::Decimal(text.into())],
        )
    };
    assert_eq!(value("12.50").get::<String>(0).expect("text"), "12.50");
    assert_eq!(value("12.50").get::<f64>(0).expect("float"), 12.5);
    assert_eq!(value("1200").get::<i64>(0).expect("int"), 1200);
    assert_eq!(
        value("18446744073709551615").get::<u64>(0).expect("u64"),
        u64::MAX
    );
    let err = value("12.5").get::<i64>(0).expect_err("not an integer");
    assert_eq!(
        err.message(),
        "rows do not fit the type asked for: column `total` (NUMERIC): invalid type: \
         decimal 12.5, expected i64"
    );
}

#[test]
fn dates_times_and_uuids_decode_as_strings() {
    let row = Row::new(
        vec![
            column("at", "TIMESTAMPTZ"),
            column("local", "TIMESTAMP"),
            column("day", "DATE"),
            column("t", "TIME"),
            column("id", "UUID"),
        ],
        vec![
            SqlValue::Timestamp("2024-05-01T12:30:00Z".into()),
            SqlValue::Datetime("2024-05-01T12:30:00".into()),
            SqlValue::Date("2024-05-01".into()),
            SqlValue::Time("12:30:00.25".into()),
            SqlValue::Uuid("67e55044-10b1-426f-9247-bb680e5fe0c8".into()),
        ],
    );
    let (at, local, day, t, id): (String, String, String, String, String) =
        row.deserialize().expect("fits");
    assert_eq!(at, "2024-05-01T12:30:00Z");
    assert_eq!(local, "2024-05-01T12:30:00");
    assert_eq!(day, "2024-05-01");
    assert_eq!(t, "12:30:00.25");
    assert_eq!(id, "67e55044-10b1-426f-9247-bb680e5fe0c8");
}

#[test]
fn json_decodes_as_text_value_or_struct() {
    #[derive(Debug, PartialEq, Deserialize)]
    struct Doc {
        tags: Vec<String>,
    }
    let row = Row::new(
        vec![column("doc", "JSONB")],
        vec![SqlValue::Json(r#"{"tags": ["a", "b"]}"#.into())],
    );
    assert_eq!(
        row.get::<String>("doc").expect("text"),
        r#"{"tags": ["a", "b"]}"#
    );
    assert_eq!(
        row.get::<serde_json::Value>("doc").expect("value"),
        json!({"tags": ["a", "b"]})
    );
    assert_eq!(
        row.get::<Doc>("doc").expect("struct"),
        Doc {
            tags: vec!["a".into(), "b".into()]
        }
    );
    #[derive(Debug, Deserialize)]
    struct Outer {
        #[allow(dead_code)]
        doc: Doc,
    }
    assert!(row.deserialize::<Outer>().is_ok());
    let bad = Row::new(
        vec![column("doc", "JSON")],
        vec![SqlValue::Json("{".into())],
    );
    let err = bad.get::<serde_json::Value>(0).expect_err("not JSON");
    assert!(
        err.message().contains("column `doc` (JSON): JSON: "),
        "{}",
        err.message()
    );
}

#[test]
fn bytes_decode_into_vectors_and_not_into_strings() {
    let row = Row::new(
        vec![column("raw", "BYTEA")],
        vec![SqlValue::Bytes(vec![0, 255])],
    );
    assert_eq!(row.get::<Vec<u8>>("raw").expect("bytes"), vec![0, 255]);
    let err = row.get::<String>("raw").expect_err("bytes are not text");
    assert!(
        err.message()
            .contains("invalid type: byte array, expected a string"),
        "{}",
        err.message()
    );
}

#[test]
fn small_integers_decode_into_bools_and_text_into_enums() {
    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Tier {
        Gold,
        Silver,
    }
    let row = Row::new(
        vec![column("vip", "TINYINT"), column("tier", "ENUM")],
        vec![SqlValue::Int(1), SqlValue::Text("gold".into())],
    );
    assert!(row.get::<bool>("vip").expect("0 or 1"));
    assert_eq!(row.get::<Tier>("tier").expect("a variant"), Tier::Gold);
    let other = Row::new(
        vec![column("tier", "ENUM")],
        vec![SqlValue::Text("bronze".into())],
    );
    assert!(other.get::<Tier>(0).is_err());
    let _ = Tier::Silver;
}

#[test]
fn decode_errors_name_the_column_its_type_and_what_was_expected() {
    let row = customer_row(1, "ada", SqlValue::Text("high".into()));
    let err = row.deserialize::<Customer>().expect_err("text is not f64");
    assert_eq!(
        err,
        SqlError::Decode(
            "column `score` (FLOAT8): invalid type: string \"high\", expected f64".into()
        )
    );
    let row = customer_row(1, "ada", SqlValue::Null);
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Strict {
        score: f64,
    }
    let err = row.deserialize::<Strict>().expect_err("null is not f64");
    assert!(
        err.message()
            .contains("column `score` (FLOAT8): invalid type: unit value, expected f64"),
        "{}",
        err.message()
    );
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Missing {
        email: String,
    }
    let err = row.deserialize::<Missing>().expect_err("no such column");
    assert!(
        err.message().contains("missing field `email`"),
        "{}",
        err.message()
    );
    let err = Row::new(vec![column("n", "INT8")], vec![SqlValue::Int(300)])
        .get::<u8>("n")
        .expect_err("300 is past u8");
    assert!(err.message().contains("expected u8"), "{}", err.message());
}

#[test]
fn getters_read_by_name_or_position_and_name_missing_columns() {
    let row = customer_row(1, "ada", SqlValue::Float(0.5));
    assert_eq!(row.get::<i64>("id").expect("id"), 1);
    assert_eq!(row.get::<String>(1).expect("name"), "ada");
    assert_eq!(
        row.get::<&str>(String::from("name")).expect("borrowed"),
        "ada"
    );
    assert_eq!(row.get::<Option<f64>>("score").expect("score"), Some(0.5));
    assert_eq!(row.value("name"), Some(&SqlValue::Text("ada".into())));
    assert_eq!(row.value(9), None);
    assert_eq!((row.len(), row.is_empty()), (3, false));
    let err = row.get::<i64>("email").expect_err("no such column");
    assert_eq!(
        err.message(),
        "rows do not fit the type asked for: no column `email` (the columns are `id`, `name`, `score`)"
    );
    assert!(row.get::<i64>(3).is_err());
}

#[test]
fn row_sets_from_the_host_decode_every_row_and_name_the_bad_one() {
    let set = RowSet::from_wit(wit::RowSet {
        columns: vec![
            wit::Column {
                name: "id".into(),
                type_name: "INT8".into(),
            },
            wit::Column {
                name: "name".into(),
                type_name: "TEXT".into(),
            },
            wit::Column {
                name: "score".into(),
                type_name: "FLOAT8".into(),
            },
        ],
        rows: vec![
            vec![
                wit::SqlValue::Int(1),
                wit::SqlValue::Text("ada".into()),
                wit::SqlValue::Float(0.5),
            ],
            vec![
                wit::SqlValue::Int(2),
                wit::SqlValue::Text("bob".into()),
                wit::SqlValue::Null,
            ],
        ],
    });
    assert_eq!(set.len(), 2);
    assert_eq!(set.columns()[2].type_name, "FLOAT8");
    let customers: Vec<Customer> = set.deserialize().expect("fits");
    assert_eq!(customers[1].name, "bob");
    let names: Vec<String> = set
        .rows()
        .iter()
        .map(|r| r.get("name"))
        .collect::<Result<_, _>>()
        .expect("names");
    assert_eq!(names, ["ada", "bob"]);

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Scored {
        score: f64,
    }
    let err = set.deserialize::<Scored>().expect_err("row 2 has no score");
    assert!(
        err.message().contains("row 2: column `score`"),
        "{}",
        err.message()
    );
}

// Errors.

fn database(code: Option<&str>) -> wit::SqlError {
    wit::SqlError::Database(wit::DatabaseError {
        code: code.map(str::to_owned),
        message: "boom".into(),
    })
}

#[test]
fn host_errors_map_to_retryable_or_permanent() {
    let retryable = [
        wit::SqlError::Connect("refused".into()),
        wit::SqlError::Timeout("30 s".into()),
        database(Some("40001")),
        database(Some("40P01")),
        database(Some("08006")),
        database(Some("57P01")),
    ];
    for error in retryable {
        let err = SqlError::from_wit(error, "warehouse");
        assert!(err.is_retryable(), "{err:?}");
        assert_eq!(err.into_task_error().kind(), TaskErrorKind::Retryable);
    }
    let permanent = [
        wit::SqlError::NotDeclared(String::new()),
        wit::SqlError::NotFound(String::new()),
        wit::SqlError::Unsupported("conn-type `s3`".into()),
        wit::SqlError::Denied(String::new()),
        wit::SqlError::Limit("rows".into()),
        wit::SqlError::State("no transaction".into()),
        database(Some("23505")),
        database(Some("42P01")),
        database(None),
    ];
    for error in permanent {
        let err = SqlError::from_wit(error, "warehouse");
        assert!(!err.is_retryable(), "{err:?}");
        assert_eq!(err.into_task_error().kind(), TaskErrorKind::Permanent);
    }
}

#[test]
fn errors_name_the_connection_and_keep_the_database_code() {
    let err = SqlError::from_wit(wit::SqlError::NotDeclared(String::new()), "warehouse");
    assert_eq!(
        err.message(),
        "connection `warehouse`: not declared for this task (declare it with `.connection`)"
    );
    let err = SqlError::from_wit(wit::SqlError::Connect("connection refused".into()), "wh");
    assert_eq!(
        err.message(),
        "connection `wh`: could not connect: connection refused"
    );
    let err = SqlError::from_wit(database(Some("23505")), "wh");
    assert_eq!(err.code(), Some("23505"));
    assert_eq!(err.message(), "database error 23505: boom");
    let err = SqlError::from_wit(database(Some("")), "wh");
    assert_eq!(err.code(), None, "an empty code is no code");
    assert_eq!(err.message(), "database error: boom");
}

fn fails_with(error: wit::SqlError) -> TaskResult<()> {
    Err(SqlError::from_wit(error, "warehouse"))?;
    Ok(())
}

#[test]
fn question_mark_keeps_the_kind_and_result_ext_adds_context() {
    let err = fails_with(wit::SqlError::Timeout(String::new())).expect_err("error");
    assert_eq!(err.kind(), TaskErrorKind::Retryable);
    let err = fails_with(wit::SqlError::NotFound(String::new())).expect_err("error");
    assert_eq!(err.kind(), TaskErrorKind::Permanent);
    assert_eq!(err.message(), "connection `warehouse`: no such connection");

    let failed: Result<(), SqlError> = Err(SqlError::from_wit(database(Some("40001")), "w"));
    let err: TaskError = failed.context("loading customers").expect_err("error");
    assert_eq!(err.kind(), TaskErrorKind::Retryable);
    assert_eq!(
        err.message(),
        "loading customers: database error 40001: boom"
    );
    let failed: Result<(), SqlError> = Err(SqlError::Timeout("t".into()));
    assert_eq!(
        failed.permanent().expect_err("error").kind(),
        TaskErrorKind::Permanent
    );
}
