//! `canAfford`: whether a balance covers a plan, priced with a rate card, or an estimate
//! already made. It sits above `pricing` (the estimate, the check) and `credits` (the balance a
//! call fetched); the binding reads the JS values, fetches the balance and calls it.

use crate::credits::response::Credits;
use crate::error::PowerPostError;
use crate::input::{read, Number, Path, Value};
use crate::pricing::estimate::{estimate_with_options, CostEstimate};
use crate::pricing::plan::{EstimateOptions, PostPlan, PLAN};
use crate::pricing::rate_card::RateCardOverrides;
use crate::pricing::settle::{check_balance, Affordability, Cost};

/// The keys that make a plain object a `CostEstimate`, taken as it is rather than estimated.
const ESTIMATE_KEYS: [&str; 3] = ["total", "items", "rateCardVersion"];

/// Where a given estimate's errors are named: `plan`, `plan.total`.
const GIVEN: Path = Path::argument("plan");

/// The estimate a balance is checked against.
#[derive(Debug)]
pub(crate) enum Estimate<V> {
    /// Made from a plan.
    Made(CostEstimate),
    /// Given as the `plan`: handed back as the same value.
    Given(V),
}

/// A plan priced, or an estimate taken as given, ready to be checked against a balance.
#[derive(Debug)]
pub(crate) struct Priced<V> {
    total: f64,
    pub estimate: Estimate<V>,
}

impl<V: Value + Clone> Priced<V> {
    /// `plan` estimated with `rate_card` (whose errors are named under `options`), or taken as
    /// it is when it is an estimate: a plain object with `total`, `items` and `rateCardVersion`.
    /// A bad plan or estimate is `INVALID_ARGUMENT`, before any request.
    pub(crate) fn of(plan: V, rate_card: Option<RateCardOverrides>, options: &Path) -> Result<Self, PowerPostError> {
        if is_estimate(&plan) {
            let total = read::<Cost, V>(plan.clone(), &GIVEN)?.credits(&GIVEN)?;
            return Ok(Priced { total, estimate: Estimate::Given(plan) });
        }
        let plan: PostPlan = read(plan, &PLAN)?;
        let estimate = estimate_with_options(&plan, &EstimateOptions { rate_card }, options)?;
        Ok(Priced { total: estimate.total as f64, estimate: Estimate::Made(estimate) })
    }

    /// Whether `credits` covers the estimate: `checkBalance`'s answer.
    pub(crate) fn afford(&self, credits: &Credits) -> Result<Affordability, PowerPostError> {
        check_balance(Number(credits.balance), self.total)
    }
}

/// Whether `value` is an estimate rather than a plan ([`ESTIMATE_KEYS`]).
fn is_estimate<V: Value>(value: &V) -> bool {
    value.is_plain_object() && ESTIMATE_KEYS.iter().all(|key| value.has_key(key))
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::error::ErrorCode;
    use crate::pricing::plan::ESTIMATE_OPTIONS;

    fn credits(balance: f64) -> Credits {
        Credits { balance, request_id: None, rate_limit: None, fetched_at: 0.0 }
    }

    fn priced(plan: serde_json::Value) -> Result<Priced<serde_json::Value>, PowerPostError> {
        Priced::of(plan, None, &ESTIMATE_OPTIONS)
    }

    #[test]
    fn a_plan_is_estimated_and_checked_against_the_balance() {
        let plan = json!({"caption": {"researchMode": "deep"}});
        let estimated = priced(plan).unwrap();
        let Estimate::Made(estimate) = &estimated.estimate else { panic!("estimated") };
        let cost = estimate.total as f64;
        assert!(cost > 0.0);
        let covered = estimated.afford(&credits(cost)).unwrap();
        assert_eq!((covered.affordable, covered.remaining, covered.shortfall), (true, 0.0, 0.0));
        let short = estimated.afford(&credits(cost - 1.0)).unwrap();
        assert_eq!((short.affordable, short.cost, short.shortfall), (false, cost, 1.0));
    }

    #[test]
    fn an_object_with_total_items_and_rate_card_version_is_an_estimate_taken_as_given() {
        let given = json!({"total": 9, "items": [], "rateCardVersion": "mine"});
        let taken = priced(given.clone()).unwrap();
        assert!(matches!(&taken.estimate, Estimate::Given(value) if *value == given));
        assert_eq!(taken.afford(&credits(9.0)).unwrap().remaining, 0.0);
        // Without one of the three keys it is a plan, and read as one.
        for key in ESTIMATE_KEYS {
            let mut partial = given.clone();
            partial.as_object_mut().unwrap().remove(key);
            let error = priced(partial).unwrap_err();
            assert!(error.message.contains("is not a known field; expected one of caption"), "{key}: {error:?}");
        }
    }

    #[test]
    fn a_bad_estimate_or_plan_is_named_before_any_request() {
        let error = priced(json!({"total": 2.5, "items": [], "rateCardVersion": "v"})).unwrap_err();
        assert_eq!((error.code, error.field.as_deref()), (ErrorCode::InvalidArgument, Some("plan.total")));
        let error = priced(json!({"caption": {"researchMode": "deeper"}})).unwrap_err();
        assert_eq!((error.code, error.field.as_deref()), (ErrorCode::InvalidArgument, Some("caption.researchMode")));
        let error =
            priced(json!({"caption": {"researchMode": "deep"}})).unwrap().afford(&credits(f64::NAN)).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("balance"));
    }
}
