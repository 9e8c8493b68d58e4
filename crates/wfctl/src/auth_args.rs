//! Who may use the API of the process that serves it (`wfctl server`, `wfctl standalone`):
//! the installation administrator's tokens, whether reads need a token, and the refusal to
//! serve beyond loopback without tokens.

use clap::Args as ClapArgs;

/// The API's authentication. `Debug` shows how many tokens there are, never a token.
#[derive(Clone, ClapArgs)]
pub struct AdminArgs {
    /// The installation administrator's tokens, comma-separated. With one, every request
    /// needs a token (an administrator's, or a tenant's made with `wfctl tokens create`);
    /// with none, a request without a token acts as the administrator.
    #[arg(
        long,
        env = "WEFT_API_TOKENS",
        default_value = "",
        hide_env_values = true
    )]
    api_tokens: String,
    /// Let reads without a token act as a viewer of tenant `default` (a demo's setting; with
    /// tenants that must not see each other, leave it off).
    #[arg(long, env = "WEFT_OPEN_READS")]
    open_reads: bool,
    /// Listen on an address beyond loopback without tokens all the same: whoever reaches the
    /// port acts as the administrator (without --api-tokens) or as a worker, reading the
    /// passwords and secrets of running tasks (without --worker-tokens). Without this flag
    /// the server refuses to start so.
    #[arg(long, env = "WEFT_INSECURE_NO_AUTH")]
    insecure_no_auth: bool,
}

impl std::fmt::Debug for AdminArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = crate::services::list(&self.api_tokens).len();
        f.debug_struct("AdminArgs")
            .field("api_tokens", &format_args!("[{count} redacted]"))
            .field("open_reads", &self.open_reads)
            .field("insecure_no_auth", &self.insecure_no_auth)
            .finish()
    }
}

#[cfg(feature = "control-plane")]
impl AdminArgs {
    /// The administrator tokens, and whether reads are open.
    pub fn tokens(&self) -> (Vec<String>, bool) {
        (crate::services::list(&self.api_tokens), self.open_reads)
    }

    /// Refuse to listen on `bind` beyond loopback while `auth` leaves the API open (the
    /// worker API counts only when `worker_api` says the process serves it to others),
    /// unless --insecure-no-auth is given; then say so in a warning.
    pub fn check_exposure(
        &self,
        bind: std::net::IpAddr,
        auth: &weft_server::AuthConfig,
        worker_api: bool,
    ) -> Result<(), crate::exit::Failure> {
        if bind.is_loopback() {
            return Ok(());
        }
        let mut open = Vec::new();
        if auth.api_tokens.is_empty() {
            open.push("without --api-tokens (WEFT_API_TOKENS) whoever reaches the port acts as the installation administrator");
        }
        if worker_api && auth.worker_tokens.is_empty() {
            open.push("without --worker-tokens (WEFT_WORKER_TOKENS) whoever reaches the port acts as a worker and reads the connections and secrets of running tasks");
        }
        if open.is_empty() {
            return Ok(());
        }
        let why = open.join("; ");
        if self.insecure_no_auth {
            tracing::warn!(%bind, "listening beyond loopback with --insecure-no-auth: {why}");
            return Ok(());
        }
        Err(crate::exit::Failure::usage(format!(
            "refusing to listen on {bind}, which is beyond loopback: {why}. Give the tokens, \
             listen on 127.0.0.1, or pass --insecure-no-auth to run open all the same"
        )))
    }
}
