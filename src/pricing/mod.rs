//! Estimating costs: the catalogue, plans, the rate card and its overrides, itemized
//! estimates, settlement of refunds and affordability.

pub(crate) mod catalogue;
pub(crate) mod estimate;
pub(crate) mod plan;
pub(crate) mod rate_card;
pub(crate) mod settle;
