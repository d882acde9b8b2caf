//! `estimateCost`: decodes a post plan (rejecting anything the catalogue or rate card does not
//! offer, naming the field) and prices it line by line in whole credits.

use crate::catalogue::{
    display_platform, platform_of, DEFAULT_IMAGE_MODEL, DEFAULT_IMAGE_SIZE, DEFAULT_VIDEO_MODEL, DEFAULT_VIDEO_SIZE,
    MAX_CAPTION_IMAGE_INPUTS, MAX_GENERATIONS, MAX_IMAGES_PER_GENERATION, MAX_SOURCE_URLS, MAX_VIDEO_INPUT_SECONDS,
    POST_TYPES, POST_TYPE_NAMES,
};
use crate::error::PowerPostError;
use crate::rate_card::{NamedModel, RateCard};
use crate::tape::TapeWriter;
use crate::text::{concat, push_uint};
use crate::value::{
    expected_one_of, optional_array, optional_bool, optional_text, optional_whole, reject_unknown_keys, require_object,
    Path, Value,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Caption,
    Image,
    Video,
    Publish,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Caption => "caption",
            Self::Image => "image",
            Self::Video => "video",
            Self::Publish => "publish",
        }
    }
}

/// What settlement needs beyond the credits of a line.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemDetail {
    None,
    Images { quantity: u32, unit_credits: u32 },
    Publish { post_types: Vec<&'static str>, base_credits: u32, surcharges: Vec<(&'static str, u32)> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct EstimateItem {
    pub kind: ItemKind,
    pub label: String,
    pub credits: u64,
    /// Position in the plan's `images` or `videos`.
    pub index: Option<u32>,
    pub detail: ItemDetail,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CostEstimate {
    pub total: u64,
    pub items: Vec<EstimateItem>,
    pub rate_card_version: String,
}

const PLAN_KEYS: [&str; 4] = ["caption", "images", "videos", "publish"];

thread_local! {
    static DEFAULT_CARD: RateCard = RateCard::default_card();
}

/// `estimateCost(plan, options)`: the default card, or it with `options.rateCard` merged over.
pub fn estimate_with_options<V: Value>(plan: &V, options: &V) -> Result<CostEstimate, PowerPostError> {
    if options.is_undefined() {
        return DEFAULT_CARD.with(|card| estimate_cost(plan, card));
    }
    let path = Path::Root("options");
    require_object(options, &path)?;
    reject_unknown_keys(options, &path, &["rateCard"])?;
    let card = DEFAULT_CARD.with(|card| card.with_overrides(&options.get("rateCard"), &Path::Root("rateCard")))?;
    estimate_cost(plan, &card)
}

/// `defaultRateCard()`.
pub fn write_default_card(out: &mut TapeWriter) {
    DEFAULT_CARD.with(|card| card.write_tape(out));
}

pub fn estimate_cost<V: Value>(plan: &V, card: &RateCard) -> Result<CostEstimate, PowerPostError> {
    require_object(plan, &Path::Root("plan"))?;
    let root = Path::Root("");
    reject_unknown_keys(plan, &root, &PLAN_KEYS)?;
    let mut items = Vec::with_capacity(4);
    price_caption(&plan.get("caption"), &root.key("caption"), card, &mut items)?;
    let images = optional_array(&plan.get("images"), &root.key("images"), MAX_GENERATIONS, |entry, path| {
        price_image(entry, path, card)
    })?;
    let videos = optional_array(&plan.get("videos"), &root.key("videos"), MAX_GENERATIONS, |entry, path| {
        price_video(entry, path, card)
    })?;
    for generated in [images, videos] {
        items.extend(
            generated.into_iter().enumerate().map(|(index, item)| EstimateItem { index: Some(index as u32), ..item }),
        );
    }
    price_publish(&plan.get("publish"), &root.key("publish"), card, &mut items)?;
    let total = items.iter().map(|item| item.credits).sum();
    Ok(CostEstimate { total, items, rate_card_version: card.version.clone() })
}

fn item(kind: ItemKind, label: String, credits: u64) -> EstimateItem {
    EstimateItem { kind, label, credits, index: None, detail: ItemDetail::None }
}

fn counted(count: u32, singular: &str, plural: &str) -> String {
    let mut text = String::new();
    push_uint(&mut text, count.into());
    text.push(' ');
    text.push_str(if count == 1 { singular } else { plural });
    text
}

fn price_caption<V: Value>(
    caption: &V,
    path: &Path,
    card: &RateCard,
    items: &mut Vec<EstimateItem>,
) -> Result<(), PowerPostError> {
    if caption.is_undefined() {
        return Ok(());
    }
    require_object(caption, path)?;
    reject_unknown_keys(
        caption,
        path,
        &["researchMode", "imageInputs", "videoInputSeconds", "sourceUrls", "postTypes"],
    )?;
    let rates = &card.caption;
    let mode_path = path.key("researchMode");
    let (label, base) = match caption.get("researchMode").one_of(&["regular", "deep"]) {
        Some("regular") => ("Caption, regular research", rates.regular),
        Some(_) => ("Caption, deep research", rates.deep),
        None => return Err(mode_path.invalid("must be \"regular\" or \"deep\"")),
    };
    let image_inputs =
        optional_whole(&caption.get("imageInputs"), &path.key("imageInputs"), 0, MAX_CAPTION_IMAGE_INPUTS)?
            .unwrap_or(0);
    let video_seconds =
        optional_whole(&caption.get("videoInputSeconds"), &path.key("videoInputSeconds"), 0, MAX_VIDEO_INPUT_SECONDS)?
            .unwrap_or(0);
    let source_urls =
        optional_whole(&caption.get("sourceUrls"), &path.key("sourceUrls"), 0, MAX_SOURCE_URLS)?.unwrap_or(0);
    // Informational only (the platform count never changes the caption cost), but still checked.
    post_types(&caption.get("postTypes"), &path.key("postTypes"), false)?;

    items.push(item(ItemKind::Caption, label.into(), base.into()));
    if image_inputs > 0 {
        let label = concat(&["Caption: analyse ", &counted(image_inputs, "image", "images")]);
        items.push(item(ItemKind::Caption, label, u64::from(image_inputs) * u64::from(rates.per_image_input)));
    }
    if video_seconds > 0 {
        let units = video_seconds.div_ceil(rates.video_input_unit_seconds.max(1));
        let mut label = String::from("Caption: analyse ");
        push_uint(&mut label, video_seconds.into());
        label.push_str(" s of video");
        items.push(item(ItemKind::Caption, label, u64::from(units) * u64::from(rates.video_input_per_unit)));
    }
    if source_urls > 0 {
        let label = concat(&["Caption: read ", &counted(source_urls, "source URL", "source URLs")]);
        items.push(item(ItemKind::Caption, label, u64::from(source_urls) * u64::from(rates.per_source_url)));
    }
    Ok(())
}

/// The rate card entry of the model a generation asks for (or `default`).
fn chosen_model<'card, V: Value, M: NamedModel>(
    entry: &V,
    path: &Path,
    models: &'card [M],
    default: &str,
    kind: &str,
) -> Result<&'card M, PowerPostError> {
    let model_path = path.key("model");
    let name = optional_text(&entry.get("model"), &model_path)?;
    let name = name.as_deref().unwrap_or(default);
    models.iter().find(|model| model.name() == name).ok_or_else(|| {
        let why = concat(&["is not a known ", kind, " model; ", &expected_one_of(models.iter().map(NamedModel::name))]);
        model_path.invalid(&why)
    })
}

/// Checks the size a generation asks for (or `default`) against what its model offers.
fn check_size<V: Value>(
    entry: &V,
    path: &Path,
    model: &str,
    sizes: &[String],
    default: &str,
) -> Result<(), PowerPostError> {
    let size_path = path.key("size");
    let size = optional_text(&entry.get("size"), &size_path)?;
    let size = size.as_deref().unwrap_or(default);
    if sizes.iter().any(|offered| offered == size) {
        return Ok(());
    }
    Err(size_path.invalid(&concat(&["is not offered by ", model, "; ", &expected_one_of(sizes)])))
}

fn price_image<V: Value>(entry: &V, path: &Path, card: &RateCard) -> Result<EstimateItem, PowerPostError> {
    require_object(entry, path)?;
    reject_unknown_keys(entry, path, &["model", "quantity", "size"])?;
    let model = chosen_model(entry, path, &card.image_models, DEFAULT_IMAGE_MODEL, "image")?;
    let quantity =
        optional_whole(&entry.get("quantity"), &path.key("quantity"), 1, MAX_IMAGES_PER_GENERATION)?.unwrap_or(1);
    check_size(entry, path, &model.name, &model.sizes, DEFAULT_IMAGE_SIZE)?;
    let mut label = String::new();
    push_uint(&mut label, quantity.into());
    label.push_str(" × ");
    label.push_str(&model.name);
    label.push_str(if quantity == 1 { " image" } else { " images" });
    Ok(EstimateItem {
        kind: ItemKind::Image,
        label,
        credits: u64::from(quantity) * u64::from(model.per_image),
        index: None,
        detail: ItemDetail::Images { quantity, unit_credits: model.per_image },
    })
}

fn price_video<V: Value>(entry: &V, path: &Path, card: &RateCard) -> Result<EstimateItem, PowerPostError> {
    require_object(entry, path)?;
    reject_unknown_keys(entry, path, &["model", "durationSeconds", "audio", "size"])?;
    let model = chosen_model(entry, path, &card.video_models, DEFAULT_VIDEO_MODEL, "video")?;
    let duration_path = path.key("durationSeconds");
    let duration = optional_whole(&entry.get("durationSeconds"), &duration_path, 0, 600).ok().flatten();
    let Some(duration) = duration.filter(|seconds| model.durations.contains(seconds)) else {
        let offered = model.durations.iter().map(|seconds| {
            let mut text = String::new();
            push_uint(&mut text, (*seconds).into());
            text
        });
        let why = concat(&["must be a duration ", &model.name, " offers; ", &expected_one_of(offered)]);
        return Err(duration_path.invalid(&why));
    };
    let audio_path = path.key("audio");
    let audio = optional_bool(&entry.get("audio"), &audio_path)?.unwrap_or(false);
    let audio_rate = match (audio, model.audio_per_second) {
        (false, _) => 0,
        (true, Some(rate)) => rate,
        (true, None) => return Err(audio_path.invalid(&concat(&["is not supported by ", &model.name]))),
    };
    check_size(entry, path, &model.name, &model.sizes, DEFAULT_VIDEO_SIZE)?;
    let mut label = concat(&[&model.name, " video, "]);
    push_uint(&mut label, duration.into());
    label.push_str(if audio { " s with audio" } else { " s" });
    let credits = u64::from(duration) * (u64::from(model.per_second) + u64::from(audio_rate));
    Ok(EstimateItem { kind: ItemKind::Video, label, credits, index: None, detail: ItemDetail::None })
}

/// One of the catalogue's post types (a string naming any other is an error, and so is a
/// non-string).
pub(crate) fn known_post_type<V: Value>(value: &V, path: &Path) -> Result<&'static str, PowerPostError> {
    if let Some(known) = value.one_of(&POST_TYPE_NAMES) {
        return Ok(known);
    }
    optional_text(value, path)?;
    Err(path.invalid(&concat(&["is not a known post type; ", &expected_one_of(POST_TYPE_NAMES)])))
}

/// A list of distinct, known post types; `required` makes an empty or missing list an error.
fn post_types<V: Value>(value: &V, path: &Path, required: bool) -> Result<Vec<&'static str>, PowerPostError> {
    let mut seen: Vec<&'static str> = Vec::new();
    optional_array(value, path, POST_TYPES.len() as u32, |entry, at| {
        let known = known_post_type(entry, at)?;
        if seen.contains(&known) {
            return Err(at.invalid("repeats a post type"));
        }
        seen.push(known);
        Ok(())
    })?;
    if required && seen.is_empty() {
        return Err(path.invalid("must list at least one post type"));
    }
    Ok(seen)
}

fn price_publish<V: Value>(
    publish: &V,
    path: &Path,
    card: &RateCard,
    items: &mut Vec<EstimateItem>,
) -> Result<(), PowerPostError> {
    if publish.is_undefined() {
        return Ok(());
    }
    require_object(publish, path)?;
    reject_unknown_keys(publish, path, &["postTypes"])?;
    let post_types = post_types(&publish.get("postTypes"), &path.key("postTypes"), true)?;
    let mut surcharges: Vec<(&'static str, u32)> = Vec::new();
    for post_type in &post_types {
        let Some(platform) = platform_of(post_type) else { continue };
        let credits = card.surcharge(platform);
        if credits > 0 && !surcharges.iter().any(|(seen, _)| *seen == platform) {
            surcharges.push((platform, credits));
        }
    }
    let mut label = concat(&["Publish to ", &counted(post_types.len() as u32, "post type", "post types")]);
    for (at, (platform, _)) in surcharges.iter().enumerate() {
        label.push_str(if at == 0 { " (includes " } else { ", " });
        label.push_str(display_platform(platform));
        label.push_str(" surcharge");
    }
    if !surcharges.is_empty() {
        label.push(')');
    }
    let credits = u64::from(card.publish.base) + surcharges.iter().map(|(_, credits)| u64::from(*credits)).sum::<u64>();
    items.push(EstimateItem {
        kind: ItemKind::Publish,
        label,
        credits,
        index: None,
        detail: ItemDetail::Publish { post_types, base_credits: card.publish.base, surcharges },
    });
    Ok(())
}

impl CostEstimate {
    pub fn write_tape(&self, out: &mut TapeWriter) {
        out.begin_object().field_uint("total", self.total).key("items").begin_array();
        for item in &self.items {
            out.begin_object().field_str("kind", item.kind.as_str()).field_str("label", &item.label);
            out.field_uint("credits", item.credits);
            if let Some(index) = item.index {
                out.field_uint("index", index.into());
            }
            match &item.detail {
                ItemDetail::None => {}
                ItemDetail::Images { quantity, unit_credits } => {
                    out.field_uint("quantity", (*quantity).into()).field_uint("unitCredits", (*unit_credits).into());
                }
                ItemDetail::Publish { post_types, base_credits, surcharges } => {
                    out.key("postTypes").begin_array();
                    for post_type in post_types {
                        out.string(post_type);
                    }
                    out.end_array().field_uint("baseCredits", (*base_credits).into()).key("surcharges").begin_object();
                    for (platform, credits) in surcharges {
                        out.field_uint(platform, (*credits).into());
                    }
                    out.end_object();
                }
            }
            out.end_object();
        }
        out.end_array().field_str("rateCardVersion", &self.rate_card_version).end_object();
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::value::json::Json;
    use proptest::prelude::*;
    use serde_json::{json, Value as J};

    fn estimate(plan: J) -> Result<CostEstimate, PowerPostError> {
        estimate_cost(&Json::of(plan), &RateCard::default_card())
    }

    fn total(plan: J) -> u64 {
        estimate(plan).unwrap().total
    }

    const ONE_POST_TYPE_PER_PLATFORM: [&str; 6] =
        ["instagram-feed", "tiktok-video", "youtube-short", "x-post", "facebook-post", "linkedin-post"];

    fn sample(post_types: &[&str]) -> J {
        json!({
            "caption": {"researchMode": "regular", "postTypes": post_types},
            "images": [{}],
            "publish": {"postTypes": post_types},
        })
    }

    #[test]
    fn the_documented_sample_costs_10_to_15_for_every_choice_of_3_platforms() {
        let platforms = ONE_POST_TYPE_PER_PLATFORM;
        let mut seen = 0;
        for a in 0..6 {
            for b in a + 1..6 {
                for c in b + 1..6 {
                    let chosen = [platforms[a], platforms[b], platforms[c]];
                    let cost = total(sample(&chosen));
                    assert!((10..=15).contains(&cost), "{chosen:?} costs {cost}");
                    seen += 1;
                }
            }
        }
        assert_eq!(seen, 20);
    }

    #[test]
    fn the_sample_is_itemized_line_by_line() {
        let estimate = estimate(sample(&["instagram-feed", "x-post", "linkedin-post"])).unwrap();
        let lines: Vec<(&str, &str, u64)> =
            estimate.items.iter().map(|i| (i.kind.as_str(), i.label.as_str(), i.credits)).collect();
        assert_eq!(
            lines,
            [
                ("caption", "Caption, regular research", 6),
                ("image", "1 × flux2-flex image", 4),
                ("publish", "Publish to 3 post types (includes X surcharge)", 3),
            ]
        );
        assert_eq!(estimate.total, 13);
        assert_eq!(estimate.items[1].index, Some(0));
        assert_eq!(estimate.rate_card_version, "2026-11-estimate");
    }

    #[test]
    fn deep_research_costs_more_and_platform_count_never_changes_the_caption() {
        let caption = |mode: &str, post_types: &[&str]| {
            total(json!({"caption": {"researchMode": mode, "postTypes": post_types}}))
        };
        assert!(caption("deep", &[]) > caption("regular", &[]));
        assert_eq!(caption("regular", &["x-post"]), caption("regular", &ONE_POST_TYPE_PER_PLATFORM));
        assert_eq!(caption("deep", &["x-post"]), caption("deep", &ONE_POST_TYPE_PER_PLATFORM));
    }

    #[test]
    fn caption_inputs_add_their_own_lines() {
        let estimate = estimate(
            json!({"caption": {"researchMode": "regular", "imageInputs": 3, "videoInputSeconds": 31, "sourceUrls": 2}}),
        )
        .unwrap();
        let lines: Vec<(&str, u64)> = estimate.items.iter().map(|i| (i.label.as_str(), i.credits)).collect();
        assert_eq!(
            lines,
            [
                ("Caption, regular research", 6),
                ("Caption: analyse 3 images", 3),
                ("Caption: analyse 31 s of video", 3),
                ("Caption: read 2 source URLs", 2)
            ]
        );
        let longer = total(json!({"caption": {"researchMode": "regular", "videoInputSeconds": 600}}));
        let shorter = total(json!({"caption": {"researchMode": "regular", "videoInputSeconds": 15}}));
        assert!(longer > shorter, "video analysis scales with duration");
    }

    #[test]
    fn an_image_line_is_the_model_rate_times_quantity() {
        let card = RateCard::default_card();
        for model in &card.image_models {
            for quantity in 1..=4u64 {
                let estimate = estimate(json!({"images": [{"model": model.name, "quantity": quantity}]})).unwrap();
                assert_eq!(estimate.items[0].credits, u64::from(model.per_image) * quantity);
                assert_eq!(
                    estimate.items[0].detail,
                    ItemDetail::Images { quantity: quantity as u32, unit_credits: model.per_image }
                );
            }
        }
        assert_eq!(
            estimate(json!({"images": [{"model": "ideogram-3", "quantity": 2}]})).unwrap().items[0].label,
            "2 × ideogram-3 images"
        );
    }

    #[test]
    fn publishing_is_one_base_credit_plus_the_x_surcharge_only_with_x() {
        let publish = |post_types: &[&str]| total(json!({"publish": {"postTypes": post_types}}));
        assert_eq!(publish(&["linkedin-post"]), 1);
        assert_eq!(
            publish(&[
                "instagram-feed",
                "instagram-reel",
                "facebook-post",
                "tiktok-video",
                "youtube-short",
                "linkedin-post"
            ]),
            1
        );
        assert_eq!(publish(&["x-post"]), 3);
        assert_eq!(publish(&["x-post", "linkedin-post"]), 3);
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
            estimate(json!({"videos": [{"durationSeconds": 10, "audio": true}]})).unwrap().items[0].label,
            "kling-3.0-pro video, 10 s with audio"
        );
    }

    #[test]
    fn overrides_change_exactly_the_lines_that_use_them() {
        let plan = Json::of(sample(&["instagram-feed", "x-post", "linkedin-post"]));
        let default = estimate_cost(&plan, &RateCard::default_card()).unwrap();
        let overrides =
            Json::of(json!({"imageModels": {"flux2-flex": {"perImage": 10}}, "publish": {"surcharges": {"x": 7}}}));
        let card = RateCard::default_card().with_overrides(&overrides, &Path::Root("rateCard")).unwrap();
        let custom = estimate_cost(&plan, &card).unwrap();
        let credits = |e: &CostEstimate| e.items.iter().map(|i| i.credits).collect::<Vec<_>>();
        assert_eq!(credits(&default), [6, 4, 3]);
        assert_eq!(credits(&custom), [6, 10, 8]);
        assert_eq!(custom.rate_card_version, "2026-11-estimate+custom");
    }

    #[test]
    fn bad_plans_name_the_field() {
        let cases = [
            (json!(null), "plan"),
            (json!([]), "plan"),
            (json!("plan"), "plan"),
            (json!({"caption": {}}), "caption.researchMode"),
            (json!({"caption": {"researchMode": "shallow"}}), "caption.researchMode"),
            (json!({"caption": {"researchMode": "deep", "imageInputs": 11}}), "caption.imageInputs"),
            (json!({"caption": {"researchMode": "deep", "sourceUrls": -1}}), "caption.sourceUrls"),
            (json!({"caption": {"researchMode": "deep", "videoInputSeconds": 1.5}}), "caption.videoInputSeconds"),
            (json!({"caption": {"researchMode": "deep", "postTypes": ["myspace-post"]}}), "caption.postTypes[0]"),
            (json!({"images": [{"model": "dall-e"}]}), "images[0].model"),
            (json!({"images": [{}, {"quantity": 5}]}), "images[1].quantity"),
            (json!({"images": [{"quantity": 0}]}), "images[0].quantity"),
            (json!({"images": [{"quantity": 1e308}]}), "images[0].quantity"),
            (json!({"images": [{"model": "gpt-image-1.5", "size": "feed"}]}), "images[0].size"),
            (json!({"images": {"model": "flux2-flex"}}), "images"),
            (json!({"images": [5]}), "images[0]"),
            (json!({"videos": [{}]}), "videos[0].durationSeconds"),
            (json!({"videos": [{"model": "veo-3.1", "durationSeconds": 5}]}), "videos[0].durationSeconds"),
            (json!({"videos": [{"model": "runway-gen-4.5", "durationSeconds": 5, "audio": true}]}), "videos[0].audio"),
            (json!({"videos": [{"durationSeconds": 5, "audio": "yes"}]}), "videos[0].audio"),
            (json!({"videos": [{"durationSeconds": 5, "size": "square"}]}), "videos[0].size"),
            (json!({"publish": {"postTypes": []}}), "publish.postTypes"),
            (json!({"publish": {}}), "publish.postTypes"),
            (json!({"publish": {"postTypes": ["x-post", "x-post"]}}), "publish.postTypes[1]"),
            (json!({"publish": {"postTypes": "x-post"}}), "publish.postTypes"),
            (json!({"image": [{}]}), "image"),
        ];
        for (plan, field) in cases {
            let error = estimate(plan.clone()).expect_err(&plan.to_string());
            assert_eq!(error.field.as_deref(), Some(field), "{plan}: {}", error.message);
            assert_eq!(error.code, crate::error::ErrorCode::InvalidArgument);
        }
    }

    #[test]
    fn an_empty_plan_costs_nothing() {
        assert_eq!(
            estimate(json!({})).unwrap(),
            CostEstimate { total: 0, items: vec![], rate_card_version: "2026-11-estimate".into() }
        );
    }

    #[test]
    fn the_estimate_writes_itself_as_json() {
        let mut out = TapeWriter::default();
        estimate(sample(&["x-post"])).unwrap().write_tape(&mut out);
        let parsed: J = crate::tape::to_json(crate::tape::TapeValue::root(&out.finish()));
        assert_eq!(parsed["total"], 13);
        assert_eq!(
            parsed["items"][1],
            json!({"kind": "image", "label": "1 × flux2-flex image", "credits": 4, "index": 0, "quantity": 1, "unitCredits": 4})
        );
        assert_eq!(parsed["items"][2]["surcharges"], json!({"x": 2}));
        assert_eq!(parsed["items"][2]["postTypes"], json!(["x-post"]));
    }

    fn arbitrary_json() -> impl Strategy<Value = J> {
        let leaf = prop_oneof![
            Just(J::Null),
            any::<bool>().prop_map(J::Bool),
            any::<f64>().prop_map(|n| serde_json::Number::from_f64(n).map_or(J::Null, J::Number)),
            (-5i64..700).prop_map(|n| json!(n)),
            prop::sample::select(vec![
                "regular",
                "deep",
                "flux2-flex",
                "gpt-image-1.5",
                "feed",
                "x-post",
                "veo-3.1",
                ""
            ])
            .prop_map(|s| json!(s)),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            let keys = prop::sample::select(vec![
                "caption",
                "images",
                "videos",
                "publish",
                "researchMode",
                "imageInputs",
                "videoInputSeconds",
                "sourceUrls",
                "postTypes",
                "model",
                "quantity",
                "size",
                "durationSeconds",
                "audio",
                "other",
            ]);
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(J::Array),
                prop::collection::btree_map(keys, inner, 0..5)
                    .prop_map(|m| J::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn arbitrary_plans_give_an_estimate_or_a_named_field_and_never_panic(plan in arbitrary_json()) {
            match estimate(plan) {
                Ok(estimate) => prop_assert_eq!(estimate.total, estimate.items.iter().map(|i| i.credits).sum::<u64>()),
                Err(error) => prop_assert!(error.field.is_some_and(|f| !f.is_empty()), "{}", error.message),
            }
        }
    }
}
