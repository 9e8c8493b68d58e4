//! `wfctl tenants ...`: the installation administrator's tenants.

use clap::{Args as ClapArgs, Subcommand};
use serde_json::{Map, Value, json};
use weft_model::quotas::Quota;

use crate::client::{Client, ServerArgs, segment};
use crate::commands::tenant_sandbox::{SandboxArgs, sandbox_words};
use crate::commands::tokens::{NewTokenArgs, print_created};
use crate::exit::CommandResult;
use crate::output::{self, Format};

/// Manage tenants (needs the installation administrator's token).
#[derive(Debug, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: TenantsCommand,
    #[command(flatten)]
    server: ServerArgs,
    /// Output format: `json` prints the server's JSON.
    #[arg(long, value_enum, default_value_t, global = true)]
    output: Format,
}

#[derive(Debug, Subcommand)]
enum TenantsCommand {
    /// Make a tenant (with its default pool).
    Create {
        /// Its name: lowercase letters, digits, `-` and `_`.
        name: String,
        /// What it is for.
        #[arg(long, default_value = "")]
        description: String,
        /// Its weight in the scheduler's fair sharing of slots (1 to 1000): a tenant of
        /// weight 3 gets three slots for each one of a tenant of weight 1 while both wait.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
        weight: u32,
        #[command(flatten)]
        quotas: QuotaArgs,
        #[command(flatten)]
        sandbox: SandboxArgs,
    },
    /// Set some of a tenant's quotas (each limit given, a number or `none`; the others stay).
    Quotas {
        /// The tenant.
        name: String,
        #[command(flatten)]
        quotas: QuotaArgs,
    },
    /// Set some of a tenant's sandbox policy: its egress rules within the operator's, and the
    /// defaults and ceilings of its tasks' timeout, memory and fuel (each given, a value or
    /// `none`; the others stay). With no setting, prints it.
    Sandbox {
        /// The tenant.
        name: String,
        #[command(flatten)]
        sandbox: SandboxArgs,
    },
    /// Set a tenant's weight in the scheduler's fair sharing of slots (1 to 1000).
    Weight {
        /// The tenant.
        name: String,
        /// Its new weight.
        #[arg(value_parser = clap::value_parser!(u32).range(1..=1000))]
        weight: u32,
    },
    /// List the tenants.
    List,
    /// Delete a tenant that has no DAGs, with its tokens, variables, pools, connections and
    /// secrets.
    Delete {
        /// Its name.
        name: String,
    },
    /// Make a token of a tenant (its first admin's, say); printed once.
    Token {
        /// The tenant.
        tenant: String,
        #[command(flatten)]
        new: NewTokenArgs,
    },
}

/// Run the subcommand.
pub fn run(args: Args) -> CommandResult {
    let client = crate::client::connect(&args.server)?;
    let json_output = args.output == Format::Json;
    match args.command {
        TenantsCommand::Create {
            name,
            description,
            weight,
            quotas,
            sandbox,
        } => {
            let mut limits = Map::new();
            quotas.apply(&mut limits);
            let mut body = json!({ "name": name, "description": description, "weight": weight,
                                   "quotas": limits });
            if sandbox.any() {
                let mut policy = Map::new();
                sandbox.apply(&mut policy);
                body["sandbox"] = Value::Object(policy);
            }
            let tenant = client.post::<_, Value>("/tenants", &body)?;
            if json_output {
                output::print_json(&tenant);
            } else {
                println!("tenant {name} created");
            }
        }
        TenantsCommand::List => {
            let list = client.get::<Value>("/tenants")?;
            if json_output {
                output::print_json(&list);
            } else {
                print_list(&list);
            }
        }
        TenantsCommand::Weight { name, weight } => {
            let tenant = client.put::<_, Value>(
                &format!("/tenants/{}/weight", segment(&name)),
                &json!({ "weight": weight }),
            )?;
            if json_output {
                output::print_json(&tenant);
            } else {
                println!("tenant {name} has weight {weight}");
            }
        }
        TenantsCommand::Sandbox { name, sandbox } => {
            let current = current(&client, &name)?;
            let tenant = if sandbox.any() {
                let mut policy = current["sandbox"].as_object().cloned().unwrap_or_default();
                sandbox.apply(&mut policy);
                client.put::<_, Value>(
                    &format!("/tenants/{}/sandbox", segment(&name)),
                    &Value::Object(policy),
                )?
            } else {
                current
            };
            if json_output {
                output::print_json(&tenant);
            } else {
                println!("tenant {name}: {}", sandbox_words(&tenant["sandbox"]));
            }
        }
        TenantsCommand::Quotas { name, quotas } => {
            let current = current(&client, &name)?;
            let mut limits = current["quotas"].as_object().cloned().unwrap_or_default();
            quotas.apply(&mut limits);
            let tenant = client.put::<_, Value>(
                &format!("/tenants/{}/quotas", segment(&name)),
                &Value::Object(limits),
            )?;
            if json_output {
                output::print_json(&tenant);
            } else {
                println!("tenant {name}: {}", quota_words(&tenant["quotas"]));
            }
        }
        TenantsCommand::Delete { name } => {
            client.delete::<Value>(&format!("/tenants/{}", segment(&name)))?;
            if json_output {
                output::print_json(&json!({ "deleted": name }));
            } else {
                println!("tenant {name} deleted");
            }
        }
        TenantsCommand::Token { tenant, new } => {
            let created = client.create_tenant_token(&tenant, &new.body())?;
            print_created(&created, json_output);
        }
    }
    Ok(())
}

/// Tenant `name` as the server lists it.
fn current(client: &Client, name: &str) -> Result<Value, crate::exit::Failure> {
    let mut list = client.get::<Value>("/tenants")?;
    list["tenants"]
        .as_array_mut()
        .and_then(|all| all.iter_mut().find(|t| t["name"] == name))
        .map(Value::take)
        .ok_or_else(|| crate::exit::Failure::usage(format!("no tenant {name}")))
}

fn print_list(list: &Value) {
    let tenants = list["tenants"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    for t in tenants {
        let name = t["name"].as_str().unwrap_or("?");
        let weight = t["weight"].as_u64().unwrap_or(1);
        let quotas = quota_words(&t["quotas"]);
        let sandbox = sandbox_words(&t["sandbox"]);
        match t["description"].as_str().filter(|d| !d.is_empty()) {
            Some(description) => {
                println!("{name}  weight {weight}  {quotas}  {sandbox}  # {description}");
            }
            None => println!("{name}  weight {weight}  {quotas}  {sandbox}"),
        }
    }
}

/// A tenant's quotas in words: `name=limit` for each one set, or `no quotas`.
fn quota_words(quotas: &Value) -> String {
    let set: Vec<String> = Quota::ALL
        .iter()
        .map(|q| q.as_str())
        .chain(["api_burst"])
        .filter_map(|name| Some(format!("{name}={}", quotas.get(name)?.as_u64()?)))
        .collect();
    if set.is_empty() {
        "no quotas".to_owned()
    } else {
        set.join(" ")
    }
}

/// A tenant's quotas as flags: each given one is a number, or `none` for no limit.
#[derive(Debug, ClapArgs)]
struct QuotaArgs {
    /// Task instances queued or running at once; ready tasks beyond it wait.
    #[arg(long, value_name = "N|none", value_parser = limit)]
    max_running_tasks: Option<Limit>,
    /// Runs running at once across the tenant's DAGs; runs beyond it stay queued.
    #[arg(long, value_name = "N|none", value_parser = limit)]
    max_active_runs: Option<Limit>,
    /// Task instances waiting to run; a trigger past it is refused (429).
    #[arg(long, value_name = "N|none", value_parser = limit)]
    max_queued_tasks: Option<Limit>,
    /// Bytes of one component; a larger deploy is refused (413).
    #[arg(long, value_name = "N|none", value_parser = limit)]
    max_component_bytes: Option<Limit>,
    /// Components stored; a deploy of a new one past it is refused (409).
    #[arg(long, value_name = "N|none", value_parser = limit)]
    max_components: Option<Limit>,
    /// User API requests a second on each API server; past it, 429 with `Retry-After`.
    #[arg(long, value_name = "N|none", value_parser = limit)]
    api_requests_per_second: Option<Limit>,
    /// API requests at once before the rate applies (the rate, if not set).
    #[arg(long, value_name = "N|none", value_parser = limit)]
    api_burst: Option<Limit>,
}

impl QuotaArgs {
    /// Set each quota given in `limits` (a JSON object of the API's `quotas`), removing
    /// those given as `none`.
    fn apply(&self, limits: &mut Map<String, Value>) {
        let given = [
            ("max_running_tasks", self.max_running_tasks),
            ("max_active_runs", self.max_active_runs),
            ("max_queued_tasks", self.max_queued_tasks),
            ("max_component_bytes", self.max_component_bytes),
            ("max_components", self.max_components),
            ("api_requests_per_second", self.api_requests_per_second),
            ("api_burst", self.api_burst),
        ];
        for (name, value) in given {
            match value.map(|Limit(n)| n) {
                Some(Some(n)) => {
                    limits.insert(name.to_owned(), n.into());
                }
                Some(None) => {
                    limits.remove(name);
                }
                None => {}
            }
        }
        // A burst is a burst of a rate: no rate, no burst.
        if self.api_requests_per_second == Some(Limit(None)) && self.api_burst.is_none() {
            limits.remove("api_burst");
        }
        limits.retain(|_, v| !v.is_null());
    }
}

/// A limit on the command line: a whole number (or a duration or size, in the API's unit),
/// or `none` (no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit(pub(crate) Option<u64>);

/// Parse a [`Limit`].
pub(crate) fn limit(s: &str) -> Result<Limit, String> {
    if s == "none" {
        return Ok(Limit(None));
    }
    s.parse()
        .map(|n| Limit(Some(n)))
        .map_err(|_| format!("{s:?} is neither a whole number nor `none`"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Flags {
        #[command(flatten)]
        quotas: QuotaArgs,
    }

    #[test]
    fn quota_flags_set_clear_and_leave_limits() {
        let flags =
            Flags::try_parse_from(["wfctl", "--max-running-tasks", "10", "--api-burst", "none"])
                .unwrap();
        let mut limits = json!({"api_burst": 5, "max_components": 3, "max_active_runs": null});
        let limits = limits.as_object_mut().unwrap();
        flags.quotas.apply(limits);
        assert_eq!(
            Value::Object(limits.clone()),
            json!({"max_running_tasks": 10, "max_components": 3})
        );
        assert_eq!(
            quota_words(&Value::Object(limits.clone())),
            "max_running_tasks=10 max_components=3"
        );
        assert_eq!(quota_words(&json!({})), "no quotas");
        // No rate, no burst: clearing the rate clears its burst, unless a burst is given.
        let flags = Flags::try_parse_from(["wfctl", "--api-requests-per-second", "none"]).unwrap();
        let mut limits = json!({"api_requests_per_second": 5, "api_burst": 9});
        let limits = limits.as_object_mut().unwrap();
        flags.quotas.apply(limits);
        assert!(limits.is_empty(), "{limits:?}");
    }

    #[test]
    fn a_limit_is_a_whole_number_or_none() {
        assert_eq!(limit("none"), Ok(Limit(None)));
        assert_eq!(limit("7"), Ok(Limit(Some(7))));
        for bad in ["-1", "1.5", "lots", ""] {
            let error = limit(bad).unwrap_err();
            assert!(
                error.contains("neither a whole number nor `none`"),
                "{bad}: {error}"
            );
        }
        let error = Flags::try_parse_from(["wfctl", "--max-queued-tasks", "many"]).unwrap_err();
        assert!(error.to_string().contains("--max-queued-tasks"), "{error}");
    }
}
