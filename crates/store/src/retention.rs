//! Retention: removing what is old enough to go — ended runs with their task instances,
//! XCom values, logs and notifications, asset events nothing waits for — and the components
//! nothing needs any more ([`Store::clean`](crate::Store::clean)).

use jiff::Timestamp;

/// What to clean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clean {
    /// Runs that ended before this, and asset events made before it, go.
    pub before: Timestamp,
    /// Most runs (or events) removed in one transaction; each is short, so the scheduler's
    /// writes go on between them.
    pub batch: u32,
    /// Count only; remove nothing.
    pub dry_run: bool,
    /// Also remove DAG versions that are neither current nor used by a run left, and the
    /// components nothing refers to any more.
    pub components: bool,
}

/// What a clean removed (or, dry, would remove).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cleaned {
    /// Runs, with their XCom values and notifications.
    pub runs: u64,
    /// Their task instances, with their logs.
    pub task_instances: u64,
    /// Asset events.
    pub asset_events: u64,
    /// DAG versions no DAG or run uses.
    pub versions: u64,
    /// Components nothing refers to.
    pub components: u64,
    /// Transactions it took.
    pub batches: u64,
}

/// Runs removed per transaction unless asked otherwise.
pub const DEFAULT_BATCH: u32 = 1000;

/// The automatic clean (`--clean-older-than`, `--clean-every` of `wfctl scheduler` and
/// `wfctl standalone`): every `every`, what a [`Clean`] of everything ended `older_than` ago
/// removes, in batches of [`DEFAULT_BATCH`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoClean {
    /// How old a run (or an asset event) must be to go.
    pub older_than: std::time::Duration,
    /// How often the clean runs; the first comes one period after the start.
    pub every: std::time::Duration,
}

impl AutoClean {
    /// Clean `store` every [`every`](Self::every) until `stop`. A failed clean is logged and
    /// tried again at the next period.
    pub async fn run(
        self,
        store: std::sync::Arc<dyn crate::Store>,
        stop: impl std::future::Future<Output = ()> + Send,
    ) {
        let Ok(age) = jiff::SignedDuration::try_from(self.older_than) else {
            return;
        };
        tokio::pin!(stop);
        let mut ticks =
            tokio::time::interval_at(tokio::time::Instant::now() + self.every, self.every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = &mut stop => return,
                _ = ticks.tick() => {}
            }
            let Ok(before) = Timestamp::now().checked_sub(age) else {
                continue;
            };
            let request = Clean {
                before,
                batch: DEFAULT_BATCH,
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
