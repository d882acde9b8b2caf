//! Checking the balance: what a well-formed key and request look like, what a response
//! means, and when a failed attempt is tried again.

pub mod key;
pub mod options;
pub mod response;
pub mod retry;
