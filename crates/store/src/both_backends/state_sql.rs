//! The SQL lists of states by class (`('queued', 'running')`), made at compile time from the
//! model's one table of state classes ([`TaskState::classes`], [`DagRunState::class`]), which
//! [`sql!`](super::sql_text::sql) joins into whole statements: a new state needs no SQL edit.
//!
//! A list keeps the states' declaration order, so the text of each statement is what it was
//! when the lists were written by hand, and PostgreSQL matches a partial index's predicate
//! as before. The partial indexes themselves are migrations: a new state in the class
//! [`TaskStateClass::Active`] also needs a migration recreating `task_instances_active`.

use weft_model::{DagRunState, RunStateClass, TaskState, TaskStateClass};

use super::sql_text::put;

/// The SQL list `('a', 'b')` of the `names` whose `members` entry is true.
macro_rules! state_list {
    ($names:expr, $members:expr) => {{
        const MEMBERS: &[bool] = &$members;
        const BYTES: [u8; $crate::both_backends::state_sql::list_len($names, MEMBERS)] =
            $crate::both_backends::state_sql::list($names, MEMBERS);
        $crate::both_backends::sql_text::text(&BYTES)
    }};
}

/// Task states of a worker's attempt: `('queued', 'running')`.
pub(crate) const TASK_IN_FLIGHT: &str = state_list!(
    TaskState::NAMES,
    TaskState::members(TaskStateClass::InFlight)
);
/// Task states that use their pool, holding a slot or waiting for one:
/// `('scheduled', 'queued', 'running')`.
pub(crate) const TASK_IN_POOL: &str =
    state_list!(TaskState::NAMES, TaskState::members(TaskStateClass::InPool));
/// Task states counted against a tenant's `max_queued_tasks`.
pub(crate) const TASK_BACKLOG: &str = state_list!(
    TaskState::NAMES,
    TaskState::members(TaskStateClass::Backlog)
);
/// Run states the scheduler keeps in memory: `('queued', 'running')`.
pub(crate) const RUN_ACTIVE: &str = state_list!(
    DagRunState::NAMES,
    DagRunState::members(RunStateClass::Active)
);
/// Final run states: `('success', 'failed')`.
pub(crate) const RUN_FINISHED: &str = state_list!(
    DagRunState::NAMES,
    DagRunState::members(RunStateClass::Finished)
);

/// The length of the SQL list of the `names` that are `members`; a class without states
/// fails the build (`()` is no SQL).
pub(crate) const fn list_len(names: &[&str], members: &[bool]) -> usize {
    assert!(names.len() == members.len(), "one membership per name");
    let mut len = 2; // the parentheses
    let mut count = 0;
    let mut i = 0;
    while i < names.len() {
        if members[i] {
            len += names[i].len() + 2; // the quotes
            count += 1;
        }
        i += 1;
    }
    assert!(count > 0, "a class of states without states");
    len + (count - 1) * 2 // ", " between names
}

/// The SQL list of the `names` that are `members`, as `N` ([`list_len`]) bytes. State names
/// are snake_case words, so they need no quoting beyond the quotes.
pub(crate) const fn list<const N: usize>(names: &[&str], members: &[bool]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut at = put(&mut out, 0, b"(");
    let mut first = true;
    let mut i = 0;
    while i < names.len() {
        if members[i] {
            if !first {
                at = put(&mut out, at, b", ");
            }
            first = false;
            at = put(&mut out, at, b"'");
            at = put(&mut out, at, names[i].as_bytes());
            at = put(&mut out, at, b"'");
        }
        i += 1;
    }
    at = put(&mut out, at, b")");
    assert!(at == N, "a list of another length");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_the_classes_in_declaration_order() {
        assert_eq!(TASK_IN_FLIGHT, "('queued', 'running')");
        assert_eq!(TASK_IN_POOL, "('scheduled', 'queued', 'running')");
        assert_eq!(
            TASK_BACKLOG,
            "('none', 'scheduled', 'queued', 'up_for_retry', 'up_for_reschedule')"
        );
        assert_eq!(RUN_ACTIVE, "('queued', 'running')");
        assert_eq!(RUN_FINISHED, "('success', 'failed')");
    }
}
