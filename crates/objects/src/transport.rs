//! The HTTP client of every store a task opens: each request goes out through the attempt's
//! egress ([`AttemptEgress`]), checked, counted and logged like the task's own requests.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::UnsyncBoxBody;
use object_store::ClientOptions;
use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse,
    HttpResponseBody, HttpService,
};
use weft_egress::{AttemptEgress, EgressError, GuestTimeouts, HttpStack};

/// The stores' HTTP stack, as the egress proxy serves it: its failures are `object_store`'s
/// HTTP errors, retried by the store only when the request never reached the server.
struct Stores;

impl HttpStack for Stores {
    type Error = HttpError;

    fn error(e: EgressError) -> HttpError {
        let kind = match e {
            // Refusals and limits: trying again gets the same answer.
            EgressError::HttpRequestDenied
            | EgressError::DestinationIpProhibited
            | EgressError::ConnectionLimitReached
            | EgressError::HttpRequestBodySize(_)
            | EgressError::HttpResponseBodySize(_)
            | EgressError::HttpRequestUriInvalid
            | EgressError::InvalidDnsName(_) => HttpErrorKind::Unknown,
            EgressError::Connect(_)
            | EgressError::Tls(_)
            | EgressError::DnsTimeout
            | EgressError::DnsError { .. }
            | EgressError::DestinationNotFound
            | EgressError::ConnectionRefused
            | EgressError::ConnectionTimeout => HttpErrorKind::Connect,
            EgressError::ConnectionReadTimeout | EgressError::HttpResponseTimeout => {
                HttpErrorKind::Timeout
            }
            EgressError::Hyper(_) => HttpErrorKind::Request,
        };
        HttpError::new(kind, e)
    }
}

/// Connects every store of one bucket to the attempt's egress.
#[derive(Clone)]
pub(crate) struct EgressConnector(pub(crate) Arc<AttemptEgress>);

impl std::fmt::Debug for EgressConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EgressConnector")
    }
}

impl HttpConnector for EgressConnector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        Ok(HttpClient::new(self.clone()))
    }
}

#[async_trait::async_trait]
impl HttpService for EgressConnector {
    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let request = request.map(UnsyncBoxBody::new);
        let outgoing = self
            .0
            .prepare::<Stores>(request, GuestTimeouts::default())?;
        let (response, driver) = outgoing.send().await?;
        Ok(response.map(|body| {
            HttpResponseBody::new(Held(Mutex::new(HeldInner {
                body,
                _driver: Box::into_pin(driver),
            })))
        }))
    }
}

/// A response body with the task that drives its connection, which ends when it is dropped.
struct HeldInner {
    body: UnsyncBoxBody<Bytes, HttpError>,
    _driver: Pin<Box<dyn Future<Output = Result<(), HttpError>> + Send>>,
}

/// [`HeldInner`] made `Sync`, as a store's response body must be: it is only ever used
/// through `&mut`, so the lock is never taken.
struct Held(Mutex<HeldInner>);

impl Body for Held {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let inner = self
            .get_mut()
            .0
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        Pin::new(&mut inner.body).poll_frame(cx)
    }

    fn size_hint(&self) -> SizeHint {
        // `poll_frame` never locks: a poisoned or held lock only loses the hint.
        self.0
            .try_lock()
            .map_or_else(|_| SizeHint::default(), |inner| inner.body.size_hint())
    }

    fn is_end_stream(&self) -> bool {
        self.0
            .try_lock()
            .is_ok_and(|inner| inner.body.is_end_stream())
    }
}
