//! [`FixedServer`]: a small HTTP/1.1 server on a free loopback port that answers every
//! request with the same short body (and its `Content-Length`), for the egress figures. A
//! thread per connection serves its requests one after another, keeping the connection
//! open unless the client asks to close it (`Connection: close`, or HTTP/1.0). Request
//! bodies are read only by `Content-Length` (the benchmark sends GETs).

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use crate::error::BenchError;

/// The body of every answer.
pub const BODY: &[u8] = b"weft-bench: a small fixed answer\n";

/// A running server; stopped when dropped.
pub struct FixedServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl FixedServer {
    /// Listen on a free port of 127.0.0.1 and serve in threads of this process.
    pub fn start() -> Result<FixedServer, BenchError> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| BenchError::io("127.0.0.1:0", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| BenchError::io("127.0.0.1:0", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let acceptor = std::thread::Builder::new()
            .name("bench-http".to_owned())
            .spawn(move || accept(&listener, &stopping))
            .map_err(|e| BenchError::io("the HTTP server's thread", e))?;
        Ok(FixedServer {
            addr,
            stop,
            acceptor: Some(acceptor),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for FixedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accepting thread up so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            let _ = acceptor.join();
        }
    }
}

fn accept(listener: &TcpListener, stop: &AtomicBool) {
    for stream in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        // A connection the thread cannot be made for is dropped: the client sees it closed.
        let _ = std::thread::Builder::new()
            .name("bench-http-conn".to_owned())
            .spawn(move || serve(stream));
    }
}

/// Answer the requests of one connection until the client closes it or asks to.
fn serve(stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some(request) = read_request(&mut reader)? {
        writer.write_all(&answer(request.close))?;
        if request.close {
            break;
        }
    }
    Ok(())
}

/// What the server needs of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Request {
    /// The client wants the connection closed after the answer.
    close: bool,
}

/// Read one request (its body discarded); `None` when the client closed the connection
/// before a whole head.
fn read_request(reader: &mut impl BufRead) -> io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut close = line.trim_end().ends_with("HTTP/1.0");
    let mut length = 0u64;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            close = value.eq_ignore_ascii_case("close")
                || (close && !value.eq_ignore_ascii_case("keep-alive"));
        } else if name.eq_ignore_ascii_case("content-length") {
            length = value
                .parse()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a bad Content-Length"))?;
        }
    }
    io::copy(&mut reader.take(length), &mut io::sink())?;
    Ok(Some(Request { close }))
}

/// The answer to every request: 200, [`BODY`] with its length, and `Connection: close`
/// when the connection is closed after it.
fn answer(close: bool) -> Vec<u8> {
    let mut head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n",
        BODY.len()
    );
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(BODY);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requests(text: &str) -> Vec<Request> {
        let mut reader = BufReader::new(text.as_bytes());
        let mut seen = Vec::new();
        while let Some(request) = read_request(&mut reader).expect("valid requests") {
            seen.push(request);
        }
        seen
    }

    #[test]
    fn connections_stay_open_unless_the_client_asks() {
        let text = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n\
                    POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello\
                    GET /c HTTP/1.1\r\nconnection: Close\r\n\r\n\
                    GET /d HTTP/1.0\r\n\r\n\
                    GET /e HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
        let close: Vec<bool> = requests(text).iter().map(|r| r.close).collect();
        assert_eq!(close, [false, false, true, true, false]);
    }

    #[test]
    fn a_head_cut_short_ends_the_connection() {
        assert!(requests("GET /a HTTP/1.1\r\nHost: x\r\n").is_empty());
        assert!(requests("").is_empty());
    }

    #[test]
    fn answers_carry_their_length() {
        let text = String::from_utf8(answer(true)).expect("text");
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text.contains(&format!("Content-Length: {}\r\n", BODY.len())));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with(std::str::from_utf8(BODY).expect("text")));
        assert!(
            !String::from_utf8(answer(false))
                .expect("text")
                .contains("close")
        );
    }

    #[test]
    fn the_server_answers_several_requests_on_one_connection_then_closes() {
        let server = FixedServer::start().expect("server");
        let mut stream = TcpStream::connect(server.addr()).expect("connect");
        stream
            .write_all(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            .expect("send");
        let mut all = Vec::new();
        stream.read_to_end(&mut all).expect("the server closes");
        let text = String::from_utf8(all).expect("text");
        assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
        drop(server);
    }
}
