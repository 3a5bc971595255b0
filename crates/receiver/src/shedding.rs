//! Room at the connection cap. Each open connection is registered, oldest first, with
//! whether a request of it is being answered. At the cap a new connection does not get a
//! 503 while idle ones hold every place: the oldest connection that has not finished
//! sending a request (idle between requests, or still dribbling its headers) is closed to
//! make room, and its place (the cap's permit) goes to the new one at once. A flood of idle
//! connections then costs its own connections, not Calleague's deliveries; only when every
//! connection is busy answering a request is a new one refused.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, OwnedSemaphorePermit};

#[derive(Default)]
pub(crate) struct OpenConnections {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    next: u64,
    /// By the order they were accepted in: the first is the oldest.
    open: BTreeMap<u64, Arc<Slot>>,
}

/// One open connection's state, shared with its service.
pub(crate) struct Slot {
    in_request: AtomicBool,
    /// Whether any request of it has begun, and the wake-up when the first one does.
    started_any: AtomicBool,
    first_request: Notify,
    shed: Notify,
    /// Its place under the cap, held while it is open, handed on when it is shed.
    permit: Mutex<Option<OwnedSemaphorePermit>>,
}

impl Slot {
    /// Its request's headers arrived: it is being answered, not to be shed.
    pub fn request_started(&self) {
        self.in_request.store(true, Ordering::Release);
        if !self.started_any.swap(true, Ordering::AcqRel) {
            // Stored when nobody waits yet: `until_first_request` then returns at once.
            self.first_request.notify_one();
        }
    }

    /// Resolves once the connection's first request has begun (at once if one has).
    pub async fn until_first_request(&self) {
        if !self.started_any.load(Ordering::Acquire) {
            self.first_request.notified().await;
        }
    }

    /// Its answer went out: idle again (keep-alive) until the next request.
    pub fn request_answered(&self) {
        self.in_request.store(false, Ordering::Release);
    }
}

/// A connection's place in the registry, given up when it is dropped (the connection ended).
pub(crate) struct Registered {
    id: u64,
    slot: Arc<Slot>,
    registry: Arc<OpenConnections>,
}

impl Registered {
    pub fn slot(&self) -> Arc<Slot> {
        self.slot.clone()
    }

    /// Resolves when this connection was chosen to make room: its task then drops it.
    pub async fn until_shed(&self) {
        self.slot.shed.notified().await;
    }
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut inner) = self.registry.inner.lock() {
            inner.open.remove(&self.id);
        }
    }
}

impl OpenConnections {
    /// Registers a connection holding `permit` (released when it ends).
    pub fn register(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Registered {
        let slot = Arc::new(Slot {
            in_request: AtomicBool::new(false),
            started_any: AtomicBool::new(false),
            first_request: Notify::new(),
            shed: Notify::new(),
            permit: Mutex::new(Some(permit)),
        });
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let id = inner.next;
        inner.next += 1;
        inner.open.insert(id, slot.clone());
        Registered { id, slot, registry: self.clone() }
    }

    /// Closes the oldest connection that is not being answered and returns its place;
    /// None when every open connection is in the middle of a request.
    pub fn shed_oldest_idle(&self) -> Option<OwnedSemaphorePermit> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let id = inner.open.iter().find(|(_, slot)| !slot.in_request.load(Ordering::Acquire)).map(|(id, _)| *id)?;
        let slot = inner.open.remove(&id)?;
        // Stored if its task is not waiting yet: it ends at its next look.
        slot.shed.notify_one();
        let permit = slot.permit.lock().unwrap_or_else(|e| e.into_inner()).take();
        permit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oldest_idle_connection_goes_first_and_a_busy_one_never() {
        let cap = Arc::new(tokio::sync::Semaphore::new(3));
        let permit = || cap.clone().try_acquire_owned().unwrap();
        let open = Arc::new(OpenConnections::default());
        let (first, second, third) = (open.register(permit()), open.register(permit()), open.register(permit()));
        assert_eq!(cap.available_permits(), 0);
        first.slot().request_started();
        let place = open.shed_oldest_idle().expect("the second's place");
        // The second was the oldest idle one: told to go, and out of the registry.
        assert!(futures_ready(second.until_shed()));
        assert!(!futures_ready(third.until_shed()));
        drop(second);
        assert_eq!(cap.available_permits(), 0, "its place went on, not back to the cap");
        drop(place);
        assert_eq!(cap.available_permits(), 1);
        assert!(open.shed_oldest_idle().is_some(), "the third");
        assert!(open.shed_oldest_idle().is_none(), "only the busy first is left");
        first.slot().request_answered();
        assert!(open.shed_oldest_idle().is_some(), "idle again after its answer");
        drop((first, third));
        assert!(open.inner.lock().unwrap().open.is_empty());
        assert_eq!(cap.available_permits(), 3);
    }

    /// Whether `future` is ready at its first poll.
    fn futures_ready(future: impl std::future::Future<Output = ()>) -> bool {
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        std::pin::pin!(future).poll(&mut cx).is_ready()
    }
}
