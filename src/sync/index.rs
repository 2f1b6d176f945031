//! The planner's memory of one input: per person one fixed-size record of 25 bytes, keyed by a
//! 96-bit digest of the item id (never the strings), in two sorted vectors: the people the
//! state store holds, and the people only the input names.
//!
//! Why vectors and not a hash table: a table doubles as it grows and holds both tables at the
//! moment it does, and keeps a quarter to a half of its slots empty; at a million people that
//! was 104 MB at the spike. A vector grows in place (the allocator remaps large blocks rather
//! than copying them) and is sorted in place, so memory is 25 bytes a person, flat in the number
//! of people (see [`BYTES_PER_PERSON`]).

use sha2::{Digest as _, Sha256};

/// 96 bits of SHA-256: collisions between item ids are out of reach (about 2^-50 at the five
/// million items a connection may hold).
pub type Digest = [u8; 12];

/// Digest of a string.
pub fn digest(text: &str) -> Digest {
    let d = Sha256::digest(text.as_bytes());
    let mut out = [0u8; 12];
    out.copy_from_slice(&d[..12]);
    out
}

/// 64 bits of a content hash (SHA-256 as hex, as the state records it): its first 16 hex
/// digits, so that a recorded hash and a digest computed now ([`short_digest`]) meet without
/// hashing again. Enough to tell changed from unchanged: a collision would only skip one resend,
/// with odds of 2^-64. Text that is not hex (a state written by hand) is hashed instead.
pub fn short_hash(hash: &str) -> u64 {
    hash.get(..16)
        .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or_else(|| {
            let d = Sha256::digest(hash.as_bytes());
            u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]])
        })
}

/// The short hash of a SHA-256 digest: the same number [`short_hash`] reads from its hex.
pub fn short_digest(sha256: &[u8; 32]) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&sha256[..8]);
    u64::from_be_bytes(first)
}

/// One person as stored: byte arrays, so the record has no padding (25 bytes, alignment 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    key: Digest,
    /// The stored short hash, or (for people only the input names) the planned one.
    hash: [u8; 8],
    line: [u8; 4],
    flags: u8,
}

/// Bytes the index holds per person.
pub const BYTES_PER_PERSON: usize = std::mem::size_of::<Record>();

const VALID: u8 = 1;
const MATCHED: u8 = 2;
const IN_STATE: u8 = 4;
const STORED_HASH: u8 = 8;
const PLANNED: u8 = 16;
const CHANGED: u8 = 32;
const RESOLVED: u8 = 64;
/// The state says the person matched a user recently (see `sync::state::MATCH_TTL`).
const KNOWN: u8 = 128;

/// What the index knows about one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Line of the row that keyed this person first (a later row with the key is a
    /// duplicate); 0 while only the state store knows the person.
    pub line: u32,
    flags: u8,
    hash: u64,
}

impl Entry {
    /// A row of the input keys this person.
    pub fn in_input(&self) -> bool {
        self.line != 0
    }
    /// The row passed validation.
    pub fn is_valid(&self) -> bool {
        self.flags & VALID != 0
    }
    /// The person is taken to be a user of the tenant: as a lookup in this run answered, else
    /// as the state recorded, or (while a lookup is pending) until it answers.
    pub fn is_matched(&self) -> bool {
        !self.is_resolved() || self.flags & MATCHED != 0
    }
    /// Lookups have answered for this person in this run.
    pub fn is_resolved(&self) -> bool {
        self.flags & RESOLVED != 0
    }
    /// The state store has an item for this person.
    pub fn in_state(&self) -> bool {
        self.flags & IN_STATE != 0
    }
    /// The state store says the person matched a user recently: no lookup is needed unless
    /// the item is about to be written.
    pub fn known_match(&self) -> bool {
        self.flags & KNOWN != 0
    }
    /// The short hash of the item as last accepted, if it ever was.
    pub fn stored(&self) -> Option<u64> {
        (self.flags & STORED_HASH != 0).then_some(self.hash)
    }
    /// Whether the item the input builds differs from what last landed, once it was built.
    pub fn changed(&self) -> Option<bool> {
        (self.flags & PLANNED != 0).then_some(self.flags & CHANGED != 0)
    }
    /// In the state store but keyed by no row: the person left the input.
    pub fn vanished(&self) -> bool {
        self.in_state() && !self.in_input()
    }
    /// Whether the person must be looked up in this run: unless the item is unchanged and the
    /// state matched the person recently, they are about to be written (new, changed, or not
    /// priced without the user) or their match is unknown or stale.
    pub fn needs_lookup(&self) -> bool {
        !(self.known_match() && self.changed() == Some(false))
    }
}

impl Record {
    fn new(key: Digest) -> Self {
        Self {
            key,
            hash: [0; 8],
            line: [0; 4],
            flags: 0,
        }
    }

    fn entry(&self) -> Entry {
        Entry {
            line: u32::from_le_bytes(self.line),
            flags: self.flags,
            hash: u64::from_le_bytes(self.hash),
        }
    }

    fn set(&mut self, flag: u8, on: bool) {
        if on {
            self.flags |= flag;
        } else {
            self.flags &= !flag;
        }
    }

    /// Records the row that keys this person and the hash it builds (if it was built).
    fn keyed(&mut self, line: u32, valid: bool, planned: Option<u64>) {
        self.line = line.to_le_bytes();
        self.set(VALID, valid);
        if let Some(h) = planned {
            let stored = self.entry().stored();
            self.flags |= PLANNED;
            self.set(CHANGED, stored != Some(h));
            if self.flags & IN_STATE == 0 {
                self.hash = h.to_le_bytes();
            }
        }
    }
}

/// Whether a row's key was seen before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// First row with this key (as far as can be told before [`KeyIndex::seal_rows`]).
    First,
    /// Already keyed by the row on this line.
    Duplicate(u32),
}

/// A row found, once the input was read whole, to repeat an earlier row's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repeat {
    pub line: u32,
    /// The row that keys the person.
    pub first: u32,
    /// Whether the repeating row was otherwise valid.
    pub valid: bool,
}

/// Every person of the input and of the state store, by item id digest.
///
/// Filled in two steps: the state's people ([`insert_stored`], then [`seal_stored`]), then the
/// input's rows ([`insert_row`], then [`seal_rows`]). Rows naming a stored person are found at
/// once; rows naming someone new are kept in arrival order until [`seal_rows`] sorts them and
/// finds the repeats among them.
///
/// [`insert_stored`]: KeyIndex::insert_stored
/// [`seal_stored`]: KeyIndex::seal_stored
/// [`insert_row`]: KeyIndex::insert_row
/// [`seal_rows`]: KeyIndex::seal_rows
#[derive(Debug, Default)]
pub struct KeyIndex {
    stored: Vec<Record>,
    stored_dir: Directory,
    fresh: Vec<Record>,
    fresh_dir: Directory,
    /// Whether `fresh` is sorted (and free of repeats).
    fresh_sorted: bool,
}

/// Where each 16-bit key prefix starts in a sorted vector, so a lookup searches a handful of
/// records instead of the whole vector (keys are uniform digests). 256 KiB, whatever the
/// number of people; none below a few thousand, where a plain binary search is as quick.
#[derive(Debug, Default)]
struct Directory(Vec<u32>);

/// Fewer records than this are searched without a directory.
const DIRECTORY_FROM: usize = 4096;

/// A key as two integers, for comparisons without a byte-by-byte call (big-endian, so the order
/// is the bytes' order).
fn ord(key: &Digest) -> (u64, u32) {
    let (high, low) = key.split_at(8);
    let mut h = [0u8; 8];
    let mut l = [0u8; 4];
    h.copy_from_slice(high);
    l.copy_from_slice(low);
    (u64::from_be_bytes(h), u32::from_be_bytes(l))
}

fn prefix(key: &Digest) -> usize {
    usize::from(u16::from_be_bytes([key[0], key[1]]))
}

impl Directory {
    fn build(records: &[Record]) -> Self {
        if records.len() < DIRECTORY_FROM {
            return Self(Vec::new());
        }
        let mut starts = vec![0u32; (1 << 16) + 1];
        let mut at = 0usize;
        for (p, start) in starts.iter_mut().enumerate() {
            while at < records.len() && prefix(&records[at].key) < p {
                at += 1;
            }
            *start = u32::try_from(at).unwrap_or(u32::MAX);
        }
        Self(starts)
    }

    /// The records that may hold `key`.
    fn range(&self, key: &Digest, len: usize) -> std::ops::Range<usize> {
        if self.0.is_empty() {
            return 0..len;
        }
        let p = prefix(key);
        let at = |i: usize| self.0.get(i).map_or(len, |&s| s as usize);
        at(p)..at(p + 1)
    }
}

fn line32(line: u64) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX).max(1)
}

fn find(records: &[Record], dir: &Directory, key: &Digest) -> Option<usize> {
    let range = dir.range(key, records.len());
    let start = range.start;
    records
        .get(range)?
        .binary_search_by_key(&ord(key), |r| ord(&r.key))
        .ok()
        .map(|i| start + i)
}

impl KeyIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self {
            fresh_sorted: true,
            ..Self::default()
        }
    }

    /// An empty index with room for the state's `items`.
    pub fn with_capacity(items: usize) -> Self {
        Self {
            stored: Vec::with_capacity(items),
            ..Self::new()
        }
    }

    /// People indexed.
    pub fn len(&self) -> usize {
        self.stored.len() + self.fresh.len()
    }

    /// Whether nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Notes an item the state store holds (before the input is read), with its short hash
    /// and whether its person matched a user recently.
    pub fn insert_stored(&mut self, key: Digest, hash: Option<u64>, known_match: bool) {
        let mut r = Record::new(key);
        r.flags = IN_STATE;
        if let Some(h) = hash {
            r.flags |= STORED_HASH;
            r.hash = h.to_le_bytes();
        }
        r.set(KNOWN, known_match);
        self.stored.push(r);
    }

    /// Sorts the state's people for lookups; call once they are all in.
    pub fn seal_stored(&mut self) {
        self.stored.sort_unstable_by_key(|r| ord(&r.key));
        // Item ids are unique in the state; equal digests would be a 2^-96 accident.
        self.stored.dedup_by(|a, b| a.key == b.key);
        self.stored.shrink_to_fit();
        self.stored_dir = Directory::build(&self.stored);
    }

    /// Notes a row's key and, when its item was built, the item's short hash. A row naming a
    /// stored person is told at once whether an earlier row named them; one naming someone
    /// new is checked by [`KeyIndex::seal_rows`].
    pub fn insert_row(
        &mut self,
        key: Digest,
        line: u64,
        valid: bool,
        planned: Option<u64>,
    ) -> Seen {
        let line = line32(line);
        if let Some(i) = find(&self.stored, &self.stored_dir, &key) {
            let r = &mut self.stored[i];
            let first = u32::from_le_bytes(r.line);
            if first != 0 {
                return Seen::Duplicate(first);
            }
            r.keyed(line, valid, planned);
            return Seen::First;
        }
        if self.fresh_sorted {
            if let Some(i) = find(&self.fresh, &self.fresh_dir, &key) {
                return Seen::Duplicate(u32::from_le_bytes(self.fresh[i].line));
            }
        }
        let mut r = Record::new(key);
        r.keyed(line, valid, planned);
        self.fresh.push(r);
        self.fresh_sorted = self.fresh.len() < 2;
        Seen::First
    }

    /// Sorts the rows naming someone new and drops the repeats among them (the first row
    /// keeps the person), returning the repeats in line order.
    pub fn seal_rows(&mut self) -> Vec<Repeat> {
        if self.fresh_sorted {
            return Vec::new();
        }
        // In place (no second buffer); the line breaks ties, so the first row comes first.
        self.fresh
            .sort_unstable_by_key(|r| (ord(&r.key), u32::from_le_bytes(r.line)));
        let mut repeats = Vec::new();
        let mut owner: Option<Record> = None;
        self.fresh.retain(|r| match owner {
            Some(o) if o.key == r.key => {
                repeats.push(Repeat {
                    line: u32::from_le_bytes(r.line),
                    first: u32::from_le_bytes(o.line),
                    valid: r.flags & VALID != 0,
                });
                false
            }
            _ => {
                owner = Some(*r);
                true
            }
        });
        self.fresh_sorted = true;
        self.fresh_dir = Directory::build(&self.fresh);
        repeats.sort_unstable_by_key(|r| r.line);
        repeats
    }

    fn record(&self, key: &Digest) -> Option<&Record> {
        if let Some(i) = find(&self.stored, &self.stored_dir, key) {
            return Some(&self.stored[i]);
        }
        debug_assert!(self.fresh_sorted, "rows looked up before seal_rows");
        find(&self.fresh, &self.fresh_dir, key).map(|i| &self.fresh[i])
    }

    fn record_mut(&mut self, key: &Digest) -> Option<&mut Record> {
        if let Some(i) = find(&self.stored, &self.stored_dir, key) {
            return Some(&mut self.stored[i]);
        }
        debug_assert!(self.fresh_sorted, "rows looked up before seal_rows");
        find(&self.fresh, &self.fresh_dir, key).map(|i| &mut self.fresh[i])
    }

    /// The entry of a person the state store holds (usable before [`KeyIndex::seal_rows`]).
    pub fn stored_entry(&self, key: &Digest) -> Option<Entry> {
        find(&self.stored, &self.stored_dir, key).map(|i| self.stored[i].entry())
    }

    /// The entry of a key.
    pub fn get(&self, key: &Digest) -> Option<Entry> {
        self.record(key).map(Record::entry)
    }

    /// Whether `line` is the row that owns `key` (the first row with it).
    pub fn owns(&self, key: &Digest, line: u64) -> bool {
        self.get(key).is_some_and(|e| e.line == line32(line))
    }

    /// Records a lookup's answer.
    pub fn set_matched(&mut self, key: &Digest, matched: bool) {
        if let Some(r) = self.record_mut(key) {
            r.flags |= RESOLVED;
            r.set(MATCHED, matched);
        }
    }

    /// After a listing: every valid row's person it needed to find and did not is no user.
    pub fn unmatch_unfound(&mut self) {
        for r in self.stored.iter_mut().chain(self.fresh.iter_mut()) {
            let e = r.entry();
            if e.in_input() && e.is_valid() && e.needs_lookup() && !e.is_resolved() {
                r.flags |= RESOLVED;
                r.flags &= !MATCHED;
            }
        }
    }

    /// All entries: the state's people, then the input's new ones.
    pub fn entries(&self) -> impl Iterator<Item = (Digest, Entry)> + '_ {
        self.stored
            .iter()
            .chain(self.fresh.iter())
            .map(|r| (r.key, r.entry()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_stable_and_distinct_and_short_hashes_meet() {
        assert_eq!(digest("a"), digest("a"));
        assert_ne!(digest("a"), digest("b"));
        let sha: [u8; 32] = Sha256::digest(b"item").into();
        assert_eq!(short_hash(&hex::encode(sha)), short_digest(&sha));
        assert_eq!(
            short_hash(&hex::encode(sha).to_uppercase()),
            short_digest(&sha)
        );
        // Not hex: hashed, deterministically.
        assert_eq!(
            short_hash("not hex at all!!"),
            short_hash("not hex at all!!")
        );
        assert_ne!(
            short_hash("not hex at all!!"),
            short_hash("not hex at all!?")
        );
    }

    #[test]
    fn first_row_wins_and_repeats_name_it_whether_stored_or_new() {
        let mut idx = KeyIndex::new();
        let (stored, new) = (digest("alex_at_contoso_dot_com"), digest("new"));
        idx.insert_stored(stored, Some(1), false);
        idx.seal_stored();
        assert_eq!(idx.insert_row(stored, 52, true, None), Seen::First);
        assert_eq!(idx.insert_row(stored, 203, true, None), Seen::Duplicate(52));
        assert_eq!(idx.insert_row(new, 60, false, None), Seen::First);
        assert_eq!(idx.insert_row(digest("other"), 61, true, None), Seen::First);
        // Told only once the input is whole.
        assert_eq!(idx.insert_row(new, 70, true, Some(5)), Seen::First);
        assert_eq!(
            idx.seal_rows(),
            [Repeat {
                line: 70,
                first: 60,
                valid: true
            }]
        );
        assert!(idx.owns(&stored, 52));
        assert!(!idx.owns(&stored, 203));
        assert!(idx.owns(&new, 60));
        assert!(
            !idx.get(&new).unwrap().is_valid(),
            "the first row's verdict stands"
        );
        assert_eq!(idx.get(&new).unwrap().changed(), None);
        assert_eq!(idx.len(), 3);
        // Sealed, a repeat of a new key is told at once.
        assert_eq!(idx.insert_row(new, 80, true, None), Seen::Duplicate(60));
    }

    #[test]
    fn state_then_input_gives_changes_known_matches_and_vanished_people() {
        let mut idx = KeyIndex::new();
        let (a, b, c, gone, new) = (
            digest("a"),
            digest("b"),
            digest("c"),
            digest("gone"),
            digest("new"),
        );
        idx.insert_stored(gone, Some(1), true);
        idx.insert_stored(c, None, false);
        idx.insert_stored(b, Some(9), true);
        idx.insert_stored(a, Some(7), false);
        idx.seal_stored();
        assert_eq!(idx.insert_row(a, 2, true, Some(7)), Seen::First);
        assert_eq!(idx.insert_row(b, 3, true, Some(8)), Seen::First);
        assert_eq!(idx.insert_row(c, 4, false, None), Seen::First);
        assert_eq!(idx.insert_row(new, 5, true, Some(8)), Seen::First);
        assert!(idx.seal_rows().is_empty());
        let e = |k: &Digest| idx.get(k).unwrap();
        assert_eq!(e(&a).changed(), Some(false));
        assert_eq!(e(&b).changed(), Some(true));
        assert_eq!(e(&b).stored(), Some(9), "the stored hash is kept");
        assert_eq!(e(&new).changed(), Some(true));
        assert_eq!(e(&new).stored(), None);
        assert_eq!(e(&c).changed(), None);
        assert!(!e(&c).is_valid());
        assert!(e(&c).in_state());
        assert!(e(&b).known_match() && !e(&a).known_match());
        let vanished: Vec<Digest> = idx
            .entries()
            .filter(|(_, e)| e.vanished())
            .map(|(k, _)| k)
            .collect();
        assert_eq!(vanished, [gone]);
        // Who is looked up: all but the unchanged person the state matched recently (none
        // here: a is unchanged but its match is unknown, b changed).
        assert!(e(&a).needs_lookup() && e(&b).needs_lookup() && e(&new).needs_lookup());
        // Matched until a lookup says otherwise.
        assert!(e(&a).is_matched() && !e(&a).is_resolved());
        idx.set_matched(&a, true);
        idx.set_matched(&b, false);
        assert!(idx.get(&a).unwrap().is_matched());
        assert!(!idx.get(&b).unwrap().is_matched());
        assert!(idx.get(&b).unwrap().is_resolved());
        // A listing that did not find `new` settles it as no user.
        idx.unmatch_unfound();
        assert!(!idx.get(&new).unwrap().is_matched());
        assert!(idx.get(&a).unwrap().is_matched());
        assert!(
            !idx.get(&gone).unwrap().is_resolved(),
            "not in the input: not asked"
        );
    }

    #[test]
    fn lookups_through_the_directory_find_every_key_and_no_other() {
        let mut idx = KeyIndex::new();
        let keys: Vec<Digest> = (0..20_000).map(|i| digest(&format!("k{i}"))).collect();
        for k in &keys[..10_000] {
            idx.insert_stored(*k, Some(1), true);
        }
        // The ends of the key space, where a directory's edges are.
        let (low, high) = ([0u8; 12], [0xffu8; 12]);
        idx.insert_stored(low, None, false);
        idx.insert_stored(high, None, false);
        idx.seal_stored();
        assert!(!idx.stored_dir.0.is_empty(), "large enough for a directory");
        for (i, k) in keys[..10_000].iter().enumerate() {
            assert_eq!(idx.insert_row(*k, i as u64 + 2, true, None), Seen::First);
        }
        for (i, k) in keys[10_000..].iter().enumerate() {
            idx.insert_row(*k, i as u64 + 20_000, true, None);
        }
        assert!(idx.seal_rows().is_empty());
        assert!(!idx.fresh_dir.0.is_empty());
        for k in keys.iter().chain([&low, &high]) {
            assert!(idx.get(k).is_some());
        }
        assert!(idx.get(&digest("absent")).is_none());
        assert!(idx.owns(&keys[12_345], 12_345 - 10_000 + 20_000));
    }

    /// The bound the README and the bench state: 25 bytes a person, whatever the mix of
    /// stored and new people, and no hidden per-person allocation.
    #[test]
    fn a_person_costs_twenty_five_bytes() {
        assert_eq!(BYTES_PER_PERSON, 25);
        let mut idx = KeyIndex::with_capacity(1000);
        for i in 0..1000 {
            idx.insert_stored(digest(&format!("s{i}")), Some(i), i % 2 == 0);
        }
        idx.seal_stored();
        for i in 0..2000u64 {
            idx.insert_row(digest(&format!("s{i}")), i + 2, true, Some(i));
        }
        idx.seal_rows();
        assert_eq!(idx.len(), 2000);
        let held = (idx.stored.capacity() + idx.fresh.capacity()) * BYTES_PER_PERSON;
        assert!(held <= 2 * 2000 * BYTES_PER_PERSON, "{held} bytes");
        assert_eq!(
            idx.stored.capacity(),
            1000,
            "the state's people are held exactly"
        );
    }
}
