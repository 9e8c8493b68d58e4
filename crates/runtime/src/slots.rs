//! [`Slots`]: how many sandboxes a runtime holds at once. A call takes a slot before it makes
//! its instance and waits for one when all are taken, so that a burst of calls queues
//! instead of failing on a full instance pool (which is sized by the same number).

use std::sync::{Condvar, Mutex, PoisonError};

/// A count of free sandbox slots.
#[derive(Debug)]
pub(crate) struct Slots {
    free: Mutex<u32>,
    freed: Condvar,
}

/// A taken slot; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct Slot<'a>(&'a Slots);

impl Slots {
    /// `count` slots, all free (at least one).
    pub(crate) fn new(count: u32) -> Slots {
        Slots {
            free: Mutex::new(count.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Takes a slot, waiting (blocking the thread) until one is free.
    pub(crate) fn take(&self) -> Slot<'_> {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        Slot(self)
    }
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(PoisonError::into_inner);
        *free += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::Slots;

    #[test]
    fn never_more_holders_than_slots() {
        let slots = Arc::new(Slots::new(2));
        let holding = Arc::new(AtomicU32::new(0));
        let most = Arc::new(AtomicU32::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (slots, holding, most) = (slots.clone(), holding.clone(), most.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        let _slot = slots.take();
                        let now = holding.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::yield_now();
                        holding.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("a holder panicked");
        }
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(*slots.free.lock().expect("the count"), 2);
    }

    #[test]
    fn zero_slots_are_one() {
        let slots = Slots::new(0);
        drop(slots.take());
        let _held = slots.take();
    }
}
