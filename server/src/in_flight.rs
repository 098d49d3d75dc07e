//! Background work done once per key, however many ask for it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};

/// The keys whose work is under way.
#[derive(Default)]
pub struct InFlight(Arc<Mutex<HashSet<String>>>);

/// Held while `key`'s work runs; dropping it (also when the work panics) lets the next one start.
pub struct Started {
    keys: Arc<Mutex<HashSet<String>>>,
    key: String,
}

impl InFlight {
    /// The guard for `key`'s work, or `None` while someone else's is under way.
    pub fn start(&self, key: &str) -> Option<Started> {
        let mut keys = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        keys.insert(key.to_string()).then(|| Started {
            keys: self.0.clone(),
            key: key.to_string(),
        })
    }
}

impl Drop for Started {
    fn drop(&mut self) {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_at_a_time_per_key_even_when_the_work_panics() {
        let in_flight = Arc::new(InFlight::default());
        let first = in_flight.start("a").expect("nothing under way");
        assert!(in_flight.start("a").is_none());
        assert!(in_flight.start("b").is_some(), "other keys are free");
        drop(first);
        let again = in_flight.start("a").expect("free once dropped");
        let shared = in_flight.clone();
        let panicked = std::thread::spawn(move || {
            let _held = again;
            panic!("the work failed");
        })
        .join();
        assert!(panicked.is_err());
        assert!(shared.start("a").is_some(), "a panic frees the key too");
    }
}
