//! The columns of a task instance, made from its one declaration
//! ([`weft_protocol::task_instance_fields!`]): the row it is read from ([`TiRow`], whose
//! fields the SELECT lists follow), the columns a new one is inserted with ([`INSERTED`]),
//! those a new try forgets ([`ATTEMPT`], [`TRY`]; every write that starts a new try, defers
//! a task or clears it forgets them, on both backends, with assignments made from these
//! lists by [`each!`]), and the columns an attempt's end sets ([`FINISHED`]): the finish
//! write's SET clause and its columns' parameters on both backends ([`finished!`]), bound in
//! one order from the store's `FinishTask` ([`bind_finished_row`], [`bind_finished_arrays`]).
//! A new column is a field of the declaration; none of this changes for it.

use crate::both_backends::sql_text::same;
use crate::error::StoreResult;
use crate::records::TaskInstance;
use crate::rows::{Bind, Stored};
use crate::write::FinishTask;

/// `template` once per column of `columns` not in `except`, each with every `{c}` replaced
/// by the column's name, joined by `, `, as a `&'static str` made at compile time:
/// `each!(&["a", "b"], &[], "{c} = NULL")` is `a = NULL, b = NULL`.
macro_rules! each {
    ($columns:expr, $except:expr, $template:expr) => {{
        const BYTES: [u8; $crate::both_backends::ti_columns::each_len(
            $columns, $except, $template,
        )] = $crate::both_backends::ti_columns::each_bytes($columns, $except, $template);
        $crate::both_backends::sql_text::text(&BYTES)
    }};
}
pub(crate) use each;

/// Whether `list` holds `name`.
const fn holds(list: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < list.len() {
        if same(list[i], name) {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether `template` holds the placeholder `{c}` at `at`.
const fn placeholder_at(template: &[u8], at: usize) -> bool {
    at + 3 <= template.len()
        && template[at] == b'{'
        && template[at + 1] == b'c'
        && template[at + 2] == b'}'
}

/// The length of `template` with `column` for each `{c}`.
const fn filled_len(template: &[u8], column: &[u8]) -> usize {
    let (mut len, mut at) = (0, 0);
    while at < template.len() {
        if placeholder_at(template, at) {
            len += column.len();
            at += 3;
        } else {
            len += 1;
            at += 1;
        }
    }
    len
}

/// The length of [`each!`]'s text.
pub(crate) const fn each_len(columns: &[&str], except: &[&str], template: &str) -> usize {
    let (mut len, mut first, mut i) = (0, true, 0);
    while i < columns.len() {
        if !holds(except, columns[i]) {
            if !first {
                len += 2;
            }
            first = false;
            len += filled_len(template.as_bytes(), columns[i].as_bytes());
        }
        i += 1;
    }
    len
}

/// [`each!`]'s text, as `N` ([`each_len`]) bytes.
pub(crate) const fn each_bytes<const N: usize>(
    columns: &[&str],
    except: &[&str],
    template: &str,
) -> [u8; N] {
    let mut out = [0u8; N];
    let (mut out_at, mut first, mut i) = (0, true, 0);
    let template = template.as_bytes();
    while i < columns.len() {
        if !holds(except, columns[i]) {
            if !first {
                out_at = crate::both_backends::sql_text::put(&mut out, out_at, b", ");
            }
            first = false;
            let mut at = 0;
            while at < template.len() {
                if placeholder_at(template, at) {
                    out_at = crate::both_backends::sql_text::put(
                        &mut out,
                        out_at,
                        columns[i].as_bytes(),
                    );
                    at += 3;
                } else {
                    out[out_at] = template[at];
                    out_at += 1;
                    at += 1;
                }
            }
        }
        i += 1;
    }
    assert!(out_at == N, "assignments of another length");
    out
}

/// The type of `FinishTask`'s field of a column the finish sets: the column's own, or the one
/// its `#[finish(how, Type)]` names.
macro_rules! finish_type {
    ($how:ident, $ty:ty) => {
        $ty
    };
    ($how:ident, $ty:ty, $finish_ty:ty) => {
        $finish_ty
    };
}
pub(crate) use finish_type;

/// The assignment of a column the finish sets `#[finish(how)]`: `set`, to the finish's
/// value; `given`, to it unless it is none; `first`, to it unless the column has one already.
macro_rules! how {
    (set) => {
        "{c} = v.{c}"
    };
    (given) => {
        "{c} = COALESCE(v.{c}, {t}.{c})"
    };
    (first) => {
        "{c} = COALESCE({t}.{c}, v.{c})"
    };
}

/// `$body` for a column the finish sets (`$how` only says that it does).
macro_rules! when_finished {
    ($how:ident => $($body:tt)*) => { $($body)* };
}

/// Makes this module's items from the declaration.
macro_rules! columns {
    ($(
        $(#[doc = $doc:literal])*
        #[column($($class:ident),*)]
        $(#[finish($how:ident $(, $finish_ty:ty)?)])?
        $(#[serde($($serde:tt)*)])*
        $(#[shown $($shown:tt)*])?
        $field:ident: $ty:ty,
    )*) => {
        crate::both_backends::row_macro::row! {
            /// A `task_instances` row joined with its run's `run_id`: a [`TaskInstance`]'s
            /// fields as stored (each column of the type [`Stored`] gives the field, read by
            /// name).
            #[derive(Debug)]
            pub(crate) struct TiRow {
                $(pub(crate) $field: <$ty as Stored>::Column),*
            }
        }

        impl TiRow {
            /// The record, or a `Database` error naming the task instance.
            pub(crate) fn into_record(self) -> StoreResult<TaskInstance> {
                let row = format!(
                    "task instance {} ({}.{} of run {})",
                    self.id, self.dag_id, self.task_id, self.run
                );
                let row: &dyn std::fmt::Display = &row;
                Ok(TaskInstance {
                    $($field: Stored::from_column(row, stringify!($field), self.$field)?),*
                })
            }
        }

        /// Every column, with what the store's writes do with it.
        const CLASSES: &[(&str, &[&str])] = &[$((stringify!($field), &[$(stringify!($class)),*])),*];

        /// The columns an attempt's end sets, in the order the finish write binds them.
        pub(crate) const FINISHED: &[Finished] = &[$($(Finished {
            name: stringify!($field),
            set: how!($how),
            sql_type: <finish_type!($how, $ty $(, $finish_ty)?) as Bind>::SQL_TYPE,
        },)?)*];

        /// Bind the values of [`FINISHED`] of `item`, next, to `query`: a row of SQLite's
        /// finish.
        pub(crate) fn bind_finished_row<'q, O>(
            query: crate::sqlite::batch::Query<'q, O>,
            item: &'q FinishTask,
        ) -> crate::sqlite::batch::Query<'q, O> {
            query $($(.bind(when_finished!($how => Bind::bound(&item.$field))))?)*
        }

        /// Bind the arrays of [`FINISHED`] of `items`, next, to `query`: PostgreSQL's
        /// finish, one array per column.
        pub(crate) fn bind_finished_arrays<'q, O>(
            query: crate::postgres::batch::Query<'q, O>,
            items: &[&'q FinishTask],
        ) -> crate::postgres::batch::Query<'q, O> {
            query $($(.bind(when_finished!($how => crate::postgres::batch::column(
                items,
                |item| Bind::bound(&item.$field),
            ))))?)*
        }

        impl FinishTask {
            /// The text values of [`FINISHED`] it holds, by column, for the checks text
            /// must pass to be stored.
            pub(crate) fn finished_texts(&self) -> impl Iterator<Item = (&'static str, &str)> {
                [$($(when_finished!($how => (stringify!($field), Bind::text(&self.$field))),)?)*]
                    .into_iter()
                    .filter_map(|(column, text)| Some((column, text?)))
            }
        }
    };
}

weft_protocol::task_instance_fields!(columns);

/// A column an attempt's end sets: `set` is its assignment in the finish write (`{c}` the
/// column, `{t}` the task instance's table, `v` the finish's row).
pub(crate) struct Finished {
    /// The column.
    pub(crate) name: &'static str,
    /// Its assignment.
    pub(crate) set: &'static str,
    /// Its SQL type, as PostgreSQL names it.
    pub(crate) sql_type: &'static str,
}

/// What `#[column(...)]` may say of a column.
const KNOWN_CLASSES: &[&str] = &["inserted", "attempt", "per_try"];

/// Whether every column's classes are known (a misspelt one would leave it out of its
/// list unnoticed).
const fn classes_known() -> bool {
    let mut i = 0;
    while i < CLASSES.len() {
        let mut k = 0;
        while k < CLASSES[i].1.len() {
            if !holds(KNOWN_CLASSES, CLASSES[i].1[k]) {
                return false;
            }
            k += 1;
        }
        i += 1;
    }
    true
}
const _: () = assert!(
    classes_known(),
    "a task instance column's #[column(...)] says inserted, attempt or per_try"
);

/// The columns of `class`.
const fn count(class: &str) -> usize {
    let (mut n, mut i) = (0, 0);
    while i < CLASSES.len() {
        if holds(CLASSES[i].1, class) {
            n += 1;
        }
        i += 1;
    }
    n
}

/// The `N` ([`count`]) columns of `class`, in order.
const fn of_class<const N: usize>(class: &str) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut n, mut i) = (0, 0);
    while i < CLASSES.len() {
        if holds(CLASSES[i].1, class) {
            out[n] = CLASSES[i].0;
            n += 1;
        }
        i += 1;
    }
    assert!(n == N, "columns of another count");
    out
}

/// The columns a new task instance is inserted with, in the order every insert of one (a
/// run's, a mapped task's instances') gives their values: its run and task, its state, try
/// and lease as it starts, and the settings its task gives it. The others take their
/// defaults.
const INSERTED_COLUMNS: &[&str] = &of_class::<{ count("inserted") }>("inserted");
/// [`INSERTED_COLUMNS`] as a list.
pub(crate) const INSERTED: &str = each!(INSERTED_COLUMNS, &[], "{c}");

/// What an attempt writes: a new try starts without any of it (NULL).
pub(crate) const ATTEMPT: &[&str] = &of_class::<{ count("attempt") }>("attempt");

/// What a try keeps while it reschedules or waits (a requeue of the same try number keeps
/// it) and a new try starts without (NULL). A try's count of reschedules, `pokes`, is kept
/// the same way but starts again at 0.
pub(crate) const TRY: &[&str] = &of_class::<{ count("per_try") }>("per_try");

/// Parameters of a row of the finish: the task instance, its lease, its new state and when,
/// then [`FINISHED`].
pub(crate) const FINISH_PARAMS: usize = 4 + FINISHED.len();

/// The text of [`FINISHED`]: `template` once per column, joined by `, `, with `{c}` the
/// column, `{t}` `table`, `{y}` its SQL type and `{n}` its parameter's number (from
/// `first`); [`SET`] is each column's assignment. A `&'static str` made at compile time.
macro_rules! finished {
    ($template:expr, $table:expr, $first:expr) => {{
        const BYTES: [u8; $crate::both_backends::ti_columns::finished_text(
            &mut [],
            $template,
            $table,
            $first,
        )] = $crate::both_backends::ti_columns::finished_bytes($template, $table, $first);
        $crate::both_backends::sql_text::text(&BYTES)
    }};
}
pub(crate) use finished;

/// [`finished!`]'s template for each column's assignment.
pub(crate) const SET: &str = "{set}";

/// Writes [`finished!`]'s text into `out` unless it is empty; its length.
pub(crate) const fn finished_text(
    out: &mut [u8],
    template: &str,
    table: &str,
    first: usize,
) -> usize {
    let write = !out.is_empty();
    let mut at = 0;
    let mut i = 0;
    while i < FINISHED.len() {
        let column = &FINISHED[i];
        if i > 0 {
            at = put_if(write, out, at, b", ");
        }
        let template = if same(template, SET) {
            column.set
        } else {
            template
        }
        .as_bytes();
        let mut k = 0;
        while k < template.len() {
            let rest = template.len() - k;
            if rest >= 3 && template[k] == b'{' && template[k + 2] == b'}' {
                let filled: &[u8] = match template[k + 1] {
                    b'c' => column.name.as_bytes(),
                    b't' => table.as_bytes(),
                    b'y' => column.sql_type.as_bytes(),
                    b'n' => {
                        at = put_number(write, out, at, first + i);
                        k += 3;
                        continue;
                    }
                    _ => panic!("an unknown placeholder"),
                };
                at = put_if(write, out, at, filled);
                k += 3;
            } else {
                at = put_if(write, out, at, &[template[k]]);
                k += 1;
            }
        }
        i += 1;
    }
    at
}

/// [`finished!`]'s text, as `N` ([`finished_text`]) bytes.
pub(crate) const fn finished_bytes<const N: usize>(
    template: &str,
    table: &str,
    first: usize,
) -> [u8; N] {
    let mut out = [0u8; N];
    let len = if N == 0 {
        0
    } else {
        finished_text(&mut out, template, table, first)
    };
    assert!(len == N, "finished columns of another length");
    out
}

/// Copies `bytes` into `out` at `at` when `write`; where the next bytes go.
const fn put_if(write: bool, out: &mut [u8], at: usize, bytes: &[u8]) -> usize {
    if write {
        crate::both_backends::sql_text::put(out, at, bytes)
    } else {
        at + bytes.len()
    }
}

/// Writes `n` in decimal into `out` at `at` when `write`; where the next bytes go.
const fn put_number(write: bool, out: &mut [u8], at: usize, n: usize) -> usize {
    let mut digits = 1;
    let mut rest = n / 10;
    while rest > 0 {
        digits += 1;
        rest /= 10;
    }
    if write {
        let (mut k, mut rest) = (digits, n);
        while k > 0 {
            out[at + k - 1] = b'0' + (rest % 10) as u8;
            rest /= 10;
            k -= 1;
        }
    }
    at + digits
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_column_fills_the_template_unless_excepted() {
        const LIST: &str = each!(&["a", "b", "c"], &["b"], "{c} = t.{c}");
        assert_eq!(LIST, "a = t.a, c = t.c");
        const NONE: &str = each!(&["a"], &["a"], "{c}");
        assert_eq!(NONE, "");
    }

    #[test]
    fn the_lists_are_those_the_statements_were_written_with() {
        assert_eq!(
            super::INSERTED,
            "run, tenant, dag_id, task_id, state, try_number, max_tries, queue, pool, priority_weight, lease"
        );
        assert_eq!(
            super::ATTEMPT,
            [
                "lease_expires_at",
                "worker_id",
                "hostname",
                "started_at",
                "ended_at",
                "duration_ms",
                "next_retry_at",
                "error_class",
                "error"
            ]
        );
        assert_eq!(super::TRY, ["sensor_started_at", "deferral"]);
    }

    #[test]
    fn the_finished_columns_fill_their_templates() {
        const SET: &str = finished!(super::SET, "t", 0);
        assert!(
            SET.starts_with(
                "worker_id = COALESCE(v.worker_id, t.worker_id), hostname = COALESCE(v.hostname, t.hostname), \
                 started_at = COALESCE(t.started_at, v.started_at), duration_ms = v.duration_ms, "
            ),
            "{SET}"
        );
        const PARAMS: &str = finished!("${n}::{y}[]", "", 9);
        assert!(
            PARAMS.starts_with("$9::text[], $10::text[], $11::bigint[], $12::bigint[]"),
            "{PARAMS}"
        );
        assert_eq!(super::FINISH_PARAMS, 4 + PARAMS.matches('$').count());
    }
}
