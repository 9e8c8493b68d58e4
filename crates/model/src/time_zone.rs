//! Time zones by IANA name, from the time zone database built into Weft.
//!
//! Every process (API server, scheduler, worker, `wfctl`) reads zones from the same copy,
//! built into its binary, so all of them agree on every DAG's run times whatever the machine
//! has installed.

use std::sync::LazyLock;

use jiff::tz::{TimeZone, TimeZoneDatabase};

static DATABASE: LazyLock<TimeZoneDatabase> = LazyLock::new(TimeZoneDatabase::bundled);

/// Why a time zone name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone \"{name}\" (expected an IANA name such as Europe/Berlin or UTC)")]
pub struct UnknownTimeZone {
    /// The name as given.
    pub name: String,
}

/// The zone named `name` (an IANA name such as `Asia/Seoul`, any case, or `UTC`).
pub fn find(name: &str) -> Result<TimeZone, UnknownTimeZone> {
    DATABASE.get(name).map_err(|_| UnknownTimeZone {
        name: name.to_owned(),
    })
}

/// A time with an offset and a zone, RFC 9557 (`2024-03-31T09:00:00+02:00[Europe/Berlin]`),
/// its zone read from the built-in database: an offset the zone does not have then is an
/// error.
pub fn parse_zoned(text: &str) -> Result<jiff::Zoned, jiff::Error> {
    jiff::fmt::temporal::DateTimeParser::new().parse_zoned_with(&DATABASE, text)
}

/// The name shown for `zone`: its IANA name, or its offset for a zone that has none.
pub fn name_of(zone: &TimeZone) -> String {
    match zone.iana_name() {
        Some(name) => name.to_owned(),
        None => zone
            .to_fixed_offset()
            .map_or_else(|_| "UTC".to_owned(), |offset| offset.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_in_any_case_and_unknown_ones_are_named() {
        assert_eq!(
            find("europe/berlin").unwrap().iana_name(),
            Some("Europe/Berlin")
        );
        assert_eq!(find("UTC").unwrap(), TimeZone::UTC);
        let err = find("Europe/Berln").unwrap_err();
        assert!(err.to_string().contains("\"Europe/Berln\""), "{err}");
        assert_eq!(name_of(&find("Asia/Seoul").unwrap()), "Asia/Seoul");
        assert_eq!(name_of(&TimeZone::UTC), "UTC");
    }
}
