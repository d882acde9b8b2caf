//! `estimateCost`: prices a plan line by line in whole credits, refusing whatever the rate
//! card does not offer (an unknown model, a size or duration the model lacks), naming the field.

use std::borrow::Cow;

use serde::Serialize;

use super::plan::{
    distinct_post_types, CaptionPlan, EstimateOptions, ImagePlan, PostPlan, PublishPlan, VideoPlan, PLAN,
};
use super::rate_card::{Models, Rate, RateCard, Surcharges};
use super::vocabulary::{
    write_name, PostType, DEFAULT_IMAGE_MODEL, DEFAULT_IMAGE_QUANTITY, DEFAULT_IMAGE_SIZE, DEFAULT_VIDEO_MODEL,
    DEFAULT_VIDEO_SIZE,
};
use crate::error::PowerPostError;
use crate::input::{Flag, Number, Path, Text, Whole};

/// What `estimateCost` returns.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CostEstimate {
    pub total: u64,
    pub items: Vec<EstimateItem>,
    #[serde(serialize_with = "write_name")]
    pub rate_card_version: Cow<'static, str>,
}

/// One line of an estimate; `index` is the entry's position in the plan's `images` or `videos`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase", rename_all_fields = "camelCase")]
pub(crate) enum EstimateItem {
    Caption { label: String, credits: u64 },
    Image { label: String, credits: u64, index: usize, quantity: u32, unit_credits: u32 },
    Video { label: String, credits: u64, index: usize },
    Publish { label: String, credits: u64, post_types: Vec<PostType>, base_credits: u32, surcharges: Surcharges },
}

impl EstimateItem {
    pub(crate) fn credits(&self) -> u64 {
        match self {
            Self::Caption { credits, .. }
            | Self::Image { credits, .. }
            | Self::Video { credits, .. }
            | Self::Publish { credits, .. } => *credits,
        }
    }

    #[cfg(all(test, not(target_arch = "wasm32")))]
    pub(crate) fn label(&self) -> &str {
        match self {
            Self::Caption { label, .. }
            | Self::Image { label, .. }
            | Self::Video { label, .. }
            | Self::Publish { label, .. } => label,
        }
    }
}

/// `estimateCost(plan, options)`: the built-in card, or it with `options.rateCard` merged over
/// (`options_at` names the options, so that an error in the card is named under them).
pub(crate) fn estimate_with_options(
    plan: &PostPlan,
    options: &EstimateOptions,
    options_at: &Path,
) -> Result<CostEstimate, PowerPostError> {
    estimate_cost(plan, &card_of(options, options_at)?)
}

/// The card `options` ask for: the built-in one (borrowed, so nothing is copied), or it with
/// `options.rateCard` merged over.
pub(crate) fn card_of(options: &EstimateOptions, options_at: &Path) -> Result<RateCard, PowerPostError> {
    match &options.rate_card {
        None => Ok(RateCard::DEFAULT),
        Some(overrides) => RateCard::DEFAULT.with_overrides(overrides, &options_at.key("rateCard")),
    }
}

pub(crate) fn estimate_cost(plan: &PostPlan, card: &RateCard) -> Result<CostEstimate, PowerPostError> {
    price(plan, &mut Pricer { card, terms: None })
}

/// [`estimate_cost`], with every term of every line put in `terms`: what calibration solves.
pub(crate) fn estimate_terms(
    plan: &PostPlan,
    card: &RateCard,
    terms: &mut Vec<Term>,
) -> Result<CostEstimate, PowerPostError> {
    price(plan, &mut Pricer { card, terms: Some(terms) })
}

/// One rate a line uses, and how many times: a line's credits are the sum of its terms.
pub(crate) type Term = (Rate, u64);

/// What `terms` come to under `card`: each rate times its count, added up.
pub(crate) fn credits_of(terms: &[Term], card: &RateCard) -> u64 {
    terms.iter().map(|&(rate, count)| count * u64::from(card.rate(rate).unwrap_or(0))).sum()
}

/// Prices lines from their terms: the one place a plan's counts meet the card's rates.
struct Pricer<'a> {
    card: &'a RateCard,
    /// Every term priced, when calibration asks for them.
    terms: Option<&'a mut Vec<Term>>,
}

impl Pricer<'_> {
    fn credits(&mut self, terms: &[Term]) -> u64 {
        if let Some(all) = self.terms.as_deref_mut() {
            all.extend_from_slice(terms);
        }
        credits_of(terms, self.card)
    }
}

fn price(plan: &PostPlan, pricer: &mut Pricer) -> Result<CostEstimate, PowerPostError> {
    let mut items = Vec::new();
    if let Some(caption) = &plan.caption {
        price_caption(caption, pricer, &mut items)?;
    }
    for (index, image) in plan.images.iter().flat_map(|list| &list.0).enumerate() {
        items.push(price_image(image, index, pricer)?);
    }
    for (index, video) in plan.videos.iter().flat_map(|list| &list.0).enumerate() {
        items.push(price_video(video, index, pricer)?);
    }
    if let Some(publish) = &plan.publish {
        items.push(price_publish(publish, pricer)?);
    }
    let total = items.iter().map(EstimateItem::credits).sum();
    Ok(CostEstimate { total, items, rate_card_version: pricer.card.version.clone() })
}

/// `3 images`, `1 image`.
fn counted(count: impl Into<u64>, singular: &str, plural: &str) -> String {
    let count = count.into();
    format!("{count} {}", if count == 1 { singular } else { plural })
}

fn price_caption(
    caption: &CaptionPlan,
    pricer: &mut Pricer,
    items: &mut Vec<EstimateItem>,
) -> Result<(), PowerPostError> {
    use super::vocabulary::ResearchMode;
    let Some(mode) = caption.research_mode else {
        return Err(PLAN.key("caption").key("researchMode").invalid(&ResearchMode::expected()));
    };
    let label = match mode {
        ResearchMode::Regular => "Caption, regular research",
        ResearchMode::Deep => "Caption, deep research",
    };
    if let Some(post_types) = &caption.post_types {
        distinct_post_types(post_types, || PLAN.key("caption").key("postTypes"))?;
    }
    let unit_seconds = pricer.card.caption.video_input.unit_seconds.max(1);
    let mut line = |label: String, terms: &[Term]| EstimateItem::Caption { label, credits: pricer.credits(terms) };
    items.push(line(label.to_string(), &[(Rate::Caption(mode), 1)]));
    if let Some(Whole(images)) = caption.image_inputs.filter(|Whole(n)| *n > 0) {
        let label = format!("Caption: analyse {}", counted(images, "image", "images"));
        items.push(line(label, &[(Rate::CaptionImageInput, images.into())]));
    }
    if let Some(Whole(seconds)) = caption.video_input_seconds.filter(|Whole(n)| *n > 0) {
        let units = seconds.div_ceil(unit_seconds);
        items.push(line(format!("Caption: analyse {seconds} s of video"), &[(Rate::CaptionVideoInput, units.into())]));
    }
    if let Some(Whole(sources)) = caption.source_urls.filter(|Whole(n)| *n > 0) {
        let label = format!("Caption: read {}", counted(sources, "source URL", "source URLs"));
        items.push(line(label, &[(Rate::CaptionSourceUrl, sources.into())]));
    }
    Ok(())
}

/// Where an entry of a plan's `images` or `videos` is, for an error about it (built only then).
#[derive(Clone, Copy)]
struct Entry {
    list: &'static str,
    index: usize,
}

impl Entry {
    fn at(self) -> Path {
        PLAN.key(self.list).index(self.index)
    }
}

/// The place on the card, name and entry of the model a generation asks for (or `default`).
fn chosen_model<'card, M: Clone>(
    models: &'card Models<M>,
    model: Option<&Text>,
    default: &'card str,
    kind: &str,
    entry: Entry,
) -> Result<(usize, &'card str, &'card M), PowerPostError> {
    let wanted = model.map_or(default, |Text(name)| name.as_str());
    let found = models.0.iter().position(|(name, _)| name == wanted);
    let found = found.map(|place| (place, models.0[place].0.as_ref(), &models.0[place].1));
    found.ok_or_else(|| {
        let known: Vec<&str> = models.names().collect();
        let why = format!("is not a known {kind} model; expected one of {}", known.join(", "));
        entry.at().key("model").invalid(&why)
    })
}

/// Checks the size a generation asks for (or `default`) against what its model offers.
fn check_size(
    size: Option<&Text>,
    default: &str,
    model: &str,
    sizes: &[Cow<str>],
    entry: Entry,
) -> Result<(), PowerPostError> {
    let size = size.map_or(default, |Text(size)| size.as_str());
    if sizes.iter().any(|offered| offered == size) {
        return Ok(());
    }
    let why = format!("is not offered by {model}; expected one of {}", sizes.join(", "));
    Err(entry.at().key("size").invalid(&why))
}

fn price_image(image: &ImagePlan, index: usize, pricer: &mut Pricer) -> Result<EstimateItem, PowerPostError> {
    let entry = Entry { list: "images", index };
    let card = pricer.card;
    let (place, name, model) =
        chosen_model(&card.image_models, image.model.as_ref(), DEFAULT_IMAGE_MODEL, "image", entry)?;
    let quantity = image.quantity.map_or(DEFAULT_IMAGE_QUANTITY, |Whole(quantity)| quantity);
    check_size(image.size.as_ref(), DEFAULT_IMAGE_SIZE, name, &model.sizes, entry)?;
    Ok(EstimateItem::Image {
        label: format!("{quantity} × {name} {}", if quantity == 1 { "image" } else { "images" }),
        credits: pricer.credits(&[(Rate::ImagePerImage(place), quantity.into())]),
        index,
        quantity,
        unit_credits: model.per_image,
    })
}

fn price_video(video: &VideoPlan, index: usize, pricer: &mut Pricer) -> Result<EstimateItem, PowerPostError> {
    let entry = Entry { list: "videos", index };
    let card = pricer.card;
    let (place, name, model) =
        chosen_model(&card.video_models, video.model.as_ref(), DEFAULT_VIDEO_MODEL, "video", entry)?;
    let offered = |seconds: &u32| video.duration_seconds.is_some_and(|Number(given)| f64::from(*seconds) == given);
    let Some(&seconds) = model.durations.iter().find(|seconds| offered(seconds)) else {
        let durations: Vec<String> = model.durations.iter().map(u32::to_string).collect();
        let why = format!("must be a duration {name} offers; expected one of {}", durations.join(", "));
        return Err(entry.at().key("durationSeconds").invalid(&why));
    };
    let audio = video.audio.is_some_and(|Flag(audio)| audio);
    if audio && model.audio_per_second.is_none() {
        return Err(entry.at().key("audio").invalid(&format!("is not supported by {name}")));
    }
    check_size(video.size.as_ref(), DEFAULT_VIDEO_SIZE, name, &model.sizes, entry)?;
    let terms = [(Rate::VideoPerSecond(place), seconds.into()), (Rate::VideoAudioPerSecond(place), seconds.into())];
    Ok(EstimateItem::Video {
        label: format!("{name} video, {seconds} s{}", if audio { " with audio" } else { "" }),
        credits: pricer.credits(&terms[..if audio { 2 } else { 1 }]),
        index,
    })
}

fn price_publish(publish: &PublishPlan, pricer: &mut Pricer) -> Result<EstimateItem, PowerPostError> {
    let at = || PLAN.key("publish").key("postTypes");
    let post_types = match &publish.post_types {
        Some(list) if !list.0.is_empty() => distinct_post_types(list, at)?,
        _ => return Err(at().invalid("must list at least one post type")),
    };
    // The base, and each platform's surcharge once (0 where the card has none).
    let mut terms: Vec<Term> = vec![(Rate::PublishBase, 1)];
    let mut surcharges = Surcharges::default();
    for post_type in &post_types {
        let platform = post_type.platform();
        let surcharge = (Rate::PublishSurcharge(platform), 1);
        if terms.contains(&surcharge) {
            continue;
        }
        terms.push(surcharge);
        let credits = pricer.card.publish.surcharges.of(platform);
        if credits > 0 {
            surcharges.set(platform, credits);
        }
    }
    let surcharged: Vec<String> =
        surcharges.0.iter().map(|(platform, _)| format!("{} surcharge", platform.display_name())).collect();
    let mut label = format!("Publish to {}", counted(post_types.len() as u64, "post type", "post types"));
    if !surcharged.is_empty() {
        label.push_str(&format!(" (includes {})", surcharged.join(", ")));
    }
    Ok(EstimateItem::Publish {
        label,
        credits: pricer.credits(&terms),
        post_types,
        base_credits: pricer.card.publish.base,
        surcharges,
    })
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use crate::input::from_json;
    use crate::pricing::plan::ESTIMATE_OPTIONS;
    use crate::pricing::rate_card::DEFAULT_VERSION;
    use crate::pricing::vocabulary::Platform;
    use crate::properties::arbitrary_json;
    use proptest::prelude::*;
    use serde_json::{json, Value as J};

    fn estimate(plan: J) -> Result<CostEstimate, PowerPostError> {
        estimate_cost(&from_json(plan, &PLAN)?, &RateCard::DEFAULT)
    }

    fn total(plan: J) -> u64 {
        estimate(plan).unwrap().total
    }

    fn labels(estimate: &CostEstimate) -> Vec<(&str, u64)> {
        estimate.items.iter().map(|item| (item.label(), item.credits())).collect()
    }

    /// The first post type of every platform: a new platform is in every test that uses this.
    fn one_post_type_per_platform() -> Vec<&'static str> {
        let first = |platform| PostType::ALL.into_iter().find(|post_type| post_type.platform() == platform);
        Platform::ALL.into_iter().filter_map(first).map(PostType::name).collect()
    }

    fn sample(post_types: &[&str]) -> J {
        json!({
            "caption": {"researchMode": "regular", "postTypes": post_types},
            "images": [{}],
            "publish": {"postTypes": post_types},
        })
    }

    #[test]
    fn the_documented_sample_costs_10_to_15_for_every_choice_of_3_platforms() {
        let platforms = one_post_type_per_platform();
        let count = platforms.len();
        assert_eq!(count, Platform::ALL.len());
        let mut seen = 0;
        for a in 0..count {
            for b in a + 1..count {
                for c in b + 1..count {
                    let chosen = [platforms[a], platforms[b], platforms[c]];
                    let cost = total(sample(&chosen));
                    assert!((10..=15).contains(&cost), "{chosen:?} costs {cost}");
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, count * (count - 1) * (count - 2) / 6);
    }

    #[test]
    fn the_sample_is_itemized_line_by_line() {
        let estimate = estimate(sample(&["instagram-feed", "x-post", "linkedin-post"])).unwrap();
        assert_eq!(
            serde_json::to_value(&estimate).unwrap(),
            json!({
                "total": 15,
                "items": [
                    {"kind": "caption", "label": "Caption, regular research", "credits": 6},
                    {"kind": "image", "label": "1 × flux2-flex image", "credits": 5, "index": 0, "quantity": 1, "unitCredits": 5},
                    {"kind": "publish", "label": "Publish to 3 post types (includes X surcharge)", "credits": 4,
                     "postTypes": ["instagram-feed", "x-post", "linkedin-post"], "baseCredits": 1, "surcharges": {"x": 3}},
                ],
                "rateCardVersion": DEFAULT_VERSION,
            })
        );
    }

    #[test]
    fn deep_research_costs_more_and_platform_count_never_changes_the_caption() {
        let caption = |mode: &str, post_types: &[&str]| {
            total(json!({"caption": {"researchMode": mode, "postTypes": post_types}}))
        };
        assert!(caption("deep", &[]) > caption("regular", &[]));
        assert_eq!(caption("regular", &["x-post"]), caption("regular", &one_post_type_per_platform()));
        assert_eq!(caption("deep", &["x-post"]), caption("deep", &one_post_type_per_platform()));
    }

    #[test]
    fn caption_inputs_add_their_own_lines() {
        let inputs = estimate(
            json!({"caption": {"researchMode": "regular", "imageInputs": 3, "videoInputSeconds": 31, "sourceUrls": 2}}),
        )
        .unwrap();
        assert_eq!(
            labels(&inputs),
            [
                ("Caption, regular research", 6),
                ("Caption: analyse 3 images", 3),
                ("Caption: analyse 31 s of video", 6),
                ("Caption: read 2 source URLs", 2)
            ]
        );
        let one = estimate(json!({"caption": {"researchMode": "regular", "imageInputs": 1, "sourceUrls": 1}})).unwrap();
        assert_eq!(labels(&one)[1..], [("Caption: analyse 1 image", 1), ("Caption: read 1 source URL", 1)]);
        let longer = total(json!({"caption": {"researchMode": "regular", "videoInputSeconds": 600}}));
        let shorter = total(json!({"caption": {"researchMode": "regular", "videoInputSeconds": 60}}));
        assert!(longer > shorter, "video analysis scales with duration");
    }

    #[test]
    fn an_image_line_is_the_model_rate_times_quantity() {
        let card = RateCard::DEFAULT;
        for (name, model) in card.image_models.0.iter() {
            for quantity in 1..=4u32 {
                let estimate = estimate(json!({"images": [{"model": name, "quantity": quantity}]})).unwrap();
                assert_eq!(estimate.items[0].credits(), u64::from(model.per_image * quantity));
                assert!(matches!(estimate.items[0], EstimateItem::Image { quantity: q, unit_credits, .. }
                    if q == quantity && unit_credits == model.per_image));
            }
        }
        assert_eq!(
            estimate(json!({"images": [{"model": "ideogram-3", "quantity": 2}]})).unwrap().items[0].label(),
            "2 × ideogram-3 images"
        );
    }

    #[test]
    fn publishing_is_one_base_credit_plus_the_x_surcharge_only_with_x() {
        let publish = |post_types: &[&str]| total(json!({"publish": {"postTypes": post_types}}));
        assert_eq!(publish(&["linkedin-post"]), 1);
        let all_but_x =
            ["instagram-feed", "instagram-reel", "facebook-post", "tiktok-video", "youtube-short", "linkedin-post"];
        assert_eq!(publish(&all_but_x), 1);
        assert_eq!(publish(&["x-post"]), 4);
        assert_eq!(publish(&["x-post", "linkedin-post"]), 4);
    }

    #[test]
    fn video_cost_grows_with_duration_and_with_audio() {
        let video = |v: J| total(json!({"videos": [v]}));
        for (model, short, long) in [("kling-3.0-pro", 5, 10), ("veo-3.1", 4, 8), ("runway-gen-4.5", 5, 10)] {
            assert!(
                video(json!({"model": model, "durationSeconds": long}))
                    > video(json!({"model": model, "durationSeconds": short})),
                "{model}"
            );
        }
        for (model, seconds) in [("kling-3.0-pro", 5), ("veo-3.1", 8)] {
            assert!(
                video(json!({"model": model, "durationSeconds": seconds, "audio": true}))
                    > video(json!({"model": model, "durationSeconds": seconds}))
            );
        }
        assert_eq!(
            estimate(json!({"videos": [{"durationSeconds": 10, "audio": true}]})).unwrap().items[0].label(),
            "kling-3.0-pro video, 10 s with audio"
        );
    }

    #[test]
    fn overrides_change_exactly_the_lines_that_use_them() {
        let plan: PostPlan = from_json(sample(&["instagram-feed", "x-post", "linkedin-post"]), &PLAN).unwrap();
        let options: EstimateOptions = from_json(
            json!({"rateCard": {"imageModels": {"flux2-flex": {"perImage": 10}}, "publish": {"surcharges": {"x": 7}}}}),
            &ESTIMATE_OPTIONS,
        )
        .unwrap();
        let default = estimate_with_options(&plan, &EstimateOptions::default(), &ESTIMATE_OPTIONS).unwrap();
        let custom = estimate_with_options(&plan, &options, &ESTIMATE_OPTIONS).unwrap();
        let credits = |e: &CostEstimate| e.items.iter().map(EstimateItem::credits).collect::<Vec<_>>();
        assert_eq!(credits(&default), [6, 5, 4]);
        assert_eq!(credits(&custom), [6, 10, 8]);
        assert_eq!(custom.rate_card_version, format!("{DEFAULT_VERSION}+custom"));
        let error = from_json::<EstimateOptions>(json!({"rateCard": {"caption": {"deep": -1}}}), &ESTIMATE_OPTIONS)
            .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("rateCard.caption.deep"));
        let unnamed: EstimateOptions = from_json(json!({"rateCard": {"version": ""}}), &ESTIMATE_OPTIONS).unwrap();
        let error = estimate_with_options(&plan, &unnamed, &ESTIMATE_OPTIONS).unwrap_err();
        assert_eq!(error.message, "rateCard.version must not be empty");
        let error = estimate_with_options(&plan, &unnamed, &Path::argument("options")).unwrap_err();
        assert_eq!(error.message, "options.rateCard.version must not be empty", "canAfford's options are named");
    }

    #[test]
    fn caption_extras_are_counted_at_their_rates_and_absent_at_zero() {
        let plan = |image_inputs: u32, seconds: u32, sources: u32| -> PostPlan {
            let caption = json!({"researchMode": "deep", "imageInputs": image_inputs, "videoInputSeconds": seconds, "sourceUrls": sources});
            from_json(json!({ "caption": caption }), &PLAN).unwrap()
        };
        let zero = estimate_cost(&plan(0, 0, 0), &RateCard::DEFAULT).unwrap();
        assert_eq!(labels(&zero), [("Caption, deep research", 8)], "nothing analysed, no lines for it");
        let options: EstimateOptions = from_json(
            json!({"rateCard": {"caption": {"deep": 20, "perImageInput": 3, "perSourceUrl": 5, "videoInput": {"perUnit": 2, "unitSeconds": 10}}}}), &ESTIMATE_OPTIONS)
        .unwrap();
        let priced = estimate_with_options(&plan(2, 25, 3), &options, &ESTIMATE_OPTIONS).unwrap();
        assert_eq!(
            labels(&priced),
            [
                ("Caption, deep research", 20),
                ("Caption: analyse 2 images", 6),
                ("Caption: analyse 25 s of video", 6),
                ("Caption: read 3 source URLs", 15),
            ]
        );
    }

    #[test]
    fn bad_plans_name_the_field() {
        let huge = "x".repeat(10_000);
        let cases = [
            (json!(null), "plan"),
            (json!([]), "plan"),
            (json!("plan"), "plan"),
            (json!({"caption": {}}), "caption.researchMode"),
            (json!({"caption": {"researchMode": "shallow"}}), "caption.researchMode"),
            (json!({"caption": {"researchMode": 5}}), "caption.researchMode"),
            (json!({"caption": {"researchMode": "deep", "imageInputs": 11}}), "caption.imageInputs"),
            (json!({"caption": {"researchMode": "deep", "sourceUrls": -1}}), "caption.sourceUrls"),
            (json!({"caption": {"researchMode": "deep", "videoInputSeconds": 1.5}}), "caption.videoInputSeconds"),
            (json!({"caption": {"researchMode": "deep", "postTypes": ["myspace-post"]}}), "caption.postTypes[0]"),
            (json!({"caption": {"researchMode": "deep", "postTypes": ["x-post", "x-post"]}}), "caption.postTypes[1]"),
            (json!({"images": [{"model": "dall-e"}]}), "images[0].model"),
            (json!({"images": [{"model": huge}]}), "images[0].model"),
            (json!({"images": [{}, {"quantity": 5}]}), "images[1].quantity"),
            (json!({"images": [{"quantity": 0}]}), "images[0].quantity"),
            (json!({"images": [{"quantity": 1e308}]}), "images[0].quantity"),
            (json!({"images": [{"model": "gpt-image-1.5", "size": "feed"}]}), "images[0].size"),
            (json!({"images": {"model": "flux2-flex"}}), "images"),
            (json!({"images": [5]}), "images[0]"),
            (json!({"images": [[]]}), "images[0]"),
            (json!({"images": vec![json!({}); 21]}), "images"),
            (json!({"videos": [{}]}), "videos[0].durationSeconds"),
            (json!({"videos": [{"durationSeconds": "5"}]}), "videos[0].durationSeconds"),
            (json!({"videos": [{"model": "veo-3.1", "durationSeconds": 5}]}), "videos[0].durationSeconds"),
            (json!({"videos": [{"model": "runway-gen-4.5", "durationSeconds": 5, "audio": true}]}), "videos[0].audio"),
            (json!({"videos": [{"durationSeconds": 5, "audio": "yes"}]}), "videos[0].audio"),
            (json!({"videos": [{"durationSeconds": 5, "size": "square"}]}), "videos[0].size"),
            (json!({"publish": {"postTypes": []}}), "publish.postTypes"),
            (json!({"publish": {}}), "publish.postTypes"),
            (json!({"publish": {"postTypes": ["x-post", "x-post"]}}), "publish.postTypes[1]"),
            (json!({"publish": {"postTypes": "x-post"}}), "publish.postTypes"),
            (json!({"publish": {"postTypes": [null]}}), "publish.postTypes[0]"),
            (json!({"image": [{}]}), "image"),
        ];
        for (plan, field) in cases {
            let error = estimate(plan.clone()).expect_err(&plan.to_string());
            assert_eq!(error.field.as_deref(), Some(field), "{plan}: {}", error.message);
            assert_eq!(error.code, crate::error::ErrorCode::InvalidArgument);
            assert!(error.message.starts_with(field), "{}", error.message);
        }
    }

    #[test]
    fn messages_say_what_is_offered() {
        let message = |plan: J| estimate(plan).unwrap_err().message.clone();
        assert_eq!(message(json!({"caption": {}})), "caption.researchMode must be \"regular\" or \"deep\"");
        assert_eq!(
            message(json!({"images": [{"model": "gpt-image-1.5", "size": "feed"}]})),
            "images[0].size is not offered by gpt-image-1.5; expected one of square, portrait, landscape"
        );
        assert_eq!(
            message(json!({"videos": [{"model": "veo-3.1", "durationSeconds": 5}]})),
            "videos[0].durationSeconds must be a duration veo-3.1 offers; expected one of 4, 8"
        );
        let card = RateCard::DEFAULT;
        let models: Vec<&str> = card.image_models.names().collect();
        assert_eq!(
            message(json!({"images": [{"model": "dall-e"}]})),
            format!("images[0].model is not a known image model; expected one of {}", models.join(", "))
        );
        assert_eq!(
            message(json!({"images": [{"quantity": 5}]})),
            "images[0].quantity must be a whole number from 1 to 4"
        );
        assert_eq!(
            message(json!({"image": [{}]})),
            "image is not a known field; expected one of caption, images, videos, publish"
        );
    }

    #[test]
    fn an_empty_plan_costs_nothing_and_null_parts_are_not_given() {
        let empty = CostEstimate { total: 0, items: vec![], rate_card_version: Cow::Borrowed(DEFAULT_VERSION) };
        assert_eq!(estimate(json!({})).unwrap(), empty);
        assert_eq!(estimate(json!({"caption": null, "images": null, "publish": null})).unwrap(), empty);
    }

    proptest! {
        #[test]
        fn arbitrary_plans_give_an_estimate_or_a_named_field_and_never_panic(plan in arbitrary_json()) {
            match estimate(plan) {
                Ok(estimate) => prop_assert_eq!(estimate.total, estimate.items.iter().map(EstimateItem::credits).sum::<u64>()),
                Err(error) => prop_assert!(error.field.as_ref().is_some_and(|f| !f.is_empty()), "{}", error.message),
            }
        }
    }
}
