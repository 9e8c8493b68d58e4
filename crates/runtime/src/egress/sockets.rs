//! wasmtime-wasi's socket address check of one attempt, by the egress proxy's TCP rules
//! (`weft_egress::tcp`).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;

use wasmtime_wasi::sockets::SocketAddrUse;
use weft_egress::{AttemptEgress, SocketUse};

/// The check given to `WasiCtxBuilder::socket_addr_check`.
pub(crate) type SocketCheck = Box<
    dyn Fn(SocketAddr, SocketAddrUse) -> Pin<Box<dyn Future<Output = bool> + Send + Sync>>
        + Send
        + Sync,
>;

/// The socket address check of `egress`'s attempt.
pub(crate) fn socket_check(egress: &AttemptEgress) -> SocketCheck {
    let policy = egress.socket_check();
    Box::new(move |addr, usage| {
        let policy = policy.clone();
        Box::pin(async move { policy.allows(addr, socket_use(usage)).await })
    })
}

fn socket_use(usage: SocketAddrUse) -> SocketUse {
    match usage {
        SocketAddrUse::TcpBind => SocketUse::TcpBind,
        SocketAddrUse::TcpConnect => SocketUse::TcpConnect,
        SocketAddrUse::TcpListen => SocketUse::TcpListen,
        SocketAddrUse::TcpAccept => SocketUse::TcpAccept,
        SocketAddrUse::UdpBind => SocketUse::UdpBind,
        SocketAddrUse::UdpSend => SocketUse::UdpSend,
        SocketAddrUse::UdpReceive => SocketUse::UdpReceive,
    }
}
