//! A throwaway certificate authority and leaf certificates made with the `openssl` command.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// Key algorithm of a generated certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// ECDSA P-256 (fast to generate).
    Ec,
    Rsa,
}

/// A certificate and its key, as files.
#[derive(Debug, Clone)]
pub struct Leaf {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Leaf {
    pub fn cert_pem(&self) -> String {
        std::fs::read_to_string(&self.cert).expect("read certificate")
    }

    pub fn key_pem(&self) -> String {
        std::fs::read_to_string(&self.key).expect("read key")
    }
}

/// A CA (`CN=oidc-gateway Test CA`) whose files live in `dir`.
pub struct Pki {
    dir: PathBuf,
    pub ca: Leaf,
}

pub const CA_NAME: &str = "oidc-gateway Test CA";

impl Pki {
    pub fn new(dir: &Path) -> Pki {
        let ca = Leaf {
            cert: dir.join("ca.crt"),
            key: dir.join("ca.key"),
        };
        let mut cmd = Command::new("openssl");
        cmd.args(["req", "-x509", "-nodes", "-days", "2"])
            .args(key_args(KeyType::Ec))
            .arg("-keyout")
            .arg(&ca.key)
            .arg("-out")
            .arg(&ca.cert)
            .args(["-subj", &format!("/CN={CA_NAME}")])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        run(&mut cmd);
        Pki {
            dir: dir.to_owned(),
            ca,
        }
    }

    /// A leaf signed by the CA, `CN=common_name`, with the given DNS names.
    pub fn leaf(&self, stem: &str, common_name: &str, dns: &[&str], key_type: KeyType) -> Leaf {
        static SERIAL: AtomicU32 = AtomicU32::new(1000);
        let leaf = Leaf {
            cert: self.dir.join(format!("{stem}.crt")),
            key: self.dir.join(format!("{stem}.key")),
        };
        let csr = self.dir.join(format!("{stem}.csr"));
        let ext = self.dir.join(format!("{stem}.ext"));
        let names: Vec<String> = dns.iter().map(|d| format!("DNS:{d}")).collect();
        std::fs::write(
            &ext,
            format!(
                "basicConstraints=CA:FALSE\nsubjectAltName={}\n",
                names.join(",")
            ),
        )
        .expect("write extensions");
        let mut request = Command::new("openssl");
        request
            .args(["req", "-new", "-nodes"])
            .args(key_args(key_type))
            .arg("-keyout")
            .arg(&leaf.key)
            .arg("-out")
            .arg(&csr)
            .args(["-subj", &format!("/CN={common_name}")]);
        run(&mut request);
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed) + std::process::id() % 1000 * 10_000;
        let mut sign = Command::new("openssl");
        sign.args(["x509", "-req", "-days", "2"])
            .arg("-in")
            .arg(&csr)
            .arg("-CA")
            .arg(&self.ca.cert)
            .arg("-CAkey")
            .arg(&self.ca.key)
            .args(["-set_serial", &serial.to_string()])
            .arg("-extfile")
            .arg(&ext)
            .arg("-out")
            .arg(&leaf.cert);
        run(&mut sign);
        leaf
    }
}

fn key_args(key_type: KeyType) -> Vec<&'static str> {
    match key_type {
        KeyType::Ec => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        KeyType::Rsa => vec!["-newkey", "rsa:2048"],
    }
}

fn run(cmd: &mut Command) {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .expect("run openssl (installed by tests/setup.sh)");
    assert!(
        output.status.success(),
        "openssl failed: {cmd:?}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
