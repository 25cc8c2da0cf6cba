//! Shards: at ten thousand targets one invocation per period cannot keep a one-minute
//! cadence, so each schedule fans out to N invocations, and each handles the targets
//! whose stable hash of the name falls in its shard. The hash is FNV-1a (64-bit),
//! fixed here rather than std's, which may change between Rust releases: a target
//! stays in its shard across deploys, and no target is handled by two shards of one
//! period. Pure.

use serde::{Deserialize, Serialize};

/// At most this many shards: the template's schedule slots.
pub const MAX_SHARDS: u32 = 8;

/// One shard of `count`; the default, 0 of 1, is every target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, count: 1 }
    }
}

impl Shard {
    /// The shard as an event gives it, checked.
    pub fn new(index: u32, count: u32) -> Result<Shard, String> {
        if !(1..=MAX_SHARDS).contains(&count) {
            return Err(format!(
                "shard.count must be from 1 to {MAX_SHARDS}, got {count}"
            ));
        }
        if index >= count {
            return Err(format!(
                "shard.index must be below shard.count ({count}), got {index}"
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard handles the target (or stored item) of that name.
    pub fn owns(&self, name: &str) -> bool {
        self.count <= 1 || fnv1a(name) % u64::from(self.count) == u64::from(self.index)
    }

    pub fn is_everything(&self) -> bool {
        self.count <= 1
    }
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a_and_stable() {
        // Published FNV-1a 64 test vectors.
        assert_eq!(fnv1a(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn shards_are_checked_and_the_default_is_everything() {
        assert!(Shard::default().owns("anything"));
        assert!(
            Shard::new(2, 2)
                .unwrap_err()
                .contains("below shard.count (2)")
        );
        assert!(Shard::new(0, 9).unwrap_err().contains("from 1 to 8"));
        assert!(Shard::new(0, 0).is_err());
    }

    #[test]
    fn ten_thousand_targets_spread_evenly_over_eight_shards() {
        let mut counts = [0u32; 8];
        for i in 0..10_000 {
            let name = format!("target-{i}");
            let owners: Vec<u32> = (0..8)
                .filter(|s| {
                    Shard {
                        index: *s,
                        count: 8,
                    }
                    .owns(&name)
                })
                .collect();
            assert_eq!(owners.len(), 1, "{name}: {owners:?}");
            counts[owners[0] as usize] += 1;
        }
        assert!(
            counts.iter().all(|c| (1_100..1_400).contains(c)),
            "{counts:?}"
        );
    }
}
