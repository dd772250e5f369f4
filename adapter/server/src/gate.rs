//! The operation gate: every client operation passes through it, so a drain
//! can close it (no new operation starts) and then wait for the ones in
//! flight to finish, acks sent and pushes handed to the sockets.

use tokio::sync::watch;

/// Whether operations may start, and how many are running.
#[derive(Debug, Clone, Copy)]
struct GateState {
    open: bool,
    in_flight: usize,
}

/// Admits operations until closed; knows when the last admitted one ends.
pub struct OperationGate {
    state: watch::Sender<GateState>,
}

/// Held by one operation while it runs (its ack sent and its pushes
/// offered); dropping it tells the gate it is done.
#[must_use = "an operation counts as running while its permit lives"]
pub struct Permit<'a> {
    gate: &'a OperationGate,
}

impl OperationGate {
    /// An open gate with nothing running.
    pub fn new() -> Self {
        let (state, _) = watch::channel(GateState {
            open: true,
            in_flight: 0,
        });
        Self { state }
    }

    /// A permit to run one operation, or `None` once the gate is closed.
    /// Checking and counting happen under one lock, so no operation slips
    /// in after [`OperationGate::idle`] saw nothing running.
    pub fn enter(&self) -> Option<Permit<'_>> {
        let admitted = self.state.send_if_modified(|state| {
            if state.open {
                state.in_flight += 1;
            }
            state.open
        });
        // `then`, not `then_some`: a permit made and dropped would count down.
        admitted.then(|| Permit { gate: self })
    }

    /// Whether operations are still admitted (the server is not draining).
    pub fn is_open(&self) -> bool {
        self.state.borrow().open
    }

    /// Admits no further operation.
    pub fn close(&self) {
        self.state.send_modify(|state| state.open = false);
    }

    /// Resolves once no admitted operation is running.
    pub async fn idle(&self) {
        let mut state = self.state.subscribe();
        let _ = state.wait_for(|state| state.in_flight == 0).await;
    }
}

impl Default for OperationGate {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.gate.state.send_modify(|state| state.in_flight -= 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_closed_gate_admits_nothing_and_is_idle_once_the_last_permit_goes() {
        let gate = OperationGate::new();
        let running = gate.enter().expect("an open gate admits");
        gate.close();
        assert!(gate.enter().is_none(), "a closed gate admits nothing");
        assert!(!gate.is_open());
        let idle = tokio::time::timeout(std::time::Duration::from_millis(50), gate.idle());
        assert!(idle.await.is_err(), "not idle while an operation runs");
        drop(running);
        gate.idle().await;
    }
}
