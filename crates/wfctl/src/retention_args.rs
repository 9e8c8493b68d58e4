//! `--clean-older-than`: the automatic form of `wfctl db clean`, for `wfctl scheduler` (on the
//! leader) and `wfctl standalone`.

use std::sync::Arc;
use std::time::Duration;

use weft_store::{AutoClean, Store};

/// The flags of the commands that clean the store by themselves.
#[derive(Debug, Clone, clap::Args)]
pub struct RetentionArgs {
    /// Remove, every --clean-every, what `wfctl db clean --older-than AGE` removes (`30d`,
    /// `12h`); nothing is removed when not given
    #[arg(long, env = "WEFT_CLEAN_OLDER_THAN", value_name = "AGE", value_parser = crate::commands::db::retention)]
    pub clean_older_than: Option<Duration>,
    /// How often the automatic clean runs (`1h`, `10m`)
    #[arg(long, env = "WEFT_CLEAN_EVERY", value_name = "PERIOD", default_value = "1h", value_parser = crate::commands::db::retention)]
    pub clean_every: Duration,
}

impl RetentionArgs {
    /// The automatic clean these flags ask for; `None` when --clean-older-than is not given.
    pub fn auto_clean(&self) -> Option<AutoClean> {
        self.clean_older_than.map(|older_than| AutoClean {
            older_than,
            every: self.clean_every,
        })
    }

    /// Clean `store` every --clean-every until `stop`, if asked to; the first clean comes
    /// one period after the start.
    pub async fn run(
        &self,
        store: Arc<dyn Store>,
        stop: impl std::future::Future<Output = ()> + Send,
    ) {
        if let Some(clean) = self.auto_clean() {
            clean.run(store, stop).await;
        }
    }
}
