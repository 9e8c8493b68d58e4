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
