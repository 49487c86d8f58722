//! The gateway's own signals, as one Pingora background service: SIGHUP reloads the
//! declarative configuration, SIGQUIT (Pingora's upgrade signal, which Pingora handles
//! too) starts connection draining.
//!
//! The handlers are installed by [`SignalListeners::install`] before the server starts:
//! SIGHUP's default action ends the process, so there must be no window in which a reload
//! request kills it. Installed before a daemon fork, they are inherited by the daemon.

use std::sync::Mutex;

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use tokio::signal::unix::{signal, Signal, SignalKind};

use crate::reload::Reloader;

/// SIGHUP and SIGQUIT listeners made before Pingora's runtimes exist.
pub struct SignalListeners {
    hangup: Signal,
    quit: Signal,
}

impl SignalListeners {
    /// Installs the handlers now; from here on SIGHUP no longer ends the process.
    pub fn install() -> Result<Self, String> {
        let error = |e: std::io::Error| format!("cannot install the signal handlers: {e}");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .map_err(error)?;
        let _entered = runtime.enter();
        Ok(Self {
            hangup: signal(SignalKind::hangup()).map_err(error)?,
            quit: signal(SignalKind::quit()).map_err(error)?,
        })
    }
}

/// Reloads at SIGHUP, drains at SIGQUIT, until shutdown.
pub struct SignalService {
    listeners: Mutex<Option<SignalListeners>>,
    reloader: Reloader,
}

impl SignalService {
    pub fn new(listeners: SignalListeners, reloader: Reloader) -> Self {
        Self {
            listeners: Mutex::new(Some(listeners)),
            reloader,
        }
    }
}

#[async_trait]
impl BackgroundService for SignalService {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let taken = match self.listeners.lock() {
            Ok(mut slot) => slot.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        let Some(mut listeners) = taken else {
            return;
        };
        // Signals dropped after shutdown stay handled (ignored): SIGHUP never kills.
        loop {
            tokio::select! {
                _ = shutdown.changed() => return,
                received = listeners.hangup.recv() => {
                    if received.is_none() {
                        return;
                    }
                    self.reloader.reload_now().await;
                }
                received = listeners.quit.recv() => {
                    if received.is_none() {
                        return;
                    }
                    crate::drain::start_draining();
                }
            }
        }
    }
}
