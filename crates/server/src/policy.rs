//! What each route of the user API needs of its caller: one table, [`POLICY`], that the
//! authentication middleware ([`context`](crate::context)) reads for every request and the
//! OpenAPI document states per operation. A route missing from the table is refused (500)
//! rather than left open, and the tests check that the table and the router list the same
//! routes.
//!
//! Reads need a `viewer`; steering runs an `operator`; deploying and changing a tenant's
//! settings an `editor`; its tokens an `admin`; tenants and the installation's secret key the
//! installation administrator.

use std::fmt;

use weft_model::tenancy::Role;

/// What a route needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Nothing: anyone may call it, with or without a token.
    Nothing,
    /// A token of the tenant with this role or a higher one.
    Role(Role),
    /// The installation administrator.
    InstallationAdmin,
}

impl fmt::Display for Needs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Needs::Nothing => f.write_str("no token"),
            Needs::Role(role) => write!(f, "a token of role `{role}` or above"),
            Needs::InstallationAdmin => f.write_str("the installation administrator's token"),
        }
    }
}

use Needs::{InstallationAdmin, Nothing};

const VIEWER: Needs = Needs::Role(Role::Viewer);
const OPERATOR: Needs = Needs::Role(Role::Operator);
const EDITOR: Needs = Needs::Role(Role::Editor);
const ADMIN: Needs = Needs::Role(Role::Admin);

/// Every route of the user API (method, path under `/api/v1`) and what it needs.
pub const POLICY: &[(&str, &str, Needs)] = &[
    ("GET", "/health", Nothing),
    ("GET", "/openapi.json", Nothing),
    ("GET", "/metrics", InstallationAdmin),
    ("GET", "/whoami", VIEWER),
    // DAGs and their runs.
    ("GET", "/dags", VIEWER),
    ("POST", "/dags", EDITOR),
    ("GET", "/dags/{dag_id}", VIEWER),
    ("PATCH", "/dags/{dag_id}", OPERATOR),
    ("GET", "/dags/{dag_id}/versions", VIEWER),
    ("GET", "/dags/{dag_id}/next-runs", VIEWER),
    ("GET", "/dags/{dag_id}/grid", VIEWER),
    // Assets.
    ("GET", "/assets", VIEWER),
    ("GET", "/assets/events", VIEWER),
    ("POST", "/assets/events", OPERATOR),
    ("POST", "/dags/{dag_id}/backfill", OPERATOR),
    ("GET", "/dags/{dag_id}/runs", VIEWER),
    ("POST", "/dags/{dag_id}/runs", OPERATOR),
    ("GET", "/dags/{dag_id}/runs/{run_id}", VIEWER),
    ("POST", "/dags/{dag_id}/runs/{run_id}/clear", OPERATOR),
    ("GET", "/dags/{dag_id}/runs/{run_id}/notifications", VIEWER),
    ("GET", "/dags/{dag_id}/runs/{run_id}/xcom", VIEWER),
    (
        "GET",
        "/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/logs",
        VIEWER,
    ),
    (
        "GET",
        "/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/logs/stream",
        VIEWER,
    ),
    (
        "POST",
        "/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/mark",
        OPERATOR,
    ),
    ("GET", "/runs", VIEWER),
    // A tenant's settings.
    ("GET", "/variables", VIEWER),
    ("GET", "/variables/{key}", VIEWER),
    ("PUT", "/variables/{key}", EDITOR),
    ("DELETE", "/variables/{key}", EDITOR),
    ("GET", "/connections", VIEWER),
    ("GET", "/connections/{conn_id}", VIEWER),
    ("PUT", "/connections/{conn_id}", EDITOR),
    ("PATCH", "/connections/{conn_id}", EDITOR),
    ("DELETE", "/connections/{conn_id}", EDITOR),
    ("GET", "/secrets", VIEWER),
    ("GET", "/secrets/{name}", VIEWER),
    ("PUT", "/secrets/{name}", EDITOR),
    ("DELETE", "/secrets/{name}", EDITOR),
    ("GET", "/pools", VIEWER),
    ("PUT", "/pools/{name}", EDITOR),
    ("DELETE", "/pools/{name}", EDITOR),
    ("GET", "/workers", VIEWER),
    ("GET", "/queues", VIEWER),
    // A tenant's tokens.
    ("GET", "/tokens", ADMIN),
    ("POST", "/tokens", ADMIN),
    ("DELETE", "/tokens/{token_id}", ADMIN),
    // The installation.
    ("GET", "/tenants", InstallationAdmin),
    ("POST", "/tenants", InstallationAdmin),
    ("DELETE", "/tenants/{name}", InstallationAdmin),
    ("PUT", "/tenants/{name}/weight", InstallationAdmin),
    ("PUT", "/tenants/{name}/quotas", InstallationAdmin),
    ("PUT", "/tenants/{name}/sandbox", InstallationAdmin),
    ("POST", "/tenants/{name}/tokens", InstallationAdmin),
    ("POST", "/secret-key/rotate", InstallationAdmin),
];

/// What `method` on `route` (a path template under `/api/v1`, as the router matched it)
/// needs; `None` for a route the table does not list. `HEAD` needs what `GET` does.
pub fn needs(method: &str, route: &str) -> Option<Needs> {
    let method = if method.eq_ignore_ascii_case("HEAD") {
        "GET"
    } else {
        method
    };
    POLICY
        .iter()
        .find(|(m, r, _)| m.eq_ignore_ascii_case(method) && *r == route)
        .map(|(_, _, needs)| *needs)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn each_route_is_listed_once() {
        let mut seen = HashSet::new();
        for (method, route, _) in POLICY {
            assert!(seen.insert((method, route)), "{method} {route} twice");
        }
        assert_eq!(needs("get", "/dags"), Some(VIEWER));
        assert_eq!(needs("HEAD", "/dags"), Some(VIEWER));
        assert_eq!(needs("HEAD", "/health"), Some(Nothing));
        assert_eq!(needs("DELETE", "/dags"), None);
    }

    #[test]
    fn reads_are_viewers_or_open_and_writes_need_more() {
        for (method, route, needs) in POLICY {
            if *method == "GET" {
                assert!(
                    matches!(*needs, Nothing | VIEWER | ADMIN | InstallationAdmin),
                    "{route}"
                );
            } else {
                assert!(!matches!(*needs, Nothing | VIEWER), "{method} {route}");
            }
        }
    }
}
