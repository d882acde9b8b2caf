//! The wasm suite: the package as JS calls it, end to end against the local sandbox, in Node
//! (`wasm-pack test --node`) and in Chromium, Firefox and WebKit (`make test` runs
//! `wasm-pack test --headless --chrome`, `--firefox` and `--safari` with
//! `WASM_BINDGEN_USE_BROWSER=1`). `make test` starts the sandbox and passes its origin in
//! POWERPOST_SANDBOX at build time. Every scenario has its own id, so the sandbox's attempt
//! counts belong to one test only. One test binary, a module per feature.
#![cfg(target_arch = "wasm32")]

mod balance;
mod errors;
mod estimates;
mod sharing;
mod store;
mod support;
mod watch;
