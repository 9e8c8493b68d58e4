//! `weft-test-s3`: the S3-compatible server the end-to-end tests and the examples use.
//!
//! It is s3s-fs (buckets are directories under ROOT, objects are files) with SigV4 checks:
//! a request that is unsigned or signed with another secret key is refused with 403, as S3
//! refuses it. It is built with the workspace, so it shares the workspace's dependencies and
//! lock file instead of being installed on its own.
//!
//! ```sh
//! weft-test-s3 --host 127.0.0.1 --port 9000 --access-key KEY --secret-key SECRET ROOT
//! ```
//! With `--port 0` it takes a free port; either way its first line on stdout is
//! `listening on http://ADDRESS`. It stops on SIGINT or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use s3s_fs::FileSystem;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};

/// What the command line gives.
struct Options {
    host: String,
    port: u16,
    access_key: String,
    secret_key: String,
    root: PathBuf,
}

const USAGE: &str =
    "usage: weft-test-s3 --host HOST --port PORT --access-key KEY --secret-key SECRET ROOT";

fn options(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let (mut host, mut port, mut access_key, mut secret_key, mut root) =
        (None, None, None, None, None);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--host" => host = Some(value("--host")?),
            "--port" => {
                let text = value("--port")?;
                port = Some(
                    text.parse::<u16>()
                        .map_err(|e| format!("--port `{text}`: {e}"))?,
                );
            }
            "--access-key" => access_key = Some(value("--access-key")?),
            "--secret-key" => secret_key = Some(value("--secret-key")?),
            flag if flag.starts_with("--") => return Err(format!("unknown option `{flag}`")),
            path if root.is_none() => root = Some(PathBuf::from(path)),
            extra => return Err(format!("unexpected argument `{extra}`")),
        }
    }
    Ok(Options {
        host: host.unwrap_or_else(|| "127.0.0.1".to_owned()),
        port: port.ok_or("--port is required")?,
        access_key: access_key.ok_or("--access-key is required")?,
        secret_key: secret_key.ok_or("--secret-key is required")?,
        root: root.ok_or("ROOT (the data directory) is required")?,
    })
}

fn main() -> ExitCode {
    let options = match options(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(problem) => {
            eprintln!("weft-test-s3: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("weft-test-s3: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("weft-test-s3: {problem}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(options: Options) -> Result<(), String> {
    let store = FileSystem::new(&options.root)
        .map_err(|e| format!("data directory {}: {e:?}", options.root.display()))?;
    let mut builder = S3ServiceBuilder::new(store);
    builder.set_auth(SimpleAuth::from_single(
        options.access_key,
        options.secret_key,
    ));
    let service = builder.build();
    let listener = TcpListener::bind((options.host.as_str(), options.port))
        .await
        .map_err(|e| format!("listening on {}:{}: {e}", options.host, options.port))?;
    let address = listener
        .local_addr()
        .map_err(|e| format!("the listening address: {e}"))?;
    println!("listening on http://{address}");
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM: {e}"))?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(|e| format!("SIGINT: {e}"))?;
    let connections = Builder::new(TokioExecutor::new());
    loop {
        let socket = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((socket, _)) => socket,
                Err(e) => {
                    eprintln!("weft-test-s3: accepting a connection: {e}");
                    continue;
                }
            },
            _ = terminate.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
        };
        let connection = connections
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                eprintln!("weft-test-s3: a connection failed: {e}");
            }
        });
    }
}
