//! Running a few requests at once on the shared (multiplexed) connection: one per scope of an
//! operation, so that an operation over several scopes still takes about one round trip.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

/// Runs `futures` concurrently (on this task); their outputs, in order.
pub(super) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(out) => *output = Some(out),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    // Every output is set once nothing is pending.
    outputs.into_iter().flatten().collect()
}

/// Runs fallible `futures` concurrently: their outputs in order, or the first error (in
/// order) once all have finished.
pub(super) async fn try_join_all<F, T, E>(futures: Vec<F>) -> Result<Vec<T>, E>
where
    F: Future<Output = Result<T, E>>,
{
    join_all(futures).await.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn outputs_keep_their_order_and_the_futures_run_together() {
        let start = tokio::time::Instant::now();
        let futures: Vec<_> = [3u64, 1, 2]
            .into_iter()
            .map(|s| async move {
                tokio::time::sleep(Duration::from_secs(s)).await;
                s
            })
            .collect();
        assert_eq!(join_all(futures).await, [3, 1, 2]);
        assert_eq!(start.elapsed(), Duration::from_secs(3));
        let failing: Vec<_> = [Ok(1), Err("b"), Err("c")]
            .into_iter()
            .map(|r| async move { r })
            .collect();
        assert_eq!(try_join_all(failing).await, Err("b"));
        let none: Vec<std::future::Ready<u8>> = Vec::new();
        assert!(join_all(none).await.is_empty());
    }
}
