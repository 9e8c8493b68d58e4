//! Who may use the API of the process that serves it (`wfctl server`, `wfctl standalone`):
//! the installation administrator's tokens, and whether reads need a token.

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
}

impl std::fmt::Debug for AdminArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = crate::services::list(&self.api_tokens).len();
        f.debug_struct("AdminArgs")
            .field("api_tokens", &format_args!("[{count} redacted]"))
            .field("open_reads", &self.open_reads)
            .finish()
    }
}

#[cfg(feature = "control-plane")]
impl AdminArgs {
    /// The administrator tokens, and whether reads are open.
    pub fn tokens(&self) -> (Vec<String>, bool) {
        (crate::services::list(&self.api_tokens), self.open_reads)
    }
}
