//! A minimal JSON writer for the estimator's results (whole numbers, strings, arrays and
//! objects only). The binding layer hands the text to `JSON.parse`: one boundary crossing per
//! result instead of one per property, and no serde in the binary.

use crate::text::push_uint;

pub struct JsonWriter {
    out: String,
    /// Whether the next value or key in the current container needs a comma first.
    after_value: bool,
}

impl Default for JsonWriter {
    fn default() -> Self {
        Self { out: String::with_capacity(256), after_value: false }
    }
}

impl JsonWriter {
    pub fn finish(self) -> String {
        self.out
    }

    fn separate(&mut self) {
        if self.after_value {
            self.out.push(',');
        }
    }

    pub fn begin_object(&mut self) -> &mut Self {
        self.separate();
        self.out.push('{');
        self.after_value = false;
        self
    }

    pub fn end_object(&mut self) -> &mut Self {
        self.out.push('}');
        self.after_value = true;
        self
    }

    pub fn begin_array(&mut self) -> &mut Self {
        self.separate();
        self.out.push('[');
        self.after_value = false;
        self
    }

    pub fn end_array(&mut self) -> &mut Self {
        self.out.push(']');
        self.after_value = true;
        self
    }

    /// An object key; the next call writes its value.
    pub fn key(&mut self, key: &str) -> &mut Self {
        self.separate();
        write_string(&mut self.out, key);
        self.out.push(':');
        self.after_value = false;
        self
    }

    pub fn string(&mut self, value: &str) -> &mut Self {
        self.separate();
        write_string(&mut self.out, value);
        self.after_value = true;
        self
    }

    pub fn uint(&mut self, value: u64) -> &mut Self {
        self.separate();
        push_uint(&mut self.out, value);
        self.after_value = true;
        self
    }

    pub fn null(&mut self) -> &mut Self {
        self.separate();
        self.out.push_str("null");
        self.after_value = true;
        self
    }

    pub fn field_str(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key).string(value)
    }

    pub fn field_uint(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key).uint(value)
    }
}

/// Writes `text` as a JSON string, copying runs that need no escape in one go.
fn write_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut run_start = 0;
    for (at, byte) in text.bytes().enumerate() {
        if byte >= 0x20 && byte != b'"' && byte != b'\\' {
            continue;
        }
        out.push_str(&text[run_start..at]);
        match byte {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            control => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(control >> 4)]));
                out.push(char::from(HEX[usize::from(control & 15)]));
            }
        }
        run_start = at + 1;
    }
    out.push_str(&text[run_start..]);
    out.push('"');
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn writes_nested_values_that_parse_back() {
        let mut writer = JsonWriter::default();
        writer.begin_object().field_uint("total", 12).key("items").begin_array();
        for label in ["a \"quoted\" \\ label", "line\nbreak\u{1}"] {
            writer.begin_object().field_str("label", label).field_uint("n", 1).end_object();
        }
        writer.end_array().key("none").null().key("empty").begin_object().end_object().end_object();
        let text = writer.finish();
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"total": 12, "items": [{"label": "a \"quoted\" \\ label", "n": 1}, {"label": "line\nbreak\u{1}", "n": 1}], "none": null, "empty": {}})
        );
    }
}
