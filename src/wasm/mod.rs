//! The JS boundary (wasm32 only), and the only place that names `JsValue`: the exports, JS
//! values as the input reader sees them, results written through serde-wasm-bindgen, the JS
//! `PowerPostError`, a fleet's store, and the transport that calls the runtime's `fetch` through web-sys.

mod convert;
mod credits;
mod error;
mod pricing;
mod store;
mod transport;
mod watch;

pub use credits::{can_afford, get_credits, CreditsClient};
pub use pricing::{calibrate_rate_card, catalogue, check_balance, default_rate_card, estimate_cost, settle_charges};
pub use watch::BalanceWatch;
