//! What went wrong while reading, and where: the error the `Deserializer` returns, which
//! gains the key or index of each level it passes up through.

use std::fmt;

use serde::de;

use super::path::Segment;
use super::{Path, Value};
use crate::error::PowerPostError;

/// What went wrong, and where: boxed, so that results stay small, and made and extended only
/// out of line, so that no reading function carries the work.
#[derive(Debug)]
pub(crate) struct Error(Box<Failure>);

#[derive(Debug)]
struct Failure {
    /// Innermost first: each level adds its own as the error passes up.
    path: Vec<Segment>,
    expectation: String,
}

impl Error {
    #[cold]
    #[inline(never)]
    pub(super) fn new(expectation: String) -> Self {
        Error(Box::new(Failure { path: Vec::new(), expectation }))
    }

    #[cold]
    #[inline(never)]
    pub(super) fn expected(expected: &dyn de::Expected) -> Self {
        Self::new(format!("must be {expected}"))
    }

    #[cold]
    #[inline(never)]
    pub(super) fn in_key(mut self, key: &str) -> Self {
        self.0.path.push(Segment::Key(key.to_string()));
        self
    }

    /// [`in_key`](Error::in_key) for a key as the runtime holds it: read as text only for an
    /// error, so that reading an object copies no key.
    #[cold]
    #[inline(never)]
    pub(super) fn in_key_of<V: Value>(self, key: &V) -> Self {
        self.in_key(&key.as_text().unwrap_or_default())
    }

    #[cold]
    #[inline(never)]
    pub(super) fn in_index(mut self, index: u32) -> Self {
        self.0.path.push(Segment::Index(index as usize));
        self
    }

    #[cold]
    #[inline(never)]
    pub(super) fn at(self, at: &Path) -> PowerPostError {
        let Failure { path, expectation } = *self.0;
        let mut field = at.clone();
        field.segments.extend(path.into_iter().rev());
        field.invalid(&expectation)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str(&self.0.expectation)
    }
}

impl std::error::Error for Error {}

/// serde's errors, in the package's words: what was expected, never what was found.
impl de::Error for Error {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self::new(message.to_string())
    }

    fn invalid_type(_found: de::Unexpected, expected: &dyn de::Expected) -> Self {
        Self::expected(expected)
    }

    fn invalid_value(_found: de::Unexpected, expected: &dyn de::Expected) -> Self {
        Self::expected(expected)
    }

    fn invalid_length(_length: usize, expected: &dyn de::Expected) -> Self {
        Self::expected(expected)
    }

    #[cold]
    fn unknown_field(_field: &str, expected: &'static [&'static str]) -> Self {
        Self::new(format!("is not a known field; expected one of {}", expected.join(", ")))
    }

    #[cold]
    fn missing_field(field: &'static str) -> Self {
        Self::new(String::from("is required")).in_key(field)
    }
}
