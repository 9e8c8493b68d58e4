//! Request checks shared by every backend, so that the same bad request gets the same
//! [`BadInput`] whichever backend serves it. Backends call these before touching any state.

use std::time::Duration;

use crate::error::BadInput;
use crate::message::Message;
use crate::scope;

/// The longest lease a take or an extension may ask for. Long-running tasks keep their lease
/// by extending it (heartbeats), not by taking a long one.
pub const MAX_LEASE: Duration = Duration::from_secs(24 * 60 * 60);

/// Checks a batch to push: every message needs a queue name, and a scoped name
/// (`<scope>/<queue>`) a valid scope and a queue after it (see [`scope`]).
pub fn check_push(messages: &[Message]) -> Result<(), BadInput> {
    for (index, m) in messages.iter().enumerate() {
        if m.queue.is_empty() {
            return Err(BadInput::EmptyMessageQueue { index });
        }
        scope::check_name(&m.queue, false).map_err(|problem| BadInput::BadMessageQueue {
            index,
            queue: m.queue.clone(),
            problem,
        })?;
    }
    Ok(())
}

/// Checks a take: at least one queue, no empty or badly scoped name (`*/<queue>` is allowed:
/// every scope's `<queue>`), `max` of at least 1, a valid lease.
pub fn check_take(queues: &[String], max: usize, lease: Duration) -> Result<(), BadInput> {
    if queues.is_empty() {
        return Err(BadInput::NoQueues);
    }
    for (index, queue) in queues.iter().enumerate() {
        if queue.is_empty() {
            return Err(BadInput::EmptyTakeQueue { index });
        }
        scope::check_name(queue, true).map_err(|problem| BadInput::BadTakeQueue {
            index,
            queue: queue.clone(),
            problem,
        })?;
    }
    if max == 0 {
        return Err(BadInput::ZeroMax);
    }
    check_lease("take", lease)
}

/// Checks a lease length for `operation` (`take` or `extend`): above zero, at most
/// [`MAX_LEASE`].
pub fn check_lease(operation: &'static str, lease: Duration) -> Result<(), BadInput> {
    if lease.is_zero() {
        return Err(BadInput::ZeroLease { operation });
    }
    if lease > MAX_LEASE {
        return Err(BadInput::LeaseTooLong {
            operation,
            lease,
            max: MAX_LEASE,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::NameProblem;

    const LEASE: Duration = Duration::from_secs(30);

    #[test]
    fn push_names_the_first_message_without_a_queue() {
        let batch = [
            Message::new("a", "1"),
            Message::new("", "2"),
            Message::new("", "3"),
        ];
        assert_eq!(
            check_push(&batch),
            Err(BadInput::EmptyMessageQueue { index: 1 })
        );
        assert_eq!(check_push(&batch[..1]), Ok(()));
        assert_eq!(check_push(&[]), Ok(()));
    }

    #[test]
    fn push_names_the_first_message_with_a_bad_scope() {
        let batch = [
            Message::new("a/q", "1"),
            Message::new("*/q", "2"),
            Message::new("", "3"),
        ];
        assert_eq!(
            check_push(&batch),
            Err(BadInput::BadMessageQueue {
                index: 1,
                queue: "*/q".into(),
                problem: NameProblem::AnyScopeInPush
            })
        );
        assert_eq!(
            check_push(&[Message::new("a/", "1")]),
            Err(BadInput::BadMessageQueue {
                index: 0,
                queue: "a/".into(),
                problem: NameProblem::EmptyQueue
            })
        );
    }

    #[test]
    fn take_allows_every_scope_and_names_a_bad_one() {
        let ok = vec!["q".to_owned(), "a/q".to_owned(), "*/q".to_owned()];
        assert_eq!(check_take(&ok, 1, LEASE), Ok(()));
        let bad = vec!["a/q".to_owned(), "Ab/q".to_owned()];
        assert_eq!(
            check_take(&bad, 1, LEASE),
            Err(BadInput::BadTakeQueue {
                index: 1,
                queue: "Ab/q".into(),
                problem: NameProblem::ScopeCharacter {
                    scope: "Ab".into(),
                    found: 'A'
                }
            })
        );
    }

    #[test]
    fn take_rejects_each_bad_argument() {
        let ok = vec!["a".to_owned()];
        assert_eq!(check_take(&ok, 1, LEASE), Ok(()));
        assert_eq!(check_take(&[], 1, LEASE), Err(BadInput::NoQueues));
        let with_empty = vec!["a".to_owned(), String::new()];
        assert_eq!(
            check_take(&with_empty, 1, LEASE),
            Err(BadInput::EmptyTakeQueue { index: 1 })
        );
        assert_eq!(check_take(&ok, 0, LEASE), Err(BadInput::ZeroMax));
        assert_eq!(
            check_take(&ok, 1, Duration::ZERO),
            Err(BadInput::ZeroLease { operation: "take" })
        );
    }

    #[test]
    fn lease_must_be_positive_and_at_most_the_maximum() {
        assert_eq!(check_lease("extend", MAX_LEASE), Ok(()));
        assert_eq!(check_lease("extend", Duration::from_millis(1)), Ok(()));
        assert_eq!(
            check_lease("extend", Duration::MAX),
            Err(BadInput::LeaseTooLong {
                operation: "extend",
                lease: Duration::MAX,
                max: MAX_LEASE
            })
        );
    }
}
