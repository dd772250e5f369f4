//! Counted places: how many connections one key (a client address, a user)
//! holds, up to a limit. A place is given back when its [`Slot`] is
//! dropped, so it lives exactly as long as what holds it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

/// Places per key, at most `limit` each (`None`: counted, never refused).
pub struct Slots<K: Hash + Eq> {
    limit: Option<usize>,
    counts: Mutex<HashMap<K, usize>>,
}

/// One taken place; dropping it gives it back.
pub struct Slot<K: Hash + Eq> {
    slots: Arc<Slots<K>>,
    key: Option<K>,
}

/// The key already holds its limit.
#[derive(Debug, PartialEq, Eq)]
pub struct Full;

impl<K: Hash + Eq + Clone> Slots<K> {
    pub fn new(limit: Option<usize>) -> Arc<Self> {
        Arc::new(Self {
            limit,
            counts: Mutex::new(HashMap::new()),
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<K, usize>> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a place for `key`, unless it holds its limit already.
    pub fn take(self: &Arc<Self>, key: &K) -> Result<Slot<K>, Full> {
        let mut counts = self.counts();
        let count = counts.entry(key.clone()).or_default();
        if self.limit.is_some_and(|limit| *count >= limit) {
            if *count == 0 {
                counts.remove(key);
            }
            return Err(Full);
        }
        *count += 1;
        Ok(Slot {
            slots: Arc::clone(self),
            key: Some(key.clone()),
        })
    }

    /// How many places `key` holds.
    pub fn held(&self, key: &K) -> usize {
        self.counts().get(key).copied().unwrap_or(0)
    }
}

impl<K: Hash + Eq> Drop for Slot<K> {
    fn drop(&mut self) {
        let Some(key) = self.key.take() else { return };
        let mut counts = self.slots.counts.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&key) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_at_most_its_limit_until_a_place_is_given_back() {
        let slots = Slots::new(Some(2));
        let first = slots.take(&"a").unwrap();
        let _second = slots.take(&"a").unwrap();
        assert!(slots.take(&"a").is_err());
        assert!(slots.take(&"b").is_ok(), "other keys count apart");
        drop(first);
        assert_eq!(slots.held(&"a"), 1);
        assert!(slots.take(&"a").is_ok());
    }

    #[test]
    fn without_a_limit_places_are_counted_and_never_refused() {
        let slots = Slots::new(None);
        let held: Vec<_> = (0..100).map(|_| slots.take(&1).unwrap()).collect();
        assert_eq!(slots.held(&1), 100);
        drop(held);
        assert_eq!(slots.held(&1), 0);
    }
}
