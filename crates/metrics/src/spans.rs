//! Store call latencies, timed from the spans those calls open (`#[tracing::instrument]` on
//! every operation of the store): a span of the store's crate is recorded in
//! [`Metrics::store_call_seconds`](crate::Metrics), labelled with the span's name, from its
//! creation to its close. (Queue calls are timed where they run, in the queue's crate.)
//!
//! The layer takes those spans whatever the log filter shows (they are debug spans), and
//! no events.

use std::time::Instant;

use tracing::span::{Attributes, Id};
use tracing::{Metadata, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{FilterFn, Filtered};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::registry::{Call, metrics};

/// Whether spans of `metadata`'s target are timed: the store's.
fn timed(metadata: &Metadata<'_>) -> bool {
    metadata.target().starts_with("weft_store")
}

/// Whether `metadata` is of a span that is timed.
fn timed_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && timed(metadata)
}

/// When a timed span was created.
struct Opened(Instant);

/// The layer that times store calls; add it to the process's subscriber.
pub fn layer<S>() -> Filtered<SpanTimings, FilterFn, S>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    // The hint keeps the process's maximum level at the store's spans (debug): without one,
    // every `trace!` of the libraries that log through the `log` crate (Cranelift logs from
    // its innermost loops) would be handed to the subscriber to be refused.
    SpanTimings.with_filter(
        FilterFn::new(timed_span as fn(&Metadata<'_>) -> bool)
            .with_max_level_hint(tracing::level_filters::LevelFilter::DEBUG),
    )
}

/// Times the spans [`layer`] lets through.
#[derive(Debug)]
pub struct SpanTimings;

impl<S> Layer<S> for SpanTimings
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, _attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Opened(Instant::now()));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let Some(opened) = span.extensions().get::<Opened>().map(|o| o.0) else {
            return;
        };
        let labels = Call { call: span.name() };
        metrics()
            .store_call_seconds
            .get_or_create(&labels)
            .observe(opened.elapsed().as_secs_f64());
    }
}
