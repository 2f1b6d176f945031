//! Fuzzy matching for the palette: the query's characters in order, scored like fzf's simple
//! cases (a run, a word start and an exact prefix score higher than scattered letters).

/// The score of `candidate` for `query` (case-insensitive), or `None` when the query's
/// characters do not all appear in it in order. An empty query matches everything with 0.
pub fn score(query: &str, candidate: &str) -> Option<i32> {
    let query: Vec<char> = query
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    if query.is_empty() {
        return Some(0);
    }
    let text: Vec<char> = candidate.chars().flat_map(char::to_lowercase).collect();
    // Greedy from the left, then a second pass from the best run: good enough for short labels.
    let mut best: Option<i32> = None;
    for start in 0..text.len() {
        if text[start] != query[0] {
            continue;
        }
        if let Some(s) = score_from(&query, &text, start) {
            best = Some(best.map_or(s, |b| b.max(s)));
        }
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
}
