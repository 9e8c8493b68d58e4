//! The egress figures, in process with no services: what one outgoing HTTP request costs a
//! task (`wasi:http` under the egress policy) beyond what the same request costs the host.
//!
//! The `egress_probe` guest's task `probe` sends K GETs to a [`FixedServer`] on loopback, and
//! the same task sends none; the task's cost per request is the difference of the two
//! medians over K. The host then sends K GETs the way the runtime sends them — a fresh TCP
//! connection each, hyper's HTTP/1.1 client on a multi-threaded tokio runtime, the whole
//! body read — and its cost per request is the median round over K. The overhead is the
//! task's cost minus the host's.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use weft_runtime::{
    AllowedEgress, DagComponent, EgressPolicy, Runtime, RuntimeConfig, TaskContext, TaskOutcome,
    TaskRequest,
};

use crate::error::BenchError;
use crate::figure::{Figure, Figures, IN_PROCESS, Stat, Unit};
use crate::figures::{EgressFigures, Outcome};
use crate::goals;
use crate::http_server::{BODY, FixedServer};
use crate::stats::{Summary, median};

/// What the operator allows: GETs to loopback, which is not public and so needs its range.
const ALLOW: &str = "GET http://127.0.0.1:*";
/// The range of the loopback server.
const ALLOW_NET: &str = "127.0.0.0/8";

/// Measure `rounds` runs of the task with `requests` GETs and with none (after one of each
/// to warm up), then `rounds` rounds of `requests` GETs from the host.
pub fn measure(requests: usize, rounds: usize) -> Result<EgressFigures, BenchError> {
    if requests == 0 || rounds == 0 {
        return Err(BenchError::Egress(
            "requests and rounds must be at least 1".to_owned(),
        ));
    }
    let server = FixedServer::start()?;
    let url = format!("http://{}/x", server.addr());
    let runtime = Runtime::new(RuntimeConfig {
        egress: policy()?,
        ..RuntimeConfig::default()
    })
    .map_err(egress)?;
    let path = weft_test_guests_artifacts::EGRESS_PROBE;
    let bytes = std::fs::read(path).map_err(|e| BenchError::io(path, e))?;
    let component = runtime.load(&bytes).map_err(egress)?;
    let probe = Probe {
        runtime: &runtime,
        component: &component,
        url: &url,
    };
    probe.run_ms(requests)?;
    probe.run_ms(0)?;
    let mut with = Vec::with_capacity(rounds);
    let mut without = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        with.push(probe.run_ms(requests)?);
        without.push(probe.run_ms(0)?);
    }
    let host = host_rounds_ms(server.addr(), requests, rounds)?;
    figures(requests, &with, &without, &host)
}

/// The figures of the samples (all in ms).
pub fn figures(
    requests: usize,
    with_ms: &[f64],
    without_ms: &[f64],
    host_ms: &[f64],
) -> Result<EgressFigures, BenchError> {
    let none = || BenchError::Egress("no run was measured".to_owned());
    let task_per_request_us =
        task_per_request_us(with_ms, without_ms, requests).ok_or_else(none)?;
    let host_per_request_us = host_per_request_us(host_ms, requests).ok_or_else(none)?;
    Ok(EgressFigures {
        requests,
        response_bytes: BODY.len(),
        task_with_requests_ms: Summary::of(with_ms).ok_or_else(none)?,
        task_without_requests_ms: Summary::of(without_ms).ok_or_else(none)?,
        host_rounds_ms: Summary::of(host_ms).ok_or_else(none)?,
        task_per_request_us,
        host_per_request_us,
        overhead_per_request_us: task_per_request_us - host_per_request_us,
    })
}

/// A task's cost per request, in µs, from run times in ms with `requests` requests and with
/// none: (median with − median without) / `requests`.
pub fn task_per_request_us(with_ms: &[f64], without_ms: &[f64], requests: usize) -> Option<f64> {
    if requests == 0 {
        return None;
    }
    Some((median(with_ms)? - median(without_ms)?) * 1e3 / requests as f64)
}

/// The host's cost per request, in µs, from rounds of `requests` requests in ms: the median
/// round / `requests`.
pub fn host_per_request_us(rounds_ms: &[f64], requests: usize) -> Option<f64> {
    if requests == 0 {
        return None;
    }
    Some(median(rounds_ms)? * 1e3 / requests as f64)
}

fn policy() -> Result<EgressPolicy, BenchError> {
    let rule = ALLOW
        .parse()
        .map_err(|e| BenchError::Egress(format!("rule {ALLOW:?}: {e}")))?;
    let net = ALLOW_NET
        .parse()
        .map_err(|e| BenchError::Egress(format!("range {ALLOW_NET:?}: {e}")))?;
    Ok(EgressPolicy {
        allowed: AllowedEgress {
            rules: vec![rule],
            nets: vec![net],
        },
        ..EgressPolicy::default()
    })
}

fn egress(e: impl std::fmt::Display) -> BenchError {
    BenchError::Egress(e.to_string())
}

/// The `probe` task of `egress_probe`, sending its GETs to one URL.
struct Probe<'a> {
    runtime: &'a Runtime,
    component: &'a Arc<DagComponent>,
    url: &'a str,
}

impl Probe<'_> {
    /// Run the task with `requests` GETs; its time in ms, once every answer is checked.
    fn run_ms(&self, requests: usize) -> Result<f64, BenchError> {
        let get = json!({"method": "GET", "url": self.url});
        let mut context = TaskContext::local("egress_probe", "probe", 1, 1);
        context.conf = json!({ "requests": vec![get; requests] }).to_string();
        let request = TaskRequest::local(context);
        let started = Instant::now();
        let report = self.runtime.run_task(self.component, request);
        let ms = started.elapsed().as_secs_f64() * 1e3;
        let TaskOutcome::Success(output) = &report.outcome else {
            return Err(BenchError::Egress(format!(
                "the probe task did not succeed: {:?}",
                report.outcome
            )));
        };
        check_answers(output, requests)?;
        Ok(ms)
    }
}

/// An error unless the probe's output shows `requests` answers of 200 with [`BODY`].
fn check_answers(output: &[u8], requests: usize) -> Result<(), BenchError> {
    let output: Value = serde_json::from_slice(output)
        .map_err(|e| BenchError::Egress(format!("the probe's output is not JSON: {e}")))?;
    let answers = output["responses"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if answers.len() != requests {
        return Err(BenchError::Egress(format!(
            "the probe reports {} answers to {requests} requests",
            answers.len()
        )));
    }
    match answers
        .iter()
        .find(|a| a["status"] != 200 || a["bytes"] != BODY.len())
    {
        Some(bad) => Err(BenchError::Egress(format!("a request went wrong: {bad}"))),
        None => Ok(()),
    }
}

/// `rounds` rounds (after one to warm up) of `requests` GETs from the host; each round's
/// time in ms.
fn host_rounds_ms(
    addr: SocketAddr,
    requests: usize,
    rounds: usize,
) -> Result<Vec<f64>, BenchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| BenchError::io("a tokio runtime", e))?;
    runtime.block_on(async {
        let mut samples = Vec::with_capacity(rounds);
        for round in 0..=rounds {
            let started = Instant::now();
            for _ in 0..requests {
                get(addr).await?;
            }
            if round > 0 {
                samples.push(started.elapsed().as_secs_f64() * 1e3);
            }
        }
        Ok(samples)
    })
}

/// One GET as the runtime sends it: a new connection, HTTP/1.1, the whole body read.
async fn get(addr: SocketAddr) -> Result<(), BenchError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        BenchError::Egress(format!("the host's GET to {addr}: {what}: {e}"))
    };
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| failed("connect", &e))?;
    tcp.set_nodelay(true).map_err(|e| failed("nodelay", &e))?;
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| failed("handshake", &e))?;
    let driver = tokio::spawn(connection);
    let request = hyper::Request::get("/x")
        .header(hyper::header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())
        .map_err(|e| failed("request", &e))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| failed("send", &e))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| failed("body", &e))?
        .to_bytes();
    // As in the runtime, the connection ends with the response.
    driver.abort();
    if status != hyper::StatusCode::OK || body.len() != BODY.len() {
        return Err(BenchError::Egress(format!(
            "the host's GET to {addr}: {status} with {} body bytes",
            body.len()
        )));
    }
    Ok(())
}

/// The egress figures: a task's cost per request, the host's, the overhead (judged by the
/// goal), and the task's runs with and without requests.
pub fn rows(outcome: &Outcome<EgressFigures>) -> Vec<Figure> {
    let overhead = "overhead per request (task − host)";
    let goal = Some(goals::EGRESS_OVERHEAD_US);
    Figures::new("egress", IN_PROCESS).of(
        outcome,
        ("overhead_per_request", overhead, Unit::Us, goal),
        |f, e| {
            let k = e.requests;
            let label = format!(
                "per request in a task: (task with {k} GETs − with none) / {k}, medians of {}",
                e.task_with_requests_ms.count
            );
            f.number("task_per_request", &label, Unit::Us, e.task_per_request_us);
            let label = format!(
                "per request from the host (hyper, a new connection each), median of {} rounds",
                e.host_rounds_ms.count
            );
            f.number("host_per_request", &label, Unit::Us, e.host_per_request_us);
            f.number(
                "overhead_per_request",
                overhead,
                Unit::Us,
                e.overhead_per_request_us,
            )
            .with_goal(goals::EGRESS_OVERHEAD_US);
            let label = format!("task with {k} GETs (median)");
            let with = e.task_with_requests_ms;
            f.stat("task_with_requests", &label, Unit::Ms, Stat::Median, with);
            let without = e.task_without_requests_ms;
            let label = "task with none (median)";
            f.stat(
                "task_without_requests",
                label,
                Unit::Ms,
                Stat::Median,
                without,
            );
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_requests_cost_is_the_difference_of_medians_over_the_count() {
        let with = [20.0, 19.9, 40.0];
        let without = [0.5, 0.4, 9.0];
        assert_eq!(task_per_request_us(&with, &without, 200), Some(97.5));
        assert_eq!(host_per_request_us(&[8.0, 6.0, 7.0], 200), Some(35.0));
        assert_eq!(task_per_request_us(&with, &without, 0), None);
        assert_eq!(host_per_request_us(&[], 200), None);
        let f = figures(200, &with, &without, &[8.0, 6.0, 7.0]).expect("figures");
        assert_eq!(f.overhead_per_request_us, 62.5);
        assert_eq!(f.task_with_requests_ms.count, 3);
        assert_eq!(f.response_bytes, BODY.len());
    }

    #[test]
    fn answers_are_checked() {
        let ok = json!({"responses": [{"status": 200, "bytes": BODY.len()}]}).to_string();
        assert!(check_answers(ok.as_bytes(), 1).is_ok());
        assert!(check_answers(ok.as_bytes(), 2).is_err());
        let denied = json!({"responses": [{"error": "HttpRequestDenied"}]}).to_string();
        let e = check_answers(denied.as_bytes(), 1).expect_err("a denial");
        assert!(e.to_string().contains("HttpRequestDenied"), "{e}");
    }

    #[test]
    fn a_few_requests_give_every_figure() {
        let f = measure(3, 2).expect("egress figures");
        assert_eq!(f.requests, 3);
        assert_eq!(f.host_rounds_ms.count, 2);
        assert!(f.task_per_request_us.is_finite());
        assert!(f.host_per_request_us > 0.0);
    }
}
