//! What a Redis error means for the request that got it: it may succeed later (the server is
//! unreachable or busy), the server refused it for its user (credentials or ACL), or neither.

use redis::{ErrorKind, RedisError, ServerErrorKind};

/// Whether the same request may succeed later: the server is unreachable, restarting,
/// loading, busy or out of memory.
pub fn is_retriable(e: &RedisError) -> bool {
    e.is_io_error()
        || matches!(
            e.kind(),
            ErrorKind::Server(
                ServerErrorKind::BusyLoading
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::ClusterDown
                    | ServerErrorKind::ReadOnly
            )
        )
        || matches!(e.code(), Some("BUSY" | "OOM"))
}

/// Whether the server refused the request for its user: wrong credentials, or a command or
/// key its ACL does not allow (also one run by a script).
pub fn is_denied(e: &RedisError) -> bool {
    matches!(
        e.kind(),
        ErrorKind::AuthenticationFailed | ErrorKind::Server(ServerErrorKind::NoPerm)
    ) || matches!(e.code(), Some("NOPERM" | "WRONGPASS" | "NOAUTH"))
        // Redis 7.0 reports what a script's user may not do as a plain ERR.
        || e
            .detail()
            .is_some_and(|d| d.starts_with("The user executing the script can't"))
}
