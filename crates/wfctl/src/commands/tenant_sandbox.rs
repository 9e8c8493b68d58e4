//! A tenant's sandbox policy on the command line (`wfctl tenants sandbox`, and `tenants
//! create`): its egress rules, and the defaults and ceilings of its tasks' timeout, memory
//! and fuel, each given as a value or `none`.

use std::time::Duration;

use clap::Args as ClapArgs;
use serde_json::{Map, Value};
use weft_model::units::{format_duration, format_size, parse_duration, parse_size};

use super::tenants::{Limit, limit};

/// A tenant's sandbox policy as flags; a setting not given stays as it is.
#[derive(Debug, Clone, Default, ClapArgs)]
pub(crate) struct SandboxArgs {
    /// An egress rule the tenant's tasks may use, within the operator's (repeat it; the
    /// tenant's rules become those given): `https://*.example.com`, `tcp://db:5432`.
    #[arg(long = "egress-allow", value_name = "RULE", conflicts_with_all = ["no_egress", "egress_inherit"])]
    egress_allow: Vec<String>,
    /// The tenant's tasks may reach nowhere, whatever the operator allows.
    #[arg(long, conflicts_with = "egress_inherit")]
    no_egress: bool,
    /// The tenant has no egress rules of its own: the operator's policy alone.
    #[arg(long)]
    egress_inherit: bool,
    /// Wall-clock limit of an attempt whose task sets none (`30m`, `none`).
    #[arg(long, value_name = "DURATION|none", value_parser = duration)]
    default_timeout: Option<Limit>,
    /// Longest wall-clock limit an attempt may have; a DAG asking for more is refused.
    #[arg(long, value_name = "DURATION|none", value_parser = duration)]
    max_timeout: Option<Limit>,
    /// Linear memory of an attempt whose task asks for none (`256MiB`, `none`).
    #[arg(long, value_name = "SIZE|none", value_parser = size)]
    default_memory: Option<Limit>,
    /// Most linear memory an attempt may have; a DAG asking for more is refused.
    #[arg(long, value_name = "SIZE|none", value_parser = size)]
    max_memory: Option<Limit>,
    /// CPU budget of an attempt whose task sets none, in fuel units (about one per
    /// WebAssembly instruction).
    #[arg(long, value_name = "N|none", value_parser = limit)]
    default_fuel: Option<Limit>,
    /// Largest CPU budget an attempt may have, in fuel units; a DAG asking for more is
    /// refused.
    #[arg(long, value_name = "N|none", value_parser = limit)]
    max_fuel: Option<Limit>,
}

impl SandboxArgs {
    /// Whether any setting is given.
    pub(crate) fn any(&self) -> bool {
        !self.egress_allow.is_empty()
            || self.no_egress
            || self.egress_inherit
            || self.settings().iter().any(|(_, s)| s.is_some())
    }

    fn settings(&self) -> [(&'static str, Option<Limit>); 6] {
        [
            ("default_timeout_ms", self.default_timeout),
            ("max_timeout_ms", self.max_timeout),
            ("default_memory_bytes", self.default_memory),
            ("max_memory_bytes", self.max_memory),
            ("default_fuel", self.default_fuel),
            ("max_fuel", self.max_fuel),
        ]
    }

    /// Apply the settings given to `policy` (a JSON object of the API's `sandbox`): each
    /// value is set, each `none` removed, the others left.
    pub(crate) fn apply(&self, policy: &mut Map<String, Value>) {
        for (name, setting) in self.settings() {
            match setting {
                Some(Limit(Some(n))) => {
                    policy.insert(name.to_owned(), n.into());
                }
                Some(Limit(None)) => {
                    policy.remove(name);
                }
                None => {}
            }
        }
        if !self.egress_allow.is_empty() {
            policy.insert("egress_allow".into(), self.egress_allow.clone().into());
        } else if self.no_egress {
            policy.insert("egress_allow".into(), Value::Array(Vec::new()));
        } else if self.egress_inherit {
            policy.remove("egress_allow");
        }
        policy.retain(|_, v| !v.is_null());
    }
}

/// How one setting is shown.
type Show = fn(u64) -> String;

/// A tenant's sandbox policy in words, as `wfctl tenants` prints it.
pub(crate) fn sandbox_words(policy: &Value) -> String {
    let mut words = Vec::new();
    match policy.get("egress_allow").and_then(Value::as_array) {
        Some(rules) if rules.is_empty() => words.push("egress=none".to_owned()),
        Some(rules) => {
            let rules: Vec<&str> = rules.iter().filter_map(Value::as_str).collect();
            words.push(format!("egress={}", rules.join(",")));
        }
        None => {}
    }
    // `1h30m`, not `1h 30m`: one word each.
    let millis = |v: u64| format_duration(Duration::from_millis(v)).replace(' ', "");
    let shown: [(&str, &str, Show); 6] = [
        ("default_timeout_ms", "default_timeout", millis),
        ("max_timeout_ms", "max_timeout", millis),
        ("default_memory_bytes", "default_memory", format_size),
        ("max_memory_bytes", "max_memory", format_size),
        ("default_fuel", "default_fuel", |n| n.to_string()),
        ("max_fuel", "max_fuel", |n| n.to_string()),
    ];
    for (field, name, show) in shown {
        if let Some(v) = policy.get(field).and_then(Value::as_u64) {
            words.push(format!("{name}={}", show(v)));
        }
    }
    if words.is_empty() {
        "no sandbox policy".to_owned()
    } else {
        words.join(" ")
    }
}

fn duration(s: &str) -> Result<Limit, String> {
    if s == "none" {
        return Ok(Limit(None));
    }
    let d = parse_duration(s).map_err(|e| format!("{e} (or `none`)"))?;
    let ms = u64::try_from(d.as_millis()).map_err(|_| format!("{s:?} is too long"))?;
    if ms == 0 {
        return Err(format!("{s:?} is under a millisecond"));
    }
    Ok(Limit(Some(ms)))
}

fn size(s: &str) -> Result<Limit, String> {
    if s == "none" {
        return Ok(Limit(None));
    }
    parse_size(s)
        .map(|n| Limit(Some(n)))
        .map_err(|e| format!("{e} (or `none`)"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::Parser;
    use serde_json::json;

    use super::*;

    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        sandbox: SandboxArgs,
    }

    fn applied(args: &[&str], current: Value) -> Value {
        let flags =
            Flags::try_parse_from(std::iter::once("wfctl").chain(args.iter().copied())).unwrap();
        let mut policy = current.as_object().cloned().unwrap();
        flags.sandbox.apply(&mut policy);
        Value::Object(policy)
    }

    #[test]
    fn flags_set_clear_and_leave_settings() {
        let policy = applied(
            &[
                "--max-memory",
                "512MiB",
                "--default-timeout",
                "90s",
                "--max-fuel",
                "none",
                "--egress-allow",
                "https://*.example.com",
                "--egress-allow",
                "tcp://db:5432",
            ],
            json!({"max_fuel": 9, "default_fuel": 3}),
        );
        assert_eq!(
            policy,
            json!({"max_memory_bytes": 536_870_912, "default_timeout_ms": 90_000,
                   "default_fuel": 3,
                   "egress_allow": ["https://*.example.com", "tcp://db:5432"]})
        );
        assert_eq!(
            sandbox_words(&policy),
            "egress=https://*.example.com,tcp://db:5432 default_timeout=1m30s \
             max_memory=512MiB default_fuel=3"
        );
        let nowhere = applied(&["--no-egress"], policy.clone());
        assert_eq!(nowhere["egress_allow"], json!([]));
        assert!(sandbox_words(&nowhere).starts_with("egress=none "));
        let inherit = applied(&["--egress-inherit"], nowhere);
        assert!(inherit.get("egress_allow").is_none());
        assert_eq!(sandbox_words(&json!({})), "no sandbox policy");
        assert!(!Flags::try_parse_from(["wfctl"]).unwrap().sandbox.any());
        assert!(
            Flags::try_parse_from(["wfctl", "--no-egress"])
                .unwrap()
                .sandbox
                .any()
        );
    }

    #[test]
    fn bad_values_and_clashing_flags_are_refused_by_name() {
        for (flag, bad) in [
            ("--max-timeout", "soon"),
            ("--default-timeout", "0s"),
            ("--max-memory", "lots"),
            ("--default-fuel", "1.5"),
        ] {
            let error = Flags::try_parse_from(["wfctl", flag, bad]).unwrap_err();
            assert!(error.to_string().contains(flag), "{flag}: {error}");
        }
        let error = Flags::try_parse_from(["wfctl", "--no-egress", "--egress-allow", "a.example"])
            .unwrap_err();
        assert!(error.to_string().contains("--no-egress"), "{error}");
    }
}
