//! `estimateCost`: decodes a post plan (rejecting anything the catalogue or rate card does not
//! offer, naming the field) and prices it line by line in whole credits.

use crate::prelude::*;

use core::cell::Cell;

use crate::error::PowerPostError;
use crate::pricing::catalogue::{
    display_platform, DEFAULT_IMAGE_MODEL, DEFAULT_IMAGE_SIZE, DEFAULT_VIDEO_MODEL, DEFAULT_VIDEO_SIZE,
    MAX_CAPTION_IMAGE_INPUTS, MAX_GENERATIONS, MAX_IMAGES_PER_GENERATION, MAX_SOURCE_URLS, MAX_VIDEO_INPUT_SECONDS,
    PLATFORMS, POST_TYPES, POST_TYPE_NAMES,
};
use crate::pricing::rate_card::{NamedModel, RateCard, SharedName};
use crate::tape::{id_of, SentStrings, SentText, TapeWriter};
use crate::text::{concat, push_uint};
use crate::value::{
    each_entry, expected_one_of, optional_array, optional_bool, optional_text, optional_whole, require_object, Names,
    Path, Value,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemKind {
    Caption,
    Image,
    Video,
    Publish,
}

const ITEM_KINDS: Names<4> = Names::new(["caption", "image", "video", "publish"]);

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        ITEM_KINDS.names[self as usize]
    }

    fn id(self) -> f64 {
        f64::from(ITEM_KINDS.ids[self as usize])
    }
}

/// What settlement needs beyond the credits of a line.
#[derive(Clone, Debug, PartialEq)]
pub enum ItemDetail {
    None,
    Images {
        quantity: u32,
        unit_credits: u32,
    },
    Publish {
        /// Positions in the catalogue's `POST_TYPES`, in the plan's order.
        post_types: InlineList<u8, { POST_TYPES.len() }>,
        base_credits: u32,
        /// Platform and credits, in the order the post types first name them.
        surcharges: InlineList<(&'static str, u32), { PLATFORMS.len() }>,
    },
}

/// A short list kept in place, so the publish line allocates nothing; it holds at most `N`
/// (the catalogue bounds every list it is used for) and ignores what would not fit.
#[derive(Clone, Copy, Debug)]
pub struct InlineList<T, const N: usize> {
    items: [T; N],
    len: usize,
}

impl<T: Copy + Default, const N: usize> Default for InlineList<T, N> {
    fn default() -> Self {
        Self { items: [T::default(); N], len: 0 }
    }
}

impl<T, const N: usize> InlineList<T, N> {
    pub fn push(&mut self, item: T) {
        if let Some(slot) = self.items.get_mut(self.len) {
            *slot = item;
            self.len += 1;
        }
    }

    pub fn as_slice(&self) -> &[T] {
        self.items.get(..self.len).unwrap_or(&[])
    }
}

impl<T: PartialEq, const N: usize> PartialEq for InlineList<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// A line's label (or the card's version), kept as what it is made of: JS keeps every label
/// it has been sent, so the text is spelled out only for a label it does not hold yet.
#[derive(Clone, Debug, PartialEq)]
pub enum Label {
    Fixed(&'static str),
    /// `Caption: analyse 3 images`
    CaptionImages(u32),
    /// `Caption: analyse 31 s of video`
    CaptionVideo(u32),
    /// `Caption: read 2 source URLs`
    CaptionSources(u32),
    /// `2 × ideogram-3 images`
    Images {
        quantity: u32,
        model: SharedName,
    },
    /// `kling-3.0-pro video, 10 s with audio`
    Video {
        model: SharedName,
        seconds: u32,
        audio: bool,
    },
    /// `Publish to 3 post types (includes X surcharge)`: the platforms surcharged, in order.
    Publish {
        post_types: u32,
        surcharged: InlineList<&'static str, { PLATFORMS.len() }>,
    },
    Version(SharedName),
}

impl SentText for Label {
    fn write_text(&self, out: &mut String) {
        match self {
            Label::Fixed(text) => out.push_str(text),
            Label::CaptionImages(count) => {
                out.push_str("Caption: analyse ");
                push_counted(out, *count, "image", "images");
            }
            Label::CaptionVideo(seconds) => {
                out.push_str("Caption: analyse ");
                push_uint(out, (*seconds).into());
                out.push_str(" s of video");
            }
            Label::CaptionSources(count) => {
                out.push_str("Caption: read ");
                push_counted(out, *count, "source URL", "source URLs");
            }
            Label::Images { quantity, model } => {
                push_uint(out, (*quantity).into());
                out.push_str(" × ");
                out.push_str(model);
                out.push_str(if *quantity == 1 { " image" } else { " images" });
            }
            Label::Video { model, seconds, audio } => {
                out.push_str(model);
                out.push_str(" video, ");
                push_uint(out, (*seconds).into());
                out.push_str(if *audio { " s with audio" } else { " s" });
            }
            Label::Publish { post_types, surcharged } => {
                out.push_str("Publish to ");
                push_counted(out, *post_types, "post type", "post types");
                for (at, platform) in surcharged.as_slice().iter().enumerate() {
                    out.push_str(if at == 0 { " (includes " } else { ", " });
                    out.push_str(display_platform(platform));
                    out.push_str(" surcharge");
                }
                if !surcharged.as_slice().is_empty() {
                    out.push(')');
                }
            }
            Label::Version(version) => out.push_str(version),
        }
    }
}

impl Label {
    pub fn text(&self) -> String {
        let mut text = String::new();
        self.write_text(&mut text);
        text
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct EstimateItem {
    pub kind: ItemKind,
    pub label: Label,
    pub credits: u64,
    /// Position in the plan's `images` or `videos`.
    pub index: Option<u32>,
    pub detail: ItemDetail,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CostEstimate {
    pub total: u64,
    pub items: Vec<EstimateItem>,
    pub rate_card_version: SharedName,
}

const RECORD_NO_DETAIL: f64 = 0.0;
const RECORD_IMAGES: f64 = 1.0;
const RECORD_PUBLISH: f64 = 2.0;

const PLAN_KEYS: Names<4> = Names::new(["caption", "images", "videos", "publish"]);
const OPTION_KEYS: Names<1> = Names::new(["rateCard"]);
const CAPTION_KEYS: Names<5> =
    Names::new(["researchMode", "imageInputs", "videoInputSeconds", "sourceUrls", "postTypes"]);
const IMAGE_KEYS: Names<3> = Names::new(["model", "quantity", "size"]);
const VIDEO_KEYS: Names<4> = Names::new(["model", "durationSeconds", "audio", "size"]);
const PUBLISH_KEYS: Names<1> = Names::new(["postTypes"]);
const RESEARCH_MODES: Names<2> = Names::new(["regular", "deep"]);
const POST_TYPE_CANDIDATES: Names<12> = Names::new(POST_TYPE_NAMES);

crate::local::local! {
    /// The built-in card, made on first use; taken out while it is used (nothing that runs
    /// meanwhile can ask for it again: a plan is read before it is priced).
    static DEFAULT_CARD: Cell<Option<RateCard>> = const { Cell::new(None) };
}

fn with_default_card<R>(use_card: impl FnOnce(&RateCard) -> R) -> R {
    let card = DEFAULT_CARD.take().unwrap_or_else(RateCard::default_card);
    let result = use_card(&card);
    DEFAULT_CARD.set(Some(card));
    result
}

/// `estimateCost(plan, options)`: the default card, or it with `options.rateCard` merged over.
pub fn estimate_with_options<V: Value>(plan: &V, options: &V) -> Result<CostEstimate, PowerPostError> {
    if options.is_undefined() {
        return with_default_card(|card| estimate_cost(plan, card));
    }
    let path = Path::Root("options");
    require_object(options, &path)?;
    let [rate_card] = options.fields(&path, &OPTION_KEYS)?;
    let card = with_default_card(|card| card.with_overrides(&rate_card, &Path::Root("rateCard")))?;
    estimate_cost(plan, &card)
}

/// `defaultRateCard()`.
pub fn write_default_card(out: &mut TapeWriter) {
    with_default_card(|card| card.write_tape(out));
}

pub fn estimate_cost<V: Value>(plan: &V, card: &RateCard) -> Result<CostEstimate, PowerPostError> {
    require_object(plan, &Path::Root("plan"))?;
    let root = Path::Root("");
    let [caption, images, videos, publish] = plan.fields(&root, &PLAN_KEYS)?;
    let mut items = Vec::with_capacity(4);
    price_caption(&caption, &root.key("caption"), card, &mut items)?;
    each_entry(&images, &root.key("images"), MAX_GENERATIONS, &mut |entry, path, index| {
        items.push(EstimateItem { index: Some(index), ..price_image(entry, path, card)? });
        Ok(())
    })?;
    each_entry(&videos, &root.key("videos"), MAX_GENERATIONS, &mut |entry, path, index| {
        items.push(EstimateItem { index: Some(index), ..price_video(entry, path, card)? });
        Ok(())
    })?;
    price_publish(&publish, &root.key("publish"), card, &mut items)?;
    let total = items.iter().map(|item| item.credits).sum();
    Ok(CostEstimate { total, items, rate_card_version: card.version.clone() })
}

fn item(kind: ItemKind, label: Label, credits: u64) -> EstimateItem {
    EstimateItem { kind, label, credits, index: None, detail: ItemDetail::None }
}

/// Appends `3 images`, `1 image`.
fn push_counted(out: &mut String, count: u32, singular: &str, plural: &str) {
    push_uint(out, count.into());
    out.push(' ');
    out.push_str(if count == 1 { singular } else { plural });
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
    let [research_mode, image_inputs, video_seconds, source_urls, post_type_list] =
        caption.fields(path, &CAPTION_KEYS)?;
    let rates = &card.caption;
    let mode_path = path.key("researchMode");
    let (label, base) = match research_mode.one_of(&RESEARCH_MODES) {
        Some(0) => ("Caption, regular research", rates.regular),
        Some(_) => ("Caption, deep research", rates.deep),
        None => return Err(mode_path.invalid("must be \"regular\" or \"deep\"")),
    };
    let image_inputs =
        optional_whole(&image_inputs, &path.key("imageInputs"), 0, MAX_CAPTION_IMAGE_INPUTS)?.unwrap_or(0);
    let video_seconds =
        optional_whole(&video_seconds, &path.key("videoInputSeconds"), 0, MAX_VIDEO_INPUT_SECONDS)?.unwrap_or(0);
    let source_urls = optional_whole(&source_urls, &path.key("sourceUrls"), 0, MAX_SOURCE_URLS)?.unwrap_or(0);
    // Informational only (the platform count never changes the caption cost), but still checked.
    post_types(&post_type_list, &path.key("postTypes"), false, &mut |_, _| {})?;

    items.push(item(ItemKind::Caption, Label::Fixed(label), base.into()));
    if image_inputs > 0 {
        let credits = u64::from(image_inputs) * u64::from(rates.per_image_input);
        items.push(item(ItemKind::Caption, Label::CaptionImages(image_inputs), credits));
    }
    if video_seconds > 0 {
        let units = video_seconds.div_ceil(rates.video_input_unit_seconds.max(1));
        let credits = u64::from(units) * u64::from(rates.video_input_per_unit);
        items.push(item(ItemKind::Caption, Label::CaptionVideo(video_seconds), credits));
    }
    if source_urls > 0 {
        let credits = u64::from(source_urls) * u64::from(rates.per_source_url);
        items.push(item(ItemKind::Caption, Label::CaptionSources(source_urls), credits));
    }
    Ok(())
}

/// The rate card entry of the model a generation asks for (or `default`).
fn chosen_model<'card, V: Value, M: NamedModel>(
    model: &V,
    path: &Path,
    models: &'card [M],
    default: &str,
    kind: &str,
) -> Result<&'card M, PowerPostError> {
    let model_path = path.key("model");
    let name = optional_text(model, &model_path)?;
    let name = name.as_deref().unwrap_or(default);
    models.iter().find(|model| model.name() == name).ok_or_else(|| {
        let why = concat(&["is not a known ", kind, " model; ", &expected_one_of(models.iter().map(NamedModel::name))]);
        model_path.invalid(&why)
    })
}

/// Checks the size a generation asks for (or `default`) against what its model offers.
fn check_size<V: Value>(
    size: &V,
    path: &Path,
    model: &str,
    sizes: &[String],
    default: &str,
) -> Result<(), PowerPostError> {
    let size_path = path.key("size");
    let size = optional_text(size, &size_path)?;
    let size = size.as_deref().unwrap_or(default);
    if sizes.iter().any(|offered| offered == size) {
        return Ok(());
    }
    Err(size_path.invalid(&concat(&["is not offered by ", model, "; ", &expected_one_of(sizes)])))
}

fn price_image<V: Value>(entry: &V, path: &Path, card: &RateCard) -> Result<EstimateItem, PowerPostError> {
    require_object(entry, path)?;
    let [model, quantity, size] = entry.fields(path, &IMAGE_KEYS)?;
    let model = chosen_model(&model, path, &card.image_models, DEFAULT_IMAGE_MODEL, "image")?;
    let quantity = optional_whole(&quantity, &path.key("quantity"), 1, MAX_IMAGES_PER_GENERATION)?.unwrap_or(1);
    check_size(&size, path, &model.name, &model.sizes, DEFAULT_IMAGE_SIZE)?;
    Ok(EstimateItem {
        kind: ItemKind::Image,
        label: Label::Images { quantity, model: model.name.clone() },
        credits: u64::from(quantity) * u64::from(model.per_image),
        index: None,
        detail: ItemDetail::Images { quantity, unit_credits: model.per_image },
    })
}

fn price_video<V: Value>(entry: &V, path: &Path, card: &RateCard) -> Result<EstimateItem, PowerPostError> {
    require_object(entry, path)?;
    let [model, duration, audio, size] = entry.fields(path, &VIDEO_KEYS)?;
    let model = chosen_model(&model, path, &card.video_models, DEFAULT_VIDEO_MODEL, "video")?;
    let duration_path = path.key("durationSeconds");
    let duration = optional_whole(&duration, &duration_path, 0, 600).ok().flatten();
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
    let audio = optional_bool(&audio, &audio_path)?.unwrap_or(false);
    let audio_rate = match (audio, model.audio_per_second) {
        (false, _) => 0,
        (true, Some(rate)) => rate,
        (true, None) => return Err(audio_path.invalid(&concat(&["is not supported by ", &model.name]))),
    };
    check_size(&size, path, &model.name, &model.sizes, DEFAULT_VIDEO_SIZE)?;
    let credits = u64::from(duration) * (u64::from(model.per_second) + u64::from(audio_rate));
    let label = Label::Video { model: model.name.clone(), seconds: duration, audio };
    Ok(EstimateItem { kind: ItemKind::Video, label, credits, index: None, detail: ItemDetail::None })
}

/// One of the catalogue's post types (a string naming any other is an error, and so is a
/// non-string).
pub(crate) fn known_post_type<V: Value>(value: &V, path: &Path) -> Result<&'static str, PowerPostError> {
    post_type_position(value, path).map(|position| POST_TYPE_NAMES.get(position).copied().unwrap_or_default())
}

/// The position in `POST_TYPES` of the post type `value` names.
fn post_type_position<V: Value>(value: &V, path: &Path) -> Result<usize, PowerPostError> {
    if let Some(position) = value.one_of(&POST_TYPE_CANDIDATES) {
        return Ok(position);
    }
    optional_text(value, path)?;
    Err(path.invalid(&concat(&["is not a known post type; ", &expected_one_of(POST_TYPE_NAMES)])))
}

/// Visits a list of distinct, known post types as (position in `POST_TYPES`, platform);
/// `required` makes an empty or missing list an error. Checking a list allocates nothing.
fn post_types<V: Value>(
    value: &V,
    path: &Path,
    required: bool,
    visit: &mut dyn FnMut(u8, &'static str),
) -> Result<(), PowerPostError> {
    let mut seen = 0u32;
    let listed = optional_array(value, path, POST_TYPES.len() as u32, |entry, at| {
        let position = post_type_position(entry, at)?;
        let bit = 1u32.wrapping_shl(position as u32);
        if seen & bit != 0 {
            return Err(at.invalid("repeats a post type"));
        }
        seen |= bit;
        if let Some((_, platform)) = POST_TYPES.get(position) {
            visit(position as u8, platform);
        }
        Ok(())
    })?;
    if required && listed.is_empty() {
        return Err(path.invalid("must list at least one post type"));
    }
    Ok(())
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
    let [post_type_list] = publish.fields(path, &PUBLISH_KEYS)?;
    let mut post_types_listed = InlineList::default();
    let mut surcharges = InlineList::<(&'static str, u32), { PLATFORMS.len() }>::default();
    post_types(&post_type_list, &path.key("postTypes"), true, &mut |position, platform| {
        post_types_listed.push(position);
        let credits = card.surcharge(platform);
        if credits > 0 && !surcharges.as_slice().iter().any(|(seen, _)| *seen == platform) {
            surcharges.push((platform, credits));
        }
    })?;
    let mut surcharged = InlineList::default();
    for (platform, _) in surcharges.as_slice() {
        surcharged.push(*platform);
    }
    let label = Label::Publish { post_types: post_types_listed.as_slice().len() as u32, surcharged };
    let credits = u64::from(card.publish.base)
        + surcharges.as_slice().iter().map(|(_, credits)| u64::from(*credits)).sum::<u64>();
    items.push(EstimateItem {
        kind: ItemKind::Publish,
        label,
        credits,
        index: None,
        detail: ItemDetail::Publish { post_types: post_types_listed, base_credits: card.publish.base, surcharges },
    });
    Ok(())
}

impl CostEstimate {
    /// The estimate as a record for `decodeEstimate` in boundary.js, which knows its layout:
    /// total, version, item count, then per item: kind, label, credits, index (-1 for none),
    /// and a detail tag with its fields. Strings that repeat across calls cross as one slot.
    pub fn write_record(&self, out: &mut Vec<f64>, strings: &mut SentStrings<Label>) {
        strings.begin_record(out);
        out.push(self.total as f64);
        strings.write(&Label::Version(self.rate_card_version.clone()), out);
        out.push(self.items.len() as f64);
        for item in &self.items {
            out.push(item.kind.id());
            strings.write(&item.label, out);
            out.push(item.credits as f64);
            out.push(item.index.map_or(-1.0, f64::from));
            match &item.detail {
                ItemDetail::None => out.push(RECORD_NO_DETAIL),
                ItemDetail::Images { quantity, unit_credits } => {
                    out.extend([RECORD_IMAGES, f64::from(*quantity), f64::from(*unit_credits)]);
                }
                ItemDetail::Publish { post_types, base_credits, surcharges } => {
                    let post_types = post_types.as_slice();
                    out.extend([RECORD_PUBLISH, post_types.len() as f64]);
                    out.extend(post_types.iter().map(|position| {
                        POST_TYPE_CANDIDATES.ids.get(usize::from(*position)).map_or(-1.0, |id| f64::from(*id))
                    }));
                    let surcharges = surcharges.as_slice();
                    out.extend([f64::from(*base_credits), surcharges.len() as f64]);
                    for (platform, credits) in surcharges {
                        out.extend([id_of(platform), f64::from(*credits)]);
                    }
                }
            }
        }
    }
}

/// The estimate as `decodeEstimate` gives it to JS, for host tests of what takes it back.
#[cfg(all(test, not(target_arch = "wasm32")))]
impl CostEstimate {
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        let items = self.items.iter().map(|item| {
            let mut line = json!({"kind": item.kind.as_str(), "label": item.label.text(), "credits": item.credits});
            if let Some(index) = item.index {
                line["index"] = json!(index);
            }
            match &item.detail {
                ItemDetail::None => {}
                ItemDetail::Images { quantity, unit_credits } => {
                    line["quantity"] = json!(quantity);
                    line["unitCredits"] = json!(unit_credits);
                }
                ItemDetail::Publish { post_types, base_credits, surcharges } => {
                    let names: Vec<&str> =
                        post_types.as_slice().iter().map(|at| POST_TYPE_NAMES[usize::from(*at)]).collect();
                    line["postTypes"] = json!(names);
                    line["baseCredits"] = json!(base_credits);
                    line["surcharges"] = surcharges
                        .as_slice()
                        .iter()
                        .map(|(platform, credits)| (platform.to_string(), json!(credits)))
                        .collect();
                }
            }
            line
        });
        json!({"total": self.total, "items": items.collect::<Vec<_>>(), "rateCardVersion": &*self.rate_card_version})
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::value::json::Json;
    use proptest::prelude::*;
    use serde_json::{json, Value as J};

    /// The estimate through the tape, as JS calls it, checked against the same plan read
    /// property by property: the one-pass readers must agree with `get` on every plan.
    fn estimate(plan: J) -> Result<CostEstimate, PowerPostError> {
        let card = RateCard::default_card();
        let mut out = TapeWriter::default();
        crate::tape::from_json(&plan, &mut out);
        let tape = out.finish();
        let through_tape = estimate_cost(&crate::tape::TapeValue::root(&tape), &card);
        assert_eq!(through_tape, estimate_cost(&Json::of(plan), &card));
        through_tape
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
        let labels: Vec<String> = estimate.items.iter().map(|i| i.label.text()).collect();
        let lines: Vec<(&str, &str, u64)> =
            estimate.items.iter().zip(&labels).map(|(i, label)| (i.kind.as_str(), label.as_str(), i.credits)).collect();
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
        assert_eq!(&*estimate.rate_card_version, "2026-11-estimate");
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
        let labels: Vec<String> = estimate.items.iter().map(|i| i.label.text()).collect();
        let lines: Vec<(&str, u64)> =
            labels.iter().zip(&estimate.items).map(|(label, i)| (label.as_str(), i.credits)).collect();
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
                let estimate = estimate(json!({"images": [{"model": &*model.name, "quantity": quantity}]})).unwrap();
                assert_eq!(estimate.items[0].credits, u64::from(model.per_image) * quantity);
                assert_eq!(
                    estimate.items[0].detail,
                    ItemDetail::Images { quantity: quantity as u32, unit_credits: model.per_image }
                );
            }
        }
        assert_eq!(
            estimate(json!({"images": [{"model": "ideogram-3", "quantity": 2}]})).unwrap().items[0].label.text(),
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
            estimate(json!({"videos": [{"durationSeconds": 10, "audio": true}]})).unwrap().items[0].label.text(),
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
        assert_eq!(&*custom.rate_card_version, "2026-11-estimate+custom");
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
            CostEstimate { total: 0, items: vec![], rate_card_version: SharedName::new("2026-11-estimate".into()) }
        );
    }

    #[test]
    fn the_estimate_record_sends_each_label_once() {
        let units = |text: &str| -> Vec<f64> {
            let mut slots = vec![-1.0 - text.encode_utf16().count() as f64];
            slots.extend(text.encode_utf16().map(f64::from));
            slots
        };
        let id = |name: &str| crate::tape::id_of(name);
        let estimate = estimate(sample(&["x-post"])).unwrap();
        let mut strings = SentStrings::default();
        let mut first = Vec::new();
        estimate.write_record(&mut first, &mut strings);
        let mut expected = vec![0.0, 13.0];
        expected.extend(units("2026-11-estimate"));
        expected.extend([3.0, id("caption")]);
        expected.extend(units("Caption, regular research"));
        expected.extend([6.0, -1.0, RECORD_NO_DETAIL, id("image")]);
        expected.extend(units("1 × flux2-flex image"));
        expected.extend([4.0, 0.0, RECORD_IMAGES, 1.0, 4.0, id("publish")]);
        expected.extend(units("Publish to 1 post type (includes X surcharge)"));
        expected.extend([3.0, -1.0, RECORD_PUBLISH, 1.0, id("x-post"), 1.0, 1.0, id("x"), 2.0]);
        assert_eq!(first, expected);

        let mut again = Vec::new();
        estimate.write_record(&mut again, &mut strings);
        assert_eq!(&again[..8], &[4.0, 13.0, 0.0, 3.0, id("caption"), 1.0, 6.0, -1.0], "labels cross as positions");
        let labels: Vec<String> = estimate.items.iter().map(|item| item.label.text()).collect();
        let strings_sent = ["2026-11-estimate", &labels[0], &labels[1], &labels[2]];
        let spelled_out: usize = strings_sent.iter().map(|text| units(text).len()).sum();
        assert_eq!(again.len(), first.len() - spelled_out + strings_sent.len());
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
                Err(error) => prop_assert!(error.field.as_ref().is_some_and(|f| !f.is_empty()), "{}", error.message),
            }
        }
    }
}
