//! Webhook delivery: the notification's JSON POSTed to a URL over HTTP/1.1 (http or https).
//!
//! Headers sent: `content-type: application/json`, `user-agent: weft/<version>`,
//! `weft-event: <event>`, and, when the webhook has a signing secret,
//! `weft-signature: sha256=<hex HMAC-SHA256 of the body keyed by the secret>`. A URL's
//! userinfo, if any, is sent as HTTP basic authentication. Redirects are not followed.

use std::fmt;
use std::net::SocketAddr;

use base64::Engine as _;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper_util::rt::TokioIo;
use percent_encoding::percent_decode_str;
use sha2::Sha256;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use url::{Host, Url};

use crate::error::DeliveryError;
use crate::payload::Notification;
use crate::policy::{AddressPolicy, resolve_checked};
use crate::retry::{Delivered, DeliveryOptions, with_retries};
use crate::secret::Secret;
use crate::tls;

/// The header naming the event.
pub const EVENT_HEADER: &str = "weft-event";
/// The header carrying `sha256=<hex HMAC-SHA256 of the body>`.
pub const SIGNATURE_HEADER: &str = "weft-signature";
const USER_AGENT: &str = concat!("weft/", env!("CARGO_PKG_VERSION"));

/// A webhook destination. Its `Debug` shows neither the secret nor the URL's userinfo and
/// query.
#[derive(Clone)]
pub struct Webhook {
    url: Url,
    signing_secret: Option<Secret>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &redact(&self.url))
            .field("signed", &self.signing_secret.is_some())
            .field("headers", &self.headers.len())
            .finish()
    }
}

impl Webhook {
    /// A webhook POSTing to `url`, which must be `http` or `https` and name a host.
    pub fn new(url: Url) -> Result<Self, DeliveryError> {
        let reason = if !matches!(url.scheme(), "http" | "https") {
            Some("the scheme must be http or https")
        } else if url.host().is_none() {
            Some("it has no host")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(DeliveryError::InvalidUrl {
                url: redact(&url),
                reason,
            });
        }
        Ok(Self {
            url,
            signing_secret: None,
            headers: Vec::new(),
        })
    }

    /// Signs every body with `secret` (the `weft-signature` header).
    pub fn with_signing_secret(mut self, secret: Secret) -> Self {
        self.signing_secret = Some(secret);
        self
    }

    /// Sends an extra header with every request. The headers Weft sets itself (host,
    /// content-type, content-length, user-agent, authorization, `weft-event`,
    /// `weft-signature`) cannot be replaced.
    pub fn with_header(
        mut self,
        name: HeaderName,
        value: HeaderValue,
    ) -> Result<Self, DeliveryError> {
        let reserved = [
            header::HOST,
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::TRANSFER_ENCODING,
            header::USER_AGENT,
            header::AUTHORIZATION,
        ];
        if reserved.contains(&name) || name == EVENT_HEADER || name == SIGNATURE_HEADER {
            return Err(DeliveryError::ReservedHeader {
                name: name.to_string(),
            });
        }
        self.headers.push((name, value));
        Ok(self)
    }

    /// The destination's URL, userinfo and query included.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// POSTs `n` as JSON, checking every address the host resolves to with `policy` and
    /// retrying as `opts` says. Success is any 2xx status.
    pub async fn deliver(
        &self,
        n: &Notification,
        policy: &dyn AddressPolicy,
        opts: &DeliveryOptions,
    ) -> Result<Delivered, DeliveryError> {
        let target = redact(&self.url);
        let body =
            Bytes::from(serde_json::to_vec(n).map_err(|source| DeliveryError::Payload { source })?);
        let request = self.request_template(n, &body, &target)?;
        let (host, port) = host_and_port(&self.url);
        let tls = match self.url.scheme() {
            "https" => Some((
                tls::connector(&host, &opts.trust)?,
                tls::server_name(&host)?,
            )),
            _ => None,
        };
        let (status, attempts) = with_retries(&target, opts, || async {
            let addrs = resolve_checked(&host, port, policy).await?;
            let tcp = connect_any(&addrs).await?;
            let request = request.clone().map(|()| Full::new(body.clone()));
            let status = match &tls {
                Some((connector, name)) => {
                    let stream = connector
                        .connect(name.clone(), tcp)
                        .await
                        .map_err(|source| DeliveryError::Tls {
                            host: host.clone(),
                            source,
                        })?;
                    exchange(stream, request, &target).await?
                }
                None => exchange(tcp, request, &target).await?,
            };
            classify(status, &target)
        })
        .await?;
        tracing::info!(%target, event = %n.event, attempts, status, "webhook delivered");
        Ok(Delivered { attempts, status })
    }

    /// The request without its body, cloned for each attempt.
    fn request_template(
        &self,
        n: &Notification,
        body: &[u8],
        target: &str,
    ) -> Result<hyper::Request<()>, DeliveryError> {
        let mut path = self.url.path().to_owned();
        if let Some(query) = self.url.query() {
            path.push('?');
            path.push_str(query);
        }
        let host_header = match (self.url.host_str(), self.url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => String::new(),
        };
        let mut builder = hyper::Request::post(path)
            .header(header::HOST, host_header)
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::USER_AGENT, USER_AGENT)
            .header(EVENT_HEADER, n.event.as_str());
        if let Some(secret) = &self.signing_secret {
            builder = builder.header(SIGNATURE_HEADER, signature(secret, body));
        }
        if let Some(value) = self.basic_auth() {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        builder.body(()).map_err(|source| DeliveryError::Request {
            target: target.to_owned(),
            source,
        })
    }

    /// `Basic <base64(user:password)>` from the URL's userinfo, marked sensitive.
    fn basic_auth(&self) -> Option<HeaderValue> {
        if self.url.username().is_empty() && self.url.password().is_none() {
            return None;
        }
        let user = percent_decode_str(self.url.username()).decode_utf8_lossy();
        let password = percent_decode_str(self.url.password().unwrap_or("")).decode_utf8_lossy();
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        let mut value = HeaderValue::try_from(format!("Basic {token}")).ok()?;
        value.set_sensitive(true);
        Some(value)
    }
}

/// `sha256=<hex HMAC-SHA256 of body keyed by secret>`: the `weft-signature` header's value,
/// for receivers to recompute.
pub fn signature(secret: &Secret, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// `scheme://host:port/path`: the URL without userinfo, query or fragment.
pub(crate) fn redact(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}{}", url.scheme(), url.path()),
        None => format!("{}://{host}{}", url.scheme(), url.path()),
    }
}

/// The host to resolve (IPv6 without brackets) and the port.
fn host_and_port(url: &Url) -> (String, u16) {
    let host = match url.host() {
        Some(Host::Domain(name)) => name.to_owned(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => ip.to_string(),
        None => String::new(),
    };
    (host, url.port_or_known_default().unwrap_or(80))
}

/// Connects to the first of `addrs` that accepts.
async fn connect_any(addrs: &[SocketAddr]) -> Result<TcpStream, DeliveryError> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => return Ok(stream),
            Err(source) => last = Some((addr, source)),
        }
    }
    let (addr, source) = last.ok_or_else(|| DeliveryError::NoAddress {
        host: String::new(),
    })?;
    Err(DeliveryError::Connect {
        target: addr.to_string(),
        source,
    })
}

/// Sends one request over `stream` and returns the response's status.
async fn exchange<S>(
    stream: S,
    request: hyper::Request<Full<Bytes>>,
    target: &str,
) -> Result<u16, DeliveryError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let http = |source| DeliveryError::Http {
        target: target.to_owned(),
        source,
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(http)?;
    let driver = tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(
                error = &error as &dyn std::error::Error,
                "webhook connection ended"
            );
        }
    });
    let response = sender.send_request(request).await.map_err(http);
    driver.abort();
    Ok(response?.status().as_u16())
}

/// 2xx is success; 5xx and 429 are worth retrying; anything else (4xx, 3xx, 1xx) is final.
fn classify(status: u16, target: &str) -> Result<u16, DeliveryError> {
    match status {
        200..=299 => Ok(status),
        429 | 500..=599 => Err(DeliveryError::Unavailable {
            target: target.to_owned(),
            status,
        }),
        _ => Err(DeliveryError::Rejected {
            target: target.to_owned(),
            status,
        }),
    }
}
