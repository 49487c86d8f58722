//! Load from `wrk` (Debian package, installed by tests/setup.sh) in the background, with a Lua
//! script that counts every non-2xx answer; the summary is parsed when it ends.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::process::ChildGuard;

/// Counts non-2xx answers per thread and prints their sum as `non2xx N` at the end.
const COUNT_NON_2XX: &str = r#"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) non2xx = 0 end
function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end
function done(summary, latency, requests)
  local n = 0
  for _, t in ipairs(threads) do n = n + t:get("non2xx") end
  io.write(string.format("non2xx %d\n", n))
end
"#;

/// What one wrk run saw.
#[derive(Debug, Clone, Default)]
pub struct WrkSummary {
    pub requests: u64,
    pub non_2xx: u64,
    /// connect + read + write + timeout socket errors.
    pub socket_errors: u64,
    pub output: String,
}

impl WrkSummary {
    /// Enough load was sent, and every answer was a 2xx with no socket error.
    pub fn assert_no_failures(&self) {
        assert!(self.requests > 200, "too little load: {}", self.output);
        assert_eq!(self.non_2xx, 0, "non-2xx answers:\n{}", self.output);
        assert_eq!(self.socket_errors, 0, "socket errors:\n{}", self.output);
    }
}

/// A running wrk.
pub struct Wrk {
    child: ChildGuard,
    out: std::path::PathBuf,
}

impl Wrk {
    /// Starts `wrk -t threads -c connections -d seconds` against `url`; files go into `dir`.
    pub fn start(dir: &Path, url: &str, threads: u32, connections: u32, seconds: u32) -> Wrk {
        assert!(
            Path::new("/usr/bin/wrk").exists() || which("wrk"),
            "wrk is missing: run tests/setup.sh (apt-get install wrk)"
        );
        let script = dir.join("count-non-2xx.lua");
        std::fs::write(&script, COUNT_NON_2XX).expect("write wrk script");
        let out = dir.join("wrk.out");
        let file = std::fs::File::create(&out).expect("create wrk output");
        let mut cmd = Command::new("wrk");
        cmd.arg(format!("-t{threads}"))
            .arg(format!("-c{connections}"))
            .arg(format!("-d{seconds}s"))
            .arg("--timeout")
            .arg("5s")
            .arg("-s")
            .arg(&script)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::from(file))
            .stderr(Stdio::null());
        Wrk {
            child: ChildGuard::spawn("wrk", &mut cmd),
            out,
        }
    }

    pub fn is_running(&mut self) -> bool {
        self.child.is_running()
    }

    /// Waits (at most `timeout`) for wrk to end and parses its summary.
    pub fn finish(mut self, timeout: Duration) -> WrkSummary {
        let ended = super::poll(timeout, Duration::from_millis(100), || self.child.exited());
        let status = ended.unwrap_or_else(|| panic!("wrk still running after {timeout:?}"));
        let output = std::fs::read_to_string(&self.out).unwrap_or_default();
        assert!(status.success(), "wrk failed ({status}):\n{output}");
        parse(&output)
    }
}

fn which(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Parses wrk's summary and the script's `non2xx` line.
pub fn parse(output: &str) -> WrkSummary {
    let mut summary = WrkSummary {
        output: output.to_owned(),
        ..WrkSummary::default()
    };
    let mut saw_non2xx = false;
    for line in output.lines().map(str::trim) {
        if line.contains(" requests in ") {
            summary.requests = line
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        } else if let Some(errors) = line.strip_prefix("Socket errors:") {
            summary.socket_errors = errors
                .split(',')
                .filter_map(|part| part.split_whitespace().last())
                .filter_map(|n| n.parse::<u64>().ok())
                .sum();
        } else if let Some(n) = line.strip_prefix("non2xx ") {
            summary.non_2xx = n.trim().parse().unwrap_or(u64::MAX);
            saw_non2xx = true;
        }
    }
    assert!(
        saw_non2xx && summary.requests > 0,
        "cannot read wrk's summary:\n{output}"
    );
    summary
}
