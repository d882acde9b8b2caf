//! Estimating costs: the catalogue, the rate card and its overrides, itemized estimates,
//! settlement of refunds and affordability.

pub mod catalogue;
pub mod estimate;
pub mod plan;
pub mod rate_card;
pub mod settle;
