//! A [`PowerPostError`] as the JS `PowerPostError` (src/js/error.js) that callers catch.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::convert::to_js;
use crate::error::PowerPostError;

#[wasm_bindgen(module = "/src/js/error.js")]
extern "C" {
    #[wasm_bindgen(js_name = PowerPostError)]
    type JsPowerPostError;

    #[wasm_bindgen(constructor, js_class = "PowerPostError")]
    fn new(message: &str, details: &JsValue) -> JsPowerPostError;
}

/// The constructor's `details`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Details<'a> {
    code: &'static str,
    status: Option<u16>,
    request_id: Option<&'a str>,
    retry_after_ms: Option<f64>,
    retryable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
    #[serde(with = "serde_wasm_bindgen::preserve", skip_serializing_if = "JsValue::is_undefined")]
    cause: JsValue,
}

/// The JS error for `error`; `cause` is what the runtime reported with it, if anything.
pub(crate) fn to_js_error(error: &PowerPostError, cause: Option<JsValue>) -> JsValue {
    let details = Details {
        code: error.code.as_str(),
        status: error.status,
        request_id: error.request_id.as_deref(),
        retry_after_ms: error.retry_after_ms,
        retryable: error.retryable(),
        field: error.field.as_deref(),
        cause: cause.unwrap_or(JsValue::UNDEFINED),
    };
    JsPowerPostError::new(&error.message, &to_js(&details)).into()
}
