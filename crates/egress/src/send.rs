//! Sending one allowed request: resolve the name, check every address, connect to a checked
//! one (so a second lookup cannot swap it), TLS with the policy's roots, HTTP/1.1.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio::time::{Instant, timeout_at};
use weft_model::egress::address;

use crate::body::{CountedRequest, CountedResponse};
use crate::usage::Usage;
use crate::{EgressError, HttpBody, HttpStack};

/// Everything the send needs, moved into its future.
pub struct Outgoing<S: HttpStack> {
    pub(crate) request: http::Request<HttpBody<S::Error>>,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
    pub(crate) allow_nets: Arc<[ipnet::IpNet]>,
    pub(crate) connect_timeout: Duration,
    pub(crate) first_byte_timeout: Duration,
    pub(crate) between_bytes_timeout: Duration,
    pub(crate) deadline: Instant,
    pub(crate) usage: Arc<Usage>,
    pub(crate) stack: PhantomData<fn() -> S>,
}

/// The response and the future that drives its connection.
pub type Sent<S> = (
    http::Response<HttpBody<<S as HttpStack>::Error>>,
    Box<dyn Future<Output = Result<(), <S as HttpStack>::Error>> + Send>,
);

trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

/// The task driving a connection: stopped when dropped (with the response that holds it).
struct Driver<T>(JoinHandle<T>);

impl<T> Drop for Driver<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> Future for Driver<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|joined| joined.expect("a connection's task panicked"))
    }
}

impl<S: HttpStack> Outgoing<S> {
    /// Resolves, checks, connects and sends; the response, or why not.
    pub async fn send(self) -> Result<Sent<S>, S::Error> {
        self.send_checked().await.map_err(S::error)
    }

    async fn send_checked(self) -> Result<Sent<S>, EgressError> {
        let Outgoing {
            mut request,
            host,
            port,
            tls,
            allow_nets,
            connect_timeout,
            first_byte_timeout,
            between_bytes_timeout,
            deadline,
            usage,
            stack: _,
        } = self;
        let connect_by = (Instant::now() + connect_timeout).min(deadline);
        let addresses = resolve(&host, port, connect_by).await?;
        let mut refused = Vec::new();
        let allowed: Vec<SocketAddr> = addresses
            .into_iter()
            .filter(|a| match address::check(a.ip(), &allow_nets) {
                Ok(()) => true,
                Err(why) => {
                    refused.push(why);
                    false
                }
            })
            .collect();
        if allowed.is_empty() {
            usage.deny(format!(
                "{host} resolves only to refused addresses: {}",
                refused.join("; ")
            ));
            return Err(EgressError::DestinationIpProhibited);
        }
        weft_metrics::metrics().egress("http", true);
        let tcp = connect(&allowed, connect_by).await?;
        let stream: Box<dyn Stream> = match tls {
            Some(config) => {
                let name =
                    ServerName::try_from(host.clone()).map_err(EgressError::InvalidDnsName)?;
                let connector = tokio_rustls::TlsConnector::from(config);
                let tls = timeout_at(connect_by, connector.connect(name, tcp))
                    .await
                    .map_err(|_| EgressError::ConnectionTimeout)?
                    .map_err(EgressError::Tls)?;
                Box::new(tls)
            }
            None => Box::new(tcp),
        };
        let (mut sender, connection) = timeout_at(
            connect_by,
            hyper::client::conn::http1::Builder::new().handshake(TokioIo::new(stream)),
        )
        .await
        .map_err(|_| EgressError::ConnectionTimeout)?
        .map_err(EgressError::Hyper)?;
        // The connection must be driven while the request is sent and its response read; it
        // is stopped when the response (which holds the handle) is dropped.
        let driver = Driver(tokio::spawn(async move {
            connection
                .await
                .map_err(|e| S::error(EgressError::Hyper(e)))
        }));
        // The request line carries the path only; the authority travels in `Host`.
        let path = request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_owned();
        *request.uri_mut() = path
            .parse::<Uri>()
            .map_err(|_| EgressError::HttpRequestUriInvalid)?;
        let request = request.map(|inner| {
            CountedRequest::<S> {
                inner,
                usage: usage.clone(),
            }
            .boxed_unsync()
        });
        let first_byte_by = (Instant::now() + first_byte_timeout).min(deadline);
        let response = timeout_at(first_byte_by, sender.send_request(request))
            .await
            .map_err(|_| {
                usage.note(format!(
                    "egress limit: no response from {host}:{port} within {first_byte_timeout:?}"
                ));
                EgressError::HttpResponseTimeout
            })?
            .map_err(EgressError::Hyper)?;
        let remaining = usage
            .limits
            .max_received_bytes
            .saturating_sub(usage.received.load(std::sync::atomic::Ordering::Relaxed));
        if let Some(length) = content_length(&response)
            && length > remaining
        {
            usage.note(format!(
                "egress limit: a {length}-byte response from {host} is more than the {remaining} bytes the attempt may still receive"
            ));
            return Err(EgressError::HttpResponseBodySize(Some(length)));
        }
        let response = response.map(|incoming| {
            CountedResponse::<S>::new(incoming, usage.clone(), between_bytes_timeout, deadline)
                .boxed_unsync()
        });
        Ok((response, Box::new(driver)))
    }
}

fn content_length<B>(response: &http::Response<B>) -> Option<u64> {
    response
        .headers()
        .get(http::header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The addresses of `host` (an IP address is its own), by `by`.
async fn resolve(host: &str, port: u16, by: Instant) -> Result<Vec<SocketAddr>, EgressError> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let found = timeout_at(by, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| EgressError::DnsTimeout)?
        .map_err(|e| EgressError::DnsError {
            rcode: Some(e.to_string()),
        })?;
    let found: Vec<SocketAddr> = found.collect();
    if found.is_empty() {
        return Err(EgressError::DestinationNotFound);
    }
    Ok(found)
}

/// A TCP connection to the first of `addresses` that answers by `by`.
async fn connect(addresses: &[SocketAddr], by: Instant) -> Result<TcpStream, EgressError> {
    let mut last = EgressError::ConnectionRefused;
    for address in addresses {
        match timeout_at(by, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => last = EgressError::Connect(e),
            Err(_) => return Err(EgressError::ConnectionTimeout),
        }
    }
    Err(last)
}
