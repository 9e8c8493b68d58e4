//! HTTPS webhooks against an axum server behind a private CA (made with rcgen).

mod support;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls_pki_types::PrivateKeyDer;
use support::{fast, sample};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;
use url::Url;
use weft_notify::{AllowAll, DeliveryError, Webhook};

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
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("key");
    let params = CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    let cert = params.signed_by(&key, &issuer).expect("certificate");

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            PrivateKeyDer::Pkcs8(key.serialize_der().into()),
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
    (port, ca.pem())
}

#[tokio::test]
async fn delivers_over_https_with_an_extra_ca() {
    let (port, ca_pem) = https_receiver().await;
    let webhook = Webhook::new(Url::parse(&format!("https://localhost:{port}/hook")).expect("url"))
        .expect("webhook");
    let mut opts = fast(2);
    opts.extra_ca_pem = Some(ca_pem.into_bytes());
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
