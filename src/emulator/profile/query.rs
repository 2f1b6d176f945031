//! OData options on profile collections: `$select` and `$filter` resolve property names (and
//! slash paths into complex values) against the entity's declared type; a name the type does
//! not declare is Graph's 400, never silently ignored.

use serde_json::{Map, Value};

use super::types::{FACET_MEMBERS, Kind, declared};
use crate::emulator::errors::ErrorReply;
use crate::emulator::odata::{Clause, apply_select, parse_filter, split_list};

fn no_such_property(name: &str, type_name: &str) -> ErrorReply {
    ErrorReply::bad_request(
        "BadRequest",
        format!("Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'."),
    )
}

/// The canonical spelling of a top-level member of `type_name` (declared or itemFacet).
fn member(type_name: &str, name: &str) -> Option<(&'static str, Option<Kind>)> {
    if let Some(facet) = FACET_MEMBERS.iter().find(|m| m.eq_ignore_ascii_case(name)) {
        return Some((facet, None));
    }
    declared(type_name)
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, k)| (*n, Some(*k)))
}

/// Resolves `detail/company/department`-style paths to their canonical segments.
fn resolve_path(type_name: &str, path: &str) -> Result<Vec<&'static str>, ErrorReply> {
    let mut out = Vec::new();
    let mut current = type_name;
    let mut segments = path.split('/').peekable();
    while let Some(segment) = segments.next() {
        let (name, kind) =
            member(current, segment).ok_or_else(|| no_such_property(segment, current))?;
        out.push(name);
        if segments.peek().is_some() {
            match kind {
                Some(Kind::Object(inner)) => current = inner,
                _ => {
                    return Err(no_such_property(
                        segments.peek().copied().unwrap_or(""),
                        name,
                    ));
                }
            }
        }
    }
    Ok(out)
}

/// A parsed `$filter`: its clauses with resolved paths.
pub(crate) struct Filter(Vec<(Clause, Vec<&'static str>)>);

impl Filter {
    pub fn parse(type_name: &str, text: &str) -> Result<Self, ErrorReply> {
        let clauses = parse_filter(text).map_err(|_| {
            ErrorReply::bad_request(
                "BadRequest",
                format!(
                    "Invalid filter clause: '{text}'. Supported here: eq, in, startswith and endswith on a property, joined by and."
                ),
            )
        })?;
        let mut out = Vec::new();
        for clause in clauses {
            let path = resolve_path(type_name, clause.property())?;
            out.push((clause, path));
        }
        Ok(Self(out))
    }

    /// Whether an entity passes every clause (a missing value compares as null).
    pub fn keeps(&self, entity: &Value) -> bool {
        self.0.iter().all(|(clause, path)| {
            let value = path
                .iter()
                .try_fold(entity, |v, s| v.get(*s))
                .unwrap_or(&Value::Null);
            clause.matches(value)
        })
    }
}

/// A `$select` list resolved to canonical top-level member names.
pub(crate) fn selection(type_name: &str, text: &str) -> Result<Vec<String>, ErrorReply> {
    split_list(text)
        .iter()
        .map(|name| {
            member(type_name, name)
                .map(|(n, _)| n.to_owned())
                .ok_or_else(|| no_such_property(name, type_name))
        })
        .collect()
}

/// Applies a selection to one rendered entity.
pub(crate) fn select(entity: &Value, names: &[String]) -> Value {
    match entity.as_object() {
        Some(object) => Value::Object(apply_select(object, names)),
        None => Value::Object(Map::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_resolve_paths_and_refuse_unknown_names() {
        let f = Filter::parse("itemPhone", "type eq 'mobile'").expect("parses");
        assert!(f.keeps(&json!({"type": "mobile"})));
        assert!(!f.keeps(&json!({"type": "business"})));
        let f = Filter::parse("workPosition", "detail/company/department eq 'IT'").expect("parses");
        assert!(f.keeps(&json!({"detail": {"company": {"department": "IT"}}})));
        assert!(Filter::parse("itemPhone", "colour eq 'red'").is_err());
        assert!(Filter::parse("workPosition", "detail/nope eq 'x'").is_err());
        assert!(Filter::parse("itemPhone", "type gt 'a'").is_err());
        assert_eq!(
            selection("itemPhone", "Number,type").expect("known"),
            ["number", "type"]
        );
        assert!(selection("itemPhone", "colour").is_err());
    }
}
