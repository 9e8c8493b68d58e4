//! A tenant's quotas: how much of an installation it may hold and ask for, so that one team
//! cannot crowd out the others (the scheduler's fair share divides what is left).
//!
//! ```
//! use weft_model::quotas::{Quota, Quotas};
//!
//! let quotas = Quotas { max_running_tasks: Some(20), ..Quotas::NONE };
//! assert!(quotas.check().is_ok());
//! assert!(Quotas { api_burst: Some(5), ..Quotas::NONE }.check().is_err());
//! assert_eq!(Quota::MaxQueuedTasks.as_str(), "max_queued_tasks");
//! ```

use serde::{Deserialize, Serialize};

use crate::names::named_enum;

named_enum! {
    /// One of a tenant's quotas, by the name it has in the API and on the command line.
    pub enum Quota ("quota") {
        /// Task instances queued or running at once.
        MaxRunningTasks => "max_running_tasks",
        /// Runs running at once.
        MaxActiveRuns => "max_active_runs",
        /// Task instances waiting to run.
        MaxQueuedTasks => "max_queued_tasks",
        /// Bytes of one component.
        MaxComponentBytes => "max_component_bytes",
        /// Components stored.
        MaxComponents => "max_components",
        /// User API requests a second.
        ApiRequestsPerSecond => "api_requests_per_second",
    }
}

/// What a tenant may hold and ask for at most; each `None` is no limit. The scheduler keeps
/// the first two (tasks and runs beyond them wait), triggers are refused beyond the third,
/// deploys beyond the next two, and API calls beyond the rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Quotas {
    /// Task instances queued or running at once; ready tasks beyond it wait for a slot of
    /// the tenant's own.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub max_running_tasks: Option<u32>,
    /// Runs running at once, across the tenant's DAGs; runs beyond it stay queued.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub max_active_runs: Option<u32>,
    /// Task instances waiting to run (not yet started, in queued or running runs); a trigger
    /// that would take the tenant past it is refused. Runs the scheduler makes from a DAG's
    /// schedule are not refused: `max_active_runs` holds them back.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub max_queued_tasks: Option<u32>,
    /// Size of one component, in bytes; a larger deploy is refused before it is compiled.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub max_component_bytes: Option<u64>,
    /// Components (DAG versions' code) stored; a deploy of a new one beyond it is refused.
    /// A tenant's components are kept while it exists.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub max_components: Option<u32>,
    /// User API requests a second, on each API server, with `api_burst` at once (the rate if
    /// not set); a request beyond it is answered 429 with `Retry-After`.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub api_requests_per_second: Option<u32>,
    /// Requests that may come at once before the rate applies.
    #[serde(
        default,
        deserialize_with = "crate::integral::optional",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(minimum = 1))]
    pub api_burst: Option<u32>,
}

impl Quotas {
    /// No limit at all.
    pub const NONE: Quotas = Quotas {
        max_running_tasks: None,
        max_active_runs: None,
        max_queued_tasks: None,
        max_component_bytes: None,
        max_components: None,
        api_requests_per_second: None,
        api_burst: None,
    };

    /// Checks that each limit set is at least 1, and that a burst comes with a rate.
    pub fn check(&self) -> Result<(), String> {
        let counts = [
            ("max_running_tasks", self.max_running_tasks),
            ("max_active_runs", self.max_active_runs),
            ("max_queued_tasks", self.max_queued_tasks),
            ("max_components", self.max_components),
            ("api_requests_per_second", self.api_requests_per_second),
            ("api_burst", self.api_burst),
        ];
        for (name, value) in counts {
            if value == Some(0) {
                return Err(format!(
                    "quota {name} is at least 1 (leave it out for no limit; pause a DAG to stop it)"
                ));
            }
        }
        if self.max_component_bytes == Some(0) {
            return Err(
                "quota max_component_bytes is at least 1 (leave it out for no limit)".into(),
            );
        }
        if self
            .max_component_bytes
            .is_some_and(|b| i64::try_from(b).is_err())
        {
            return Err(format!("quota max_component_bytes is at most {}", i64::MAX));
        }
        if self.api_burst.is_some() && self.api_requests_per_second.is_none() {
            return Err("quota api_burst needs api_requests_per_second".into());
        }
        Ok(())
    }
}

/// A request refused because it would take a tenant past one of its quotas; nothing of it
/// was stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tenant {tenant} is at its quota {quota} of {limit}: {detail}")]
pub struct QuotaExceeded {
    /// The tenant.
    pub tenant: String,
    /// The quota.
    pub quota: Quota,
    /// Its limit.
    pub limit: u64,
    /// What the request asked for, against what the tenant holds.
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_at_least_one_and_a_burst_needs_a_rate() {
        assert_eq!(Quotas::NONE.check(), Ok(()));
        assert_eq!(Quotas::default(), Quotas::NONE);
        let all = Quotas {
            max_running_tasks: Some(1),
            max_active_runs: Some(2),
            max_queued_tasks: Some(3),
            max_component_bytes: Some(4),
            max_components: Some(5),
            api_requests_per_second: Some(6),
            api_burst: Some(7),
        };
        assert_eq!(all.check(), Ok(()));
        for zero in [
            Quotas {
                max_running_tasks: Some(0),
                ..all
            },
            Quotas {
                max_active_runs: Some(0),
                ..all
            },
            Quotas {
                max_queued_tasks: Some(0),
                ..all
            },
            Quotas {
                max_component_bytes: Some(0),
                ..all
            },
            Quotas {
                max_components: Some(0),
                ..all
            },
            Quotas {
                api_requests_per_second: Some(0),
                ..all
            },
            Quotas {
                api_burst: Some(0),
                ..all
            },
        ] {
            let error = zero.check().unwrap_err();
            assert!(error.contains("at least 1"), "{error}");
        }
        let huge = Quotas {
            max_component_bytes: Some(u64::MAX),
            ..all
        };
        assert!(huge.check().unwrap_err().contains("at most"));
        let burst_alone = Quotas {
            api_requests_per_second: None,
            ..all
        };
        assert!(burst_alone.check().unwrap_err().contains("api_burst needs"));
    }

    #[test]
    fn unknown_fields_are_refused_and_missing_ones_are_no_limit() {
        let quotas: Quotas = serde_json::from_str(r#"{"max_active_runs": 3}"#).unwrap();
        assert_eq!(
            quotas,
            Quotas {
                max_active_runs: Some(3),
                ..Quotas::NONE
            }
        );
        let error = serde_json::from_str::<Quotas>(r#"{"max_runs": 3}"#).unwrap_err();
        assert!(error.to_string().contains("max_runs"), "{error}");
    }
}
