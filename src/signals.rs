//! The gateway's own process events, as one Pingora background service: SIGHUP reloads the
//! declarative configuration; Pingora's upgrade phase (it got SIGQUIT and is handing the
//! listening sockets to a new process) starts connection draining.
//!
//! The SIGHUP handler is installed by [`HangupListener::install`] before the server starts:
//! SIGHUP's default action ends the process, so there must be no window in which a reload
//! request kills it. Installed before a daemon fork, it is inherited by the daemon.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use pingora::server::{ExecutionPhase, ShutdownWatch};
use pingora::services::background::BackgroundService;
use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::broadcast;

use crate::reload::Reloader;

/// A SIGHUP listener made before Pingora's runtimes exist.
pub struct HangupListener(Signal);

impl HangupListener {
    /// Installs the handler now; from here on SIGHUP no longer ends the process.
    pub fn install() -> Result<Self, String> {
        let error = |e: std::io::Error| format!("cannot install the SIGHUP handler: {e}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(error)?;
        let _entered = runtime.enter();
        Ok(Self(signal(SignalKind::hangup()).map_err(error)?))
    }
}

/// What the service listens to; taken once when it starts.
struct Sources {
    hangups: HangupListener,
    phases: broadcast::Receiver<ExecutionPhase>,
}

/// Reloads at SIGHUP, drains when Pingora starts a graceful upgrade, until shutdown.
pub struct SignalService {
    sources: Mutex<Option<Sources>>,
    reloader: Arc<Reloader>,
}

impl SignalService {
    /// `phases` from `Server::watch_execution_phase`.
    pub fn new(
        hangups: HangupListener,
        phases: broadcast::Receiver<ExecutionPhase>,
        reloader: Reloader,
    ) -> Self {
        Self {
            sources: Mutex::new(Some(Sources { hangups, phases })),
            reloader: Arc::new(reloader),
        }
    }
}

/// The next execution phase; pending forever once the server dropped the channel.
async fn next_phase(phases: &mut broadcast::Receiver<ExecutionPhase>) -> ExecutionPhase {
    loop {
        match phases.recv().await {
            Ok(phase) => return phase,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => std::future::pending().await,
        }
    }
}

#[async_trait]
impl BackgroundService for SignalService {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let taken = match self.sources.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        let Some(Sources {
            hangups: HangupListener(mut hangups),
            mut phases,
        }) = taken
        else {
            return;
        };
        // After shutdown the handler stays installed and SIGHUP is ignored, never fatal.
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                received = hangups.recv() => {
                    if received.is_none() {
                        return;
                    }
                    // In its own task: a slow reload (name resolution) must not hold up
                    // draining or shutdown.
                    let reloader = Arc::clone(&self.reloader);
                    tokio::spawn(async move { reloader.reload_now().await });
                }
                phase = next_phase(&mut phases) => {
                    if matches!(phase, ExecutionPhase::GracefulUpgradeTransferringFds) {
                        crate::drain::start_draining();
                    }
                }
            }
        }
    }
}
