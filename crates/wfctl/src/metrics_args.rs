//! `--metrics-addr`: `/metrics` on a port of its own, for `wfctl scheduler`, `wfctl worker`
//! and `wfctl standalone`. The API server and `wfctl standalone` also serve it at
//! `/api/v1/metrics`, which adds gauges read from the store (queue depths, pools, workers);
//! the port of its own serves the process's own metrics alone, read from memory.

use std::net::SocketAddr;

use crate::exit::Failure;

/// The flag of the commands that can serve their metrics.
#[derive(Debug, Clone, clap::Args)]
pub struct MetricsArgs {
    /// Serve Prometheus metrics at `http://ADDR/metrics` (e.g. `127.0.0.1:9464`; port 0
    /// picks a free one, printed at start); none when not given
    #[arg(long, env = "WEFT_METRICS_ADDR", value_name = "ADDR")]
    pub metrics_addr: Option<SocketAddr>,
}

impl MetricsArgs {
    /// Start serving, if asked, until `shutdown`; a port that cannot be bound is an error
    /// naming it.
    pub async fn serve(
        &self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<Option<tokio::task::JoinHandle<()>>, Failure> {
        let Some(address) = self.metrics_addr else {
            return Ok(None);
        };
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| Failure::usage(format!("--metrics-addr {address}: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Failure::usage(format!("--metrics-addr {address}: {e}")))?;
        println!("metrics at http://{bound}/metrics");
        Ok(Some(tokio::spawn(async move {
            if let Err(e) = weft_metrics::serve::serve(listener, shutdown).await {
                tracing::error!(error = %e, "the metrics server failed");
            }
        })))
    }
}
