//! The egress policy applied to each request a task sends: the task's rules and the
//! operator's, every address the name resolves to, the attempt's limits, and `{{secret:NAME}}`
//! put into headers and query by the host.

use std::sync::Arc;
use std::time::Instant;

use http::uri::Scheme as UriScheme;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};
use weft_model::egress::{EgressRequest, EgressRule, Scheme};

use super::Egress;
use super::send::{Outgoing, Sent};
use super::substitute::SecretSource;
use super::usage::Usage;

/// The egress of one attempt.
pub(crate) struct AttemptEgress {
    pub(crate) egress: Arc<Egress>,
    /// The task's own rules (parsed from its DAG's declaration).
    pub(crate) task_rules: Arc<[EgressRule]>,
    /// The rules of the task's tenant; `None` when it has none of its own.
    pub(crate) tenant_rules: Option<Arc<[EgressRule]>>,
    pub(crate) usage: Arc<Usage>,
    pub(crate) secrets: SecretSource,
    pub(crate) deadline: Instant,
}

type SendFuture = Box<dyn Future<Output = Result<Sent, Error>> + Send>;

fn refuse(error: Error) -> SendFuture {
    Box::new(async move { Err(error) })
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
        if !self.egress.policy.allowed.allows(&request) {
            return Err(format!(
                "{} is not allowed by this host's egress policy ({})",
                target(),
                list(&self.egress.policy.allowed.rules)
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

    fn prepare(
        &mut self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<Outgoing, Error> {
        let max = self.usage.limits.max_requests;
        if !super::usage::count_up_to(&self.usage.requests, max) {
            self.usage.note(format!(
                "egress limit: the attempt may send at most {max} requests"
            ));
            return Err(Error::ConnectionLimitReached);
        }
        let uri = request.uri();
        let scheme = match uri.scheme() {
            Some(s) if *s == UriScheme::HTTPS => Scheme::Https,
            Some(s) if *s == UriScheme::HTTP => Scheme::Http,
            _ => {
                self.usage
                    .deny(format!("{uri}: only http and https are allowed"));
                return Err(Error::HttpRequestDenied);
            }
        };
        let Some(authority) = uri.authority() else {
            return Err(Error::HttpRequestUriInvalid);
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
            return Err(Error::HttpRequestDenied);
        }
        if let Err(why) = self.secrets.substitute(&mut request, self.deadline) {
            self.usage.deny(why);
            return Err(Error::HttpRequestDenied);
        }
        let limits = self.usage.limits;
        let guest = options.unwrap_or_default();
        let tighter = |guest: Option<std::time::Duration>, policy| {
            guest.map_or(policy, |g: std::time::Duration| g.min(policy))
        };
        Ok(Outgoing {
            request,
            host,
            port,
            tls: (scheme == Scheme::Https).then(|| self.egress.tls.clone()),
            allow_nets: self.egress.allow_nets.clone(),
            connect_timeout: tighter(guest.connect_timeout, limits.connect_timeout),
            first_byte_timeout: tighter(guest.first_byte_timeout, limits.first_byte_timeout),
            between_bytes_timeout: tighter(
                guest.between_bytes_timeout,
                limits.between_bytes_timeout,
            ),
            deadline: tokio::time::Instant::from_std(self.deadline),
            usage: self.usage.clone(),
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

impl WasiHttpHooks for AttemptEgress {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> SendFuture {
        drop(fut);
        match self.prepare(request, options) {
            Ok(outgoing) => Box::new(outgoing.send()),
            Err(error) => refuse(error),
        }
    }
}
