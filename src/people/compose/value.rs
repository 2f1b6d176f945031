//! One source's value for one property, cheap to clone and serialised as Graph's JSON.

use std::sync::Arc;

use serde::{Serialize, Serializer};

/// One source's value for one property: a JSON scalar, or any other JSON (arrays at a leaf,
/// multi-valued items). Cloning is cheap.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Explicitly no value: never wins, never shadows.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string; `""` is a value.
    String(Arc<str>),
    /// Any other JSON (arrays, objects).
    Json(Arc<serde_json::Value>),
}

impl Value {
    /// Whether this is `Null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The text, for strings.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// Converts JSON; arrays and objects are kept whole.
    pub fn from_json(v: &serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_f64() {
                // Integers beyond f64's exact range keep their JSON form.
                Some(f) if n.is_f64() || f.abs() < 9_007_199_254_740_992.0 => Value::Number(f),
                _ => Value::Json(Arc::new(v.clone())),
            },
            serde_json::Value::String(s) => Value::String(Arc::from(s.as_str())),
            other => Value::Json(Arc::new(other.clone())),
        }
    }

    /// The JSON form.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(f) => number_json(*f),
            Value::String(s) => serde_json::Value::String(s.to_string()),
            Value::Json(j) => (**j).clone(),
        }
    }
}

#[allow(clippy::cast_possible_truncation, clippy::float_cmp)] // guarded: exact integers only
fn number_json(f: f64) -> serde_json::Value {
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        serde_json::Value::from(f as i64)
    } else {
        serde_json::Number::from_f64(f).map_or(serde_json::Value::Null, serde_json::Value::Number)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_none(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Number(f) => number_json(*f).serialize(serializer),
            Value::String(s) => serializer.serialize_str(s),
            Value::Json(j) => j.serialize(serializer),
        }
    }
}

impl From<&str> for Value {
    fn from(value: &str) -> Self {
        Value::String(Arc::from(value))
    }
}

impl From<String> for Value {
    fn from(value: String) -> Self {
        Value::String(Arc::from(value))
    }
}

impl From<bool> for Value {
    fn from(value: bool) -> Self {
        Value::Bool(value)
    }
}

impl From<f64> for Value {
    fn from(value: f64) -> Self {
        Value::Number(value)
    }
}

impl From<serde_json::Value> for Value {
    fn from(value: serde_json::Value) -> Self {
        Value::from_json(&value)
    }
}
