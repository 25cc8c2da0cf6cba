//! Limits on a YAML document before it is deserialized. YAML aliases (`*name`) repeat
//! an anchored node (`&name`) wherever they appear, so a small file can stand for an
//! enormous one: 200 aliases of a 100,000-item list are 20 million items, all built in
//! memory by a deserializer. The expanded size is measured here in one linear pass over
//! the parser's events, without expanding anything, and an oversized document is
//! refused with the reason.

use granit_parser::{Event, Parser};

/// Far above any real configuration (10,000 profile windows are about 60,000 nodes).
pub const MAX_DOCUMENT_BYTES: usize = 8 * 1024 * 1024;
pub const MAX_EXPANDED_NODES: u64 = 1_000_000;

/// Ok when the document is small enough once its aliases are expanded; the error says
/// which limit it passes. A document the event parser cannot read is left to the
/// deserializer, whose error names the fault.
pub fn check_size(text: &str) -> Result<(), String> {
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(format!(
            "is {} bytes; at most {MAX_DOCUMENT_BYTES} are read",
            text.len()
        ));
    }
    let mut sizes: Vec<u64> = Vec::new(); // expanded size by anchor id
    // Open collections: (anchor id, expanded size so far, itself included).
    let mut open: Vec<(usize, u64)> = Vec::new();
    let mut total: u64 = 0;
    for item in Parser::new_from_str(text) {
        let Ok((event, _span)) = item else {
            return Ok(());
        };
        let finished = match event {
            Event::Scalar(_, _, anchor, _) => Some((anchor, 1)),
            Event::Alias(anchor) => Some((0, sizes.get(anchor).copied().unwrap_or(1))),
            Event::SequenceStart(_, anchor, _) | Event::MappingStart(_, anchor, _) => {
                open.push((anchor, 1));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => open.pop(),
            _ => None,
        };
        let Some((anchor, size)) = finished else {
            continue;
        };
        if anchor != 0 {
            if sizes.len() <= anchor {
                sizes.resize(anchor + 1, 0);
            }
            sizes[anchor] = size;
        }
        match open.last_mut() {
            Some((_, parent)) => *parent = parent.saturating_add(size),
            None => total = total.saturating_add(size),
        }
        let pending: u64 = open.iter().map(|(_, s)| *s).fold(0, u64::saturating_add);
        if total.saturating_add(pending) > MAX_EXPANDED_NODES {
            return Err(format!(
                "expands to more than {MAX_EXPANDED_NODES} YAML nodes through its aliases \
                 (*name repeats the node anchored &name); a Sluice configuration needs far \
                 fewer, so it is refused rather than built in memory"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_expanded_nodes_without_expanding() {
        // (document, within the limits)
        let cases = [
            ("a: [1, 2, 3]", true),
            ("a: &x [1, 2]\nb: *x\nc: *x", true),
            ("", true),
            ("a: [", true), // unreadable: left to the deserializer
        ];
        for (text, ok) in cases {
            assert_eq!(check_size(text).is_ok(), ok, "{text}");
        }
        // Ten levels of ten aliases each: 10^10 nodes in 200 bytes.
        let mut chain = String::from("l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
        for level in 1..10 {
            let aliases = vec![format!("*l{}", level - 1); 10].join(", ");
            chain.push_str(&format!("l{level}: &l{level} [{aliases}]\n"));
        }
        assert!(check_size(&chain).is_err());
    }
}
