//! Checking the balance: what a well-formed key and request look like, what a response
//! means, when a failed attempt is tried again, the call that puts them together, the
//! sharing of calls that overlap, a fleet's store and its rules, and watching the balance.

pub(crate) mod call;
#[cfg(all(test, not(target_arch = "wasm32")))]
pub(crate) mod fakes;
pub(crate) mod fleet;
pub(crate) mod http_date;
pub(crate) mod key;
pub(crate) mod options;
pub(crate) mod requests;
pub(crate) mod response;
pub(crate) mod retry;
pub(crate) mod store;
pub(crate) mod watch;
