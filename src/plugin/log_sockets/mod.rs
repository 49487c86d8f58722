//! The log servers the socket log plugins send to, as queue senders: a TCP connection kept
//! alive between batches (optionally TLS), UDP datagrams, and the local syslog socket.

pub mod tcp;
pub mod tls;
pub mod udp;
pub mod unix;
