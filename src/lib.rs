//! powerpost-credits: check a PowerPost account's credits and estimate what a post will cost.
//!
//! The pure core (no JS in it, tested with `cargo test` on the host):
//! - [`credits`]: API keys, request options, what a response means, the retry policy;
//! - [`error`]: the error every call reports;
//! - [`value`]: the read-only view of JS values the decoders are written against;
//! - [`tape`]: how whole values cross the wasm boundary in one call each way;
//! - [`pricing`]: the catalogue, the rate card, cost estimates, refunds and affordability.
//!
//! `wasm` (wasm32 only) is the thin layer that talks to `fetch` and exports the JS API.

#![cfg_attr(not(feature = "std"), no_std)]
// On the host the core is driven only by its tests; the wasm32 build is what uses all of it.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

extern crate alloc;

mod local;

/// What std's prelude would give every module; the published wasm is built without std.
mod prelude {
    pub use alloc::boxed::Box;
    pub use alloc::string::String;
    pub use alloc::vec::Vec;
}

pub mod credits;
pub mod error;
mod input;
pub mod pricing;
pub mod tape;
mod text;
pub mod value;

#[cfg(target_arch = "wasm32")]
pub mod wasm;

/// Without std a panic just traps: no message is formatted (the errors users see are values,
/// never panics, and a panic in wasm poisons the module either way).
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
