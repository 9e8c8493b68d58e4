//! The protocol version every message carries, and the envelope it travels in.
//!
//! A message sent on its own is the JSON object `{"v": VERSION, "m": MESSAGE}`. The receiver
//! checks `v` against its own [`PROTOCOL_VERSION`]: a peer running another version is named
//! as such ([`ProtocolError::Version`]), not reported as a missing field. Only types that are
//! sent on their own implement [`Message`], so the compiler keeps anything else out of an
//! envelope.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The version of the messages defined in this crate. Raise it whenever a message's JSON
/// changes in a way an older peer cannot read; processes only talk to the same version.
pub const PROTOCOL_VERSION: u32 = 7;

/// A type sent on its own, in an [`Envelope`].
pub trait Message: Serialize + DeserializeOwned {
    /// What it is called in errors ("task message", "report batch", ...).
    const NAME: &'static str;
}

/// Why a message could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The peer speaks another version of the protocol: retrying will not help, upgrading
    /// one of the two processes will.
    #[error(
        "a peer speaks Weft protocol version {theirs}, this process speaks version {ours}: \
         run the same Weft release on every machine"
    )]
    Version {
        /// The version the message carries.
        theirs: u32,
        /// [`PROTOCOL_VERSION`].
        ours: u32,
    },
    /// The message is JSON without a version: it comes from something that is not a Weft
    /// process of protocol version 1 or later.
    #[error(
        "a {what} without a protocol version: its sender is not a Weft process of this release"
    )]
    Unversioned {
        /// What was expected.
        what: &'static str,
    },
    /// The bytes are not a message of the expected kind.
    #[error("malformed {what}")]
    Malformed {
        /// What was expected.
        what: &'static str,
        /// What JSON said.
        #[source]
        source: serde_json::Error,
    },
    /// The message could not be written as JSON (a map with non-string keys, say).
    #[error("cannot encode a {what}")]
    Encode {
        /// What was being written.
        what: &'static str,
        /// What JSON said.
        #[source]
        source: serde_json::Error,
    },
}

/// Writes and reads messages with their protocol version.
#[derive(Debug, Clone, Copy)]
pub struct Envelope;

#[derive(Serialize)]
struct Outgoing<'a, T> {
    v: u32,
    m: &'a T,
}

#[derive(Deserialize)]
struct Incoming<T> {
    v: u32,
    m: T,
}

/// Just the version of a message that could not be read whole.
#[derive(Deserialize)]
struct VersionOnly {
    v: Option<u32>,
}

impl Envelope {
    /// `message` in an envelope, as JSON bytes.
    pub fn encode<T: Message>(message: &T) -> Result<Vec<u8>, ProtocolError> {
        serde_json::to_vec(&Outgoing {
            v: PROTOCOL_VERSION,
            m: message,
        })
        .map_err(|source| ProtocolError::Encode {
            what: T::NAME,
            source,
        })
    }

    /// The message in the envelope `bytes`, if it is one of this version.
    pub fn decode<T: Message>(bytes: &[u8]) -> Result<T, ProtocolError> {
        match serde_json::from_slice::<Incoming<T>>(bytes) {
            Ok(incoming) if incoming.v == PROTOCOL_VERSION => Ok(incoming.m),
            Ok(incoming) => Err(version_error(incoming.v)),
            Err(source) => match serde_json::from_slice::<VersionOnly>(bytes) {
                Ok(VersionOnly { v: Some(theirs) }) if theirs != PROTOCOL_VERSION => {
                    Err(version_error(theirs))
                }
                Ok(VersionOnly { v: None }) => Err(ProtocolError::Unversioned { what: T::NAME }),
                _ => Err(ProtocolError::Malformed {
                    what: T::NAME,
                    source,
                }),
            },
        }
    }
}

fn version_error(theirs: u32) -> ProtocolError {
    ProtocolError::Version {
        theirs,
        ours: PROTOCOL_VERSION,
    }
}

/// Checks the version a peer announced out of band (the worker API's header).
pub fn check_version(announced: &str) -> Result<(), ProtocolError> {
    match announced.trim().parse::<u32>() {
        Ok(PROTOCOL_VERSION) => Ok(()),
        Ok(theirs) => Err(version_error(theirs)),
        Err(_) => Err(ProtocolError::Unversioned {
            what: "protocol version header",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Ping {
        n: u32,
    }

    impl Message for Ping {
        const NAME: &'static str = "ping";
    }

    #[test]
    fn a_message_comes_back_as_it_went() {
        let bytes = Envelope::encode(&Ping { n: 3 }).expect("encodes");
        let expected = format!(r#"{{"v":{PROTOCOL_VERSION},"m":{{"n":3}}}}"#);
        assert_eq!(bytes, expected.as_bytes());
        assert_eq!(Envelope::decode::<Ping>(&bytes).ok(), Some(Ping { n: 3 }));
    }

    #[test]
    fn another_version_is_named_whether_or_not_its_body_reads() {
        for bytes in [
            &br#"{"v":99,"m":{"n":3}}"#[..],
            br#"{"v":99,"m":{"renamed":3}}"#,
        ] {
            let e = Envelope::decode::<Ping>(bytes).expect_err("refused");
            assert!(
                matches!(
                    e,
                    ProtocolError::Version {
                        theirs: 99,
                        ours: PROTOCOL_VERSION
                    }
                ),
                "{e:?}"
            );
            assert!(e.to_string().contains("version 99"), "{e}");
        }
    }

    #[test]
    fn an_unversioned_or_malformed_message_says_what_it_should_have_been() {
        let e = Envelope::decode::<Ping>(br#"{"n":3}"#).expect_err("refused");
        assert!(
            matches!(e, ProtocolError::Unversioned { what: "ping" }),
            "{e:?}"
        );
        let malformed = format!(r#"{{"v":{PROTOCOL_VERSION},"m":{{"x":1}}}}"#);
        let e = Envelope::decode::<Ping>(malformed.as_bytes()).expect_err("refused");
        assert!(
            matches!(e, ProtocolError::Malformed { what: "ping", .. }),
            "{e:?}"
        );
        let e = Envelope::decode::<Ping>(b"not json").expect_err("refused");
        assert!(matches!(e, ProtocolError::Malformed { .. }), "{e:?}");
    }

    #[test]
    fn the_version_header_is_checked() {
        assert!(check_version(&PROTOCOL_VERSION.to_string()).is_ok());
        let other = PROTOCOL_VERSION + 1;
        assert!(matches!(
            check_version(&other.to_string()),
            Err(ProtocolError::Version { theirs, .. }) if theirs == other
        ));
        assert!(matches!(
            check_version("one"),
            Err(ProtocolError::Unversioned { .. })
        ));
    }
}
