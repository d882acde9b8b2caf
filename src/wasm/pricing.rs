//! The estimators' exports: `estimateCost`, `defaultRateCard`, `checkBalance`, `settleCharges`,
//! `calibrateRateCard` and `catalogue`.

use wasm_bindgen::prelude::*;

use super::convert::{from_js, to_js};
use super::error::to_js_error;
use crate::catalogue::Catalogue;
use crate::error::PowerPostError;
use crate::input::Number;
use crate::pricing::calibrate::{calibrate, Charges, CHARGES};
use crate::pricing::estimate::{card_of, estimate_with_options};
use crate::pricing::plan::{EstimateOptions, ESTIMATE_OPTIONS, PLAN};
use crate::pricing::rate_card::RateCard;
use crate::pricing::settle::{self, Cost, EstimateInput, Outcome};

fn result<T: serde::Serialize>(value: Result<T, PowerPostError>) -> Result<JsValue, JsValue> {
    value.map(|value| to_js(&value)).map_err(|error| to_js_error(&error, None))
}

/// The itemized cost of a planned post, in whole credits.
#[wasm_bindgen(js_name = estimateCost, skip_typescript)]
pub fn estimate_cost(plan: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    result((|| {
        let plan = from_js(plan, &PLAN)?;
        let options: Option<EstimateOptions> = from_js(options, &ESTIMATE_OPTIONS)?;
        estimate_with_options(&plan, &options.unwrap_or_default(), &ESTIMATE_OPTIONS)
    })())
}

/// A copy of the built-in rate card.
#[wasm_bindgen(js_name = defaultRateCard, skip_typescript)]
pub fn default_rate_card() -> JsValue {
    to_js(&RateCard::DEFAULT)
}

/// Whether `balance` covers `cost` (a CostEstimate or a number of credits).
#[wasm_bindgen(js_name = checkBalance, skip_typescript)]
pub fn check_balance(balance: JsValue, cost: JsValue) -> Result<JsValue, JsValue> {
    result((|| {
        let balance: Number = from_js(balance, &settle::BALANCE)?;
        let cost: Cost = from_js(cost, &settle::COST)?;
        settle::check_balance(balance, cost.credits(&settle::COST)?)
    })())
}

/// What is finally charged and refunded for an estimate, given what actually happened.
#[wasm_bindgen(js_name = settleCharges, skip_typescript)]
pub fn settle_charges(estimate: JsValue, outcome: JsValue) -> Result<JsValue, JsValue> {
    result((|| {
        let estimate: EstimateInput = from_js(estimate, &settle::ESTIMATE)?;
        let outcome: Option<Outcome> = from_js(outcome, &settle::OUTCOME)?;
        settle::settle_charges(&estimate, &outcome.unwrap_or_default())
    })())
}

/// The rate card that explains what PowerPost charged (`credits_used`) for each action.
#[wasm_bindgen(js_name = calibrateRateCard, skip_typescript)]
pub fn calibrate_rate_card(charges: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    result((|| {
        let Charges { 0: charges } = from_js(charges, &CHARGES)?;
        let options: Option<EstimateOptions> = from_js(options, &ESTIMATE_OPTIONS)?;
        calibrate(&charges, &card_of(&options.unwrap_or_default(), &ESTIMATE_OPTIONS)?)
    })())
}

/// The post types, models with their choices, plan bounds and defaults the package knows.
#[wasm_bindgen(skip_typescript)]
pub fn catalogue() -> JsValue {
    to_js(&Catalogue::new())
}
