//! A running attempt's log lines, sent to the control plane as they are written, so that
//! people watch them before the attempt ends and keep them if its worker dies.
//!
//! Every [`LIVE_LOG_EVERY`] the lines written since the last send go out, in requests of at
//! most [`MAX_REQUEST_BYTES`] of text. Most attempts end before the first send and cost
//! nothing. The stored lines stay a prefix of the attempt's log: when a send fails, nothing
//! more is sent (the log sent with the result still holds every line), and the sender is
//! stopped, its last request answered, before the result is reported. (Should that request
//! outlast [`STOP_WAIT`], the store refuses it once the result is written: a final log is
//! never added to.)

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use weft_protocol::log::LogLine;
use weft_protocol::{AttemptRef, RunPk};
use weft_runtime::LiveLog;

use crate::plane::{Caller, ControlPlane};

/// How often a running attempt's new log lines are sent.
pub(crate) const LIVE_LOG_EVERY: Duration = Duration::from_millis(500);
/// Most bytes in one request, its lines counted as their text and [`LINE_COST`] each.
const MAX_REQUEST_BYTES: usize = 256 << 10;
/// What a line adds to a request besides its text (its offset, level and source in JSON).
const LINE_COST: usize = 128;
/// How long the end of an attempt waits for a send in flight before dropping it.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// The sender of one attempt's live log.
pub(crate) struct LiveLogSender {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl LiveLogSender {
    /// Send the lines `live` takes, for the attempt `attempt` of `tenant`'s run `run`.
    pub(crate) fn start(
        plane: Arc<dyn ControlPlane>,
        tenant: String,
        run: RunPk,
        attempt: AttemptRef,
        live: LiveLog,
    ) -> LiveLogSender {
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(send_lines(plane, tenant, run, attempt, live, stopped));
        LiveLogSender { stop, task }
    }

    /// Stop sending, once the request in flight (if any) is answered.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(STOP_WAIT, &mut task).await.is_err() {
            task.abort();
        }
    }
}

async fn send_lines(
    plane: Arc<dyn ControlPlane>,
    tenant: String,
    run: RunPk,
    attempt: AttemptRef,
    live: LiveLog,
    mut stopped: oneshot::Receiver<()>,
) {
    let caller = Caller {
        tenant: &tenant,
        run,
        attempt,
    };
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + LIVE_LOG_EVERY, LIVE_LOG_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Lines stored so far: the number of the next one.
    let mut sent: u64 = 0;
    loop {
        tokio::select! {
            biased;
            _ = &mut stopped => return,
            _ = ticks.tick() => {}
        }
        for lines in requests(live.take_new_lines()) {
            // Once the attempt has ended, its result carries these lines.
            if !matches!(stopped.try_recv(), Err(oneshot::error::TryRecvError::Empty)) {
                return;
            }
            let count = lines.len() as u64;
            if let Err(e) = plane.append_log(caller, sent, lines).await {
                tracing::debug!(
                    ti = attempt.ti,
                    error = %e,
                    "live log stopped; the attempt's result carries its whole log"
                );
                return;
            }
            sent += count;
        }
    }
}

/// `lines` cut into requests of at most [`MAX_REQUEST_BYTES`] (a longer line goes alone).
fn requests(lines: Vec<LogLine>) -> Vec<Vec<LogLine>> {
    let mut requests: Vec<Vec<LogLine>> = Vec::new();
    let mut size = 0;
    for line in lines {
        let len = line.message.len() + LINE_COST;
        match requests.last_mut() {
            Some(last) if size + len <= MAX_REQUEST_BYTES => last.push(line),
            _ => {
                size = 0;
                requests.push(vec![line]);
            }
        }
        size += len;
    }
    requests
}

#[cfg(test)]
mod tests {
    use weft_protocol::log::{LogLevel, LogSource};

    use super::*;

    fn line(len: usize) -> LogLine {
        LogLine {
            offset: Duration::ZERO,
            level: LogLevel::Info,
            source: LogSource::Task,
            message: "x".repeat(len),
        }
    }

    #[test]
    fn lines_are_cut_into_bounded_requests_in_order() {
        assert!(requests(Vec::new()).is_empty());
        let half = MAX_REQUEST_BYTES / 2 - LINE_COST;
        let cut = requests(vec![
            line(half),
            line(half),
            line(1),
            line(MAX_REQUEST_BYTES * 2),
        ]);
        let sizes: Vec<Vec<usize>> = cut
            .iter()
            .map(|r| r.iter().map(|l| l.message.len()).collect())
            .collect();
        assert_eq!(
            sizes,
            [vec![half, half], vec![1], vec![MAX_REQUEST_BYTES * 2]]
        );
    }
}
