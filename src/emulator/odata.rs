//! The OData pieces Graph uses here: query options, string literals, key segments, a small
//! `$filter` grammar, `$select` and opaque skip tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// OData's system query options, by their names without `$` (a request may omit the `$`).
pub(crate) const SYSTEM_OPTIONS: &[&str] = &[
    "select",
    "filter",
    "top",
    "skip",
    "skiptoken",
    "count",
    "expand",
    "orderby",
    "search",
    "format",
    "deltatoken",
];

/// Decoded query options, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Self { pairs }
    }

    /// A system query option by name, with or without its `$` (Graph accepts both).
    pub fn get(&self, name: &str) -> Option<&str> {
        let bare = name.trim_start_matches('$');
        self.pairs
            .iter()
            .find(|(k, _)| {
                let k = k.trim_start_matches('$');
                k.eq_ignore_ascii_case(bare)
            })
            .map(|(_, v)| v.as_str())
    }

    /// Option names present (as sent).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }

    /// The pairs, without `$skiptoken`, re-encoded (to build a nextLink).
    pub fn encoded_without_skiptoken(&self) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            if !k.trim_start_matches('$').eq_ignore_ascii_case("skiptoken") {
                out.append_pair(k, v);
            }
        }
        out.finish()
    }

    /// `$select` as a list of names (`None` when absent).
    pub fn select(&self) -> Option<Vec<String>> {
        self.get("$select").map(split_list)
    }
}

/// Splits a comma list at top level (commas inside parentheses stay).
pub(crate) fn split_list(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                current.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            ',' if depth == 0 => parts.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// `'it''s'` → `it's`; `None` when not a single well-formed literal.
pub(crate) fn parse_string_literal(text: &str) -> Option<String> {
    let inner = text.strip_prefix('\'')?.strip_suffix('\'')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            // Inside a literal a quote must be doubled.
            if chars.next() != Some('\'') {
                return None;
            }
        }
        out.push(c);
    }
    Some(out)
}

/// `users('x')` → `x` for the entity set `users`.
pub(crate) fn key_in_parens(segment: &str, entity_set: &str) -> Option<String> {
    let rest = segment.strip_prefix(entity_set)?;
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    parse_string_literal(inner.trim())
}

/// Keeps only the named members of an object (plus `@odata.*` annotations), in `names` order.
pub(crate) fn apply_select(object: &Map<String, Value>, names: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in object {
        if k.starts_with("@odata") {
            out.insert(k.clone(), v.clone());
        }
    }
    for name in names {
        if let Some((k, v)) = object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// A literal in a filter clause.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Text(String),
    Bool(bool),
    Null,
}

/// One clause of the supported `$filter` grammar.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Clause {
    Eq(String, Literal),
    StartsWith(String, String),
    EndsWith(String, String),
    In(String, Vec<Literal>),
}

impl Clause {
    pub fn property(&self) -> &str {
        match self {
            Self::Eq(p, _) | Self::StartsWith(p, _) | Self::EndsWith(p, _) | Self::In(p, _) => p,
        }
    }

    /// Whether a property value satisfies the clause (string comparisons ignore case).
    pub fn matches(&self, value: &Value) -> bool {
        let eq = |literal: &Literal| match (literal, value) {
            (Literal::Text(t), Value::String(v)) => t.to_lowercase() == v.to_lowercase(),
            (Literal::Bool(b), Value::Bool(v)) => b == v,
            (Literal::Null, Value::Null) => true,
            _ => false,
        };
        match self {
            Self::Eq(_, literal) => eq(literal),
            Self::In(_, literals) => literals.iter().any(eq),
            Self::StartsWith(_, prefix) => value
                .as_str()
                .is_some_and(|v| v.to_lowercase().starts_with(&prefix.to_lowercase())),
            Self::EndsWith(_, suffix) => value
                .as_str()
                .is_some_and(|v| v.to_lowercase().ends_with(&suffix.to_lowercase())),
        }
    }
}

/// A `$filter` the grammar cannot read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilterSyntaxError;

/// Parses `clause (and clause)*` where a clause is `p eq lit`, `p in (lit, ...)`,
/// `startswith(p,'x')` or `endswith(p,'x')`.
pub(crate) fn parse_filter(text: &str) -> Result<Vec<Clause>, FilterSyntaxError> {
    let tokens = tokenize(text)?;
    let mut clauses = Vec::new();
    let mut pos = 0;
    loop {
        let (clause, next) = parse_clause(&tokens, pos)?;
        clauses.push(clause);
        pos = next;
        match tokens.get(pos) {
            None => return Ok(clauses),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("and") => pos += 1,
            Some(_) => return Err(FilterSyntaxError),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
}

fn tokenize(text: &str) -> Result<Vec<Token>, FilterSyntaxError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            ',' => {
                chars.next();
                tokens.push(Token::Comma);
            }
            '\'' => {
                chars.next();
                let mut literal = String::new();
                loop {
                    match chars.next() {
                        None => return Err(FilterSyntaxError),
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            literal.push('\'');
                        }
                        Some('\'') => break,
                        Some(other) => literal.push(other),
                    }
                }
                tokens.push(Token::Text(literal));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if matches!(c, ' ' | '\t' | '(' | ')' | ',' | '\'') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

fn literal(token: Option<&Token>) -> Result<Literal, FilterSyntaxError> {
    match token {
        Some(Token::Text(t)) => Ok(Literal::Text(t.clone())),
        Some(Token::Word(w)) if w == "true" => Ok(Literal::Bool(true)),
        Some(Token::Word(w)) if w == "false" => Ok(Literal::Bool(false)),
        Some(Token::Word(w)) if w == "null" => Ok(Literal::Null),
        _ => Err(FilterSyntaxError),
    }
}

fn parse_clause(tokens: &[Token], pos: usize) -> Result<(Clause, usize), FilterSyntaxError> {
    let Some(Token::Word(first)) = tokens.get(pos) else {
        return Err(FilterSyntaxError);
    };
    let function = first.to_ascii_lowercase();
    if (function == "startswith" || function == "endswith")
        && tokens.get(pos + 1) == Some(&Token::Open)
    {
        let (
            Some(Token::Word(property)),
            Some(Token::Comma),
            Some(Token::Text(arg)),
            Some(Token::Close),
        ) = (
            tokens.get(pos + 2),
            tokens.get(pos + 3),
            tokens.get(pos + 4),
            tokens.get(pos + 5),
        )
        else {
            return Err(FilterSyntaxError);
        };
        let clause = if function == "startswith" {
            Clause::StartsWith(property.clone(), arg.clone())
        } else {
            Clause::EndsWith(property.clone(), arg.clone())
        };
        return Ok((clause, pos + 6));
    }
    match tokens.get(pos + 1) {
        Some(Token::Word(op)) if op.eq_ignore_ascii_case("eq") => {
            let value = literal(tokens.get(pos + 2))?;
            Ok((Clause::Eq(first.clone(), value), pos + 3))
        }
        Some(Token::Word(op)) if op.eq_ignore_ascii_case("in") => {
            if tokens.get(pos + 2) != Some(&Token::Open) {
                return Err(FilterSyntaxError);
            }
            let mut values = Vec::new();
            let mut at = pos + 3;
            loop {
                values.push(literal(tokens.get(at))?);
                at += 1;
                match tokens.get(at) {
                    Some(Token::Comma) => at += 1,
                    Some(Token::Close) => return Ok((Clause::In(first.clone(), values), at + 1)),
                    _ => return Err(FilterSyntaxError),
                }
            }
        }
        _ => Err(FilterSyntaxError),
    }
}

/// One page of a listing: `$top` (1..=`max`) or `default` items from the `$skiptoken` offset,
/// and the `@odata.nextLink` to the rest (`base` is the collection URL without a query).
pub(crate) struct Paged {
    pub value: Vec<Value>,
    pub next_link: Option<String>,
}

/// Why a page could not be cut: the message for Graph's 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PagingError(pub String);

/// Cuts one page of `items` for `query`, the way Graph pages: the caller follows
/// `@odata.nextLink` (opaque) until it is absent.
pub(crate) fn page(
    query: &Query,
    items: Vec<Value>,
    default: usize,
    max: usize,
    base: &str,
) -> Result<Paged, PagingError> {
    let top = match query.get("$top") {
        None => default,
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                PagingError(format!(
                    "Invalid page size specified: '{text}'. Must be between 1 and {max} inclusive."
                ))
            })?,
    };
    let start = match query.get("$skiptoken") {
        None => 0,
        Some(token) => decode_skiptoken(token).ok_or_else(|| {
            PagingError(
                "The specified page token value has expired and can no longer be included in your request."
                    .into(),
            )
        })?,
    };
    let total = items.len();
    let value: Vec<Value> = items.into_iter().skip(start).take(top).collect();
    let next = start + value.len();
    let next_link = (next < total && !value.is_empty()).then(|| {
        let mut rest = query.encoded_without_skiptoken();
        if !rest.is_empty() {
            rest.push('&');
        }
        format!("{base}?{rest}$skiptoken={}", encode_skiptoken(next))
    });
    Ok(Paged { value, next_link })
}

/// An opaque `$skiptoken` for a listing offset (Graph's are opaque too: clients must not parse).
pub(crate) fn encode_skiptoken(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("peoplectl-emulator:{offset}"))
}

pub(crate) fn decode_skiptoken(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("peoplectl-emulator:")?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_unescape_doubled_quotes() {
        assert_eq!(parse_string_literal("'it''s'").as_deref(), Some("it's"));
        assert_eq!(parse_string_literal("''").as_deref(), Some(""));
        assert_eq!(parse_string_literal("'it's'"), None);
        assert_eq!(parse_string_literal("x"), None);
        assert_eq!(
            key_in_parens("users('$x@c.com')", "users").as_deref(),
            Some("$x@c.com")
        );
    }

    #[test]
    fn filters_parse() {
        assert_eq!(
            parse_filter("userPrincipalName eq 'o''neil@c.com'").unwrap(),
            vec![Clause::Eq(
                "userPrincipalName".into(),
                Literal::Text("o'neil@c.com".into())
            )]
        );
        assert_eq!(
            parse_filter("startswith(displayName,'Al') and accountEnabled eq true").unwrap(),
            vec![
                Clause::StartsWith("displayName".into(), "Al".into()),
                Clause::Eq("accountEnabled".into(), Literal::Bool(true))
            ]
        );
        assert_eq!(
            parse_filter("id in ('a', 'b')").unwrap(),
            vec![Clause::In(
                "id".into(),
                vec![Literal::Text("a".into()), Literal::Text("b".into())]
            )]
        );
        assert!(parse_filter("id eq 'a' or id eq 'b'").is_err());
        assert!(parse_filter("id gt 'a'").is_err());
        assert!(parse_filter("id eq 'a").is_err());
    }

    #[test]
    fn skiptokens_round_trip_and_reject_junk() {
        assert_eq!(decode_skiptoken(&encode_skiptoken(1234)), Some(1234));
        assert_eq!(decode_skiptoken("garbage!"), None);
    }

    #[test]
    fn select_splits_at_top_level() {
        assert_eq!(
            split_list("id, manager($select=id,displayName),mail"),
            vec!["id", "manager($select=id,displayName)", "mail"]
        );
    }
}
