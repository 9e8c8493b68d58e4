//! `--clean-older-than`: the automatic form of `wfctl db clean`, for `wfctl scheduler` (on the
//! leader) and `wfctl standalone`.

use std::sync::Arc;
use std::time::Duration;

use weft_store::{Clean, Store};

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
    /// Clean `store` every --clean-every until `stop`, if asked to; the first clean comes
    /// one period after the start.
    pub async fn run(
        &self,
        store: Arc<dyn Store>,
        stop: impl std::future::Future<Output = ()> + Send,
    ) {
        let Some(older_than) = self.clean_older_than else {
            return;
        };
        let Ok(age) = jiff::SignedDuration::try_from(older_than) else {
            return;
        };
        tokio::pin!(stop);
        let mut ticks = tokio::time::interval_at(
            tokio::time::Instant::now() + self.clean_every,
            self.clean_every,
        );
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = ticks.tick() => {}
            }
            let Ok(before) = jiff::Timestamp::now().checked_sub(age) else {
                continue;
            };
            let request = Clean {
                before,
                batch: weft_store::retention::DEFAULT_BATCH,
                dry_run: false,
                components: false,
            };
            match store.clean(&request).await {
                Ok(cleaned) => tracing::info!(
                    %before,
                    runs = cleaned.runs,
                    task_instances = cleaned.task_instances,
                    asset_events = cleaned.asset_events,
                    batches = cleaned.batches,
                    "store cleaned"
                ),
                Err(e) => {
                    tracing::warn!(error = %e, "the automatic clean failed; it runs again later")
                }
            }
        }
    }
}
