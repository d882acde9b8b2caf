//! After the fact: `settleCharges` applies PowerPost's refund rules to an estimate and what
//! actually happened, and `checkBalance` compares a cost with a balance.
//!
//! Refund rules (POWERPOST.md): failed generations cost nothing; an image generation with
//! partial failures refunds the failed images; publishing is charged only if at least one
//! item posted, and a platform's surcharge only if one of that platform's items posted.
//! Whatever the outcome does not mention is taken to have succeeded, as estimated.

use crate::prelude::*;

use crate::error::PowerPostError;
use crate::pricing::catalogue::{platform_of, PLATFORMS, POST_TYPES};
use crate::pricing::estimate::known_post_type;
use crate::tape::TapeWriter;
use crate::value::{
    optional_array, optional_text, optional_whole, reject_unknown_keys, require_object, whole_in_range, Path, Value,
};

/// Estimates hold at most this many credits per line; anything larger was not made by us.
const MAX_LINE_CREDITS: u32 = u32::MAX;
const MAX_ITEMS: u32 = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct SettledItem {
    pub kind: String,
    pub label: String,
    pub charged: u64,
    pub refunded: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Settlement {
    pub charged: u64,
    pub refunded: u64,
    pub items: Vec<SettledItem>,
}

/// One line of an estimate as read back from JS.
struct Line {
    kind: String,
    label: String,
    credits: u64,
    index: Option<u32>,
    quantity: u32,
    unit_credits: u64,
    post_types: Vec<&'static str>,
    base_credits: u64,
    surcharges: Vec<(&'static str, u64)>,
}

fn read_line<V: Value>(item: &V, path: &Path) -> Result<Line, PowerPostError> {
    require_object(item, path)?;
    let text = |key: &'static str| -> Result<String, PowerPostError> {
        let field = path.key(key);
        optional_text(&item.get(key), &field)?.ok_or_else(|| field.invalid("must be a string"))
    };
    let whole = |key: &'static str| whole_in_range(&item.get(key), &path.key(key), 0, MAX_LINE_CREDITS).map(u64::from);
    let kind = text("kind")?;
    let mut line = Line {
        label: text("label")?,
        credits: whole("credits")?,
        index: optional_whole(&item.get("index"), &path.key("index"), 0, MAX_ITEMS)?,
        quantity: 0,
        unit_credits: 0,
        post_types: Vec::new(),
        base_credits: 0,
        surcharges: Vec::new(),
        kind: String::new(),
    };
    let inconsistent = || path.key("credits").invalid("does not match the line's parts; pass the estimate unchanged");
    match kind.as_str() {
        "caption" => {}
        "image" | "video" if line.index.is_none() => {
            return Err(path.key("index").invalid("is required for image and video lines"));
        }
        "video" => {}
        "image" => {
            line.quantity = whole_in_range(&item.get("quantity"), &path.key("quantity"), 1, 4)?;
            line.unit_credits = whole("unitCredits")?;
            if line.unit_credits * u64::from(line.quantity) != line.credits {
                return Err(inconsistent());
            }
        }
        "publish" => {
            let types_path = path.key("postTypes");
            line.post_types =
                optional_array(&item.get("postTypes"), &types_path, POST_TYPES.len() as u32, known_post_type)?;
            line.base_credits = whole("baseCredits")?;
            let surcharges = item.get("surcharges");
            let surcharges_path = path.key("surcharges");
            if !surcharges.is_undefined() {
                require_object(&surcharges, &surcharges_path)?;
                for platform in PLATFORMS {
                    let credits =
                        optional_whole(&surcharges.get(platform), &surcharges_path.key(platform), 0, MAX_LINE_CREDITS)?;
                    if let Some(credits) = credits {
                        line.surcharges.push((platform, credits.into()));
                    }
                }
            }
            if line.base_credits + line.surcharges.iter().map(|(_, c)| c).sum::<u64>() != line.credits {
                return Err(inconsistent());
            }
        }
        _ => return Err(path.key("kind").invalid("must be caption, image, video or publish")),
    }
    line.kind = kind;
    Ok(line)
}

#[derive(Clone, Copy, PartialEq)]
enum Status {
    Succeeded,
    Failed,
}

fn status<V: Value>(value: &V, path: &Path, succeeded: &str, failed: &str) -> Result<Option<Status>, PowerPostError> {
    match optional_text(value, path)?.as_deref() {
        None => Ok(None),
        Some(word) if word == succeeded => Ok(Some(Status::Succeeded)),
        Some(word) if word == failed => Ok(Some(Status::Failed)),
        Some(_) => Err(path.invalid(&crate::text::concat(&["must be \"", succeeded, "\" or \"", failed, "\""]))),
    }
}

pub fn settle_charges<E: Value, O: Value>(estimate: &E, outcome: &O) -> Result<Settlement, PowerPostError> {
    let estimate_path = Path::Root("estimate");
    require_object(estimate, &estimate_path)?;
    let lines = optional_array(&estimate.get("items"), &estimate_path.key("items"), MAX_ITEMS, read_line)?;
    let outcome_path = Path::Root("outcome");
    if !outcome.is_undefined() {
        require_object(outcome, &outcome_path)?;
        reject_unknown_keys(outcome, &outcome_path, &["caption", "images", "videos", "publish"])?;
    }
    let caption = status(&outcome.get("caption"), &outcome_path.key("caption"), "succeeded", "failed")?;
    let images_path = outcome_path.key("images");
    let images = optional_array(&outcome.get("images"), &images_path, MAX_ITEMS, |entry, path| {
        require_object(entry, path)?;
        reject_unknown_keys(entry, path, &["succeeded", "failed"])?;
        let succeeded = whole_in_range(&entry.get("succeeded"), &path.key("succeeded"), 0, 4)?;
        let failed = whole_in_range(&entry.get("failed"), &path.key("failed"), 0, 4)?;
        Ok((succeeded, failed))
    })?;
    let videos = optional_array(&outcome.get("videos"), &outcome_path.key("videos"), MAX_ITEMS, |entry, path| {
        status(entry, path, "succeeded", "failed")?.ok_or_else(|| path.invalid("must be \"succeeded\" or \"failed\""))
    })?;
    let published_path = outcome_path.key("publish");
    let published =
        optional_array(&outcome.get("publish"), &published_path, POST_TYPES.len() as u32, |entry, path| {
            require_object(entry, path)?;
            reject_unknown_keys(entry, path, &["postType", "status"])?;
            let type_path = path.key("postType");
            let post_type = known_post_type(&entry.get("postType"), &type_path)?;
            let status_path = path.key("status");
            let status = status(&entry.get("status"), &status_path, "posted", "failed")?
                .ok_or_else(|| status_path.invalid("must be \"posted\" or \"failed\""))?;
            Ok((post_type, status))
        })?;

    let mut items = Vec::with_capacity(lines.len());
    for line in &lines {
        let refunded = match line.kind.as_str() {
            "caption" if caption == Some(Status::Failed) => line.credits,
            "image" => match line.index.and_then(|index| images.get(index as usize)) {
                None => 0,
                Some(&(succeeded, failed)) => {
                    if succeeded + failed != line.quantity {
                        return Err(images_path
                            .index(line.index.unwrap_or(0) as usize)
                            .invalid("must account for every image of the line (succeeded + failed = quantity)"));
                    }
                    u64::from(failed) * line.unit_credits
                }
            },
            "video" if line.index.and_then(|index| videos.get(index as usize)) == Some(&Status::Failed) => line.credits,
            "publish" if !published.is_empty() => {
                for (post_type, _) in &published {
                    if !line.post_types.iter().any(|planned| planned == post_type) {
                        return Err(published_path.invalid("names a post type that the estimate does not publish"));
                    }
                }
                let posted = |platform: Option<&str>| {
                    published.iter().any(|(post_type, status)| {
                        *status == Status::Succeeded && platform.is_none_or(|p| platform_of(post_type) == Some(p))
                    })
                };
                let mut refunded = if posted(None) { 0 } else { line.base_credits };
                for (platform, credits) in &line.surcharges {
                    if !posted(Some(platform)) {
                        refunded += credits;
                    }
                }
                refunded
            }
            _ => 0,
        };
        items.push(SettledItem {
            kind: line.kind.clone(),
            label: line.label.clone(),
            charged: line.credits - refunded,
            refunded,
        });
    }
    Ok(Settlement {
        charged: items.iter().map(|item| item.charged).sum(),
        refunded: items.iter().map(|item| item.refunded).sum(),
        items,
    })
}

impl Settlement {
    pub fn write_tape(&self, out: &mut TapeWriter) {
        out.begin_object()
            .field_uint("charged", self.charged)
            .field_uint("refunded", self.refunded)
            .key("items")
            .begin_array();
        for item in &self.items {
            out.begin_object().field_str("kind", &item.kind).field_str("label", &item.label);
            out.field_uint("charged", item.charged).field_uint("refunded", item.refunded).end_object();
        }
        out.end_array().end_object();
    }
}

impl Affordability {
    pub fn write_tape(&self, out: &mut TapeWriter) {
        out.begin_object().key("affordable").bool(self.affordable).key("balance").number(self.balance);
        out.key("cost")
            .number(self.cost)
            .key("remaining")
            .number(self.remaining)
            .key("shortfall")
            .number(self.shortfall);
        out.end_object();
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Affordability {
    pub affordable: bool,
    pub balance: f64,
    pub cost: f64,
    pub remaining: f64,
    pub shortfall: f64,
}

/// Largest integer a JS number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// `cost` is a `CostEstimate` (its `total` is used) or a whole number of credits.
pub fn check_balance<V: Value>(balance: &V, cost: &V) -> Result<Affordability, PowerPostError> {
    let balance = balance
        .as_number()
        .filter(|b| b.is_finite() && *b >= 0.0)
        .ok_or_else(|| Path::Root("balance").invalid("must be a finite, non-negative number"))?;
    let (total, path) =
        if cost.is_plain_object() { (cost.get("total").as_number(), "cost.total") } else { (cost.as_number(), "cost") };
    let cost = total.filter(|c| *c >= 0.0 && *c <= MAX_SAFE_INTEGER && *c as u64 as f64 == *c).ok_or_else(|| {
        PowerPostError::invalid_argument(path, "must be a whole, non-negative number of credits (or a CostEstimate)")
    })?;
    Ok(Affordability {
        affordable: balance >= cost,
        balance,
        cost,
        remaining: (balance - cost).max(0.0),
        shortfall: (cost - balance).max(0.0),
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::pricing::estimate::estimate_cost;
    use crate::pricing::rate_card::RateCard;
    use crate::value::json::Json;
    use serde_json::{json, Value as J};

    /// The estimate as JS sees it: written as JSON and read back.
    fn estimate_json(plan: J) -> J {
        estimate_cost(&Json::of(plan), &RateCard::default_card()).unwrap().to_json()
    }

    fn full_plan() -> J {
        json!({
            "caption": {"researchMode": "deep", "sourceUrls": 2},
            "images": [{"model": "ideogram-3", "quantity": 3}, {}],
            "videos": [{"durationSeconds": 5}],
            "publish": {"postTypes": ["instagram-feed", "x-post"]},
        })
    }

    fn settle(outcome: J) -> Result<Settlement, PowerPostError> {
        settle_charges(&Json::of(estimate_json(full_plan())), &Json::of(outcome))
    }

    fn refunds(settlement: &Settlement) -> Vec<(&str, u64)> {
        settlement.items.iter().map(|item| (item.label.as_str(), item.refunded)).collect()
    }

    #[test]
    fn everything_succeeding_charges_the_estimate() {
        let estimate = estimate_json(full_plan());
        let settlement = settle(json!({})).unwrap();
        assert_eq!(settlement.charged, estimate["total"].as_u64().unwrap());
        assert_eq!(settlement.refunded, 0);
        let all_ok = settle(json!({"caption": "succeeded", "images": [{"succeeded": 3, "failed": 0}, {"succeeded": 1, "failed": 0}],
            "videos": ["succeeded"], "publish": [{"postType": "instagram-feed", "status": "posted"}, {"postType": "x-post", "status": "posted"}]}))
        .unwrap();
        assert_eq!(all_ok, settlement);
    }

    #[test]
    fn a_failed_caption_or_video_is_fully_refunded() {
        let settlement = settle(json!({"caption": "failed", "videos": ["failed"]})).unwrap();
        assert_eq!(
            refunds(&settlement),
            [
                ("Caption, deep research", 12),
                ("Caption: read 2 source URLs", 2),
                ("3 × ideogram-3 images", 0),
                ("1 × flux2-flex image", 0),
                ("kling-3.0-pro video, 5 s", 20),
                ("Publish to 2 post types (includes X surcharge)", 0)
            ]
        );
        assert_eq!(settlement.refunded, 34);
        assert_eq!(settlement.charged + settlement.refunded, estimate_json(full_plan())["total"].as_u64().unwrap());
    }

    #[test]
    fn partial_image_failures_refund_the_failed_images() {
        let settlement =
            settle(json!({"images": [{"succeeded": 1, "failed": 2}, {"succeeded": 0, "failed": 1}]})).unwrap();
        assert_eq!(settlement.items[2].refunded, 12);
        assert_eq!(settlement.items[2].charged, 6);
        assert_eq!(settlement.items[3].refunded, 4);
        let error = settle(json!({"images": [{"succeeded": 1, "failed": 1}]})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("outcome.images[0]"));
    }

    #[test]
    fn publishing_is_charged_only_for_what_posted() {
        let publish = |outcome: J| settle(json!({"publish": outcome})).unwrap().items[5].clone();
        let nothing = publish(
            json!([{"postType": "instagram-feed", "status": "failed"}, {"postType": "x-post", "status": "failed"}]),
        );
        assert_eq!((nothing.charged, nothing.refunded), (0, 3));
        let x_failed = publish(
            json!([{"postType": "instagram-feed", "status": "posted"}, {"postType": "x-post", "status": "failed"}]),
        );
        assert_eq!((x_failed.charged, x_failed.refunded), (1, 2), "the X surcharge is refunded");
        let only_x = publish(
            json!([{"postType": "instagram-feed", "status": "failed"}, {"postType": "x-post", "status": "posted"}]),
        );
        assert_eq!((only_x.charged, only_x.refunded), (3, 0));
        let error = settle(json!({"publish": [{"postType": "linkedin-post", "status": "posted"}]})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("outcome.publish"));
    }

    #[test]
    fn bad_outcomes_and_tampered_estimates_name_the_field() {
        let cases = [
            (json!({"caption": "maybe"}), "outcome.caption"),
            (json!({"videos": ["ok"]}), "outcome.videos[0]"),
            (json!({"images": [{"succeeded": -1, "failed": 4}]}), "outcome.images[0].succeeded"),
            (json!({"publish": [{"postType": "x-post", "status": "succeeded"}]}), "outcome.publish[0].status"),
            (json!({"refunds": []}), "outcome.refunds"),
            (json!(7), "outcome"),
        ];
        for (outcome, field) in cases {
            assert_eq!(settle(outcome.clone()).unwrap_err().field.as_deref(), Some(field), "{outcome}");
        }
        let mut tampered = estimate_json(full_plan());
        tampered["items"][2]["credits"] = json!(1);
        let error = settle_charges(&Json::of(tampered), &Json::of(json!({}))).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("estimate.items[2].credits"));
        assert_eq!(
            settle_charges(&Json::of(json!(null)), &Json::of(json!({}))).unwrap_err().field.as_deref(),
            Some("estimate")
        );
    }

    #[test]
    fn affordability_compares_cost_and_balance() {
        let check = |balance: J, cost: J| check_balance(&Json::of(balance), &Json::of(cost));
        assert_eq!(
            check(json!(47), json!(13)).unwrap(),
            Affordability { affordable: true, balance: 47.0, cost: 13.0, remaining: 34.0, shortfall: 0.0 }
        );
        assert_eq!(
            check(json!(10), json!({"total": 13, "items": []})).unwrap(),
            Affordability { affordable: false, balance: 10.0, cost: 13.0, remaining: 0.0, shortfall: 3.0 }
        );
        assert!(check(json!(13), json!(13)).unwrap().affordable);
        for (balance, cost, field) in [
            (json!(-1), json!(1), "balance"),
            (json!("47"), json!(1), "balance"),
            (json!(null), json!(1), "balance"),
            (json!(5), json!(1.5), "cost"),
            (json!(5), json!("3"), "cost"),
            (json!(5), json!({"total": -2}), "cost.total"),
            (json!(5), json!({}), "cost.total"),
        ] {
            assert_eq!(
                check(balance.clone(), cost.clone()).unwrap_err().field.as_deref(),
                Some(field),
                "{balance} {cost}"
            );
        }
    }
}
