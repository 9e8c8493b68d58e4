//! Weft example DAG `hello`: `t1 >> [t2, t3] >> t4`.
//!
//! `t1` greets the name given in the run's conf (`{"name": "ada"}`, "world" by default).
//! `t2` reads the greeting as its direct upstream output and shouts it; `t3` pulls it through
//! XCom, counts its words and pushes the letter count under the key `letters`. `t4` pulls both
//! results and `t3`'s keyed value, and returns them together.

use serde::{Deserialize, Serialize};
use weft_sdk::prelude::*;

/// The run conf this DAG understands.
#[derive(Debug, Default, Deserialize)]
struct Conf {
    /// Who to greet.
    name: Option<String>,
}

/// What `t1` returns.
#[derive(Debug, Serialize, Deserialize)]
struct Greeting {
    name: String,
    greeting: String,
}

/// The DAG: one task greets, two transform the greeting, one gathers.
fn dag() -> Dag {
    let dag = Dag::new("hello")
        .description("Greets, fans out, gathers")
        .schedule("@daily")
        .start_date("2024-01-01")
        .catchup(false)
        .tags(["example"])
        .default_retries(1);
    let t1 = dag.task("t1", t1);
    let t2 = dag
        .task("t2", t2)
        .retries(2)
        .retry_delay(Duration::from_secs(5));
    let t3 = dag.task("t3", t3).queue("default");
    let t4 = dag.task("t4", t4).trigger_rule(TriggerRule::AllDone);
    let _ = t1 >> [t2, t3] >> t4;
    dag
}

fn t1(ctx: &Context) -> TaskResult<Greeting> {
    let conf: Conf = ctx.conf()?;
    let name = conf.name.unwrap_or_else(|| "world".to_owned());
    debug!("conf: {}", ctx.conf_value());
    info!(
        "run {} (attempt {} of {}) greets {name}",
        ctx.run_id(),
        ctx.try_number(),
        ctx.max_tries()
    );
    Ok(Greeting {
        greeting: format!("Hello, {name}!"),
        name,
    })
}

fn t2(ctx: &Context) -> TaskResult<Value> {
    let greeting: Greeting = ctx
        .upstream("t1")?
        .ok_or_else(|| TaskError::permanent("t1 handed over no greeting"))?;
    let shouted = greeting.greeting.to_uppercase();
    info!("shouting {shouted:?}");
    Ok(json!({ "shouted": shouted }))
}

fn t3(ctx: &Context) -> TaskResult<Value> {
    let greeting: Greeting = ctx
        .xcom_pull("t1")?
        .ok_or_else(|| TaskError::permanent("t1 left no greeting in XCom"))?;
    let words = greeting.greeting.split_whitespace().count();
    let letters = greeting
        .greeting
        .chars()
        .filter(|c| c.is_alphabetic())
        .count();
    ctx.xcom_push("letters", &letters)?;
    trace!("pushed letters={letters}");
    info!("{words} words, {letters} letters");
    Ok(json!({ "words": words }))
}

fn t4(ctx: &Context) -> TaskResult<Value> {
    let shouted: Option<Value> = ctx.xcom_pull("t2")?;
    let counted: Option<Value> = ctx.xcom_pull("t3")?;
    let letters: Option<u64> = ctx.xcom_pull_key("t3", "letters")?;
    if shouted.is_none() || counted.is_none() {
        warn!("an upstream task left no output; reporting what there is");
    }
    if letters.is_none() {
        error!("t3 pushed no `letters` value");
    }
    info!("gathered the results of t2 and t3");
    Ok(json!({
        "dag": ctx.dag_id(),
        "run": ctx.run_id(),
        "shouted": shouted.and_then(|v| v.get("shouted").cloned()),
        "words": counted.and_then(|v| v.get("words").cloned()),
        "letters": letters,
    }))
}

weft_sdk::export_dag!(dag);
