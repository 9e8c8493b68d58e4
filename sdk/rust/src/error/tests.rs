//! Tests of task errors, their kinds and their WIT variants.

use super::*;

fn fails_with_question_mark() -> TaskResult<i32> {
    let n: i32 = "forty-two".parse()?;
    Ok(n)
}

#[test]
fn question_mark_makes_a_retryable_error_from_any_display_error() {
    let err = fails_with_question_mark().expect_err("an error");
    assert_eq!(err.kind(), TaskErrorKind::Retryable);
    assert_eq!(err.message(), "invalid digit found in string");
}

#[test]
fn constructors_set_the_kind_and_message() {
    assert_eq!(TaskError::permanent("p").kind(), TaskErrorKind::Permanent);
    assert_eq!(TaskError::skip("s").kind(), TaskErrorKind::Skip);
    assert_eq!(TaskError::retryable("r").message(), "r");
}

#[test]
fn result_ext_changes_kind_and_prefixes_context() {
    let plain: Result<(), &str> = Err("disk full");
    let err = plain.context("writing report").expect_err("an error");
    assert_eq!(err.kind(), TaskErrorKind::Retryable);
    assert_eq!(err.message(), "writing report: disk full");

    let task: TaskResult<()> = Err(TaskError::skip("nothing to do"));
    let err = task.context("step 2").expect_err("an error");
    assert_eq!(err.kind(), TaskErrorKind::Skip, "context keeps the kind");
    assert_eq!(err.message(), "step 2: nothing to do");

    let task: TaskResult<()> = Err(TaskError::retryable("timeout"));
    assert_eq!(
        task.permanent().expect_err("an error").kind(),
        TaskErrorKind::Permanent
    );
    let plain: Result<(), String> = Err("bad".into());
    assert_eq!(
        plain.permanent().expect_err("an error").kind(),
        TaskErrorKind::Permanent
    );
}

#[test]
fn converts_to_the_wit_variant_of_the_same_kind() {
    assert!(matches!(
        TaskError::retryable("a").into_wit(),
        wit::TaskError::Retryable(m) if m == "a"
    ));
    assert!(matches!(
        TaskError::permanent("b").into_wit(),
        wit::TaskError::Permanent(m) if m == "b"
    ));
    assert!(matches!(
        TaskError::skip("c").into_wit(),
        wit::TaskError::Skip(m) if m == "c"
    ));
}
