//! Harness of Weft's end-to-end tests: a [`Cluster`] of real `wfctl server`, `wfctl scheduler`
//! and `wfctl worker` processes on a fresh PostgreSQL database and a Redis namespace of their
//! own, and an [`Api`] client to drive it the way users do: `weft-client`, the typed client
//! wfctl uses, on the server's own bodies.
//!
//! The PostgreSQL and Redis servers come from `weft-testkit` (those `scripts/test.sh` starts,
//! or servers started for the test process). Every process is killed when its [`Proc`] is
//! dropped, so a failing test leaves nothing running.
//!
//! # Layout
//! - [`process`]: [`Proc`], the `wfctl` binary, free ports; [`cluster`]: [`Cluster`];
//!   [`api`]: [`Api`], the typed client with the waits the tests need; [`scenario`]: shared
//!   set-ups; [`s3`]: an S3-compatible server and a client of it; [`standalone`]:
//!   `wfctl standalone` as one process.

pub mod api;
pub mod cluster;
pub mod process;
pub mod s3;
pub mod scenario;
pub mod standalone;

pub use api::Api;
pub use cluster::{Cluster, WorkerSpec};
pub use process::Proc;
pub use s3::{S3Client, S3Server};

/// Path of the component `wfctl build examples/DIR` wrote for a Python, TypeScript or C
/// example (`scripts/test.sh` builds them before the tests).
pub fn project_example(dir: &str) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root
        .join("examples")
        .join(dir)
        .join("target")
        .join(format!("{}.wasm", dir.replace('-', "_")));
    assert!(
        path.exists(),
        "{} is missing: build it first (`wfctl build examples/{dir}` or scripts/test.sh)",
        path.display()
    );
    path
}

/// Path of a built example component (`scripts/test.sh` builds them before the tests).
pub fn example(name: &str) -> std::path::PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let path = root
        .join("examples/target/wasm32-wasip2/release")
        .join(format!("{name}.wasm"));
    assert!(
        path.exists(),
        "{} is missing: build the examples first (`wfctl build examples/{}` or scripts/test.sh)",
        path.display(),
        name.replace('_', "-")
    );
    path
}
