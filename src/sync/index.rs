//! The planner's memory of one input: per person a fixed-size entry keyed by a digest of the
//! item id (never the strings), so a million rows fit in well under 100 MB.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use sha2::{Digest as _, Sha256};

/// 128 bits of SHA-256: collisions between item ids are out of reach (2^-64 at 2^32 items).
pub type Digest = (u64, u64);

/// Digest of a string.
pub fn digest(text: &str) -> Digest {
    let d = Sha256::digest(text.as_bytes());
    let mut a = [0u8; 8];
    let mut b = [0u8; 8];
    a.copy_from_slice(&d[..8]);
    b.copy_from_slice(&d[8..16]);
    (u64::from_le_bytes(a), u64::from_le_bytes(b))
}

/// 64 bits of a content hash (hex text): enough to tell changed from unchanged, where a
/// collision would only skip one resend with odds of 2^-64.
pub fn short_hash(hash: &str) -> u64 {
    digest(hash).0
}

/// Keys are already uniform digests: hashing them again is wasted work.
#[derive(Default)]
pub struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

type Map<V> = HashMap<Digest, V, BuildHasherDefault<DigestHasher>>;

/// What the index knows about one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Line of the row that keyed this person first (a later row with the key is a
    /// duplicate); 0 while only the state store knows the person.
    pub line: u32,
    flags: u8,
    /// Short content hash of the item as last accepted.
    stored: u64,
}

const VALID: u8 = 1;
const MATCHED: u8 = 2;
const IN_STATE: u8 = 4;
const STORED_HASH: u8 = 8;
const PLANNED: u8 = 16;
const CHANGED: u8 = 32;
const RESOLVED: u8 = 64;

impl Entry {
    /// A row of the input keys this person.
    pub fn in_input(&self) -> bool {
        self.line != 0
    }
    /// The row passed validation.
    pub fn is_valid(&self) -> bool {
        self.flags & VALID != 0
    }
    /// The person is a user of the tenant.
    pub fn is_matched(&self) -> bool {
        self.flags & MATCHED != 0
    }
    /// Lookups have answered for this person.
    pub fn is_resolved(&self) -> bool {
        self.flags & RESOLVED != 0
    }
    /// The state store has an item for this person.
    pub fn in_state(&self) -> bool {
        self.flags & IN_STATE != 0
    }
    /// The short hash of the item as last accepted, if it ever was.
    pub fn stored(&self) -> Option<u64> {
        (self.flags & STORED_HASH != 0).then_some(self.stored)
    }
    /// Whether the item the input builds differs from what last landed, once it was built.
    pub fn changed(&self) -> Option<bool> {
        (self.flags & PLANNED != 0).then_some(self.flags & CHANGED != 0)
    }
    /// In the state store but keyed by no row: the person left the input.
    pub fn vanished(&self) -> bool {
        self.in_state() && !self.in_input()
    }
}

/// Whether a row's key was seen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// First row with this key.
    First,
    /// Already keyed by the row on this line.
    Duplicate(u32),
}

/// Every person of the input and of the state store, by item id digest.
#[derive(Debug, Default)]
pub struct KeyIndex {
    map: Map<Entry>,
}

fn line32(line: u64) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX).max(1)
}

impl KeyIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// People indexed.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Notes an item the state store holds (before the input is read).
    pub fn insert_stored(&mut self, key: Digest, hash: Option<u64>) {
        let e = self.map.entry(key).or_insert(Entry {
            line: 0,
            flags: 0,
            stored: 0,
        });
        e.flags |= IN_STATE;
        if let Some(h) = hash {
            e.flags |= STORED_HASH;
            e.stored = h;
        }
    }

    /// Notes a row's key; the first row wins.
    pub fn insert_row(&mut self, key: Digest, line: u64, valid: bool) -> Seen {
        let e = self.map.entry(key).or_insert(Entry {
            line: 0,
            flags: 0,
            stored: 0,
        });
        if e.in_input() {
            return Seen::Duplicate(e.line);
        }
        e.line = line32(line);
        if valid {
            e.flags |= VALID;
        }
        Seen::First
    }

    /// The entry of a key.
    pub fn get(&self, key: &Digest) -> Option<&Entry> {
        self.map.get(key)
    }

    /// Whether `line` is the row that owns `key` (the first row with it).
    pub fn owns(&self, key: &Digest, line: u64) -> bool {
        self.map.get(key).is_some_and(|e| e.line == line32(line))
    }

    /// Records the short content hash the input builds for a key; returns whether it differs
    /// from the stored one.
    pub fn set_planned(&mut self, key: &Digest, hash: u64) -> bool {
        let Some(e) = self.map.get_mut(key) else {
            return true;
        };
        let changed = e.stored() != Some(hash);
        e.flags |= PLANNED;
        if changed {
            e.flags |= CHANGED;
        } else {
            e.flags &= !CHANGED;
        }
        changed
    }

    /// Records a lookup's answer.
    pub fn set_matched(&mut self, key: &Digest, matched: bool) {
        if let Some(e) = self.map.get_mut(key) {
            e.flags |= RESOLVED;
            if matched {
                e.flags |= MATCHED;
            } else {
                e.flags &= !MATCHED;
            }
        }
    }

    /// Marks every person of the input as a user of the tenant (when lookups are skipped).
    pub fn assume_all_matched(&mut self) {
        for e in self.map.values_mut().filter(|e| e.in_input()) {
            e.flags |= MATCHED | RESOLVED;
        }
    }

    /// All entries.
    pub fn entries(&self) -> impl Iterator<Item = (&Digest, &Entry)> {
        self.map.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_stable_and_distinct() {
        assert_eq!(digest("a"), digest("a"));
        assert_ne!(digest("a"), digest("b"));
        assert_eq!(short_hash("x"), digest("x").0);
    }

    #[test]
    fn first_row_wins_and_duplicates_name_it() {
        let mut idx = KeyIndex::new();
        let k = digest("alex_at_contoso_dot_com");
        assert_eq!(idx.insert_row(k, 52, true), Seen::First);
        assert_eq!(idx.insert_row(k, 203, true), Seen::Duplicate(52));
        assert!(idx.owns(&k, 52));
        assert!(!idx.owns(&k, 203));
        assert_eq!(idx.len(), 1);
    }

    #[test]
    fn state_then_input_gives_changes_and_vanished_people() {
        let mut idx = KeyIndex::new();
        let (a, b, c, gone, new) = (
            digest("a"),
            digest("b"),
            digest("c"),
            digest("gone"),
            digest("new"),
        );
        idx.insert_stored(a, Some(7));
        idx.insert_stored(b, Some(9));
        idx.insert_stored(c, None);
        idx.insert_stored(gone, Some(1));
        assert_eq!(idx.insert_row(a, 2, true), Seen::First);
        assert_eq!(idx.insert_row(b, 3, true), Seen::First);
        assert_eq!(idx.insert_row(c, 4, false), Seen::First);
        assert_eq!(idx.insert_row(new, 5, true), Seen::First);
        assert!(!idx.set_planned(&a, 7));
        assert!(idx.set_planned(&b, 8));
        assert!(idx.set_planned(&new, 8));
        assert_eq!(idx.get(&a).unwrap().changed(), Some(false));
        assert_eq!(idx.get(&b).unwrap().changed(), Some(true));
        assert_eq!(idx.get(&c).unwrap().changed(), None);
        assert!(!idx.get(&c).unwrap().is_valid());
        assert!(idx.get(&c).unwrap().in_state());
        let vanished: Vec<_> = idx
            .entries()
            .filter(|(_, e)| e.vanished())
            .map(|(k, _)| *k)
            .collect();
        assert_eq!(vanished, [gone]);
        idx.set_matched(&a, true);
        idx.set_matched(&b, false);
        assert!(idx.get(&a).unwrap().is_matched());
        assert!(!idx.get(&b).unwrap().is_matched());
        assert!(idx.get(&b).unwrap().is_resolved());
        idx.assume_all_matched();
        assert!(idx.get(&new).unwrap().is_matched());
        assert!(!idx.get(&gone).unwrap().is_matched());
    }

    #[test]
    fn an_entry_is_small() {
        assert!(std::mem::size_of::<(Digest, Entry)>() <= 32);
    }
}
