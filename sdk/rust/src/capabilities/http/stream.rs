//! Blocking reads and writes on `wasi:io` streams, and the errors they end with.

use crate::bindings::wasi::http::types::http_error_code;
use crate::bindings::wasi::io::streams::{InputStream, OutputStream, StreamError};

use super::error::HttpError;

/// Largest chunk asked for or written at once.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Write all of `bytes` to `stream`, in pieces no larger than the stream accepts
/// (`check-write`), waiting for room when it has none.
pub(crate) fn write_all(stream: &OutputStream, mut bytes: &[u8]) -> Result<(), StreamError> {
    while !bytes.is_empty() {
        let room = stream.check_write()?;
        if room == 0 {
            stream.subscribe().block();
            continue;
        }
        let n = usize::try_from(room).unwrap_or(usize::MAX).min(bytes.len());
        let (now, later) = bytes.split_at(n);
        stream.write(now)?;
        bytes = later;
    }
    Ok(())
}

/// Flush `stream` and wait until everything written has gone out.
pub(crate) fn flush(stream: &OutputStream) -> Result<(), StreamError> {
    stream.flush()?;
    loop {
        // After a flush, `check-write` reports 0 until the flush completes.
        if stream.check_write()? > 0 {
            return Ok(());
        }
        stream.subscribe().block();
    }
}

/// Read at most `max` bytes, waiting for at least one; none means the stream ended.
pub(crate) fn read_chunk(stream: &InputStream, max: usize) -> Result<Option<Vec<u8>>, StreamError> {
    loop {
        match stream.blocking_read(max.min(CHUNK) as u64) {
            Ok(chunk) if chunk.is_empty() => continue,
            Ok(chunk) => return Ok(Some(chunk)),
            Err(StreamError::Closed) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// The error for a failed stream operation of the request to `method url`; `doing` says
/// what failed (`reading the response body`, ...).
pub(crate) fn stream_error(error: StreamError, method: &str, url: &str, doing: &str) -> HttpError {
    match error {
        StreamError::Closed => HttpError::Body {
            url: url.to_owned(),
            detail: format!("{doing}: the stream was closed"),
        },
        StreamError::LastOperationFailed(io_error) => match http_error_code(&io_error) {
            Some(code) => match HttpError::from_code(code, method, url) {
                HttpError::Other { url, detail } => HttpError::Body {
                    url,
                    detail: format!("{doing}: {detail}"),
                },
                other => other,
            },
            None => HttpError::Body {
                url: url.to_owned(),
                detail: format!("{doing}: {}", io_error.to_debug_string()),
            },
        },
    }
}
