//! Run-time name resolution, the way Kong does it: names in the config are registered at
//! compile time (no lookup there), a background refresher resolves them with hickory and
//! Kong's `dns_*` settings, and requests read the current answer without a lock.

pub mod answer;
pub mod hosts;
pub mod idp_resolver;
pub mod lookup;
pub mod name;
pub mod refresh;
pub mod registry;
pub mod service;
pub mod settings;

pub use answer::{Address, Answer, AnswerState};
pub use idp_resolver::IdpResolver;
pub use name::DnsName;
pub use registry::registry;
pub use service::{check_names, DnsRefresher};
pub use settings::{DnsSettings, RecordKind};
