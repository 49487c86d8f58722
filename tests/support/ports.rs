//! Loopback ports for the test processes: pick a free one, wait until one accepts connections.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A port on 127.0.0.1 that was free a moment ago (bind to 0, read it, release it).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

/// True if something accepts TCP connections on 127.0.0.1:`port` right now.
pub fn accepts(port: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok()
}

/// Waits until 127.0.0.1:`port` accepts connections; `alive` is asked between tries so a
/// process that died early fails fast. Returns an error message on timeout or death.
pub fn wait_accepting(
    port: u16,
    timeout: Duration,
    alive: impl FnMut() -> bool,
) -> Result<(), String> {
    wait_accepting_at(SocketAddr::from(([127, 0, 0, 1], port)), timeout, alive)
}

/// As `wait_accepting`, on any loopback address (e.g. 127.0.0.2).
pub fn wait_accepting_at(
    addr: SocketAddr,
    timeout: Duration,
    mut alive: impl FnMut() -> bool,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    loop {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if !alive() {
            return Err(format!("process exited before {addr} accepted connections"));
        }
        if Instant::now() >= deadline {
            return Err(format!("{addr} not accepting after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
