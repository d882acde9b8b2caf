//! Where a value is in a call's input: the argument, then keys and indexes, as every error
//! names its field.

use std::fmt;

use crate::error::PowerPostError;

/// Where a value is in a call's input: its argument, then keys and indexes. Every field a
/// call names, while reading or after, is a path of this one argument.
#[derive(Clone, Debug)]
pub(crate) struct Path {
    argument: &'static str,
    /// Whether fields are named after the argument (`options.timeoutMs`) or on their own
    /// (`images[0].quantity`, for a plan).
    prefixed: bool,
    pub(super) segments: Vec<Segment>,
}

#[derive(Clone, Debug)]
pub(super) enum Segment {
    Key(String),
    Index(usize),
}

impl Path {
    /// An argument whose fields are named after it: `options.timeoutMs`.
    pub(crate) const fn argument(name: &'static str) -> Self {
        Self { argument: name, prefixed: true, segments: Vec::new() }
    }

    /// An argument whose fields are named on their own: a plan's `images[0].quantity`. The
    /// argument as a whole is still `name`.
    pub(crate) const fn fields_of(name: &'static str) -> Self {
        Self { argument: name, prefixed: false, segments: Vec::new() }
    }

    pub(crate) fn key(&self, key: &str) -> Self {
        self.with(Segment::Key(key.to_string()))
    }

    pub(crate) fn index(&self, index: usize) -> Self {
        self.with(Segment::Index(index))
    }

    fn with(&self, segment: Segment) -> Self {
        let mut path = self.clone();
        path.segments.push(segment);
        path
    }

    /// An `INVALID_ARGUMENT` for this field: its name, then what was expected of it.
    pub(crate) fn invalid(&self, expectation: &str) -> PowerPostError {
        PowerPostError::invalid_argument(self.to_string(), expectation)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        if self.segments.is_empty() || self.prefixed {
            formatter.write_str(self.argument)?;
        }
        for (position, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(name) => {
                    if position > 0 || self.prefixed {
                        formatter.write_str(".")?;
                    }
                    // An empty key is shown as one, so that a field is never named by nothing.
                    formatter.write_str(if name.is_empty() { "\"\"" } else { name })?;
                }
                Segment::Index(index) => write!(formatter, "[{index}]")?,
            }
        }
        Ok(())
    }
}
