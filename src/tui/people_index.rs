//! Incremental search over every user by name or UPN, instant at 100,000 users.

// Each user's lowercase "name<TAB>upn<LF>" text lives in one shared string, so a keystroke is one
// substring scan over one contiguous buffer (no per-user search setup), and matches are written
// into a result vector whose capacity is reused: nothing a keystroke allocates grows with the
// tenant. A query that extends the previous one re-checks only the previous matches when they
// are few.

use serde::Deserialize;

/// The `$select` for the people list: what the list shows and the search reads.
pub const PEOPLE_SELECT: &str = "id,userPrincipalName,displayName,jobTitle,department";

/// One user in the list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRow {
    pub id: Box<str>,
    #[serde(default = "empty")]
    pub user_principal_name: Box<str>,
    #[serde(default)]
    pub display_name: Option<Box<str>>,
    #[serde(default)]
    pub job_title: Option<Box<str>>,
    #[serde(default)]
    pub department: Option<Box<str>>,
}

fn empty() -> Box<str> {
    Box::from("")
}

impl UserRow {
    /// The name shown (the UPN when there is none).
    pub fn name(&self) -> &str {
        self.display_name
            .as_deref()
            .filter(|n| !n.is_empty())
            .unwrap_or(&self.user_principal_name)
    }
}

/// Every loaded user plus the search text.
#[derive(Debug, Clone, Default)]
pub struct PeopleIndex {
    users: Vec<UserRow>,
    /// Lowercase "name\tupn\n" of every user, back to back (the newline keeps a match from
    /// running from one user into the next).
    hay: String,
    /// `hay[ends[i-1]..ends[i]]` is user i's text with its newline.
    ends: Vec<u32>,
    /// Indices of the users matching `query`, in list order.
    results: Vec<u32>,
    /// The lowercase query `results` answers.
    query: String,
}

impl PeopleIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Users loaded.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// True before any user is loaded.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// User `i` of the list.
    pub fn user(&self, i: usize) -> Option<&UserRow> {
        self.users.get(i)
    }

    /// Adds users at the end; the current query is applied to them.
    pub fn extend(&mut self, rows: Vec<UserRow>) {
        for row in rows {
            self.push_hay(&row);
            let i = self.users.len();
            self.users.push(row);
            if self.matches(i) {
                self.results.push(index_u32(i));
            }
        }
    }

    /// Sorts the list by name (then UPN) and rebuilds the search text; done once when every
    /// page has arrived.
    pub fn sort(&mut self) {
        self.sort_by(0, false);
    }

    /// Sorts by a column of the People list (0 name, 1 UPN, 2 title, 3 department; ties by
    /// UPN, empty values last) and rebuilds the search text; the query stays applied.
    pub fn sort_by(&mut self, column: usize, descending: bool) {
        let text = |u: &UserRow| -> String {
            match column {
                1 => u.user_principal_name.to_lowercase(),
                2 => u.job_title.as_deref().unwrap_or_default().to_lowercase(),
                3 => u.department.as_deref().unwrap_or_default().to_lowercase(),
                _ => u.name().to_lowercase(),
            }
        };
        self.users.sort_by_cached_key(|u| {
            let t = text(u);
            (t.is_empty(), t, u.user_principal_name.clone())
        });
        if descending {
            // Empty values stay last either way.
            let empty = self.users.iter().filter(|u| text(u).is_empty()).count();
            let filled = self.users.len() - empty;
            self.users[..filled].reverse();
        }
        self.hay.clear();
        self.ends.clear();
        let users = std::mem::take(&mut self.users);
        for u in &users {
            self.push_hay(u);
        }
        self.users = users;
        self.rescan();
    }

    fn push_hay(&mut self, row: &UserRow) {
        for c in row.name().chars().flat_map(char::to_lowercase) {
            self.hay.push(c);
        }
        self.hay.push('\t');
        for c in row.user_principal_name.chars().flat_map(char::to_lowercase) {
            self.hay.push(c);
        }
        self.hay.push('\n');
        self.ends.push(index_u32(self.hay.len()));
    }

    fn text(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        // Without the trailing newline.
        &self.hay[start..self.ends[i] as usize - 1]
    }

    fn matches(&self, i: usize) -> bool {
        self.query.is_empty() || self.text(i).contains(self.query.as_str())
    }

    /// Sets the search text (case-insensitive substring of name or UPN) and updates the
    /// matches in place.
    pub fn search(&mut self, query: &str) {
        let previous_len = self.query.len();
        let extends = {
            // Compare without allocating: the new lowercase query starts with the old one.
            let mut new = query.chars().flat_map(char::to_lowercase);
            let mut old = self.query.chars();
            let mut ok = true;
            for o in old.by_ref() {
                if new.next() != Some(o) {
                    ok = false;
                    break;
                }
            }
            ok
        };
        self.query.clear();
        for c in query.chars().flat_map(char::to_lowercase) {
            self.query.push(c);
        }
        if extends && self.query.len() >= previous_len {
            let mut kept = std::mem::take(&mut self.results);
            kept.retain(|&i| self.matches(i as usize));
            self.results = kept;
        } else {
            self.rescan();
        }
    }

    fn rescan(&mut self) {
        let mut results = std::mem::take(&mut self.results);
        results.clear();
        results.extend(
            (0..self.users.len())
                .filter(|&i| self.matches(i))
                .map(index_u32),
        );
        self.results = results;
    }

    /// How many users match.
    pub fn match_count(&self) -> usize {
        self.results.len()
    }

    /// The `n`th match.
    pub fn matched(&self, n: usize) -> Option<&UserRow> {
        self.results
            .get(n)
            .and_then(|&i| self.users.get(i as usize))
    }

    /// The current (lowercase) query.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// Where the user with this object id (or UPN) is among the matches.
    pub fn position(&self, key: &str) -> Option<usize> {
        self.results.iter().position(|&i| {
            self.users
                .get(i as usize)
                .is_some_and(|u| &*u.id == key || u.user_principal_name.eq_ignore_ascii_case(key))
        })
    }

    /// The users whose name or UPN contains every word of `query` (case-insensitive), at
    /// most `limit`, in list order: the palette's people search (one pass over the text).
    pub fn find(&self, query: &str, limit: usize) -> Vec<&UserRow> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        if words.is_empty() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for i in 0..self.users.len() {
            let text = self.text(i);
            if words.iter().all(|w| text.contains(w.as_str())) {
                out.push(&self.users[i]);
                if out.len() >= limit {
                    break;
                }
            }
        }
        out
    }
}

// Invariant: a tenant has far fewer than 4 billion users and the search text stays under
// 4 GiB, so list positions fit u32 (half the memory of usize for 100k entries).
#[allow(clippy::cast_possible_truncation)]
fn index_u32(i: usize) -> u32 {
    i as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, upn: &str) -> UserRow {
        UserRow {
            id: Box::from(upn),
            user_principal_name: Box::from(upn),
            display_name: Some(Box::from(name)),
            job_title: None,
            department: None,
        }
    }

    fn names(ix: &PeopleIndex) -> Vec<String> {
        (0..ix.match_count())
            .map(|n| ix.matched(n).unwrap().name().to_owned())
            .collect()
    }

    #[test]
    fn searches_names_and_upns_case_insensitively() {
        let mut ix = PeopleIndex::new();
        ix.extend(vec![
            row("Alex Wilber", "alexw@contoso.com"),
            row("Tomás Herrera", "tomas.herrera@contoso.com"),
            row("Zoë Müller", "zoe.mueller@contoso.com"),
        ]);
        ix.search("ALEX");
        assert_eq!(names(&ix), ["Alex Wilber"]);
        ix.search("müll");
        assert_eq!(names(&ix), ["Zoë Müller"]);
        ix.search("mueller");
        assert_eq!(names(&ix), ["Zoë Müller"]);
        ix.search("contoso");
        assert_eq!(ix.match_count(), 3);
        ix.search("");
        assert_eq!(ix.match_count(), 3);
        // The tab between name and UPN keeps a query from matching across them.
        ix.search("wilberalexw");
        assert_eq!(ix.match_count(), 0);
    }

    #[test]
    fn narrowing_and_widening_agree_with_a_fresh_scan() {
        let mut ix = PeopleIndex::new();
        ix.extend(
            (0..500)
                .map(|i| row(&format!("Person {i}"), &format!("p{i}@contoso.com")))
                .collect(),
        );
        for q in ["p", "p1", "p12", "p1", "", "person 4", "person 49", "x"] {
            ix.search(q);
            let mut fresh = PeopleIndex::new();
            fresh.extend((0..500).map(|i| ix.user(i).unwrap().clone()).collect());
            fresh.search(q);
            assert_eq!(names(&ix), names(&fresh), "query {q:?}");
        }
    }

    #[test]
    fn pages_arriving_during_a_search_are_filtered_and_sorting_keeps_the_query() {
        let mut ix = PeopleIndex::new();
        ix.search("wei");
        ix.extend(vec![row("Wei Zhang", "wei.zhang@contoso.com")]);
        ix.extend(vec![
            row("Alex Wilber", "alexw@contoso.com"),
            row("Wei Zhang", "wei.zhang2@contoso.com"),
        ]);
        assert_eq!(ix.match_count(), 2);
        ix.search("");
        ix.sort();
        assert_eq!(names(&ix), ["Alex Wilber", "Wei Zhang", "Wei Zhang"]);
        // Same name: by UPN, bytewise ('2' sorts before '@').
        assert_eq!(
            &*ix.matched(1).unwrap().user_principal_name,
            "wei.zhang2@contoso.com"
        );
    }

    #[test]
    fn sorting_by_a_column_keeps_the_query_and_puts_empty_values_last() {
        let mut ix = PeopleIndex::new();
        let mut a = row("Alex", "alex@x");
        a.job_title = Some("Zookeeper".into());
        let mut b = row("Bea", "bea@x");
        b.job_title = Some("Analyst".into());
        let c = row("Cy", "cy@x");
        ix.extend(vec![a, b, c]);
        ix.search("e");
        ix.sort_by(2, false);
        assert_eq!(names(&ix), ["Bea", "Alex"], "the query stays applied");
        ix.search("");
        assert_eq!(names(&ix), ["Bea", "Alex", "Cy"]);
        ix.sort_by(2, true);
        assert_eq!(names(&ix), ["Alex", "Bea", "Cy"], "no title stays last");
        assert_eq!(ix.position("bea@x"), Some(1));
        assert_eq!(ix.find("al", 10).len(), 1);
    }

    proptest::proptest! {
        #[test]
        fn any_typing_matches_a_naive_filter(
            names in proptest::collection::vec("[a-cA-Cé ]{0,6}", 1..60),
            typed in proptest::collection::vec(proptest::option::of("[a-cé ]"), 0..12),
        ) {
            let mut ix = PeopleIndex::new();
            ix.extend(names.iter().enumerate().map(|(i, n)| row(n, &format!("u{i}@x"))).collect());
            let mut query = String::new();
            for t in typed {
                match t {
                    Some(c) => query.push_str(&c),
                    None => { query.pop(); }
                }
                ix.search(&query);
                let q = query.to_lowercase();
                let naive: Vec<String> = (0..names.len())
                    .map(|i| ix.user(i).unwrap())
                    .filter(|u| {
                        u.name().to_lowercase().contains(&q)
                            || u.user_principal_name.to_lowercase().contains(&q)
                    })
                    .map(|u| u.user_principal_name.to_string())
                    .collect();
                let ours: Vec<String> = (0..ix.match_count())
                    .map(|n| ix.matched(n).unwrap().user_principal_name.to_string())
                    .collect();
                proptest::prop_assert_eq!(ours, naive, "query {:?}", query);
            }
        }
    }
}
