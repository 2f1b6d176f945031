//! The precedence list (`prioritizedSourceUrls`): edits, validation and diff.
//!
//! Every edit is a pure function returning a new list; entries are moved whole, so an entry we
//! did not understand travels with its exact text. Validation reports problems and never fixes
//! them.

use serde::{Deserialize, Serialize};

use super::ids::SourceId;
use super::source_url::{SourceUrl, builtin_source};

/// Where to put an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Index 0, the highest priority.
    Top,
    /// After every entry.
    Bottom,
    /// At this 0-based index (`len` means the bottom).
    Index(usize),
}

/// Why an edit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The index names no entry (or, for an insertion, lies beyond the end).
    #[error("position {index} is outside the list of {len} entries")]
    OutOfRange {
        /// The requested 0-based index.
        index: usize,
        /// The list's length.
        len: usize,
    },
    /// The entry is already the highest priority.
    #[error("entry {0} is already at the top")]
    AtTop(usize),
    /// The entry is already the lowest priority.
    #[error("entry {0} is already at the bottom")]
    AtBottom(usize),
    /// The source is already in the list.
    #[error("source {source_id} is already in the list at position {index}")]
    AlreadyListed {
        /// The source.
        source_id: SourceId,
        /// Where it is (0-based).
        index: usize,
    },
    /// No entry names the source.
    #[error("no entry names source {0}")]
    NotListed(SourceId),
}

/// Something wrong with a precedence list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "camelCase")]
pub enum Problem {
    /// Microsoft Entra ID is not in the list (the service appends it last, per its examples).
    #[error("Microsoft Entra ID is not in the precedence list")]
    EntraMissing,
    /// One source is named by several entries (possibly in different forms).
    #[error("source {source_id} is listed {} times (positions {indices:?})", indices.len())]
    #[serde(rename_all = "camelCase")]
    Duplicate {
        /// The source.
        source_id: SourceId,
        /// Every 0-based index naming it.
        indices: Vec<usize>,
    },
    /// An entry names a source that is not registered.
    #[error("entry {index} names source {source_id}, which is not a registered profile source")]
    #[serde(rename_all = "camelCase")]
    Unregistered {
        /// Its 0-based index.
        index: usize,
        /// The source it names.
        source_id: SourceId,
    },
    /// An entry names no source we recognise (it is kept as it is).
    #[error("entry {index} ({url:?}) names no profile source we recognise")]
    Unrecognised {
        /// Its 0-based index.
        index: usize,
        /// Its text.
        url: String,
    },
}

/// One difference between two lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "camelCase")]
pub enum Change {
    /// An entry kept its place among the others but moved relative to them.
    #[serde(rename_all = "camelCase")]
    Moved {
        /// The entry (as in the new list).
        entry: SourceUrl,
        /// Its 0-based index before.
        from: usize,
        /// Its 0-based index after.
        to: usize,
    },
    /// An entry only the new list has.
    #[serde(rename_all = "camelCase")]
    Inserted {
        /// The entry.
        entry: SourceUrl,
        /// Its 0-based index in the new list.
        at: usize,
    },
    /// An entry only the old list has.
    #[serde(rename_all = "camelCase")]
    Removed {
        /// The entry.
        entry: SourceUrl,
        /// Its 0-based index in the old list.
        from: usize,
    },
}

/// The ordered `prioritizedSourceUrls` list, index 0 = highest priority.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PrecedenceList {
    entries: Vec<SourceUrl>,
}

impl PrecedenceList {
    /// A list of parsed entries.
    pub fn new(entries: Vec<SourceUrl>) -> Self {
        Self { entries }
    }

    /// Parses every string (nothing is dropped).
    pub fn from_urls<I, S>(urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::new(urls.into_iter().map(SourceUrl::parse).collect())
    }

    /// A list of canonical entries for these sources.
    pub fn from_sources<'a>(ids: impl IntoIterator<Item = &'a SourceId>) -> Self {
        Self::new(ids.into_iter().map(SourceUrl::for_source).collect())
    }

    /// The entries, highest priority first.
    pub fn entries(&self) -> &[SourceUrl] {
        &self.entries
    }

    /// The strings to write back: each entry exactly as read, new ones canonical.
    pub fn to_strings(&self) -> Vec<String> {
        self.entries.iter().map(|e| e.as_str().to_owned()).collect()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The 0-based index of the first entry naming `id`.
    pub fn index_of(&self, id: &SourceId) -> Option<usize> {
        self.entries.iter().position(|e| e.source_id() == Some(id))
    }

    fn check(&self, index: usize) -> Result<(), EditError> {
        if index < self.entries.len() {
            Ok(())
        } else {
            Err(EditError::OutOfRange {
                index,
                len: self.entries.len(),
            })
        }
    }

    /// Swaps the entry with the one above it.
    pub fn move_up(&self, index: usize) -> Result<Self, EditError> {
        self.check(index)?;
        if index == 0 {
            return Err(EditError::AtTop(index));
        }
        self.move_to(index, index - 1)
    }

    /// Swaps the entry with the one below it.
    pub fn move_down(&self, index: usize) -> Result<Self, EditError> {
        self.check(index)?;
        if index + 1 == self.entries.len() {
            return Err(EditError::AtBottom(index));
        }
        self.move_to(index, index + 1)
    }

    /// Moves the entry at `from` so that it ends up at index `to`.
    pub fn move_to(&self, from: usize, to: usize) -> Result<Self, EditError> {
        self.check(from)?;
        self.check(to)?;
        let mut entries = self.entries.clone();
        let entry = entries.remove(from);
        entries.insert(to, entry);
        Ok(Self { entries })
    }

    /// Inserts any entry (kept verbatim) at `at`.
    pub fn insert(&self, entry: SourceUrl, at: Position) -> Result<Self, EditError> {
        let len = self.entries.len();
        let index = match at {
            Position::Top => 0,
            Position::Bottom => len,
            Position::Index(i) if i <= len => i,
            Position::Index(index) => return Err(EditError::OutOfRange { index, len }),
        };
        let mut entries = self.entries.clone();
        entries.insert(index, entry);
        Ok(Self { entries })
    }

    /// Inserts a canonical entry for `id` at `at`; refuses a source already listed.
    pub fn insert_source(&self, id: &SourceId, at: Position) -> Result<Self, EditError> {
        if let Some(index) = self.index_of(id) {
            return Err(EditError::AlreadyListed {
                source_id: id.clone(),
                index,
            });
        }
        self.insert(SourceUrl::for_source(id), at)
    }

    /// Removes the entry at `index`.
    pub fn remove(&self, index: usize) -> Result<Self, EditError> {
        self.check(index)?;
        let mut entries = self.entries.clone();
        entries.remove(index);
        Ok(Self { entries })
    }

    /// Removes every entry naming `id`, in whatever form (so nothing is left pointing at a
    /// source being deleted).
    pub fn remove_source(&self, id: &SourceId) -> Result<Self, EditError> {
        if self.index_of(id).is_none() {
            return Err(EditError::NotListed(id.clone()));
        }
        let entries = self
            .entries
            .iter()
            .filter(|e| e.source_id() != Some(id))
            .cloned()
            .collect();
        Ok(Self { entries })
    }

    /// Problems with the list, given the registered profile source ids. Built-in sources count
    /// as registered whether or not `registered` names them: every tenant has them.
    pub fn validate(&self, registered: &[SourceId]) -> Vec<Problem> {
        let mut problems = Vec::new();
        if !self
            .entries
            .iter()
            .any(|e| e.source_id().is_some_and(SourceId::is_entra))
        {
            problems.push(Problem::EntraMissing);
        }
        let mut seen: Vec<(SourceId, Vec<usize>)> = Vec::new();
        for (index, entry) in self.entries.iter().enumerate() {
            let Some(id) = entry.source_id() else {
                problems.push(Problem::Unrecognised {
                    index,
                    url: entry.as_str().to_owned(),
                });
                continue;
            };
            match seen.iter_mut().find(|(s, _)| s == id) {
                Some((_, indices)) => indices.push(index),
                None => seen.push((id.clone(), vec![index])),
            }
            if builtin_source(id).is_none() && !registered.contains(id) {
                problems.push(Problem::Unregistered {
                    index,
                    source_id: id.clone(),
                });
            }
        }
        problems.extend(
            seen.into_iter()
                .filter(|(_, indices)| indices.len() > 1)
                .map(|(source_id, indices)| Problem::Duplicate { source_id, indices }),
        );
        problems
    }

    /// The changes that turn `self` into `after`: removals, insertions, and moves. A longest
    /// common subsequence of the two lists stays in place; an entry outside it that appears in
    /// both lists moved, and the rest were removed or inserted (so an entry merely shifted by
    /// an insertion is not "moved"). Entries match by source id, or by text when unrecognised.
    pub fn diff(&self, after: &PrecedenceList) -> Vec<Change> {
        let old = keys(&self.entries);
        let new = keys(&after.entries);
        let (old_kept, new_kept) = lcs(&old, &new);
        let mut new_free: Vec<usize> = (0..new.len()).filter(|j| !new_kept[*j]).collect();
        let mut moved: Vec<(usize, usize)> = Vec::new();
        let mut changes = Vec::new();
        for from in (0..old.len()).filter(|i| !old_kept[*i]) {
            if let Some(pos) = new_free.iter().position(|j| new[*j] == old[from]) {
                moved.push((from, new_free.remove(pos)));
            } else {
                changes.push(Change::Removed {
                    entry: self.entries[from].clone(),
                    from,
                });
            }
        }
        let mut rest: Vec<(usize, Change)> = moved
            .into_iter()
            .map(|(from, to)| {
                let entry = after.entries[to].clone();
                (to, Change::Moved { entry, from, to })
            })
            .chain(new_free.into_iter().map(|at| {
                let entry = after.entries[at].clone();
                (at, Change::Inserted { entry, at })
            }))
            .collect();
        rest.sort_by_key(|(to, _)| *to);
        changes.extend(rest.into_iter().map(|(_, c)| c));
        changes
    }
}

/// Identity of each entry for diffing: its source id, or its text when unrecognised.
fn keys(entries: &[SourceUrl]) -> Vec<EntryKey> {
    entries
        .iter()
        .map(|e| match e.source_id() {
            Some(id) => EntryKey::Source(id.clone()),
            None => EntryKey::Text(e.as_str().to_owned()),
        })
        .collect()
}

/// Marks the entries of a longest common subsequence of `a` and `b` (lists are short, so
/// the O(n·m) table is fine).
fn lcs<T: PartialEq>(old: &[T], new: &[T]) -> (Vec<bool>, Vec<bool>) {
    let (rows, cols) = (old.len(), new.len());
    // table[i][j]: LCS length of old[i..] and new[j..].
    let mut table = vec![vec![0usize; cols + 1]; rows + 1];
    for i in (0..rows).rev() {
        for j in (0..cols).rev() {
            table[i][j] = if old[i] == new[j] {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut in_old, mut in_new) = (vec![false; rows], vec![false; cols]);
    let (mut i, mut j) = (0, 0);
    while i < rows && j < cols {
        if old[i] == new[j] {
            in_old[i] = true;
            in_new[j] = true;
            i += 1;
            j += 1;
        } else if table[i + 1][j] >= table[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    (in_old, in_new)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum EntryKey {
    Source(SourceId),
    Text(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::source_url::{ENTRA_SOURCE_ID, canonical_url};

    fn id(s: &str) -> SourceId {
        SourceId::new(s).expect("valid source id")
    }

    fn list(ids: &[&str]) -> PrecedenceList {
        PrecedenceList::from_sources(&ids.iter().map(|s| id(s)).collect::<Vec<_>>())
    }

    fn names(l: &PrecedenceList) -> Vec<String> {
        l.entries()
            .iter()
            .map(|e| {
                e.source_id()
                    .map_or_else(|| e.as_str().to_owned(), ToString::to_string)
            })
            .collect()
    }

    #[test]
    fn moves() {
        let l = list(&["a", "b", "c"]);
        assert_eq!(names(&l.move_up(1).expect("ok")), ["b", "a", "c"]);
        assert_eq!(names(&l.move_down(1).expect("ok")), ["a", "c", "b"]);
        assert_eq!(names(&l.move_to(0, 2).expect("ok")), ["b", "c", "a"]);
        assert_eq!(names(&l.move_to(2, 0).expect("ok")), ["c", "a", "b"]);
        assert_eq!(l.move_up(0), Err(EditError::AtTop(0)));
        assert_eq!(l.move_down(2), Err(EditError::AtBottom(2)));
        assert_eq!(
            l.move_to(0, 3),
            Err(EditError::OutOfRange { index: 3, len: 3 })
        );
        assert_eq!(names(&l), ["a", "b", "c"], "the original is untouched");
    }

    #[test]
    fn inserts_and_removes() {
        let l = list(&["a", "b"]);
        let top = l.insert_source(&id("n"), Position::Top).expect("ok");
        assert_eq!(names(&top), ["n", "a", "b"]);
        assert_eq!(top.entries()[0].as_str(), canonical_url(&id("n")));
        assert_eq!(
            names(&l.insert_source(&id("n"), Position::Bottom).expect("ok")),
            ["a", "b", "n"]
        );
        assert_eq!(
            names(&l.insert_source(&id("n"), Position::Index(1)).expect("ok")),
            ["a", "n", "b"]
        );
        assert_eq!(
            l.insert_source(&id("n"), Position::Index(3)),
            Err(EditError::OutOfRange { index: 3, len: 2 })
        );
        assert_eq!(
            l.insert_source(&id("B"), Position::Top),
            Err(EditError::AlreadyListed {
                source_id: id("B"),
                index: 1
            })
        );
        assert_eq!(names(&l.remove(0).expect("ok")), ["b"]);
        assert_eq!(l.remove(2), Err(EditError::OutOfRange { index: 2, len: 2 }));
    }

    #[test]
    fn remove_source_takes_every_form() {
        let l = PrecedenceList::from_urls([
            "/external/connections/hr",
            "https://example.com/keep-me",
            &canonical_url(&id("hr")),
            &canonical_url(&SourceId::entra()),
        ]);
        let r = l.remove_source(&id("hr")).expect("ok");
        assert_eq!(
            r.to_strings(),
            [
                "https://example.com/keep-me".to_owned(),
                canonical_url(&SourceId::entra())
            ]
        );
        assert_eq!(
            r.remove_source(&id("hr")),
            Err(EditError::NotListed(id("hr")))
        );
    }

    #[test]
    fn validation_reports_without_fixing() {
        let l = PrecedenceList::from_urls([
            "https://graph.microsoft.com/beta/admin/people/profileSources(sourceId='hr')",
            "/external/connections/hr",
            "https://example.com/x",
            &canonical_url(&id("gone")),
            &canonical_url(&id(crate::people::source_url::ORG_DATA_SOURCE_ID)),
        ]);
        let problems = l.validate(&[id("hr")]);
        assert_eq!(
            problems,
            vec![
                Problem::EntraMissing,
                Problem::Unrecognised {
                    index: 2,
                    url: "https://example.com/x".into()
                },
                Problem::Unregistered {
                    index: 3,
                    source_id: id("gone")
                },
                Problem::Duplicate {
                    source_id: id("hr"),
                    indices: vec![0, 1]
                },
            ]
        );
        assert_eq!(l.len(), 5, "validation changes nothing");
        let good = PrecedenceList::from_urls(["https://login.microsoftonline.com"]);
        assert!(good.validate(&[]).is_empty());
        assert_eq!(
            PrecedenceList::default().validate(&[]),
            vec![Problem::EntraMissing]
        );
    }

    #[test]
    fn problems_serialise_with_a_code() {
        let p = Problem::Unregistered {
            index: 1,
            source_id: id("x"),
        };
        assert_eq!(
            serde_json::to_value(&p).expect("serialises"),
            serde_json::json!({"code": "unregistered", "index": 1, "sourceId": "x"})
        );
        assert!(p.to_string().contains("not a registered"));
    }

    #[test]
    fn diff_insert_at_top_is_one_insertion() {
        let a = list(&["hr", ENTRA_SOURCE_ID]);
        let b = a.insert_source(&id("hr2"), Position::Top).expect("ok");
        assert_eq!(
            a.diff(&b),
            vec![Change::Inserted {
                entry: SourceUrl::for_source(&id("hr2")),
                at: 0
            }]
        );
        assert!(a.diff(&a).is_empty());
    }

    #[test]
    fn diff_move_remove_and_unrecognised() {
        let a = PrecedenceList::from_urls([
            canonical_url(&id("a")),
            "odd entry".to_owned(),
            canonical_url(&id("b")),
            canonical_url(&id("c")),
        ]);
        let b = a.move_to(3, 0).expect("ok").remove(3).expect("ok");
        // b = [c, a, odd entry]
        assert_eq!(
            a.diff(&b),
            vec![
                Change::Removed {
                    entry: SourceUrl::for_source(&id("b")),
                    from: 2
                },
                Change::Moved {
                    entry: SourceUrl::for_source(&id("c")),
                    from: 3,
                    to: 0
                },
            ]
        );
        // The same source in another form is the same entry.
        let legacy = PrecedenceList::from_urls(["/external/connections/a"]);
        assert!(list(&["a"]).diff(&legacy).is_empty());
    }

    #[test]
    fn lcs_marks_a_longest_common_run() {
        let (a, b) = lcs(&[3, 0, 1, 2], &[0, 1, 2, 3]);
        assert_eq!(a, [false, true, true, true]);
        assert_eq!(b, [true, true, true, false]);
        let (a, b) = lcs::<u8>(&[], &[1]);
        assert!(a.is_empty());
        assert_eq!(b, [false]);
    }
}

#[cfg(test)]
mod proptests;
