//! Kong's statsd plugin (PRIORITY 11): for each request whose status is in
//! `allow_status_codes`, the configured metrics as statsd lines, through Kong's queue, to a
//! statsd server over UDP (lines packed up to `udp_packet_size`) or TCP (`use_tcp`).

pub mod config;
pub mod lines;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use serde_yaml::Value;

use super::api::{Phases, Plugin, PluginConfig};
use super::log_phase::LogPhase;
use super::log_queue::{self, BatchSender, Queue, QueueId, Unusable};
use super::log_sockets::tcp::{TcpSender, TcpTarget};
use super::log_sockets::udp::{Packing, UdpSender};
use super::log_target::host_port;
use super::registry::PluginRegistry;
use super::table::{PluginSpec, KONG_PLUGIN_VERSION};
use crate::config::compiled::CompiledPlugin;
use crate::config::errors::ConfigErrors;
use config::StatsdConfig;
use lines::{dotless, Facts};

pub const SPEC: PluginSpec = PluginSpec {
    name: "statsd",
    priority: 11,
    version: KONG_PLUGIN_VERSION,
    authentication: false,
    compile,
};

fn compile(
    config: Option<Value>,
    path: &str,
    errors: &mut ConfigErrors,
) -> Option<Arc<dyn PluginConfig>> {
    Some(Arc::new(StatsdPluginConfig(config::compile(
        config, path, errors,
    )?)))
}

/// This machine's host name with dots as underscores (Kong's `node` tag and prefix).
fn hostname() -> &'static str {
    static HOSTNAME: OnceLock<String> = OnceLock::new();
    HOSTNAME.get_or_init(|| {
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .unwrap_or_else(|_| "localhost".to_owned());
        dotless(name.trim())
    })
}

/// A compiled statsd instance.
#[derive(Debug)]
pub struct StatsdPluginConfig(pub StatsdConfig);

impl StatsdPluginConfig {
    fn runtime(&self, id: &str) -> Arc<dyn Plugin> {
        let config = &self.0;
        let address = host_port(&config.host, config.port);
        let scheme = if config.use_tcp { "tcp" } else { "udp" };
        let label = format!("statsd+{scheme}://{address}");
        // Kong names a statsd queue after its plugin instance.
        let name = format!("statsd:{id}:{label}:{}", config.udp_packet_size);
        let tag = format!("statsd plugin {id}");
        let queue_id = QueueId {
            name: &name,
            log_tag: &tag,
            label: &label,
        };
        let queue = log_queue::queue(&queue_id, &config.queue, || sender(config));
        let mut prefix = config.prefix.clone();
        if config.hostname_in_prefix && config.tag_style.is_none() {
            prefix = format!("{prefix}.node.{}", hostname());
        }
        Arc::new(Statsd {
            config: config.clone(),
            prefix,
            queue,
        })
    }
}

/// Kong's statsd logger: TCP with a 1 s timeout, or UDP.
fn sender(config: &StatsdConfig) -> Arc<dyn BatchSender> {
    if !config.use_tcp {
        return Arc::new(UdpSender::new(
            &config.host,
            config.port,
            Duration::from_secs(10),
            Packing::Lines(config.udp_packet_size),
        ));
    }
    let target = TcpTarget {
        host: config.host.clone(),
        port: config.port,
        timeout: Duration::from_secs(1),
        keepalive: Duration::from_secs(60),
        tls: false,
        tls_sni: None,
    };
    match TcpSender::new(target) {
        Ok(sender) => Arc::new(sender),
        Err(error) => Arc::new(Unusable(error)),
    }
}

impl PluginConfig for StatsdPluginConfig {
    fn build(&self, _registry: &PluginRegistry) -> Arc<dyn Plugin> {
        self.runtime("")
    }

    fn build_instance(
        &self,
        _registry: &PluginRegistry,
        instance: &CompiledPlugin,
    ) -> Arc<dyn Plugin> {
        self.runtime(&instance.id)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// A statsd instance at run time.
pub struct Statsd {
    config: StatsdConfig,
    /// `prefix`, with `.node.<hostname>` when `hostname_in_prefix`.
    prefix: String,
    queue: Arc<Queue>,
}

impl Plugin for Statsd {
    fn phases(&self) -> Phases {
        Phases::LOG
    }

    fn log(&self, log: &LogPhase<'_>) {
        let finished = log.finished;
        if let Some(ranges) = &self.config.allow_status_codes {
            let status = finished.status;
            if !ranges
                .iter()
                .any(|(low, high)| (*low..=*high).contains(&status))
            {
                return;
            }
        }
        let facts = Facts {
            status: finished.status,
            request_size: log.request_size,
            response_size: log.response_size,
            latency: finished.request_latency.as_millis() as u64,
            upstream_latency: finished.upstream_latency.map(|d| d.as_millis() as u64),
            kong_latency: finished.gateway_latency.as_millis() as u64,
            service: finished.service,
            route: finished.route,
            consumer: finished.consumer,
        };
        let lines = lines::lines(&self.config, &self.prefix, hostname(), &facts);
        if !lines.is_empty() {
            self.queue.enqueue(lines.join("\n"));
        }
    }
}
