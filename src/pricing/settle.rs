//! After the fact: `settleCharges` applies PowerPost's refund rules to an estimate and what
//! actually happened, and `checkBalance` compares a cost with a balance.
//!
//! Refund rules (PowerPost's documentation): failed generations cost nothing; an image
//! generation with partial failures refunds the failed images; publishing is charged only if
//! at least one item posted, and a platform's surcharge only if one of that platform's items
//! posted.
//! Whatever the outcome does not mention is taken to have succeeded, as estimated.

use serde::{Deserialize, Serialize};

use super::vocabulary::{Platform, PostType, MAX_IMAGES_PER_GENERATION};
use crate::error::PowerPostError;
use crate::input::{is_whole, named_enum, Entries, List, Number, Path, Text, Whole, MAX_SAFE_INTEGER};

/// `settleCharges`'s arguments, whose fields are named after them (`outcome.images[0].failed`).
pub(crate) const ESTIMATE: Path = Path::argument("estimate");
pub(crate) const OUTCOME: Path = Path::argument("outcome");
/// `checkBalance`'s arguments (a cost's `total` is `cost.total`).
pub(crate) const BALANCE: Path = Path::argument("balance");
pub(crate) const COST: Path = Path::argument("cost");

/// Estimates hold at most this many credits per line; anything larger was not made by us.
const MAX_LINE_CREDITS: u32 = u32::MAX;
const MAX_ITEMS: usize = 64;

/// A `CostEstimate` handed back: only its lines are read, and keys of its own are allowed.
#[derive(Debug, Deserialize)]
pub(crate) struct EstimateInput {
    pub items: Option<List<LineInput, MAX_ITEMS>>,
}

type LineCredits = Whole<0, MAX_LINE_CREDITS>;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LineInput {
    pub kind: Option<LineKind>,
    pub label: Option<Text>,
    pub credits: Option<LineCredits>,
    pub index: Option<Whole<0, { MAX_ITEMS as u32 }>>,
    pub quantity: Option<Whole<1, MAX_IMAGES_PER_GENERATION>>,
    pub unit_credits: Option<LineCredits>,
    pub post_types: Option<List<PostType, { PostType::ALL.len() }>>,
    pub base_credits: Option<LineCredits>,
    pub surcharges: Option<Entries<Platform, LineCredits>>,
}

named_enum! {
    pub(crate) enum LineKind {
        Caption = "caption",
        Image = "image",
        Video = "video",
        Publish = "publish",
    }
    else among
}

/// `Outcome`: what actually happened, per part of the plan.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Outcome {
    pub caption: Option<Generation>,
    pub images: Option<List<ImageOutcome, MAX_ITEMS>>,
    pub videos: Option<List<Generation, MAX_ITEMS>>,
    pub publish: Option<List<PublishOutcome, { PostType::ALL.len() }>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImageOutcome {
    pub succeeded: Option<ImageCount>,
    pub failed: Option<ImageCount>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PublishOutcome {
    pub post_type: Option<PostType>,
    pub status: Option<Posting>,
}

named_enum! {
    /// How a caption or video generation ended.
    pub(crate) enum Generation {
        Succeeded = "succeeded",
        Failed = "failed",
    }
    else among
}

named_enum! {
    /// How a publish item ended.
    pub(crate) enum Posting {
        Posted = "posted",
        Failed = "failed",
    }
    else among
}

/// What `settleCharges` returns.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Settlement {
    pub charged: u64,
    pub refunded: u64,
    pub items: Vec<SettledItem>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct SettledItem {
    pub kind: &'static str,
    pub label: String,
    pub charged: u64,
    pub refunded: u64,
}

/// One estimate line, checked: its parts add up to its credits.
struct Line {
    kind: LineKind,
    label: String,
    credits: u64,
    index: Option<usize>,
    quantity: u32,
    unit_credits: u64,
    post_types: Vec<PostType>,
    base_credits: u64,
    surcharges: Vec<(Platform, u64)>,
}

type ImageCount = Whole<0, MAX_IMAGES_PER_GENERATION>;

/// Line `index` of an estimate, read; its fields' paths are built only for an error.
fn read_line(line: &LineInput, index: usize) -> Result<Line, PowerPostError> {
    let at = |name: &str| ESTIMATE.key("items").index(index).key(name);
    let credits_of = |value: Option<LineCredits>, name: &str| LineCredits::required(value, || at(name)).map(u64::from);
    let kind = line.kind.ok_or_else(|| at("kind").invalid(&LineKind::expected()))?;
    let mut read = Line {
        kind,
        label: line.label.clone().ok_or_else(|| at("label").invalid("must be a string"))?.0,
        credits: credits_of(line.credits, "credits")?,
        index: line.index.map(|Whole(index)| index as usize),
        quantity: 0,
        unit_credits: 0,
        post_types: Vec::new(),
        base_credits: 0,
        surcharges: Vec::new(),
    };
    let inconsistent = || at("credits").invalid("does not match the line's parts; pass the estimate unchanged");
    match kind {
        LineKind::Image | LineKind::Video if read.index.is_none() => {
            return Err(at("index").invalid("is required for image and video lines"));
        }
        LineKind::Caption | LineKind::Video => {}
        LineKind::Image => {
            read.quantity = Whole::required(line.quantity, || at("quantity"))?;
            read.unit_credits = credits_of(line.unit_credits, "unitCredits")?;
            if read.unit_credits * u64::from(read.quantity) != read.credits {
                return Err(inconsistent());
            }
        }
        LineKind::Publish => {
            read.post_types = line.post_types.as_ref().map_or_else(Vec::new, |List(types)| types.clone());
            read.base_credits = credits_of(line.base_credits, "baseCredits")?;
            let surcharges = line.surcharges.as_ref().map_or(&[][..], |Entries(entries)| entries);
            read.surcharges =
                surcharges.iter().map(|(platform, Whole(credits))| (*platform, u64::from(*credits))).collect();
            if read.base_credits + read.surcharges.iter().map(|(_, credits)| credits).sum::<u64>() != read.credits {
                return Err(inconsistent());
            }
        }
    }
    Ok(read)
}

pub(crate) fn settle_charges(estimate: &EstimateInput, outcome: &Outcome) -> Result<Settlement, PowerPostError> {
    let lines = estimate.items.as_ref().map_or(&[][..], |List(items)| items);
    let lines: Vec<Line> =
        lines.iter().enumerate().map(|(index, line)| read_line(line, index)).collect::<Result<_, _>>()?;
    let images = outcome.images.as_ref().map_or(&[][..], |List(images)| images);
    let images: Vec<(u32, u32)> = images
        .iter()
        .enumerate()
        .map(|(index, image)| {
            let count = |value: Option<ImageCount>, name: &str| {
                Whole::required(value, || OUTCOME.key("images").index(index).key(name))
            };
            Ok((count(image.succeeded, "succeeded")?, count(image.failed, "failed")?))
        })
        .collect::<Result<_, PowerPostError>>()?;
    let videos = outcome.videos.as_ref().map_or(&[][..], |List(videos)| videos);
    let published = outcome.publish.as_ref().map_or(&[][..], |List(published)| published);
    let published: Vec<(PostType, Posting)> = published
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let at = |name: &str| OUTCOME.key("publish").index(index).key(name);
            let post_type = item.post_type.ok_or_else(|| at("postType").invalid("must be a known post type"))?;
            Ok((post_type, item.status.ok_or_else(|| at("status").invalid(&Posting::expected()))?))
        })
        .collect::<Result<_, PowerPostError>>()?;

    let mut items = Vec::with_capacity(lines.len());
    for line in &lines {
        let refunded = match line.kind {
            LineKind::Caption if outcome.caption == Some(Generation::Failed) => line.credits,
            LineKind::Image => match line.index.and_then(|index| images.get(index).map(|counts| (index, counts))) {
                None => 0,
                Some((index, &(succeeded, failed))) => {
                    if succeeded + failed != line.quantity {
                        let why = "must account for every image of the line (succeeded + failed = quantity)";
                        return Err(OUTCOME.key("images").index(index).invalid(why));
                    }
                    u64::from(failed) * line.unit_credits
                }
            },
            LineKind::Video if line.index.and_then(|index| videos.get(index)) == Some(&Generation::Failed) => {
                line.credits
            }
            LineKind::Publish if !published.is_empty() => {
                if published.iter().any(|(post_type, _)| !line.post_types.contains(post_type)) {
                    let why = "names a post type that the estimate does not publish";
                    return Err(OUTCOME.key("publish").invalid(why));
                }
                let posted = |platform: Option<Platform>| {
                    published.iter().any(|(post_type, status)| {
                        *status == Posting::Posted && platform.is_none_or(|p| post_type.platform() == p)
                    })
                };
                let mut refunded = if posted(None) { 0 } else { line.base_credits };
                for (platform, credits) in &line.surcharges {
                    if !posted(Some(*platform)) {
                        refunded += credits;
                    }
                }
                refunded
            }
            _ => 0,
        };
        items.push(SettledItem {
            kind: line.kind.name(),
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

/// What `checkBalance` returns.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub(crate) struct Affordability {
    pub affordable: bool,
    pub balance: f64,
    pub cost: f64,
    pub remaining: f64,
    pub shortfall: f64,
}

/// `checkBalance`'s second argument: credits, or an object (a `CostEstimate`) whose `total` is.
#[derive(Debug)]
pub(crate) enum Cost {
    Credits(Number),
    Estimate { total: Option<Number> },
}

/// The part of a `CostEstimate` that `checkBalance` reads.
#[derive(Debug, Deserialize)]
pub(crate) struct EstimateTotal {
    total: Option<Number>,
}

impl<'de> Deserialize<'de> for Cost {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Expect;
        impl<'de> serde::de::Visitor<'de> for Expect {
            type Value = Cost;
            fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
                formatter.write_str(COSTS)
            }
            // The reader gives every number as an f64, as JS holds it.
            fn visit_f64<E: serde::de::Error>(self, number: f64) -> Result<Cost, E> {
                Ok(Cost::Credits(Number(number)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Cost, A::Error> {
                let estimate = EstimateTotal::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(Cost::Estimate { total: estimate.total })
            }
        }
        deserializer.deserialize_any(Expect)
    }
}

const COSTS: &str = "a whole, non-negative number of credits (or a CostEstimate)";

impl Cost {
    /// The whole credits this cost is; an error names the cost (`at`), or its `total`.
    pub(crate) fn credits(&self, at: &Path) -> Result<f64, PowerPostError> {
        let (total, of_estimate) = match self {
            Cost::Credits(credits) => (Some(*credits), false),
            Cost::Estimate { total } => (*total, true),
        };
        let field = || if of_estimate { at.key("total") } else { at.clone() };
        total
            .map(|Number(cost)| cost)
            .filter(|cost| is_whole(*cost, 0.0, MAX_SAFE_INTEGER))
            .ok_or_else(|| field().invalid(&format!("must be {COSTS}")))
    }
}

/// What a balance must be, as every message about one says it.
pub(crate) const BALANCE_RULE: &str = "a finite, non-negative number";

/// Whether `balance` is one an account can have ([`BALANCE_RULE`]). The one rule for a
/// balance, whether a caller, a response or a fleet's store gives it.
pub(crate) fn is_balance(balance: f64) -> bool {
    balance.is_finite() && balance >= 0.0
}

/// `balance` must be a finite, non-negative number; `cost` is whole credits (see [`Cost::credits`]).
pub(crate) fn check_balance(balance: Number, cost: f64) -> Result<Affordability, PowerPostError> {
    let Number(balance) = balance;
    if !is_balance(balance) {
        return Err(BALANCE.invalid(&format!("must be {BALANCE_RULE}")));
    }
    Ok(Affordability {
        affordable: balance >= cost,
        balance,
        cost,
        remaining: (balance - cost).max(0.0),
        shortfall: (cost - balance).max(0.0),
    })
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::input::from_json;
    use crate::pricing::estimate::estimate_cost;
    use crate::pricing::rate_card::RateCard;
    use serde_json::{json, Value as J};

    /// The estimate as JS sees it: written as JSON.
    fn estimate_json(plan: J) -> J {
        let plan = from_json(plan, &crate::input::Path::fields_of("plan")).unwrap();
        serde_json::to_value(estimate_cost(&plan, &RateCard::DEFAULT).unwrap()).unwrap()
    }

    fn full_plan() -> J {
        json!({
            "caption": {"researchMode": "deep", "sourceUrls": 2},
            "images": [{"model": "ideogram-3", "quantity": 3}, {}],
            "videos": [{"durationSeconds": 5}],
            "publish": {"postTypes": ["instagram-feed", "x-post"]},
        })
    }

    fn settle_json(estimate: J, outcome: J) -> Result<Settlement, PowerPostError> {
        let estimate: EstimateInput = from_json(estimate, &crate::input::Path::argument("estimate"))?;
        let outcome: Option<Outcome> = from_json(outcome, &crate::input::Path::argument("outcome"))?;
        settle_charges(&estimate, &outcome.unwrap_or_default())
    }

    fn settle(outcome: J) -> Result<Settlement, PowerPostError> {
        settle_json(estimate_json(full_plan()), outcome)
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
        assert_eq!(settle(json!(null)).unwrap(), settlement, "no outcome: everything succeeded");
    }

    #[test]
    fn a_failed_caption_or_video_is_fully_refunded() {
        let settlement = settle(json!({"caption": "failed", "videos": ["failed"]})).unwrap();
        assert_eq!(
            refunds(&settlement),
            [
                ("Caption, deep research", 8),
                ("Caption: read 2 source URLs", 2),
                ("3 × ideogram-3 images", 0),
                ("1 × flux2-flex image", 0),
                ("kling-3.0-pro video, 5 s", 20),
                ("Publish to 2 post types (includes X surcharge)", 0)
            ]
        );
        assert_eq!(settlement.refunded, 30);
        assert_eq!(settlement.charged + settlement.refunded, estimate_json(full_plan())["total"].as_u64().unwrap());
        assert_eq!(settlement.items[4].kind, "video");
    }

    #[test]
    fn partial_image_failures_refund_the_failed_images() {
        let settlement =
            settle(json!({"images": [{"succeeded": 1, "failed": 2}, {"succeeded": 0, "failed": 1}]})).unwrap();
        assert_eq!(settlement.items[2].refunded, 12);
        assert_eq!(settlement.items[2].charged, 6);
        assert_eq!(settlement.items[3].refunded, 5);
        let error = settle(json!({"images": [{"succeeded": 1, "failed": 1}]})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("outcome.images[0]"));
    }

    #[test]
    fn publishing_is_charged_only_for_what_posted() {
        let publish = |outcome: J| settle(json!({"publish": outcome})).unwrap().items[5].clone();
        let nothing = publish(
            json!([{"postType": "instagram-feed", "status": "failed"}, {"postType": "x-post", "status": "failed"}]),
        );
        assert_eq!((nothing.charged, nothing.refunded), (0, 4));
        let x_failed = publish(
            json!([{"postType": "instagram-feed", "status": "posted"}, {"postType": "x-post", "status": "failed"}]),
        );
        assert_eq!((x_failed.charged, x_failed.refunded), (1, 3), "the X surcharge is refunded");
        let only_x = publish(
            json!([{"postType": "instagram-feed", "status": "failed"}, {"postType": "x-post", "status": "posted"}]),
        );
        assert_eq!((only_x.charged, only_x.refunded), (4, 0));
        let error = settle(json!({"publish": [{"postType": "linkedin-post", "status": "posted"}]})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("outcome.publish"));
    }

    #[test]
    fn bad_outcomes_and_tampered_estimates_name_the_field() {
        let cases = [
            (json!({"caption": "maybe"}), "outcome.caption"),
            (json!({"videos": ["ok"]}), "outcome.videos[0]"),
            (json!({"videos": [null]}), "outcome.videos[0]"),
            (json!({"images": [{"succeeded": -1, "failed": 4}]}), "outcome.images[0].succeeded"),
            (json!({"images": [{"succeeded": 1}]}), "outcome.images[0].failed"),
            (json!({"publish": [{"postType": "x-post", "status": "succeeded"}]}), "outcome.publish[0].status"),
            (json!({"publish": [{"status": "posted"}]}), "outcome.publish[0].postType"),
            (json!({"refunds": []}), "outcome.refunds"),
            (json!(7), "outcome"),
        ];
        for (outcome, field) in cases {
            assert_eq!(settle(outcome.clone()).unwrap_err().field.as_deref(), Some(field), "{outcome}");
        }
        assert_eq!(
            settle(json!({"caption": "maybe"})).unwrap_err().message,
            "outcome.caption must be \"succeeded\" or \"failed\""
        );
        let mut tampered = estimate_json(full_plan());
        tampered["items"][2]["credits"] = json!(1);
        let error = settle_json(tampered, json!({})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("estimate.items[2].credits"));
        let mut unindexed = estimate_json(full_plan());
        unindexed["items"][4].as_object_mut().unwrap().remove("index");
        assert_eq!(settle_json(unindexed, json!({})).unwrap_err().field.as_deref(), Some("estimate.items[4].index"));
        let mut unknown_kind = estimate_json(full_plan());
        unknown_kind["items"][0]["kind"] = json!("coffee");
        let error = settle_json(unknown_kind, json!({})).unwrap_err();
        assert_eq!(error.message, r#"estimate.items[0].kind must be "caption", "image", "video" or "publish""#);
        assert_eq!(settle_json(json!(null), json!({})).unwrap_err().field.as_deref(), Some("estimate"));
    }

    #[test]
    fn an_estimate_may_carry_keys_of_its_own() {
        let mut annotated = estimate_json(full_plan());
        annotated["note"] = json!("for the March campaign");
        annotated["items"][0]["note"] = json!("research");
        assert_eq!(settle_json(annotated, json!({})).unwrap(), settle(json!({})).unwrap());
    }

    #[test]
    fn affordability_compares_cost_and_balance() {
        let check = |balance: J, cost: J| {
            let balance: Number = from_json(balance, &BALANCE)?;
            let cost: Cost = from_json(cost, &COST)?;
            check_balance(balance, cost.credits(&COST)?)
        };
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
            (json!(5), json!(null), "cost"),
            (json!(5), json!({"total": -2}), "cost.total"),
            (json!(5), json!({}), "cost.total"),
            (json!(5), json!({"total": "13"}), "cost.total"),
        ] {
            let error = check(balance.clone(), cost.clone()).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{balance} {cost}");
        }
        let error = check(json!(5), json!("3")).unwrap_err();
        assert_eq!(error.message, "cost must be a whole, non-negative number of credits (or a CostEstimate)");
    }
}
