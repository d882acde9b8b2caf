//! Estimates in the runtime: hostile plans refused by field with the module still working, and
//! canAfford.

use js_sys::{Array, Function, Object};
use powerpost_credits::wasm::{can_afford, estimate_cost};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::wasm_bindgen_test;

use crate::support::*;

#[wasm_bindgen_test]
fn hostile_plans_throw_named_invalid_arguments_and_the_module_keeps_working() {
    let huge = s(&"x".repeat(10_000_000));
    let made = |body: &str| Function::new_no_args(body).call0(&JsValue::UNDEFINED).unwrap();
    let hostile = [
        (
            made("let plan = {}; for (let n = 0; n < 100000; n++) plan = { caption: plan }; return plan"),
            "caption.caption",
        ),
        (made("let list = 1; for (let n = 0; n < 100000; n++) list = [list]; return { images: list }"), "images[0]"),
        (made("const plan = { images: [{}] }; plan.images[0].model = plan; return plan"), "images[0].model"),
        (made("return { images: [{ get quantity() { throw new Error('boom') } }] }"), "images[0].quantity"),
        (made("return { caption: new Proxy({}, { ownKeys() { throw new Error('no') } }) }"), "caption"),
        (made("return { images: new Array(100000).fill({}) }"), "images"),
        (JsValue::UNDEFINED, "plan"),
        (JsValue::NULL, "plan"),
        (s("plan"), "plan"),
        (Array::new().into(), "plan"),
        (js_sys::Date::new_0().into(), "plan"),
        (js_sys::Map::new().into(), "plan"),
        (options(&[("images", Array::of1(&options(&[("quantity", n(f64::NAN))])).into())]), "images[0].quantity"),
        (options(&[("images", Array::of1(&options(&[("quantity", n(1e308))])).into())]), "images[0].quantity"),
        (options(&[("images", Array::of1(&options(&[("model", huge)])).into())]), "images[0].model"),
        (options(&[("publish", options(&[("postTypes", Array::of1(&JsValue::NULL).into())]))]), "publish.postTypes[0]"),
    ];
    let good = options(&[("caption", options(&[("researchMode", s("regular"))]))]);
    for (plan, field) in hostile {
        let error = estimate_cost(plan, JsValue::UNDEFINED).expect_err(field);
        assert_eq!(prop(&error, "code").as_string().as_deref(), Some("INVALID_ARGUMENT"));
        assert_eq!(prop(&error, "field").as_string().as_deref(), Some(field));
        let estimate = estimate_cost(good.clone(), JsValue::UNDEFINED).unwrap();
        assert_eq!(prop(&estimate, "total").as_f64(), Some(6.0));
    }
}

fn sample_plan() -> JsValue {
    let post_types: JsValue = Array::of3(&s("instagram-feed"), &s("x-post"), &s("linkedin-post")).into();
    options(&[
        ("caption", options(&[("researchMode", s("regular")), ("postTypes", post_types.clone())])),
        ("images", Array::of1(&Object::new()).into()),
        ("publish", options(&[("postTypes", post_types)])),
    ])
}

#[wasm_bindgen_test]
async fn can_afford_estimates_reads_the_balance_and_compares() {
    let base = options(&[("baseUrl", s(&format!("{}/api/v1", sandbox())))]);
    let preflight = settle(can_afford(s(demo_key()), sample_plan(), base.clone())).await.unwrap();
    assert_eq!(prop(&preflight, "affordable").as_bool(), Some(true));
    assert_eq!(prop(&preflight, "cost").as_f64(), Some(15.0));
    assert_eq!(prop(&preflight, "remaining").as_f64(), Some(32.0));
    assert_eq!(prop(&prop(&preflight, "estimate"), "total").as_f64(), Some(15.0));
    assert_eq!(prop(&prop(&preflight, "credits"), "balance").as_f64(), Some(47.0));

    let video = options(&[("durationSeconds", n(10.0)), ("audio", JsValue::TRUE)]);
    let costly = options(&[("videos", Array::of1(&video).into())]);
    let preflight = settle(can_afford(s(demo_key()), costly, base.clone())).await.unwrap();
    assert_eq!(prop(&preflight, "affordable").as_bool(), Some(false));
    assert_eq!(prop(&preflight, "shortfall").as_f64(), Some(3.0));

    let estimate = estimate_cost(sample_plan(), JsValue::UNDEFINED).unwrap();
    let preflight = settle(can_afford(s(demo_key()), estimate.clone(), base)).await.unwrap();
    assert!(Object::is(&prop(&preflight, "estimate"), &estimate), "an estimate is taken as it is");

    let id = scenario("can-afford-bad-plan");
    let bad = options(&[("images", Array::of1(&options(&[("quantity", n(9.0))])).into())]);
    let result = settle(can_afford(s(demo_key()), bad, options(&[("baseUrl", s(&scenario_url(&id, "ok")))]))).await;
    let error = expect_error(result, "INVALID_ARGUMENT", None);
    assert_eq!(prop(&error, "field").as_string().as_deref(), Some("images[0].quantity"));
    assert_eq!(stats(&id).await.0, 0.0, "no request for a bad plan");

    // Every field of a call is named from one root: the rate card's own checks too.
    for (rate_card, field) in [
        (options(&[("caption", options(&[("deep", n(-1.0))]))]), "options.rateCard.caption.deep"),
        (options(&[("version", s(""))]), "options.rateCard.version"),
    ] {
        let result = settle(can_afford(s(demo_key()), sample_plan(), options(&[("rateCard", rate_card)]))).await;
        let error = expect_error(result, "INVALID_ARGUMENT", None);
        assert_eq!(prop(&error, "field").as_string().as_deref(), Some(field));
    }
}

#[wasm_bindgen_test]
async fn a_clients_can_afford_uses_its_kept_results() {
    let id = scenario("can-afford-kept");
    let client = client(&scenario_url(&id, "ok"), &[("maxAgeMs", n(60_000.0))]);
    let credits = settle(client.get_credits(JsValue::UNDEFINED)).await.unwrap();
    let preflight = settle(client.can_afford(sample_plan(), JsValue::UNDEFINED)).await.unwrap();
    assert_eq!(prop(&prop(&preflight, "credits"), "requestId"), prop(&credits, "requestId"));
    assert_eq!(stats(&id).await.0, 1.0);
}
