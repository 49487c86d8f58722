//! What a name currently resolves to: the immutable answer requests read, with a weighted
//! round-robin wheel over its addresses built once per answer.

use std::net::{IpAddr, SocketAddr};

/// One address of an answer. SRV answers carry a port and a weight; A/AAAA answers neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Address {
    pub ip: IpAddr,
    /// The SRV target's port; `None` = the service's or target's own port.
    pub port: Option<u16>,
    /// The SRV weight (0 counts as 1); 1 for A/AAAA.
    pub weight: u32,
}

impl Address {
    /// The socket address, with `default_port` when the record has none.
    pub fn socket_addr(&self, default_port: u16) -> SocketAddr {
        SocketAddr::new(self.ip, self.port.unwrap_or(default_port))
    }
}

/// Where an answer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerState {
    /// Not looked up yet.
    Pending,
    /// Within its TTL (or refreshed).
    Fresh,
    /// Past its TTL, refreshes failing, still within `dns_stale_ttl`.
    Stale,
    /// The name does not resolve (not found, or failing past the stale window).
    Failed,
}

/// One published answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub state: AnswerState,
    pub addresses: Vec<Address>,
    /// Indexes into `addresses`, each repeated by its (reduced) weight.
    wheel: Vec<u16>,
}

/// Most wheel slots (weights are scaled down past this).
const MAX_WHEEL: u64 = 1000;

impl Answer {
    pub fn pending() -> Self {
        Answer::new(AnswerState::Pending, Vec::new())
    }

    pub fn failed() -> Self {
        Answer::new(AnswerState::Failed, Vec::new())
    }

    pub fn new(state: AnswerState, mut addresses: Vec<Address>) -> Self {
        addresses.truncate(usize::from(u16::MAX));
        let wheel = wheel(&addresses);
        Answer {
            state,
            addresses,
            wheel,
        }
    }

    /// The same addresses in another state.
    pub fn with_state(&self, state: AnswerState) -> Self {
        Answer {
            state,
            ..self.clone()
        }
    }

    /// Whether requests can use it.
    pub fn usable(&self) -> bool {
        matches!(self.state, AnswerState::Fresh | AnswerState::Stale) && !self.wheel.is_empty()
    }

    /// The address for round-robin position `turn`, or `None` when the name does not resolve.
    pub fn pick(&self, turn: usize, default_port: u16) -> Option<SocketAddr> {
        if !self.usable() {
            return None;
        }
        let index = *self.wheel.get(turn % self.wheel.len())?;
        self.addresses
            .get(usize::from(index))
            .map(|a| a.socket_addr(default_port))
    }
}

/// Indexes repeated by weight divided by the weights' gcd, scaled to at most `MAX_WHEEL`
/// slots, interleaved so that equal weights alternate.
fn wheel(addresses: &[Address]) -> Vec<u16> {
    let weights: Vec<u64> = addresses
        .iter()
        .map(|a| u64::from(a.weight.max(1)))
        .collect();
    let divisor = weights.iter().copied().fold(0, gcd).max(1);
    let total: u64 = weights.iter().map(|w| w / divisor).sum();
    let scale = total.div_ceil(MAX_WHEEL).max(1);
    let counts: Vec<u64> = weights
        .iter()
        .map(|w| (w / divisor / scale).max(1))
        .collect();
    let most = counts.iter().copied().max().unwrap_or(0);
    let mut slots = Vec::new();
    for round in 0..most {
        for (index, count) in counts.iter().enumerate() {
            if round < *count {
                slots.push(u16::try_from(index).unwrap_or(u16::MAX));
            }
        }
    }
    slots
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(last: u8, weight: u32) -> Address {
        Address {
            ip: IpAddr::from([127, 0, 0, last]),
            port: None,
            weight,
        }
    }

    #[test]
    fn equal_weights_alternate() {
        let answer = Answer::new(AnswerState::Fresh, vec![a(2, 1), a(3, 1)]);
        let picks: Vec<_> = (0..4).map(|t| answer.pick(t, 80).unwrap()).collect();
        assert_eq!(picks[0], "127.0.0.2:80".parse().unwrap());
        assert_eq!(picks[1], "127.0.0.3:80".parse().unwrap());
        assert_eq!(picks[2], picks[0]);
    }

    #[test]
    fn weights_are_honoured() {
        let answer = Answer::new(AnswerState::Fresh, vec![a(2, 30), a(3, 10)]);
        let twos = (0..400)
            .filter(|t| answer.pick(*t, 80).unwrap().ip() == IpAddr::from([127, 0, 0, 2]))
            .count();
        assert_eq!(twos, 300);
    }

    #[test]
    fn srv_ports_win_and_failed_answers_pick_nothing() {
        let mut srv = a(2, 0);
        srv.port = Some(8001);
        let answer = Answer::new(AnswerState::Stale, vec![srv]);
        assert_eq!(answer.pick(7, 80), Some("127.0.0.2:8001".parse().unwrap()));
        assert_eq!(Answer::failed().pick(0, 80), None);
        assert_eq!(Answer::pending().pick(0, 80), None);
        assert_eq!(Answer::new(AnswerState::Fresh, vec![]).pick(0, 80), None);
    }
}
