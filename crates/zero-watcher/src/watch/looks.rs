//! The last look at each sleeping target that found no work, kept by this container
//! for as long as it lives. A poll's later looks, and the next invocation in a warm
//! container, know to within one poll interval when the work they wake for arrived,
//! which the stored state, refreshed about once a minute, cannot say
//! ([`sluice_core::zero::wake_latency`]). Memory only: a cold container falls back
//! to the stored state, and no decision depends on it.

use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Default)]
pub struct QuietLooks(Mutex<HashMap<String, i64>>);

impl QuietLooks {
    pub fn saw_quiet(&self, target: &str, at: i64) {
        let mut looks = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let newest = looks.entry(target.to_owned()).or_insert(at);
        *newest = (*newest).max(at);
    }

    pub fn last(&self, target: &str) -> Option<i64> {
        let looks = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        looks.get(target).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_look_per_target() {
        let looks = QuietLooks::default();
        looks.saw_quiet("a", 100);
        looks.saw_quiet("a", 90);
        looks.saw_quiet("b", 5);
        assert_eq!((looks.last("a"), looks.last("b")), (Some(100), Some(5)));
        assert_eq!(looks.last("c"), None);
    }
}
