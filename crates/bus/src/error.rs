//! What can go wrong on the bus.

/// A bus operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The Redis URL is not one; the message names the problem (never the password).
    #[error("bad Redis URL {url}: {reason}")]
    BadUrl {
        /// The URL, with any password hidden.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Redis cannot be reached or did not answer in time; the same call may succeed later.
    #[error("bus unavailable (Redis at {url}): {source}")]
    Unavailable {
        /// The server, with any password hidden.
        url: String,
        /// What Redis (or the connection to it) said.
        #[source]
        source: redis::RedisError,
    },
    /// Something on the bus could not be read (a malformed entry, an unexpected reply).
    #[error("bus: {0}")]
    Malformed(String),
    /// An entry is not a message of this protocol version (its sender runs another release,
    /// or it is not Weft's).
    #[error("bus entry {entry}: {source}")]
    Protocol {
        /// The stream entry's id.
        entry: String,
        /// Why it cannot be read.
        #[source]
        source: weft_protocol::ProtocolError,
    },
    /// A message could not be encoded.
    #[error("bus: {0}")]
    Encode(#[source] weft_protocol::ProtocolError),
}

/// A Redis URL with its password, if any, replaced by `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
            None => format!("{scheme}://***@{host}"),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_show() {
        assert_eq!(
            redact("redis://user:secret@host:6379/0"),
            "redis://user:***@host:6379/0"
        );
        assert_eq!(redact("redis://secret@host"), "redis://***@host");
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(redact("not a url"), "not a url");
    }
}
