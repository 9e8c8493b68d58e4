//! The columns of a task instance that a new one is inserted with and that a try fills in,
//! declared once: every insert of task instances names [`INSERTED`], and every write that
//! starts a new try, defers a task or clears it forgets the columns of a try, on both
//! backends, with assignments made from these lists by [`each!`]. A new column that an
//! attempt writes goes into [`ATTEMPT`] (or [`TRY`]) and every such write forgets it,
//! instead of one list per statement to keep in step.

use crate::common::sql_text::same;

/// The columns a new task instance is inserted with, in the order every insert of one
/// (a run's, a mapped task's instances') gives their values: its run and task, its state,
/// try and lease as it starts, and the settings its task gives it. The others take their
/// defaults.
pub(crate) const INSERTED: &str = "run, tenant, dag_id, task_id, state, try_number, max_tries, queue, pool, priority_weight, lease";

/// What an attempt writes: a new try starts without any of it (NULL).
pub(crate) const ATTEMPT: &[&str] = &[
    "lease_expires_at",
    "worker_id",
    "hostname",
    "started_at",
    "ended_at",
    "duration_ms",
    "next_retry_at",
    "error_class",
    "error",
];

/// What a try keeps while it reschedules or waits (a requeue of the same try number keeps
/// it) and a new try starts without (NULL). A try's count of reschedules, `pokes`, is kept
/// the same way but starts again at 0.
pub(crate) const TRY: &[&str] = &["sensor_started_at", "deferral"];

/// `template` once per column of `columns` not in `except`, each with every `{c}` replaced
/// by the column's name, joined by `, `, as a `&'static str` made at compile time:
/// `each!(&["a", "b"], &[], "{c} = NULL")` is `a = NULL, b = NULL`.
macro_rules! each {
    ($columns:expr, $except:expr, $template:expr) => {{
        const BYTES: [u8; $crate::common::ti_columns::each_len($columns, $except, $template)] =
            $crate::common::ti_columns::each_bytes($columns, $except, $template);
        $crate::common::sql_text::text(&BYTES)
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
                out_at = crate::common::sql_text::put(&mut out, out_at, b", ");
            }
            first = false;
            let mut at = 0;
            while at < template.len() {
                if placeholder_at(template, at) {
                    out_at = crate::common::sql_text::put(&mut out, out_at, columns[i].as_bytes());
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
    fn the_lists_name_columns_of_task_instances_once() {
        let mut all: Vec<&str> = super::ATTEMPT.iter().chain(super::TRY).copied().collect();
        all.sort_unstable();
        let count = all.len();
        all.dedup();
        assert_eq!(all.len(), count);
        for column in all {
            assert!(
                crate::rows::TiRow::COLUMNS.contains(&column),
                "{column} is no column of a task instance"
            );
        }
    }
}
