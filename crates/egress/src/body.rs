//! Request and response bodies that count their bytes against the attempt's limits and
//! stop a response that stalls or outlives the attempt.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::usage::Usage;
use crate::{EgressError, HttpBody, HttpStack};

/// A request body that fails once the attempt has sent more than its limit.
pub(crate) struct CountedRequest<S: HttpStack> {
    pub(crate) inner: HttpBody<S::Error>,
    pub(crate) usage: Arc<Usage>,
}

impl<S: HttpStack> Body for CountedRequest<S> {
    type Data = Bytes;
    type Error = S::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, S::Error>>> {
        let frame = ready!(Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame
            && let Some(data) = frame.data_ref()
            && let Err(e) = self.usage.count_sent(data.len())
        {
            return Poll::Ready(Some(Err(S::error(e))));
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that fails once the attempt has received more than its limit, when no
/// byte arrives for `between`, or at the attempt's deadline.
pub(crate) struct CountedResponse<S> {
    pub(crate) inner: hyper::body::Incoming,
    pub(crate) usage: Arc<Usage>,
    pub(crate) between: Duration,
    pub(crate) deadline: tokio::time::Instant,
    pub(crate) stall: Pin<Box<tokio::time::Sleep>>,
    stack: PhantomData<fn() -> S>,
}

impl<S> CountedResponse<S> {
    pub(crate) fn new(
        inner: hyper::body::Incoming,
        usage: Arc<Usage>,
        between: Duration,
        deadline: tokio::time::Instant,
    ) -> CountedResponse<S> {
        let first = (tokio::time::Instant::now() + between).min(deadline);
        CountedResponse {
            inner,
            usage,
            between,
            deadline,
            stall: Box::pin(tokio::time::sleep_until(first)),
            stack: PhantomData,
        }
    }
}

impl<S: HttpStack> Body for CountedResponse<S> {
    type Data = Bytes;
    type Error = S::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, S::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(S::error(EgressError::Hyper(e))))),
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref()
                    && let Err(e) = this.usage.count_received(data.len())
                {
                    return Poll::Ready(Some(Err(S::error(e))));
                }
                let next = (tokio::time::Instant::now() + this.between).min(this.deadline);
                this.stall.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(this.stall.as_mut().poll(cx));
                this.usage.note(format!(
                    "egress limit: a response body stalled for {:?} or ran past the attempt's deadline",
                    this.between
                ));
                Poll::Ready(Some(Err(S::error(EgressError::ConnectionReadTimeout))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
