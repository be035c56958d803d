//! Per-port hello state machine: the three-way handshake of point-to-point
//! IS-IS adjacencies [RFC 5303 §3], one neighbour per port.
//!
//! Each port sends a [`Hello`] every `hello_interval` to `ALL_ROUTERS_MAC`
//! carrying its state and the router id it hears. On receipt of a hello, the
//! state moves as in the table of [RFC 5303 §3.2]:
//!
//! | our state \ received | Down | Init (or Up) not listing us | Init listing us | Up listing us |
//! |----------------------|------|-----------------------------|-----------------|---------------|
//! | Down                 | Init | Init                        | Up              | Down          |
//! | Init                 | Init | Init                        | Up              | Up            |
//! | Up                   | Init | Init                        | Up              | Up            |
//!
//! ("Down + received Up → stay Down" is the RFC's rule: the neighbour believes
//! in an adjacency we lost, e.g. we restarted; our Down hello makes it drop to
//! Init, so both ends see the restart and resynchronise.) A hello from a
//! different router id than the one an Init/Up adjacency has resets the
//! adjacency to Down first. The hold timer is the neighbour's advertised
//! `hold_time_s` (at least 1 s); expiry, or the port going down, takes the
//! adjacency Down at once. Any state change asks for an immediate hello so
//! that the handshake completes in one round trip instead of one interval.
//!
//! The neighbour's MAC is learned from the Ethernet source of its hellos.
//!
//! Alternatives rejected: two-way-only IS-IS p2p hellos (ISO 10589 §8.2; a
//! one-way link would be used in one direction, the problem RFC 5303 fixes);
//! OSPF's neighbour FSM (ExStart/Exchange/Loading: database exchange here is
//! CSNP-based and separate, see [`crate::flooding`]); hello jitter (the state
//! machine has no randomness; the driver may add it).

use std::time::{Duration, Instant};

use dmsc_wire::ethernet::MacAddr;

use crate::types::{AdjState, Hello, NeighborInfo, PortIndex, Role, RouterId};

/// A state change of an adjacency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// State before.
    pub from: AdjState,
    /// State after.
    pub to: AdjState,
    /// The neighbour the adjacency was (for `from`) or is (for `to`) with.
    pub neighbor: RouterId,
}

impl Transition {
    /// True when the adjacency left Up (its links must be withdrawn).
    pub fn went_down(&self) -> bool {
        self.from == AdjState::Up && self.to != AdjState::Up
    }
    /// True when the adjacency reached Up.
    pub fn came_up(&self) -> bool {
        self.to == AdjState::Up && self.from != AdjState::Up
    }
}

/// The hello state of one port.
#[derive(Clone, Debug)]
pub struct Adjacency {
    port: PortIndex,
    link_up: bool,
    state: AdjState,
    neighbor: Option<RouterId>,
    hostname: String,
    role: Option<Role>,
    mac: MacAddr,
    hold_deadline: Option<Instant>,
    next_hello: Option<Instant>,
}

impl Adjacency {
    /// A Down adjacency on `port`. `link_up`: whether the port's link is up
    /// (if so, the first hello is due at `now`).
    pub fn new(port: PortIndex, link_up: bool, now: Instant) -> Adjacency {
        Adjacency {
            port,
            link_up,
            state: AdjState::Down,
            neighbor: None,
            hostname: String::new(),
            role: None,
            mac: MacAddr::ZERO,
            hold_deadline: None,
            next_hello: link_up.then_some(now),
        }
    }

    /// Current state.
    pub fn state(&self) -> AdjState {
        self.state
    }

    /// The neighbour heard (Init or Up), if any.
    pub fn neighbor(&self) -> Option<RouterId> {
        self.neighbor
    }

    /// The neighbour id if the adjacency is Up.
    pub fn up_neighbor(&self) -> Option<RouterId> {
        if self.state == AdjState::Up {
            self.neighbor
        } else {
            None
        }
    }

    /// The neighbour's MAC (learned from its hellos; zero before).
    pub fn mac(&self) -> MacAddr {
        self.mac
    }

    /// The neighbour's hostname from its last hello (kept after it goes Down, for logs).
    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// The neighbour's role from its hellos, if heard.
    pub fn role(&self) -> Option<Role> {
        self.role
    }

    /// Whether the port's link is up.
    pub fn link_up(&self) -> bool {
        self.link_up
    }

    /// The adjacency as `dmsc show neighbors` displays it (`None` when Down with nobody heard).
    pub fn info(&self) -> Option<NeighborInfo> {
        self.neighbor.map(|id| NeighborInfo {
            port: self.port,
            id,
            hostname: self.hostname.clone(),
            mac: self.mac,
            state: self.state,
        })
    }

    fn go(&mut self, to: AdjState, now: Instant, out: &mut Vec<Transition>) {
        if self.state == to {
            return;
        }
        let neighbor = self.neighbor.unwrap_or_default();
        out.push(Transition { from: self.state, to, neighbor });
        self.state = to;
        if to == AdjState::Down {
            self.neighbor = None;
            self.hold_deadline = None;
        }
        if self.link_up {
            self.next_hello = Some(now);
        }
    }

    /// The port's link came up: hellos start at once.
    pub fn link_came_up(&mut self, now: Instant) {
        self.link_up = true;
        self.next_hello = Some(now);
    }

    /// The port's link went down: the adjacency goes Down at once and hellos stop.
    pub fn link_went_down(&mut self, now: Instant) -> Vec<Transition> {
        let mut out = Vec::new();
        self.link_up = false;
        self.go(AdjState::Down, now, &mut out);
        self.neighbor = None;
        self.hold_deadline = None;
        self.next_hello = None;
        out
    }

    /// Processes a hello from `sender` (Ethernet source `src_mac`); `local` is
    /// our router id. Returns the transitions (at most two: a reset to Down
    /// then the new state). Ignored while the link is down.
    pub fn receive_hello(
        &mut self,
        now: Instant,
        local: RouterId,
        sender: RouterId,
        src_mac: MacAddr,
        hello: &Hello,
    ) -> Vec<Transition> {
        let mut out = Vec::new();
        if !self.link_up {
            return out;
        }
        if self.neighbor.is_some_and(|n| n != sender) {
            self.go(AdjState::Down, now, &mut out);
        }
        let lists_us = hello.neighbor == Some(local);
        let to = match (self.state, hello.state, lists_us) {
            (_, AdjState::Down, _) => AdjState::Init,
            (_, _, false) => AdjState::Init,
            (AdjState::Down, AdjState::Up, true) => AdjState::Down,
            (_, _, true) => AdjState::Up,
        };
        if to != AdjState::Down {
            self.neighbor = Some(sender);
            self.mac = src_mac;
            self.hostname.clone_from(&hello.hostname);
            self.role = Some(hello.role);
            let hold = Duration::from_secs(u64::from(hello.hold_time_s.max(1)));
            self.hold_deadline = Some(now + hold);
        }
        self.go(to, now, &mut out);
        out
    }

    /// The hello to send now. `hold_time_s`: what we ask the neighbour to use.
    pub fn hello(&self, hostname: &str, role: Role, hold_time_s: u16) -> Hello {
        Hello {
            hostname: hostname.to_owned(),
            role,
            hold_time_s,
            state: self.state,
            neighbor: if self.state == AdjState::Down { None } else { self.neighbor },
        }
    }

    /// Runs the timers due at `now`: returns the hold-timer transition, if it
    /// expired, and whether a hello is due (in which case the next one is
    /// scheduled `hello_interval` later).
    pub fn poll(&mut self, now: Instant, hello_interval: Duration) -> (Vec<Transition>, bool) {
        let mut out = Vec::new();
        if self.hold_deadline.is_some_and(|d| d <= now) {
            self.go(AdjState::Down, now, &mut out);
        }
        let due = self.link_up && self.next_hello.is_some_and(|t| t <= now);
        if due {
            self.next_hello = Some(now + hello_interval);
        }
        (out, due)
    }

    /// The earliest instant [`Adjacency::poll`] has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        match (self.hold_deadline, self.next_hello) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: RouterId = RouterId(1);
    const B: RouterId = RouterId(2);
    const MAC_B: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);
    const SEC: Duration = Duration::from_secs(1);

    fn hello(state: AdjState, neighbor: Option<RouterId>) -> Hello {
        Hello { hostname: "b".into(), role: Role::Sr, hold_time_s: 3, state, neighbor }
    }

    #[test]
    fn three_way_bring_up() {
        let t0 = Instant::now();
        let mut adj = Adjacency::new(0, true, t0);
        // First hello due immediately, then every interval.
        assert_eq!(adj.poll(t0, SEC), (vec![], true));
        assert_eq!(adj.poll(t0, SEC), (vec![], false));
        assert_eq!(adj.next_deadline(), Some(t0 + SEC));
        assert_eq!(adj.hello("a", Role::Sg, 3).neighbor, None);
        // B's hello (B heard nobody): Down → Init, immediate hello listing B.
        let tr = adj.receive_hello(t0, A, B, MAC_B, &hello(AdjState::Down, None));
        assert_eq!(tr, vec![Transition { from: AdjState::Down, to: AdjState::Init, neighbor: B }]);
        assert_eq!(adj.poll(t0, SEC), (vec![], true));
        let h = adj.hello("a", Role::Sg, 3);
        assert_eq!((h.state, h.neighbor), (AdjState::Init, Some(B)));
        assert_eq!(adj.mac(), MAC_B);
        assert_eq!(adj.up_neighbor(), None);
        // B lists us: Up.
        let tr = adj.receive_hello(t0, A, B, MAC_B, &hello(AdjState::Init, Some(A)));
        assert_eq!(tr.len(), 1);
        assert!(tr[0].came_up());
        assert_eq!(adj.up_neighbor(), Some(B));
        let info = adj.info().unwrap();
        assert_eq!((info.id, info.state, info.hostname.as_str(), info.port), (B, AdjState::Up, "b", 0));
        // Further Up hellos: no change.
        assert!(adj.receive_hello(t0, A, B, MAC_B, &hello(AdjState::Up, Some(A))).is_empty());
    }

    #[test]
    fn hold_timer_expiry() {
        let t0 = Instant::now();
        let mut adj = Adjacency::new(0, true, t0);
        adj.receive_hello(t0, A, B, MAC_B, &hello(AdjState::Init, Some(A)));
        assert_eq!(adj.state(), AdjState::Up);
        // Hold 3 s from the last hello.
        let t1 = t0 + Duration::from_millis(2500);
        adj.receive_hello(t1, A, B, MAC_B, &hello(AdjState::Up, Some(A)));
        let (tr, _) = adj.poll(t0 + Duration::from_secs(5), SEC);
        assert!(tr.is_empty());
        let (tr, _) = adj.poll(t1 + 3 * SEC, SEC);
        assert_eq!(tr.len(), 1);
        assert!(tr[0].went_down());
        assert_eq!(tr[0].neighbor, B);
        assert_eq!(adj.state(), AdjState::Down);
        assert_eq!(adj.neighbor(), None);
    }

    #[test]
    fn one_way_never_up() {
        // We hear B, but B never lists us (it does not hear us).
        let t0 = Instant::now();
        let mut adj = Adjacency::new(0, true, t0);
        for i in 0..10 {
            adj.receive_hello(t0 + i * SEC, A, B, MAC_B, &hello(AdjState::Down, None));
            assert_eq!(adj.state(), AdjState::Init);
        }
        // B lists someone else: still not Up.
        adj.receive_hello(t0, A, B, MAC_B, &hello(AdjState::Init, Some(RouterId(9))));
        assert_eq!(adj.state(), AdjState::Init);
    }

    #[test]
    fn restart_detection_and_reset() {
        let t0 = Instant::now();
        let mut adj = Adjacency::new(0, true, t0);
        adj.receive_hello(t0, A, B, MAC_B, &hello(AdjState::Init, Some(A)));
        assert_eq!(adj.state(), AdjState::Up);
        // B restarted: its hello says Down → we go Init (adjacency lost).
        let tr = adj.receive_hello(t0, A, B, MAC_B, &hello(AdjState::Down, None));
        assert!(tr[0].went_down());
        assert_eq!(adj.state(), AdjState::Init);
        adj.receive_hello(t0, A, B, MAC_B, &hello(AdjState::Init, Some(A)));
        assert_eq!(adj.state(), AdjState::Up);
        // A different router on the same port: reset to Down, then Init with C.
        let c = RouterId(3);
        let tr = adj.receive_hello(t0, A, c, MAC_B, &hello(AdjState::Up, Some(A)));
        assert_eq!(tr.len(), 1, "{tr:?}");
        assert_eq!(tr[0], Transition { from: AdjState::Up, to: AdjState::Down, neighbor: B });
        // Down + received Up → stays Down (RFC 5303), C must see our Down first.
        assert_eq!(adj.state(), AdjState::Down);
        adj.receive_hello(t0, A, c, MAC_B, &hello(AdjState::Init, Some(A)));
        assert_eq!(adj.up_neighbor(), Some(c));
    }

    #[test]
    fn link_down_stops_everything() {
        let t0 = Instant::now();
        let mut adj = Adjacency::new(0, true, t0);
        adj.receive_hello(t0, A, B, MAC_B, &hello(AdjState::Init, Some(A)));
        let tr = adj.link_went_down(t0);
        assert!(tr[0].went_down());
        assert_eq!(adj.next_deadline(), None);
        assert_eq!(adj.poll(t0 + 10 * SEC, SEC), (vec![], false));
        // Hellos while down are ignored.
        assert!(adj.receive_hello(t0, A, B, MAC_B, &hello(AdjState::Init, Some(A))).is_empty());
        assert_eq!(adj.state(), AdjState::Down);
        adj.link_came_up(t0 + SEC);
        assert_eq!(adj.poll(t0 + SEC, SEC), (vec![], true));
    }
}
