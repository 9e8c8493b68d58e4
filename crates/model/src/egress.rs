//! Egress rules: where a task may send HTTP requests and open TCP connections.
//!
//! A rule is written `[METHODS ][SCHEME://]HOST[:PORT]`, as in the WIT world's
//! `resources.egress-allowlist`: `api.example.com`, `https://*.example.com`,
//! `GET,HEAD http://10.0.0.5:8080`, `[::1]:9000`, `http://127.0.0.1:*` (any port). A rule
//! without a scheme allows HTTP and HTTPS. `tcp://HOST:PORT` (or `tcp://HOST:*`) allows raw
//! TCP connections, and the connections of SQL clients the host runs for the task; it takes no
//! methods, needs a port, and is never implied by an HTTP rule. The DAG declares rules per task
//! and the operator allows a set for the installation; a request or connection goes out only
//! when it matches both.
//!
//! ```
//! use weft_model::egress::{EgressRule, EgressRequest, Scheme};
//!
//! let rule: EgressRule = "GET https://*.example.com".parse()?;
//! let get = EgressRequest { method: "GET", scheme: Scheme::Https, host: "api.example.com", port: 443 };
//! assert!(rule.matches(&get));
//! assert!(!rule.matches(&EgressRequest { method: "POST", ..get }));
//! assert!(!rule.matches(&EgressRequest { host: "example.com", ..get }));
//! let operator: EgressRule = "*.example.com".parse()?;
//! assert!(rule.covered_by(&operator));
//! assert!(!operator.covered_by(&rule));
//! # Ok::<(), weft_model::egress::EgressRuleError>(())
//! ```
//!
//! # Layout
//! - this file: rules, their parsing and matching;
//! - [`AllowedEgress`]: the operator's rules and the non-public ranges they may reach;
//! - [`address`]: which addresses are public (IANA's special-purpose registries).

pub mod address;
mod allowed;

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

pub use allowed::AllowedEgress;

/// A URL scheme a task may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
    /// A raw TCP connection (the task's own client, or a SQL client in the host).
    Tcp,
}

impl Scheme {
    /// The scheme's own port: 80 or 443; none for TCP.
    pub fn default_port(self) -> Option<u16> {
        match self {
            Scheme::Http => Some(80),
            Scheme::Https => Some(443),
            Scheme::Tcp => None,
        }
    }

    /// `http`, `https` or `tcp`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
            Scheme::Tcp => "tcp",
        }
    }
}

/// The host part of a rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum HostPattern {
    /// Exactly this name (lower case).
    Name(String),
    /// Any subdomain of this domain (lower case), not the domain itself.
    Subdomains(String),
    /// Exactly this address.
    Ip(IpAddr),
}

/// One egress rule, parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EgressRule {
    /// Methods allowed, upper case; empty allows any.
    pub methods: Vec<String>,
    /// The scheme; none allows both.
    pub scheme: Option<Scheme>,
    /// Which hosts.
    pub host: HostPattern,
    /// The port.
    pub port: Port,
}

/// The port part of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Port {
    /// None written: the scheme's own (80 for http, 443 for https; tcp rules need one).
    Default,
    /// This port.
    Exact(u16),
    /// `:*`, any port.
    Any,
}

/// What a rule is checked against: one outgoing request, or one TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EgressRequest<'a> {
    /// The method, upper case as sent (empty for a TCP connection).
    pub method: &'a str,
    /// The scheme.
    pub scheme: Scheme,
    /// The host, lower case, without brackets around an IPv6 address.
    pub host: &'a str,
    /// The port the request goes to.
    pub port: u16,
}

/// Why a rule could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("egress rule {rule:?}: {issue}")]
pub struct EgressRuleError {
    /// The rule as written.
    pub rule: String,
    /// What is wrong with it.
    pub issue: String,
}

/// Longest host name (RFC 1035).
const MAX_HOST_LEN: usize = 253;

impl FromStr for EgressRule {
    type Err = EgressRuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |issue: String| EgressRuleError {
            rule: text.to_owned(),
            issue,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(fail("is empty".into()));
        }
        let (methods, target) = match trimmed.split_once(char::is_whitespace) {
            Some((methods, target)) => (parse_methods(methods).map_err(fail)?, target.trim()),
            None => (Vec::new(), trimmed),
        };
        let (scheme, authority) = match target.split_once("://") {
            Some((scheme, rest)) => {
                let scheme = match scheme.to_ascii_lowercase().as_str() {
                    "http" => Scheme::Http,
                    "https" => Scheme::Https,
                    "tcp" => Scheme::Tcp,
                    other => {
                        return Err(fail(format!("scheme {other:?} is not http, https or tcp")));
                    }
                };
                (Some(scheme), rest)
            }
            None => (None, target),
        };
        if authority.contains(['/', '?', '#', '@']) {
            return Err(fail(
                "names a path, query or user: a rule is only [METHODS ][SCHEME://]HOST[:PORT]"
                    .into(),
            ));
        }
        let (host, port) = split_host_port(authority).map_err(fail)?;
        let host = parse_host(host).map_err(fail)?;
        if scheme == Some(Scheme::Tcp) {
            if !methods.is_empty() {
                return Err(fail(
                    "a tcp rule takes no methods: write tcp://HOST:PORT alone".into(),
                ));
            }
            if port == Port::Default {
                return Err(fail(
                    "a tcp rule needs a port: tcp://HOST:PORT, or tcp://HOST:* for any".into(),
                ));
            }
        }
        Ok(EgressRule {
            methods,
            scheme,
            host,
            port,
        })
    }
}

fn parse_methods(text: &str) -> Result<Vec<String>, String> {
    let mut methods = Vec::new();
    for method in text.split(',') {
        let method = method.trim();
        if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!(
                "method {method:?} is not a word of letters (write e.g. GET,POST before the host)"
            ));
        }
        let method = method.to_ascii_uppercase();
        if !methods.contains(&method) {
            methods.push(method);
        }
    }
    Ok(methods)
}

fn split_host_port(authority: &str) -> Result<(&str, Port), String> {
    let parse_port = |port: &str| {
        if port == "*" {
            return Ok(Port::Any);
        }
        port.parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .map(Port::Exact)
            .ok_or_else(|| format!("port {port:?} is not a number from 1 to 65535, or *"))
    };
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| "an IPv6 address opened with [ is not closed with ]".to_owned())?;
        return match after {
            "" => Ok((host, Port::Default)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, parse_port(port)?)),
                None => Err(format!("unexpected {after:?} after the IPv6 address")),
            },
        };
    }
    match authority.rsplit_once(':') {
        Some((host, _)) if host.contains(':') => {
            Err("an IPv6 address must be written in brackets, e.g. [::1] or [::1]:8080".to_owned())
        }
        Some((host, port)) => Ok((host, parse_port(port)?)),
        None => Ok((authority, Port::Default)),
    }
}

fn parse_host(host: &str) -> Result<HostPattern, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(HostPattern::Ip(ip));
    }
    let host = host.to_ascii_lowercase();
    let (wildcard, name) = match host.strip_prefix("*.") {
        Some(domain) => (true, domain.to_owned()),
        None => (false, host),
    };
    check_name(&name)?;
    Ok(if wildcard {
        HostPattern::Subdomains(name)
    } else {
        HostPattern::Name(name)
    })
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("has no host".into());
    }
    if name.len() > MAX_HOST_LEN {
        return Err(format!(
            "host is {} characters, more than {MAX_HOST_LEN}",
            name.len()
        ));
    }
    for label in name.split('.') {
        let valid = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            let hint = if label.contains('*') {
                " (a wildcard is only allowed as the first label: *.example.com)"
            } else {
                ""
            };
            return Err(format!(
                "host {name:?} has an invalid label {label:?}{hint}"
            ));
        }
    }
    Ok(())
}

impl EgressRule {
    fn schemes(&self) -> &[Scheme] {
        match &self.scheme {
            Some(scheme) => std::slice::from_ref(scheme),
            None => &[Scheme::Http, Scheme::Https],
        }
    }

    /// Whether the rule allows `port` with `scheme`.
    fn allows_endpoint(&self, scheme: Scheme, port: u16) -> bool {
        self.schemes().contains(&scheme)
            && match self.port {
                Port::Default => Some(port) == scheme.default_port(),
                Port::Exact(p) => port == p,
                Port::Any => true,
            }
    }

    /// Whether every (scheme, port) this rule allows, `wider` allows too.
    fn endpoints_within(&self, wider: &EgressRule) -> bool {
        self.schemes().iter().all(|&scheme| match self.port {
            Port::Default => scheme
                .default_port()
                .is_some_and(|port| wider.allows_endpoint(scheme, port)),
            Port::Exact(p) => wider.allows_endpoint(scheme, p),
            Port::Any => wider.schemes().contains(&scheme) && wider.port == Port::Any,
        })
    }

    /// Whether `host` (lower case, without brackets) is one this rule names, whatever the
    /// scheme, port or method.
    pub fn host_matches(&self, host: &str) -> bool {
        match &self.host {
            HostPattern::Name(name) => name == host,
            HostPattern::Subdomains(domain) => host
                .strip_suffix(domain.as_str())
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.')),
            HostPattern::Ip(ip) => host.parse::<IpAddr>().is_ok_and(|h| h == *ip),
        }
    }

    /// Whether `request` is one this rule allows.
    pub fn matches(&self, request: &EgressRequest<'_>) -> bool {
        let method_ok = self.methods.is_empty() || self.methods.iter().any(|m| m == request.method);
        method_ok
            && self.allows_endpoint(request.scheme, request.port)
            && self.host_matches(request.host)
    }

    /// Whether every request this rule allows is also allowed by `wider`.
    pub fn covered_by(&self, wider: &EgressRule) -> bool {
        let methods_ok = wider.methods.is_empty()
            || (!self.methods.is_empty() && self.methods.iter().all(|m| wider.methods.contains(m)));
        let endpoints_ok = self.endpoints_within(wider);
        let host_ok = match &self.host {
            HostPattern::Name(name) => wider.host_matches(name),
            HostPattern::Ip(ip) => wider.host_matches(&ip.to_string()),
            HostPattern::Subdomains(domain) => match &wider.host {
                HostPattern::Subdomains(wide) => domain == wide || wider.host_matches(domain),
                _ => false,
            },
        };
        methods_ok && endpoints_ok && host_ok
    }
}

impl fmt::Display for EgressRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.methods.is_empty() {
            write!(f, "{} ", self.methods.join(","))?;
        }
        if let Some(scheme) = self.scheme {
            write!(f, "{}://", scheme.as_str())?;
        }
        match &self.host {
            HostPattern::Name(name) => f.write_str(name)?,
            HostPattern::Subdomains(domain) => write!(f, "*.{domain}")?,
            HostPattern::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]")?,
            HostPattern::Ip(IpAddr::V4(ip)) => write!(f, "{ip}")?,
        }
        match self.port {
            Port::Default => {}
            Port::Exact(port) => write!(f, ":{port}")?,
            Port::Any => f.write_str(":*")?,
        }
        Ok(())
    }
}

/// Parses every rule, reporting the first that fails.
pub fn parse_rules<S: AsRef<str>>(rules: &[S]) -> Result<Vec<EgressRule>, EgressRuleError> {
    rules.iter().map(|r| r.as_ref().parse()).collect()
}

/// The rules of `asked` that no rule of `allowed` covers.
pub fn not_covered<'a>(asked: &'a [EgressRule], allowed: &[EgressRule]) -> Vec<&'a EgressRule> {
    asked
        .iter()
        .filter(|rule| !allowed.iter().any(|wide| rule.covered_by(wide)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(text: &str) -> EgressRule {
        text.parse().unwrap()
    }

    fn req<'a>(method: &'a str, scheme: Scheme, host: &'a str, port: u16) -> EgressRequest<'a> {
        EgressRequest {
            method,
            scheme,
            host,
            port,
        }
    }

    #[test]
    fn parses_every_form_and_prints_it_back() {
        for text in [
            "example.com",
            "example.com:8080",
            "https://example.com",
            "http://127.0.0.1:9000",
            "*.example.com",
            "GET,HEAD https://*.example.com:8443",
            "[::1]:8080",
            "https://[2001:db8::1]",
            "http://127.0.0.1:*",
            "tcp://db.internal:5432",
            "tcp://[::1]:*",
        ] {
            assert_eq!(rule(text).to_string(), text);
        }
        assert_eq!(
            rule("get,Post HTTPS://Example.COM").to_string(),
            "GET,POST https://example.com"
        );
    }

    #[test]
    fn bad_rules_say_what_is_wrong() {
        let cases = [
            ("", "empty"),
            ("ftp://example.com", "scheme \"ftp\""),
            ("https://example.com/path", "path"),
            ("user@example.com", "user"),
            ("example.com:0", "port \"0\""),
            ("example.com:x", "or *"),
            ("example.com:99999", "port \"99999\""),
            ("::1", "brackets"),
            ("[::1", "not closed"),
            ("exa*mple.com", "invalid label"),
            ("foo.*.com", "wildcard"),
            ("G3T example.com", "method \"G3T\""),
            ("https://", "no host"),
            ("tcp://db.internal", "needs a port"),
            ("GET tcp://db.internal:5432", "no methods"),
        ];
        for (text, expected) in cases {
            let err = text.parse::<EgressRule>().unwrap_err().to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }

    #[test]
    fn matching_checks_method_scheme_host_and_port() {
        let r = rule("GET https://api.example.com");
        assert!(r.matches(&req("GET", Scheme::Https, "api.example.com", 443)));
        assert!(!r.matches(&req("POST", Scheme::Https, "api.example.com", 443)));
        assert!(!r.matches(&req("GET", Scheme::Http, "api.example.com", 80)));
        assert!(!r.matches(&req("GET", Scheme::Https, "api.example.com", 8443)));
        assert!(!r.matches(&req("GET", Scheme::Https, "evil.com", 443)));
        assert!(!r.matches(&req("GET", Scheme::Https, "api.example.com.evil.com", 443)));

        let any = rule("example.com");
        assert!(any.matches(&req("DELETE", Scheme::Http, "example.com", 80)));
        assert!(any.matches(&req("GET", Scheme::Https, "example.com", 443)));
        assert!(!any.matches(&req("GET", Scheme::Http, "example.com", 443)));

        let port = rule("example.com:8080");
        assert!(port.matches(&req("GET", Scheme::Http, "example.com", 8080)));
        assert!(port.matches(&req("GET", Scheme::Https, "example.com", 8080)));
        assert!(!port.matches(&req("GET", Scheme::Http, "example.com", 80)));

        let any_port = rule("http://127.0.0.1:*");
        assert!(any_port.matches(&req("GET", Scheme::Http, "127.0.0.1", 41234)));
        assert!(!any_port.matches(&req("GET", Scheme::Https, "127.0.0.1", 41234)));
    }

    #[test]
    fn wildcards_match_subdomains_only() {
        let r = rule("*.example.com");
        assert!(r.matches(&req("GET", Scheme::Https, "a.example.com", 443)));
        assert!(r.matches(&req("GET", Scheme::Https, "a.b.example.com", 443)));
        assert!(!r.matches(&req("GET", Scheme::Https, "example.com", 443)));
        assert!(!r.matches(&req("GET", Scheme::Https, "badexample.com", 443)));
        assert!(!r.matches(&req("GET", Scheme::Https, ".example.com", 443)));
    }

    #[test]
    fn addresses_match_in_any_spelling() {
        let r = rule("[::1]:8080");
        assert!(r.matches(&req("GET", Scheme::Http, "::1", 8080)));
        assert!(r.matches(&req("GET", Scheme::Http, "0:0:0:0:0:0:0:1", 8080)));
        assert!(!r.matches(&req("GET", Scheme::Http, "127.0.0.1", 8080)));
    }

    #[test]
    fn coverage_is_containment() {
        let wide = rule("*.example.com");
        assert!(rule("api.example.com").covered_by(&wide));
        assert!(rule("GET https://api.example.com").covered_by(&wide));
        assert!(rule("*.api.example.com").covered_by(&wide));
        assert!(rule("*.example.com").covered_by(&wide));
        assert!(!rule("example.com").covered_by(&wide));
        assert!(!rule("api.example.com:8080").covered_by(&wide));

        let get_only = rule("GET example.com");
        assert!(!rule("example.com").covered_by(&get_only));
        assert!(rule("GET https://example.com").covered_by(&get_only));
        assert!(!rule("POST https://example.com").covered_by(&get_only));

        let https_only = rule("https://example.com");
        assert!(!rule("example.com").covered_by(&https_only));
        assert!(rule("https://example.com:443").covered_by(&https_only));

        let any_port = rule("example.com:*");
        assert!(rule("example.com").covered_by(&any_port));
        assert!(rule("https://example.com:8443").covered_by(&any_port));
        assert!(!any_port.covered_by(&rule("example.com:8443")));
        assert!(!any_port.covered_by(&rule("example.com")));
    }

    #[test]
    fn tcp_rules_and_http_rules_never_stand_for_each_other() {
        let db = rule("tcp://db.internal:5432");
        assert!(db.matches(&req("", Scheme::Tcp, "db.internal", 5432)));
        assert!(!db.matches(&req("", Scheme::Tcp, "db.internal", 5433)));
        assert!(!db.matches(&req("", Scheme::Tcp, "other.internal", 5432)));
        assert!(!db.matches(&req("GET", Scheme::Http, "db.internal", 5432)));

        let http = rule("db.internal:*");
        assert!(!http.matches(&req("", Scheme::Tcp, "db.internal", 5432)));
        assert!(!db.covered_by(&http), "an HTTP rule does not open raw TCP");
        assert!(!http.covered_by(&db));

        let any_port = rule("tcp://*.internal:*");
        assert!(db.covered_by(&any_port));
        assert!(!any_port.covered_by(&db));
        assert!(!rule("db.internal:5432").covered_by(&any_port));
    }

    #[test]
    fn not_covered_names_the_rules_outside() {
        let asked =
            parse_rules(&["a.example.com", "b.other.org", "https://c.example.com"]).unwrap();
        let allowed = parse_rules(&["*.example.com"]).unwrap();
        let outside: Vec<String> = not_covered(&asked, &allowed)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(outside, ["b.other.org"]);
    }
}
