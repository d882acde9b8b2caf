//! Checking the balance: what a well-formed key and request look like, what a response
//! means, when a failed attempt is tried again, and the call that puts them together.

pub(crate) mod call;
pub(crate) mod key;
pub(crate) mod options;
pub(crate) mod response;
pub(crate) mod retry;
