//! The `{{dag_id}}` DAG: `hello` greets, then `call_api` asks an HTTP API found through a
//! connection. Build, test and deploy it with wfctl (see README.md).

use serde::{Deserialize, Serialize};
use weft_sdk::prelude::*;
use weft_sdk::{AccessError, http};

/// The connection `call_api` reads: `conn_type` http, `host` the API's base URL, and
/// `password`, when set, sent as a bearer token.
const API_CONNECTION: &str = "api_default";

/// Where `call_api` may send requests, fixed when the component is built: rules are
/// `[METHODS ][SCHEME://]HOST[:PORT|:*]`. The operator must allow them too.
const API_EGRESS: &[&str] = &["GET https://api.example.com"];

/// The run conf this DAG understands.
#[derive(Debug, Default, Deserialize)]
struct Conf {
    /// Who to greet.
    name: Option<String>,
    /// What to ask the API for.
    path: Option<String>,
}

/// What `hello` returns.
#[derive(Debug, Serialize, Deserialize)]
struct Greeting {
    greeting: String,
}

fn dag() -> Dag {
    let dag = Dag::new("{{dag_id}}")
        .description("Greets, then calls an HTTP API through a connection.")
        .tags(["{{dag_id}}"])
        .default_retries(2);
    let hello = dag.task("hello", hello);
    let call_api = API_EGRESS
        .iter()
        .fold(dag.task("call_api", call_api).connection(API_CONNECTION), |task, rule| {
            task.allow_egress(*rule)
        });
    let _ = hello >> call_api;
    dag
}

/// Greet the run's `name` (default `world`).
fn hello(ctx: &Context) -> TaskResult<Greeting> {
    let conf: Conf = ctx.conf()?;
    let name = conf.name.unwrap_or_else(|| "world".to_owned());
    info!("greeting {name}");
    Ok(Greeting { greeting: format!("hello, {name}") })
}

/// GET the run's `path` (default `/`) from the API of connection `api_default`.
fn call_api(ctx: &Context) -> TaskResult<Value> {
    let greeting: Greeting = ctx
        .upstream("hello")?
        .ok_or_else(|| TaskError::permanent("hello handed over no greeting"))?;
    let api = match ctx.connection(API_CONNECTION) {
        Ok(api) => api,
        Err(AccessError::NotFound(detail)) => {
            return Err(TaskError::skip(format!("no connection `{API_CONNECTION}` to call: {detail}")));
        }
        Err(other) => return Err(other.into_task_error()),
    };
    let conf: Conf = ctx.conf()?;
    let url = format!("{}{}", base_url(&api), conf.path.as_deref().unwrap_or("/"));
    let mut request = http::get(&url);
    if let Some(token) = &api.password {
        request = request.header("authorization", &format!("Bearer {token}"));
    }
    let response = request.send().map_err(|e| e.into_task_error())?;
    let status = response.status();
    let body = response.text().map_err(|e| e.into_task_error())?;
    info!("GET {url} answered {status}");
    if status >= 400 {
        return Err(TaskError::retryable(format!("GET {url} answered {status}")));
    }
    Ok(json!({
        "greeting": greeting.greeting,
        "status": status,
        "body": body.chars().take(200).collect::<String>(),
    }))
}

/// The URL of an HTTP API, as Airflow's `HttpHook` makes it: `host` when it holds a scheme,
/// else `SCHEMA://HOST[:PORT]` with `schema` defaulting to `http`.
fn base_url(api: &weft_sdk::Connection) -> String {
    let host = api.host.as_deref().unwrap_or_default().trim_end_matches('/');
    if host.contains("://") {
        return host.to_owned();
    }
    let scheme = api.schema.as_deref().unwrap_or("http");
    match api.port {
        Some(port) => format!("{scheme}://{host}:{port}"),
        None => format!("{scheme}://{host}"),
    }
}

weft_sdk::export_dag!(dag);
