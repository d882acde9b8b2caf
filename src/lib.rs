//! powerpost-credits: check a PowerPost account's credits and estimate what a post will cost,
//! from JavaScript (browsers, web workers, Node) through WebAssembly.
//!
//! The core knows nothing of JS and is tested with `cargo test` on the host:
//! - [`credits`]: API keys, request options, what a response means, the retry policy, and the
//!   call's loop over a transport;
//! - [`pricing`]: the catalogue, plans, the rate card, estimates, refunds and affordability;
//! - [`error`]: the error every call reports; [`input`]: how caller input is read (a serde
//!   `Deserializer` over the runtime's values);
//! - above both, [`catalogue`] (what the package knows) and [`afford`] (`canAfford`).
//!
//! [`wasm`] (wasm32 only) is the boundary: the exports, JS values as the input reader sees
//! them, results written through serde-wasm-bindgen, and the transport that calls `fetch`
//! through web-sys.

#![deny(missing_docs)]
// On the host the core is driven only by its tests; the wasm32 build is what uses all of it.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

pub(crate) mod afford;
pub(crate) mod catalogue;
pub(crate) mod credits;
pub(crate) mod error;
pub(crate) mod input;
pub(crate) mod pricing;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
