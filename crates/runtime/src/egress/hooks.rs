//! wasmtime-wasi-http's hooks of one attempt: each request a task sends goes through the
//! egress proxy (`weft_egress`), its errors made `wasi:http` errors case by case.

use std::ops::Deref;

use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};
use weft_egress::{AttemptEgress, EgressError, GuestTimeouts, HttpStack, Sent};

/// The egress of one attempt, as wasmtime-wasi-http's hooks.
pub(crate) struct WasiEgress(pub(crate) AttemptEgress);

impl Deref for WasiEgress {
    type Target = AttemptEgress;

    fn deref(&self) -> &AttemptEgress {
        &self.0
    }
}

type SendFuture = Box<dyn Future<Output = Result<Sent<WasiHttp>, Error>> + Send>;

/// wasmtime-wasi-http, as the stack the proxy serves.
pub(crate) struct WasiHttp;

impl WasiHttpHooks for WasiEgress {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> SendFuture {
        drop(fut);
        let options = options.unwrap_or_default();
        let guest = GuestTimeouts {
            connect: options.connect_timeout,
            first_byte: options.first_byte_timeout,
            between_bytes: options.between_bytes_timeout,
        };
        match self.0.prepare::<WasiHttp>(request, guest) {
            Ok(outgoing) => Box::new(outgoing.send()),
            Err(error) => Box::new(async move { Err(error) }),
        }
    }
}

/// Each failure of the proxy is the `wasi:http` error of the same name.
impl HttpStack for WasiHttp {
    type Error = Error;

    fn error(e: EgressError) -> Error {
        match e {
            EgressError::Hyper(e) => Error::Hyper(e),
            EgressError::Connect(e) => Error::Connect(e),
            EgressError::Tls(e) => Error::Tls(e),
            EgressError::InvalidDnsName(e) => Error::InvalidDnsNameError(e),
            EgressError::DnsTimeout => Error::DnsTimeout,
            EgressError::DnsError { rcode } => Error::DnsError {
                rcode,
                info_code: None,
            },
            EgressError::DestinationNotFound => Error::DestinationNotFound,
            EgressError::DestinationIpProhibited => Error::DestinationIpProhibited,
            EgressError::ConnectionRefused => Error::ConnectionRefused,
            EgressError::ConnectionTimeout => Error::ConnectionTimeout,
            EgressError::ConnectionReadTimeout => Error::ConnectionReadTimeout,
            EgressError::ConnectionLimitReached => Error::ConnectionLimitReached,
            EgressError::HttpRequestDenied => Error::HttpRequestDenied,
            EgressError::HttpRequestUriInvalid => Error::HttpRequestUriInvalid,
            EgressError::HttpRequestBodySize(n) => Error::HttpRequestBodySize(n),
            EgressError::HttpResponseBodySize(n) => Error::HttpResponseBodySize(n),
            EgressError::HttpResponseTimeout => Error::HttpResponseTimeout,
        }
    }
}
