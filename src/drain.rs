//! Connection draining while a graceful upgrade hands the listeners over.
//!
//! After SIGQUIT Pingora sends the listening sockets to the new process, keeps accepting for
//! 5 s, then stops and drops every idle keep-alive connection at once: a client whose next
//! request was already on its way sees the connection closed without an answer. So from the
//! hand-over on (Pingora's `GracefulUpgradeTransferringFds` phase) every response carries
//! `Connection: close` and clients reconnect (to either process: they share the listening
//! socket) instead of waiting on a connection about to go.

use std::sync::atomic::{AtomicBool, Ordering};

static DRAINING: AtomicBool = AtomicBool::new(false);

/// Whether this process is handing over to a new one (keep-alive is then refused).
pub fn draining() -> bool {
    DRAINING.load(Ordering::Relaxed)
}

/// Starts draining: responses from now on close their connection.
pub fn start_draining() {
    if !DRAINING.swap(true, Ordering::Relaxed) {
        log::info!("graceful upgrade: closing keep-alive connections after their response");
    }
}
