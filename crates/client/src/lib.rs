//! A typed, blocking client of Weft's user API (`/api/v1`).
//!
//! One method per route its users call, each sending and returning the server's own JSON
//! bodies ([`weft_protocol::api`]), so a field renamed on the server is a compile error in
//! every client rather than a `null` read at run time. `wfctl`, the benchmark and the tests
//! use it; it links no database driver, store, scheduler or wasmtime.
//!
//! ```no_run
//! use weft_client::Client;
//!
//! let client = Client::new_trusting("http://127.0.0.1:8080", &weft_tls::Trust::default())
//!     .with_token(Some("wft_...".to_owned()));
//! for dag in client.dags()?.dags {
//!     println!("{} {}", dag.dag_id, dag.digest);
//! }
//! # Ok::<(), weft_client::ClientError>(())
//! ```
//!
//! # Layout
//! - [`transport`]: [`Client`], its agent, bearer token and the generic requests;
//! - [`routes`]: the typed methods, one per route;
//! - [`error`]: [`ClientError`], carrying the server's error body when it refused;
//! - [`path`]: encoding of path segments and query values;
//! - [`sse`]: server-sent events, as the log stream sends them;
//!
//! The bodies are [`weft_protocol::api`]'s, the types the server writes; a task instance is
//! [`weft_protocol::TaskInstanceView`], re-exported as [`TaskInstance`].

pub mod error;
pub mod path;
pub mod routes;
pub mod sse;
pub mod transport;

pub use error::ClientError;
pub use path::{query_value, segment};
pub use routes::{LogFilter, RunFilter};
pub use transport::{API_PREFIX, Client, DEFAULT_SERVER};
pub use weft_protocol::TaskInstanceView as TaskInstance;
pub use weft_protocol::api;
pub use weft_protocol::api::runs::RunDetail;
