//! Estimating costs: the vocabulary (platforms, post types, sizes, bounds), plans, the rate
//! card and its overrides, itemized estimates, settlement of refunds and affordability.

pub(crate) mod calibrate;
pub(crate) mod estimate;
pub(crate) mod plan;
pub(crate) mod rate_card;
pub(crate) mod settle;
pub(crate) mod vocabulary;
