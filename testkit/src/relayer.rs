//! A relayer running in the test's own process (a task), stopped gracefully or dropped as a crash
//! would; for the tests of the relayer and of the tools that need one (the exit prover).

use std::net::SocketAddr;
use std::time::Duration;

use drawbridge_relayer::{Error, Relayer, RelayerConfig};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A relayer running in a task of this process.
pub struct Running {
    handle: JoinHandle<Result<(), Error>>,
    stop: oneshot::Sender<()>,
    api: Option<SocketAddr>,
}

/// Starts a relayer with `config` in a task of this process.
pub async fn start_relayer(config: RelayerConfig) -> Running {
    let relayer = Relayer::new(config).await.expect("relayer starts");
    let api = relayer.api_address();
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(relayer.run(async move {
        let _ = stopped.await;
    }));
    Running { handle, stop, api }
}

impl Running {
    /// Where its HTTP API listens, if it serves one.
    pub fn api_address(&self) -> Option<SocketAddr> {
        self.api
    }

    /// Graceful stop; the run must end without error.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(60), self.handle)
            .await
            .expect("the relayer stops within a minute")
            .expect("the relayer task did not panic")
            .expect("the relayer ran without a fatal error");
    }

    /// Abrupt stop: the task is dropped wherever it is, as a crash would.
    pub async fn kill(self) {
        self.handle.abort();
        let _ = self.handle.await;
    }
}
