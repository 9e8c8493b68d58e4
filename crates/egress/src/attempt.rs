//! The egress policy applied to each request a task sends: the task's rules and the
//! operator's, every address the name resolves to, the attempt's limits, and `{{secret:NAME}}`
//! put into headers and query by the host.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::uri::Scheme as UriScheme;
use weft_model::egress::{EgressRequest, EgressRule, Scheme};

use crate::send::Outgoing;
use crate::substitute::Secrets;
use crate::usage::Usage;
use crate::{Egress, EgressError, HttpBody, HttpStack};

/// The egress of one attempt.
pub struct AttemptEgress {
    /// The operator's policy, as the runtime built it.
    pub egress: Arc<Egress>,
    /// The task's own rules (parsed from its DAG's declaration).
    pub task_rules: Arc<[EgressRule]>,
    /// The rules of the task's tenant; `None` when it has none of its own.
    pub tenant_rules: Option<Arc<[EgressRule]>>,
    /// The attempt's counters and log.
    pub usage: Arc<Usage>,
    /// The secrets the task may put into its requests.
    pub secrets: Arc<dyn Secrets>,
    /// The attempt's deadline: no request outlives it.
    pub deadline: Instant,
}

/// The timeouts a guest asks for on one request; the policy's limits cap them.
#[derive(Debug, Clone, Copy, Default)]
pub struct GuestTimeouts {
    /// Longest wait for the connection.
    pub connect: Option<Duration>,
    /// Longest wait for the response's first byte.
    pub first_byte: Option<Duration>,
    /// Longest pause between two chunks of the response body.
    pub between_bytes: Option<Duration>,
}

impl AttemptEgress {
    /// Checks the request against the task's, the operator's and the tenant's rules; on
    /// refusal, the reason.
    fn check(&self, method: &str, scheme: Scheme, host: &str, port: u16) -> Result<(), String> {
        let request = EgressRequest {
            method,
            scheme,
            host,
            port,
        };
        let target = || format!("{method} {}://{host}:{port}", scheme.as_str());
        if !self.task_rules.iter().any(|r| r.matches(&request)) {
            return Err(format!(
                "{} is not in the task's egress allowlist ({})",
                target(),
                list(&self.task_rules)
            ));
        }
        if !self.egress.allowed.allows(&request) {
            return Err(format!(
                "{} is not allowed by this host's egress policy ({})",
                target(),
                list(&self.egress.allowed.rules)
            ));
        }
        if let Some(tenant) = &self.tenant_rules
            && !tenant.iter().any(|r| r.matches(&request))
        {
            return Err(format!(
                "{} is not in the tenant's egress rules ({})",
                target(),
                list(tenant)
            ));
        }
        Ok(())
    }

    /// Checks `request` against the rules and the limits and puts the secrets it names into
    /// it; what is left to send it, or why not (refusals are written to the attempt's log).
    pub fn prepare<S: HttpStack>(
        &self,
        request: http::Request<HttpBody<S::Error>>,
        guest: GuestTimeouts,
    ) -> Result<Outgoing<S>, S::Error> {
        self.checked(request, guest).map_err(S::error)
    }

    fn checked<S: HttpStack>(
        &self,
        mut request: http::Request<HttpBody<S::Error>>,
        guest: GuestTimeouts,
    ) -> Result<Outgoing<S>, EgressError> {
        let max = self.usage.limits.max_requests;
        if !crate::usage::count_up_to(&self.usage.requests, max) {
            self.usage.note(format!(
                "egress limit: the attempt may send at most {max} requests"
            ));
            return Err(EgressError::ConnectionLimitReached);
        }
        let uri = request.uri();
        let scheme = match uri.scheme() {
            Some(s) if *s == UriScheme::HTTPS => Scheme::Https,
            Some(s) if *s == UriScheme::HTTP => Scheme::Http,
            _ => {
                self.usage
                    .deny(format!("{uri}: only http and https are allowed"));
                return Err(EgressError::HttpRequestDenied);
            }
        };
        let Some(authority) = uri.authority() else {
            return Err(EgressError::HttpRequestUriInvalid);
        };
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = authority
            .port_u16()
            .or(scheme.default_port())
            .unwrap_or_default();
        let method = request.method().as_str().to_owned();
        if let Err(why) = self.check(&method, scheme, &host, port) {
            self.usage.deny(why);
            return Err(EgressError::HttpRequestDenied);
        }
        if let Err(why) = crate::substitute::substitute(&*self.secrets, &mut request, self.deadline)
        {
            self.usage.deny(why);
            return Err(EgressError::HttpRequestDenied);
        }
        let limits = self.usage.limits;
        let tighter = |guest: Option<std::time::Duration>, policy| {
            guest.map_or(policy, |g: std::time::Duration| g.min(policy))
        };
        Ok(Outgoing {
            request,
            host,
            port,
            tls: (scheme == Scheme::Https).then(|| self.egress.tls.clone()),
            allow_nets: self.egress.allow_nets.clone(),
            connect_timeout: tighter(guest.connect, limits.connect_timeout),
            first_byte_timeout: tighter(guest.first_byte, limits.first_byte_timeout),
            between_bytes_timeout: tighter(guest.between_bytes, limits.between_bytes_timeout),
            deadline: tokio::time::Instant::from_std(self.deadline),
            usage: self.usage.clone(),
            stack: PhantomData,
        })
    }
}

fn list(rules: &[EgressRule]) -> String {
    if rules.is_empty() {
        return "empty".into();
    }
    rules
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
