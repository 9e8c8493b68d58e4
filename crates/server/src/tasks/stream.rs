//! A task's log as it is written: server-sent events that carry each line of an attempt's
//! stored log once, in order, while the attempt runs, and end when it has ended and every
//! line was sent.
//!
//! A running attempt's worker stores its lines every half second or so (see the worker API's
//! `logs` route); when it ends, the log sent with its result replaces them, and holds them
//! all as its first lines, byte for byte, so a line's number and place are the same in
//! both. The stream reads the attempt's state, then the part of its log it has not read yet,
//! every [`POLL`]; a log read after the attempt was seen to end is final. A log another
//! attempt of the same try left (a sensor's earlier poke) is not this attempt's, and is not
//! sent. Each line is an event `line` with the line's number as its id, so a client that
//! reconnects with `Last-Event-ID` goes on after the last line it saw. At most
//! [`MAX_STREAMS`] streams are open at once, [`MAX_TENANT_STREAMS`] of one tenant.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde_json::json;
use tokio::sync::watch;
use weft_model::TaskStateClass;
use weft_store::{StoreError, TiPk};

use crate::context::RequestContext;
use crate::error::{ApiError, ErrorBody};
use crate::extract::QueryParams;

/// One server-sent event of a log stream, as the OpenAPI document describes each.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct LogStreamEvent {
    /// `line`, `end` or `error`.
    #[schema(schema_with = stream_event_names)]
    pub event: String,
    /// A line's number, from 0; only on `line` events.
    pub id: Option<String>,
    /// The line as the logs route shows it (JSON), `{"state": ...}` or `{"message": ...}`.
    pub data: String,
}

fn stream_event_names() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["line", "end", "error"]))
        .build()
}
use crate::state::AppState;
use crate::tasks::{LogQuery, log_target};

/// How often a followed attempt's state and log are read.
const POLL: Duration = Duration::from_millis(250);
/// How often a quiet stream sends a comment, so that proxies keep it open (and a client
/// that left is noticed).
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// Most log streams a server keeps open at once.
pub const MAX_STREAMS: usize = 512;
/// Most log streams one tenant keeps open at once, so that no tenant takes them all.
pub const MAX_TENANT_STREAMS: usize = 64;

/// Log streams open now, by tenant.
static OPEN_STREAMS: Mutex<Option<HashMap<String, usize>>> = Mutex::new(None);

/// One of the [`MAX_STREAMS`] (and of its tenant's [`MAX_TENANT_STREAMS`]), held while a
/// stream is open.
struct StreamSlot(String);

impl StreamSlot {
    fn take(tenant: &str) -> Option<StreamSlot> {
        let mut open = OPEN_STREAMS.lock().unwrap_or_else(PoisonError::into_inner);
        let open = open.get_or_insert_with(HashMap::new);
        let total: usize = open.values().sum();
        let mine = open.entry(tenant.to_owned()).or_default();
        if total >= MAX_STREAMS || *mine >= MAX_TENANT_STREAMS {
            return None;
        }
        *mine += 1;
        Some(StreamSlot(tenant.to_owned()))
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = OPEN_STREAMS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(mine) = open.as_mut().and_then(|open| open.get_mut(&self.0)) {
            *mine = mine.saturating_sub(1);
        }
    }
}

/// Set when the server begins to shut down: open streams end, so that it can.
#[derive(Debug, Clone)]
pub struct Closing(pub watch::Receiver<bool>);

/// Follow the log of one attempt of a task instance as it is written.
#[utoipa::path(get, path = "/dags/{dag_id}/runs/{run_id}/tasks/{task_id}/logs/stream", tag = "tasks",
    params(
        ("dag_id" = String, Path, description = "The DAG's id"),
        ("run_id" = String, Path, description = "The run's id"),
        ("task_id" = String, Path, description = "The task's id"),
        LogQuery,
        ("Last-Event-ID" = Option<u64>, Header, description = "Go on after this line (the id of the last `line` event seen)"),
    ),
    responses(
        (status = 200, description = "Server-sent events: `line` (data: the line as the logs route shows it; id: its number from 0) for each line, then `end` (data: `{\"state\": ...}`, the task instance's state) once the attempt has ended and every line was sent; `error` (data: `{\"message\": ...}`) when the store failed, after which a client reconnects with `Last-Event-ID`", content_type = "text/event-stream", body = LogStreamEvent),
        (status = 400, description = "A bad `try` or `Last-Event-ID`", body = ErrorBody),
        (status = 422, description = "The task is mapped and no `map_index` names an instance", body = ErrorBody),
        (status = 404, description = "No such DAG, run, task or attempt", body = ErrorBody),
        (status = 503, description = "The server has as many log streams open as it allows", body = ErrorBody),
    ))]
#[tracing::instrument(skip_all, fields(tenant = %ctx.tenant, %dag_id, %run_id, %task_id))]
pub(super) async fn stream_log(
    State(state): State<AppState>,
    ctx: RequestContext,
    closing: Option<Extension<Closing>>,
    headers: HeaderMap,
    Path((dag_id, run_id, task_id)): Path<(String, String, String)>,
    QueryParams(query): QueryParams<LogQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let first_sent = match headers.get("last-event-id") {
        None => 0,
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse::<usize>().ok())
            .map(|last| last.saturating_add(1))
            .ok_or_else(|| ApiError::invalid("Last-Event-ID must be a line number"))?,
    };
    let (ti, try_number) = log_target(&state, &ctx, &dag_id, &run_id, &task_id, &query).await?;
    let slot = StreamSlot::take(&ctx.tenant).ok_or_else(|| {
        ApiError::Unavailable(format!(
            "the server has as many log streams open as it allows ({MAX_TENANT_STREAMS} per \
             tenant, {MAX_STREAMS} in all); read the log without following, or try again later"
        ))
    })?;
    let running = ti.try_number == try_number && ti.state.is(TaskStateClass::InFlight);
    let lease = running.then_some(ti.lease);
    let follow = Follow {
        state,
        ti: ti.id,
        try_number,
        lease,
        attempt: lease,
        offset: 0,
        line: 0,
        first_sent,
        pending: VecDeque::new(),
        polled: false,
        done: false,
        closing: closing.map(|Extension(Closing(closing))| closing),
        _slot: slot,
    };
    let events = futures_util::stream::unfold(follow, Follow::next_event);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive")))
}

/// Where a stream stands.
struct Follow {
    state: AppState,
    ti: TiPk,
    try_number: u32,
    /// The lease of the followed attempt while it runs; `None` once it has ended.
    lease: Option<i64>,
    /// The attempt whose log is sent: the one that ran when the stream began, else
    /// whichever attempt the try's stored log is from.
    attempt: Option<i64>,
    /// Bytes of the log read so far: whole lines.
    offset: u64,
    /// The number of the next line read.
    line: usize,
    /// The first line to send (those before it were sent on an earlier connection).
    first_sent: usize,
    pending: VecDeque<Event>,
    polled: bool,
    done: bool,
    closing: Option<watch::Receiver<bool>>,
    _slot: StreamSlot,
}

impl Follow {
    async fn next_event(mut self) -> Option<(Result<Event, Infallible>, Follow)> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some((Ok(event), self));
            }
            if self.done {
                return None;
            }
            if self.polled && !self.wait().await {
                return None;
            }
            self.polled = true;
            if let Err(e) = self.poll().await {
                tracing::warn!(ti = self.ti, error = %e, "log stream ended: the store failed");
                self.pending.push_back(
                    Event::default()
                        .event("error")
                        .data(json!({"message": "the store failed; reconnect"}).to_string()),
                );
                self.done = true;
            }
        }
    }

    /// Wait for the next poll: false when the server is shutting down.
    async fn wait(&mut self) -> bool {
        let Some(closing) = &mut self.closing else {
            tokio::time::sleep(POLL).await;
            return true;
        };
        if *closing.borrow() {
            return false;
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => true,
            _ = closing.changed() => false,
        }
    }

    /// Whether a log of attempt `lease` is the one this stream sends.
    fn is_ours(&mut self, lease: Option<i64>) -> bool {
        match self.attempt {
            None => {
                self.attempt = lease;
                true
            }
            Some(followed) => lease == Some(followed),
        }
    }

    /// Read the attempt's state, then the log it has not read; queue the new lines, and the
    /// end.
    async fn poll(&mut self) -> Result<(), StoreError> {
        let store = self.state.store.clone();
        let mut ended = None;
        if let Some(lease) = self.lease {
            let now = store.attempt(self.ti).await?;
            let still = now
                .as_ref()
                .is_some_and(|a| a.lease == lease && a.state.is(TaskStateClass::InFlight));
            if !still {
                self.lease = None;
                ended = Some(now);
            }
        }
        let final_read = self.lease.is_none();
        // The final log is read whole, once: it holds the live log's lines as its first, so
        // the stream goes on after the lines it has read, by count.
        let from = if final_read { 0 } else { self.offset };
        if let Some(tail) = store
            .task_log_tail(self.ti, self.try_number, from, self.attempt)
            .await?
            && self.is_ours(tail.lease)
        {
            let (bytes, skip) = if final_read {
                (&tail.bytes[..], self.line)
            } else {
                // Whole lines only: the rest comes with the next read.
                let whole = tail
                    .bytes
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |at| at + 1);
                self.offset += whole as u64;
                (&tail.bytes[..whole], 0)
            };
            for line in weft_protocol::log::parse(bytes).iter().skip(skip) {
                if self.line >= self.first_sent {
                    self.pending.push_back(
                        Event::default()
                            .event("line")
                            .id(self.line.to_string())
                            .data(line.to_value().to_string()),
                    );
                }
                self.line += 1;
            }
        }
        if final_read {
            let now = match ended {
                Some(now) => now,
                None => store.attempt(self.ti).await?,
            };
            let end = match now {
                Some(a) => json!({"state": a.state.to_string()}),
                None => json!({"state": null}),
            };
            self.pending
                .push_back(Event::default().event("end").data(end.to_string()));
            self.done = true;
        }
        Ok(())
    }
}
