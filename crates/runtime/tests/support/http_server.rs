//! A real HTTP(S) server on a free loopback port for egress tests, and a CA made at test
//! time for its certificate.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::net::TcpListener;
use wasmtime_wasi_http::io::TokioIo;

/// The value the `/token` route expects in `x-token` or `?token=`.
pub const TOKEN: &str = "s3cr3t-token-value";

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime")
    })
}

type Body = BoxBody<Bytes, Infallible>;

async fn route(request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    let header_token = request
        .headers()
        .get("x-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let reply = |status: u16, body: Vec<u8>| {
        let mut response = Response::new(Full::new(Bytes::from(body)).boxed());
        *response.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
        Ok(response)
    };
    match path.as_str() {
        "/ok" => reply(200, b"hello".to_vec()),
        "/big" => reply(200, vec![b'x'; 100_000]),
        // 100,000 bytes without a length: sent chunked, so only reading them finds the size.
        "/unsized" => {
            let chunks = (0..10).map(|_| Ok(Frame::data(Bytes::from(vec![b'x'; 10_000]))));
            Ok(Response::new(
                StreamBody::new(futures_util::stream::iter(chunks)).boxed(),
            ))
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            reply(200, b"late".to_vec())
        }
        "/upload" => reply(200, body.len().to_string().into_bytes()),
        "/token" => {
            let query_token = query
                .split('&')
                .find_map(|p| p.strip_prefix("token="))
                .map(str::to_owned);
            let matched =
                header_token.as_deref() == Some(TOKEN) || query_token.as_deref() == Some(TOKEN);
            reply(
                200,
                if matched {
                    b"match".to_vec()
                } else {
                    b"nomatch".to_vec()
                },
            )
        }
        "/redirect" => {
            let to = query.strip_prefix("to=").unwrap_or("/ok").to_owned();
            let mut response = Response::new(Full::new(Bytes::new()).boxed());
            *response.status_mut() = hyper::StatusCode::FOUND;
            response
                .headers_mut()
                .insert("location", to.parse().expect("location"));
            Ok(response)
        }
        _ => reply(404, b"no such route".to_vec()),
    }
}

/// A plain HTTP server; returns its address.
pub fn start_http() -> SocketAddr {
    start(None)
}

/// An HTTPS server for `localhost` with a certificate signed by a CA made now; returns its
/// address and the CA certificate in PEM.
pub fn start_https() -> (SocketAddr, String) {
    let ca = weft_testkit::tls::TestCa::new().expect("CA");
    let leaf = ca.server_cert(&["localhost"]).expect("leaf certificate");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocols")
    .with_no_client_auth()
    .with_single_cert(
        vec![rustls::pki_types::CertificateDer::from(leaf.cert_der)],
        rustls::pki_types::PrivateKeyDer::Pkcs8(leaf.key_der.into()),
    )
    .expect("server config");
    (start(Some(Arc::new(config))), ca.cert_pem().to_owned())
}

fn start(tls: Option<Arc<rustls::ServerConfig>>) -> SocketAddr {
    let listener = runtime()
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    runtime().spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let tls = tls.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(route);
                let builder = hyper::server::conn::http1::Builder::new();
                match tls {
                    Some(config) => {
                        let acceptor = tokio_rustls::TlsAcceptor::from(config);
                        if let Ok(stream) = acceptor.accept(stream).await {
                            let _ = builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                    }
                    None => {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
            });
        }
    });
    addr
}
