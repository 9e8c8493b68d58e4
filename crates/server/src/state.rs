//! What every handler shares: the store, the scheduler's control interface, the WebAssembly
//! runtime that validates components, the settings, the clock, and the keys that seal
//! connections and secrets.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Semaphore;
use weft_runtime::Runtime;
use weft_scheduler::{Clock, Control, SystemClock};
use weft_store::{Credentials, Store};

use crate::auth::AuthConfig;

/// Settings of the API server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// Largest component accepted by `POST /dags`, in bytes.
    pub max_component_bytes: usize,
    /// Largest JSON request body accepted by the other routes, in bytes.
    pub max_json_bytes: usize,
    /// Most components validated (compiled and described) at once; the rest wait their turn.
    pub max_concurrent_deploys: usize,
    /// Bytes of the components deployed or fetched last that are kept in memory for the
    /// workers' fetches.
    pub component_cache_bytes: usize,
    /// Bearer tokens for writes and for the worker API; none by default (no authentication).
    pub auth: AuthConfig,
    /// A worker that has not heartbeated for this long is shown as dead.
    pub worker_dead_after: Duration,
    /// While a request waits for a run to end, the store is read again this often whatever
    /// the scheduler announces (an announcement may be lost; the store is the truth).
    pub run_wait_recheck: Duration,
    /// How many connections the server holds (in all and per client), and how long a
    /// request's header may take.
    pub connections: crate::admission::ConnectionLimits,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_component_bytes: 64 << 20,
            max_json_bytes: 2 << 20,
            max_concurrent_deploys: 2,
            component_cache_bytes: 128 << 20,
            auth: AuthConfig::default(),
            worker_dead_after: Duration::from_secs(30),
            run_wait_recheck: Duration::from_secs(1),
            connections: crate::admission::ConnectionLimits::default(),
        }
    }
}

/// The state every handler shares. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The metadata store.
    pub store: Arc<dyn Store>,
    /// The scheduler, for triggers, backfills, clearing, marking and change notices.
    pub control: Arc<dyn Control>,
    /// Validates deployed components by compiling them and running `describe`.
    pub runtime: Arc<Runtime>,
    /// Settings.
    pub config: ServerConfig,
    /// The current time, for what the server itself stamps (deploys, pauses, variables).
    pub clock: Arc<dyn Clock>,
    /// Connections and secrets, sealed in the store with the server's keys (none by
    /// default: nothing can be stored until [`with_credentials`](Self::with_credentials)).
    pub credentials: Credentials,
    /// Checks the attempt key of every worker API call made for an attempt (none: calls are
    /// taken on the task instance and lease alone).
    pub attempt_keys: Option<weft_vault::AttemptKeys>,
    pub(crate) deploys: Arc<Semaphore>,
    /// The components deployed or fetched last, for the workers' fetches.
    pub(crate) components: Arc<crate::component_cache::ComponentCache>,
    /// Each tenant's rate of user API requests on this server.
    pub(crate) rate_limits: Arc<crate::rate_limits::RateLimits>,
    /// The health route's last write to the store.
    pub(crate) write_probe: Arc<crate::health::WriteProbe>,
}

impl AppState {
    /// State over these services, with the system clock.
    pub fn new(
        store: Arc<dyn Store>,
        control: Arc<dyn Control>,
        runtime: Arc<Runtime>,
        config: ServerConfig,
    ) -> AppState {
        let deploys = Arc::new(Semaphore::new(config.max_concurrent_deploys.max(1)));
        let components = Arc::new(crate::component_cache::ComponentCache::new(
            config.component_cache_bytes,
        ));
        AppState {
            credentials: Credentials::new(store.clone(), None),
            store,
            control,
            runtime,
            config,
            clock: Arc::new(SystemClock),
            attempt_keys: None,
            deploys,
            components,
            rate_limits: Arc::default(),
            write_probe: Arc::default(),
        }
    }

    /// The same state reading the time from `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> AppState {
        self.clock = clock;
        self
    }

    /// The same state sealing and opening connections and secrets with `credentials` (over
    /// the same store), whose keys the caller has checked
    /// ([`Credentials::check_keys`]).
    #[must_use]
    pub fn with_credentials(mut self, credentials: Credentials) -> AppState {
        self.credentials = credentials;
        self
    }

    /// The same state demanding, of every worker API call made for an attempt, the key the
    /// scheduler issued it with `keys` (the same secret key as the schedulers').
    #[must_use]
    pub fn with_attempt_keys(mut self, keys: weft_vault::AttemptKeys) -> AppState {
        self.attempt_keys = Some(keys);
        self
    }

    /// The current time by the state's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
