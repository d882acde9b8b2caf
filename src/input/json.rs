//! JSON values as the runtime's values, for host tests.

use super::{Unreadable, Value};

/// JSON values stand in for JS values in host tests (for every module's tests: a trait impl
/// holds crate-wide): objects are plain, and nothing throws.
impl Value for serde_json::Value {
    fn is_missing(&self) -> bool {
        self.is_null()
    }

    fn as_bool(&self) -> Option<bool> {
        serde_json::Value::as_bool(self)
    }

    fn as_number(&self) -> Option<f64> {
        self.as_f64()
    }

    fn as_text(&self) -> Option<String> {
        self.as_str().map(str::to_string)
    }

    fn list_length(&self) -> Option<u32> {
        self.as_array().map(|list| list.len() as u32)
    }

    fn is_plain_object(&self) -> bool {
        serde_json::Value::is_object(self)
    }

    fn is_object(&self) -> bool {
        serde_json::Value::is_object(self)
    }

    fn keys(&self) -> Result<Vec<Self>, Unreadable> {
        let keys = self.as_object().map(|object| object.keys().cloned().map(serde_json::Value::String).collect());
        Ok(keys.unwrap_or_default())
    }

    fn get(&self, key: &Self) -> Result<Self, Unreadable> {
        let value = key.as_str().and_then(|key| serde_json::Value::get(self, key));
        Ok(value.cloned().unwrap_or(serde_json::Value::Null))
    }

    fn has_key(&self, key: &str) -> bool {
        self.as_object().is_some_and(|object| object.contains_key(key))
    }

    fn at(&self, index: u32) -> Result<Self, Unreadable> {
        Ok(serde_json::Value::get(self, index as usize).cloned().unwrap_or(serde_json::Value::Null))
    }

    fn into_handle(self) -> Option<u32> {
        None
    }
}
