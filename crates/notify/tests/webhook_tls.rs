//! HTTPS webhooks against an axum server behind a private CA (made at test time).

mod support;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use support::{fast, sample};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use url::Url;
use weft_notify::{AllowAll, DeliveryError, Webhook};
use weft_testkit::tls::TestCa;

/// Accepts TLS connections for axum, skipping failed handshakes.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// Starts an HTTPS receiver for `localhost` signed by a fresh CA; returns its port and the
/// CA's PEM.
async fn https_receiver() -> (u16, String) {
    let ca = TestCa::new().expect("CA");
    let cert = ca.server_cert(&["localhost"]).expect("certificate");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.cert_der)],
            PrivateKeyDer::Pkcs8(cert.key_der.into()),
        )
        .expect("server config");
    let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = tcp.local_addr().expect("addr").port();
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    let app = Router::new().route("/hook", post(|| async { "ok" }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, ca.cert_pem().to_owned())
}

#[tokio::test]
async fn delivers_over_https_with_an_extra_ca() {
    let (port, ca_pem) = https_receiver().await;
    let webhook = Webhook::new(Url::parse(&format!("https://localhost:{port}/hook")).expect("url"))
        .expect("webhook");
    let mut opts = fast(2);
    opts.trust
        .add_pem(ca_pem.as_bytes(), std::path::Path::new("test CA"))
        .expect("the test CA");
    let delivered = webhook
        .deliver(&sample(), &AllowAll, &opts)
        .await
        .expect("delivered");
    assert_eq!((delivered.attempts, delivered.status), (1, 200));
}

#[tokio::test]
async fn an_untrusted_certificate_fails_without_retry() {
    let (port, _ca_pem) = https_receiver().await;
    let webhook = Webhook::new(Url::parse(&format!("https://localhost:{port}/hook")).expect("url"))
        .expect("webhook");
    let err = webhook
        .deliver(&sample(), &AllowAll, &fast(3))
        .await
        .expect_err("untrusted");
    assert!(matches!(err, DeliveryError::Tls { .. }), "{err:?}");
}
