//! Fuzzy matching for the palette: the query's characters in order, scored like fzf's simple
//! cases (a run, a word start and an exact prefix score higher than scattered letters).

/// How much of a candidate is scored: a palette line shows less than this, and a name a stranger
/// made 10,000 characters long must not make every keystroke quadratic in it.
const MAX_SCORED: usize = 256;

/// How many starting points are tried; the first (leftmost) always is.
const MAX_STARTS: usize = 32;

/// The score of `candidate` for `query` (case-insensitive), or `None` when the query's
/// characters do not all appear in it in order. An empty query matches everything with 0.
/// Only the first `MAX_SCORED` characters of the candidate count, so a longer query matches
/// nothing.
pub fn score(query: &str, candidate: &str) -> Option<i32> {
    // A char is at most four bytes: more bytes than this is more characters than are scored.
    if query.len() > MAX_SCORED * 4 {
        return None;
    }
    let query: Vec<char> = query
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if query.is_empty() {
        return Some(0);
    }
    if query.len() > MAX_SCORED {
        return None;
    }
    let text: Vec<char> = candidate
        .chars()
        .flat_map(char::to_lowercase)
        .take(MAX_SCORED)
        .collect();
    // Greedy from each place the query's first letter appears; keep the best. When the leftmost
    // start fails every later one does too (it sees a suffix of the same text).
    let mut best: Option<i32> = None;
    let starts = (0..text.len()).filter(|&i| text[i] == query[0]);
    for (tried, start) in starts.enumerate() {
        if tried == MAX_STARTS {
            break;
        }
        let Some(s) = score_from(&query, &text, start) else {
            break;
        };
        best = Some(best.map_or(s, |b| b.max(s)));
    }
    best
}

fn score_from(query: &[char], text: &[char], start: usize) -> Option<i32> {
    let mut score = 0i32;
    let mut q = 0;
    let mut previous: Option<usize> = None;
    for (i, c) in text.iter().enumerate().skip(start) {
        if q == query.len() {
            break;
        }
        if *c != query[q] {
            continue;
        }
        score += 1;
        let word_start = i == 0 || !text[i - 1].is_alphanumeric();
        if word_start {
            score += 8;
        }
        if previous.is_some_and(|p| p + 1 == i) {
            score += 5;
        } else if let Some(p) = previous {
            // Letters far apart say little.
            score -= i32::try_from((i - p).min(10)).unwrap_or(10);
        }
        previous = Some(i);
        q += 1;
    }
    if q < query.len() {
        return None;
    }
    if start == 0 {
        score += 10;
    }
    Some(score)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_must_appear_in_order() {
        assert!(score("tlnt", "talentlegacy").is_some());
        assert!(score("ntl", "talent").is_none());
        assert_eq!(score("", "anything"), Some(0));
        assert!(score("ENTRA", "Microsoft Entra ID").is_some());
    }

    #[test]
    fn prefixes_runs_and_word_starts_beat_scattered_letters() {
        let prefix = score("tal", "talentlegacy").unwrap();
        let scattered = score("tal", "the abstract label").unwrap();
        assert!(prefix > scattered, "{prefix} > {scattered}");
        let word = score("entra", "Microsoft Entra ID").unwrap();
        let inside = score("entra", "Contoso central data").unwrap();
        assert!(word > inside, "{word} > {inside}");
    }

    #[test]
    fn only_the_scored_part_of_a_long_candidate_matches() {
        let long = format!("{}zq", "a".repeat(MAX_SCORED));
        assert!(score("aaa", &long).is_some());
        assert!(score("zq", &long).is_none(), "past the scored part");
        let query = "a".repeat(MAX_SCORED + 1);
        assert!(
            score(&query, &long).is_none(),
            "longer than anything scored"
        );
        assert!(score(&"é".repeat(MAX_SCORED * 4), "é").is_none());
    }

    #[test]
    fn the_best_start_wins_not_the_first() {
        // The first "e" starts a scattered match; the word further on is the better one.
        let scattered = score("entra", "xexnxtxrxa").unwrap();
        let both = score("entra", "xexnxtxrxa Entra").unwrap();
        assert!(both > scattered, "{both} > {scattered}");
    }
}
