//! Request checks shared by every backend, so that the same bad request gets the same
//! [`BadInput`] whichever backend serves it. Backends call these before touching any state.

use std::time::Duration;

use crate::error::BadInput;
use crate::message::Message;

/// The longest lease a take or an extension may ask for. Long-running tasks keep their lease
/// by extending it (heartbeats), not by taking a long one.
pub const MAX_LEASE: Duration = Duration::from_secs(24 * 60 * 60);

/// Checks a batch to push: every message needs a queue name.
pub fn check_push(messages: &[Message]) -> Result<(), BadInput> {
    match messages.iter().position(|m| m.queue.is_empty()) {
        Some(index) => Err(BadInput::EmptyMessageQueue { index }),
        None => Ok(()),
    }
}

/// Checks a take: at least one queue, no empty name, `max` of at least 1, a valid lease.
pub fn check_take(queues: &[String], max: usize, lease: Duration) -> Result<(), BadInput> {
    if queues.is_empty() {
        return Err(BadInput::NoQueues);
    }
    if let Some(index) = queues.iter().position(String::is_empty) {
        return Err(BadInput::EmptyTakeQueue { index });
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
