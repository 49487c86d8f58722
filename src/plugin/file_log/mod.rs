//! Kong's file-log plugin (PRIORITY 9): each request's log object, one JSON line, appended
//! to `path` (created with mode 0644 if missing). The file stays open between requests
//! (shared by the instances writing to it) unless `reopen`, which opens and closes it for
//! every entry, so that rotated files are let go.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use serde::Deserialize;
use serde_yaml::Value;

use super::api::{Phases, Plugin, PluginConfig, Stateless};
use super::log_phase::LogPhase;
use super::log_target;
use super::plugin_config;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::errors::{join, ConfigErrors};

pub const SPEC: PluginSpec = PluginSpec {
    name: "file-log",
    priority: 9,
    version: KONG_PLUGIN_VERSION,
    authentication: false,
    compile,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    path: Option<String>,
    #[serde(default)]
    reopen: bool,
    #[serde(default)]
    custom_fields_by_lua: std::collections::BTreeMap<String, Value>,
}

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    let raw: RawConfig = plugin_config::parse(config, path, errors)?;
    let base = join(path, "config");
    let before = errors.len();
    log_target::refuse_lua_fields(
        &raw.custom_fields_by_lua,
        join(&base, "custom_fields_by_lua"),
        errors,
    );
    match raw.path.as_deref() {
        None => errors.push(join(&base, "path"), "required field missing"),
        Some(file) if file.is_empty() || file.contains(['*', '&', '%', '\\', '`']) => {
            errors.push(join(&base, "path"), "not a valid filename")
        }
        Some(_) => {}
    }
    if errors.len() > before {
        return None;
    }
    Some(Arc::new(Stateless(Arc::new(FileLog {
        path: raw.path?,
        reopen: raw.reopen,
    }))))
}

/// A compiled file-log instance (also its runtime).
#[derive(Debug)]
pub struct FileLog {
    pub path: String,
    pub reopen: bool,
}

/// One log file, open or not.
type FileSlot = Arc<Mutex<Option<File>>>;

/// The open files, by path (kept open between entries unless `reopen`).
fn open_files() -> &'static Mutex<HashMap<String, FileSlot>> {
    static FILES: OnceLock<Mutex<HashMap<String, FileSlot>>> = OnceLock::new();
    FILES.get_or_init(Default::default)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match mutex.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn open(path: &str) -> std::io::Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o644)
        .open(path)
}

impl FileLog {
    /// Appends `line` (with its newline) to the file.
    pub fn append(&self, line: &[u8]) -> std::io::Result<()> {
        let slot = lock(open_files())
            .entry(self.path.clone())
            .or_default()
            .clone();
        let mut file = lock(&slot);
        if self.reopen {
            *file = None;
        }
        let handle = match file.as_mut() {
            Some(handle) => handle,
            None => file.insert(open(&self.path)?),
        };
        let written = handle.write_all(line);
        if written.is_err() || self.reopen {
            // A failed write (file gone, disk full) opens the file again next time.
            *file = None;
        }
        written
    }
}

#[async_trait]
impl Plugin for FileLog {
    fn phases(&self) -> Phases {
        Phases::LOG
    }

    fn log(&self, log: &LogPhase<'_>) {
        let object = log.log_object();
        let mut line = Vec::with_capacity(object.len() + 1);
        line.extend_from_slice(object.as_bytes());
        line.push(b'\n');
        if let Err(error) = self.append(&line) {
            log::error!("[file-log] failed to write log file {}: {error}", self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> Result<Arc<dyn PluginConfig>, Vec<(String, String)>> {
        plugin_config::check_config(compile, yaml)
    }

    #[test]
    fn kongs_schema_and_messages() {
        let errors = check("{reopen: true}").unwrap_err();
        assert_eq!(
            errors,
            vec![(
                "plugins[0].config.path".to_owned(),
                "required field missing".to_owned()
            )]
        );
        let errors = check("{path: '/tmp/a*b.log'}").unwrap_err();
        assert_eq!(errors[0].1, "not a valid filename");
        let errors =
            check("{path: /tmp/x.log, custom_fields_by_lua: {a: 'return 1'}}").unwrap_err();
        assert_eq!(errors[0].0, "plugins[0].config.custom_fields_by_lua");
        assert!(check("{path: /tmp/file.log, reopen: false, custom_fields_by_lua: {}}").is_ok());
    }

    #[test]
    fn lines_are_appended_and_a_moved_file_is_let_go_with_reopen() {
        let dir = std::env::temp_dir().join(format!("file-log-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.log");
        let kept = FileLog {
            path: path.display().to_string(),
            reopen: false,
        };
        kept.append(b"one\n").unwrap();
        kept.append(b"two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\ntwo\n");
        // Rotated away: without reopen the open file keeps the lines; with it, a new file.
        let rotated = dir.join("a.log.1");
        std::fs::rename(&path, &rotated).unwrap();
        kept.append(b"three\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&rotated).unwrap(),
            "one\ntwo\nthree\n"
        );
        let reopened = FileLog {
            path: path.display().to_string(),
            reopen: true,
        };
        reopened.append(b"four\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "four\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
