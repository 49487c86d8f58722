//! A real DNS server on loopback for the DNS tests: Debian's `dnsmasq` (installed by
//! tests/setup.sh) answering only from a hosts file the test rewrites (SIGHUP re-reads it),
//! authoritative for `.test` (unknown names get NXDOMAIN), with a short TTL and SRV records.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::process::ChildGuard;

pub struct Dnsmasq {
    port: u16,
    ttl: u32,
    srv: Vec<String>,
    dir: PathBuf,
    child: Option<ChildGuard>,
}

impl Dnsmasq {
    /// Starts dnsmasq on a free port with `hosts` (`/etc/hosts` format), answers valid
    /// `ttl` seconds, and `srv` records (`name,target,port,priority,weight`).
    pub fn start(hosts: &str, ttl: u32, srv: &[&str]) -> Dnsmasq {
        let dir = super::temp_dir("dnsmasq");
        let mut server = Dnsmasq {
            port: super::ports::free_port(),
            ttl,
            srv: srv.iter().map(|s| (*s).to_owned()).collect(),
            dir,
            child: None,
        };
        server.set_hosts_file(hosts);
        server.restart();
        server
    }

    /// `127.0.0.1:PORT`, for `GATEWAY_DNS_RESOLVER`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn hosts_path(&self) -> PathBuf {
        self.dir.join("hosts")
    }

    fn set_hosts_file(&self, hosts: &str) {
        std::fs::write(self.hosts_path(), hosts).expect("write dnsmasq hosts");
    }

    /// Replaces the hosts file and makes dnsmasq read it again.
    pub fn set_hosts(&mut self, hosts: &str) {
        self.set_hosts_file(hosts);
        let pid = self
            .child
            .as_ref()
            .and_then(ChildGuard::id)
            .expect("dnsmasq is running");
        let status = Command::new("kill")
            .arg("-HUP")
            .arg(pid.to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -HUP dnsmasq failed");
        // dnsmasq handles the signal asynchronously; give it a moment.
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Stops the server: queries time out (nothing listens on the port).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill();
        }
    }

    /// (Re)starts the server on its port.
    pub fn restart(&mut self) {
        self.stop();
        let binary = ["/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("dnsmasq is missing: run tests/setup.sh (apt-get install dnsmasq)");
        let mut cmd = Command::new(binary);
        cmd.arg("--no-daemon")
            .arg(format!("--port={}", self.port))
            .arg("--listen-address=127.0.0.1")
            .arg("--bind-interfaces")
            .arg("--no-resolv")
            .arg("--no-hosts")
            .arg(format!("--addn-hosts={}", self.hosts_path().display()))
            .arg(format!("--local-ttl={}", self.ttl))
            .arg("--local=/test/")
            .arg("--cache-size=0")
            // As root, stay root: the hosts file is in a private temp folder.
            .arg("--user=root")
            .arg(format!("--pid-file={}", self.dir.join("pid").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for record in &self.srv {
            cmd.arg(format!("--srv-host={record}"));
        }
        let mut child = ChildGuard::spawn("dnsmasq", &mut cmd);
        super::ports::wait_accepting(self.port, Duration::from_secs(10), || child.is_running())
            .unwrap_or_else(|e| panic!("dnsmasq: {e}"));
        self.child = Some(child);
    }
}

impl Drop for Dnsmasq {
    fn drop(&mut self) {
        self.stop();
        super::remove_temp_dir(&self.dir);
    }
}
