//! The rate card: what each action costs in whole credits, and each rate by name ([`Rate`]).
//! The built-in card holds the amounts a PowerPost integration published and our estimates
//! where nobody published any ([`is_published`]); every part of it can be overridden
//! (validated: whole credits, known platforms, full entries for new models).

use std::borrow::Cow;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::vocabulary::{write_name, write_names, Platform, ResearchMode, WrittenName, IMAGE_SIZES, VIDEO_SIZES};
use crate::error::PowerPostError;
use crate::input::{Entries, List, Path, Setting, Text, Whole};

pub(crate) const DEFAULT_VERSION: &str = "2026-12-published";
/// The most any single rate may be, so that no total can overflow.
pub(crate) const MAX_RATE: u32 = 1_000_000;
const MAX_MODELS: usize = 32;
const MAX_NAME_LENGTH: usize = 64;
/// The longest video a rate card may offer, in seconds.
pub(crate) const MAX_VIDEO_SECONDS: u32 = 600;

/// What `defaultRateCard()` returns, and what estimates are priced with. The built-in card is
/// a `const` of borrowed data, so pricing with it allocates nothing; an override copies what
/// it changes.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RateCard {
    #[serde(serialize_with = "write_name")]
    pub version: Cow<'static, str>,
    pub caption: CaptionRates,
    pub image_models: Models<ImageModelRate>,
    pub video_models: Models<VideoModelRate>,
    pub publish: PublishRates,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CaptionRates {
    pub regular: u32,
    pub deep: u32,
    pub per_image_input: u32,
    pub per_source_url: u32,
    pub video_input: VideoInputRates,
}

/// Video analysis costs `per_unit` for every started `unit_seconds` of video.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VideoInputRates {
    pub per_unit: u32,
    pub unit_seconds: u32,
}

/// Names: of models, of sizes.
pub(crate) type Names = Cow<'static, [Cow<'static, str>]>;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageModelRate {
    pub per_image: u32,
    #[serde(serialize_with = "write_names")]
    pub sizes: Names,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VideoModelRate {
    pub per_second: u32,
    /// Added per second when audio is on; `None` (`null`) for models without audio.
    pub audio_per_second: Option<u32>,
    pub durations: Cow<'static, [u32]>,
    #[serde(serialize_with = "write_names")]
    pub sizes: Names,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct PublishRates {
    /// Per publish action, however many post types it covers.
    pub base: u32,
    /// Added once per publish action that includes a post type of the platform.
    pub surcharges: Surcharges,
}

/// Models by name, in the card's order; a JS object of entries.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Models<T: 'static + Clone>(pub Cow<'static, [(Cow<'static, str>, T)]>);

impl<T: Clone> Models<T> {
    #[cfg(all(test, not(target_arch = "wasm32")))]
    pub(crate) fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(known, _)| known == name).map(|(_, model)| model)
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(name, _)| name.as_ref())
    }
}

/// Credits by platform, in order; a JS object of entries (`{ x: 2 }`).
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Surcharges(pub Cow<'static, [(Platform, u32)]>);

impl Surcharges {
    pub(crate) fn of(&self, platform: Platform) -> u32 {
        self.0.iter().find(|(known, _)| *known == platform).map_or(0, |(_, credits)| *credits)
    }

    pub(crate) fn set(&mut self, platform: Platform, credits: u32) {
        let surcharges = self.0.to_mut();
        match surcharges.iter_mut().find(|(known, _)| *known == platform) {
            Some(entry) => entry.1 = credits,
            None => surcharges.push((platform, credits)),
        }
    }
}

impl<T: Serialize + Clone> Serialize for Models<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(name, model)| (WrittenName(name), model)))
    }
}

impl Serialize for Surcharges {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (platform, credits) in self.0.iter() {
            map.serialize_entry(platform, credits)?;
        }
        map.end()
    }
}

const fn names(items: &'static [Cow<'static, str>]) -> Names {
    Cow::Borrowed(items)
}

/// `gpt-image-1.5` has no `feed`.
const IMAGE_SIZES_BUT_FEED: [Cow<'static, str>; 3] =
    [Cow::Borrowed("square"), Cow::Borrowed("portrait"), Cow::Borrowed("landscape")];

const fn image(
    name: &'static str,
    per_image: u32,
    sizes: &'static [Cow<'static, str>],
) -> (Cow<'static, str>, ImageModelRate) {
    (Cow::Borrowed(name), ImageModelRate { per_image, sizes: names(sizes) })
}

const fn video(
    name: &'static str,
    per_second: u32,
    audio_per_second: Option<u32>,
    durations: &'static [u32],
) -> (Cow<'static, str>, VideoModelRate) {
    let rate = VideoModelRate {
        per_second,
        audio_per_second,
        durations: Cow::Borrowed(durations),
        sizes: names(&VIDEO_SIZES),
    };
    (Cow::Borrowed(name), rate)
}

impl RateCard {
    /// The built-in card: the amounts a PowerPost integration published in February-March
    /// 2026 (caption, image and publish rates; video analysis as 6 a started minute), and our
    /// estimates for what nobody published (source URLs, video generation). The documented
    /// sample post (regular-research caption, one default image, published to 3 platforms)
    /// costs 12, or 15 with X: inside the documented 10-15.
    pub(crate) const DEFAULT: RateCard = RateCard {
        version: Cow::Borrowed(DEFAULT_VERSION),
        caption: CaptionRates {
            regular: 6,
            deep: 8,
            per_image_input: 1,
            per_source_url: 1,
            video_input: VideoInputRates { per_unit: 6, unit_seconds: 60 },
        },
        image_models: Models(Cow::Borrowed(&[
            image("flux2-flex", 5, &IMAGE_SIZES),
            image("ideogram-3", 6, &IMAGE_SIZES),
            image("gpt-image-1.5", 14, &IMAGE_SIZES_BUT_FEED),
            image("nano-banana-2", 6, &IMAGE_SIZES),
        ])),
        video_models: Models(Cow::Borrowed(&[
            video("kling-3.0-pro", 4, Some(1), &[5, 10]),
            video("veo-3.1", 8, Some(2), &[4, 8]),
            video("runway-gen-4.5", 5, None, &[5, 10]),
        ])),
        publish: PublishRates { base: 1, surcharges: Surcharges(Cow::Borrowed(&[(Platform::X, 3)])) },
    };

    /// This card with `overrides` merged over it; `at` names the overrides in errors
    /// (`rateCard`, `options.rateCard`). Without a `version` of its own, the result's version
    /// is this one's plus `+custom`.
    pub(crate) fn with_overrides(&self, overrides: &RateCardOverrides, at: &Path) -> Result<RateCard, PowerPostError> {
        let mut card = self.clone();
        card.version = match &overrides.version {
            Some(Text(version)) if version.is_empty() => return Err(at.key("version").invalid("must not be empty")),
            Some(Text(version)) => Cow::Owned(version.clone()),
            None => Cow::Owned(format!("{}+custom", self.version)),
        };
        if let Some(caption) = &overrides.caption {
            caption.apply(&mut card.caption);
        }
        if let Some(models) = &overrides.image_models {
            merge_models(&mut card.image_models, models, &at.key("imageModels"), ImageModelOverride::merge)?;
        }
        if let Some(models) = &overrides.video_models {
            merge_models(&mut card.video_models, models, &at.key("videoModels"), VideoModelOverride::merge)?;
        }
        if let Some(publish) = &overrides.publish {
            publish.apply(&mut card.publish);
        }
        Ok(card)
    }
}

/// One rate of a card, by what it prices; models by their place on the card. Written as its
/// path in the card (`imageModels.flux2-flex.perImage`), as the catalogue and calibration name
/// it. In each action's order: its own rate first, then what it adds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Rate {
    Caption(ResearchMode),
    CaptionImageInput,
    CaptionVideoInput,
    CaptionSourceUrl,
    ImagePerImage(usize),
    VideoPerSecond(usize),
    VideoAudioPerSecond(usize),
    PublishBase,
    PublishSurcharge(Platform),
}

impl Rate {
    /// Where a rate stands among all rates: by action (caption, each image model, each video
    /// model, publishing), then the action's own rate before what it adds. Rates of different
    /// actions (the first two numbers) never price the same charge.
    pub(crate) fn order(self) -> (u8, usize, usize) {
        match self {
            Self::Caption(ResearchMode::Regular) => (0, 0, 0),
            Self::Caption(ResearchMode::Deep) => (0, 0, 1),
            Self::CaptionImageInput => (0, 0, 2),
            Self::CaptionVideoInput => (0, 0, 3),
            Self::CaptionSourceUrl => (0, 0, 4),
            Self::ImagePerImage(model) => (1, model, 0),
            Self::VideoPerSecond(model) => (2, model, 0),
            Self::VideoAudioPerSecond(model) => (2, model, 1),
            Self::PublishBase => (3, 0, 0),
            Self::PublishSurcharge(platform) => {
                (3, 0, 1 + Platform::ALL.iter().position(|p| *p == platform).unwrap_or(0))
            }
        }
    }
}

/// Whether the built-in card's `rate` is an amount PowerPost's integration published (else it
/// is our estimate): every caption rate but source URLs, every image model, publishing's base
/// and the X surcharge.
pub(crate) fn is_published(rate: Rate) -> bool {
    match rate {
        Rate::CaptionSourceUrl | Rate::VideoPerSecond(_) | Rate::VideoAudioPerSecond(_) => false,
        Rate::PublishSurcharge(platform) => platform == Platform::X,
        _ => true,
    }
}

impl RateCard {
    /// Every rate on the card, in its order: a surcharge only where the card has one.
    pub(crate) fn rates(&self) -> Vec<Rate> {
        let mut rates = vec![
            Rate::Caption(ResearchMode::Regular),
            Rate::Caption(ResearchMode::Deep),
            Rate::CaptionImageInput,
            Rate::CaptionVideoInput,
            Rate::CaptionSourceUrl,
        ];
        rates.extend((0..self.image_models.0.len()).map(Rate::ImagePerImage));
        for (model, (_, rate)) in self.video_models.0.iter().enumerate() {
            rates.push(Rate::VideoPerSecond(model));
            if rate.audio_per_second.is_some() {
                rates.push(Rate::VideoAudioPerSecond(model));
            }
        }
        rates.push(Rate::PublishBase);
        rates.extend(self.publish.surcharges.0.iter().map(|(platform, _)| Rate::PublishSurcharge(*platform)));
        rates
    }

    /// What `rate` is on this card: 0 for a platform without a surcharge, `None` for a model
    /// the card lacks or audio on a model without it.
    pub(crate) fn rate(&self, rate: Rate) -> Option<u32> {
        let caption = &self.caption;
        match rate {
            Rate::Caption(ResearchMode::Regular) => Some(caption.regular),
            Rate::Caption(ResearchMode::Deep) => Some(caption.deep),
            Rate::CaptionImageInput => Some(caption.per_image_input),
            Rate::CaptionVideoInput => Some(caption.video_input.per_unit),
            Rate::CaptionSourceUrl => Some(caption.per_source_url),
            Rate::ImagePerImage(model) => self.image_models.0.get(model).map(|(_, rate)| rate.per_image),
            Rate::VideoPerSecond(model) => self.video_models.0.get(model).map(|(_, rate)| rate.per_second),
            Rate::VideoAudioPerSecond(model) => self.video_models.0.get(model)?.1.audio_per_second,
            Rate::PublishBase => Some(self.publish.base),
            Rate::PublishSurcharge(platform) => Some(self.publish.surcharges.of(platform)),
        }
    }

    /// Sets `rate`, one [`rate`](Self::rate) gives: copies only the part of the card it is in.
    pub(crate) fn set_rate(&mut self, rate: Rate, credits: u32) {
        let caption = &mut self.caption;
        match rate {
            Rate::Caption(ResearchMode::Regular) => caption.regular = credits,
            Rate::Caption(ResearchMode::Deep) => caption.deep = credits,
            Rate::CaptionImageInput => caption.per_image_input = credits,
            Rate::CaptionVideoInput => caption.video_input.per_unit = credits,
            Rate::CaptionSourceUrl => caption.per_source_url = credits,
            Rate::ImagePerImage(model) => self.image_models.0.to_mut()[model].1.per_image = credits,
            Rate::VideoPerSecond(model) => self.video_models.0.to_mut()[model].1.per_second = credits,
            Rate::VideoAudioPerSecond(model) => self.video_models.0.to_mut()[model].1.audio_per_second = Some(credits),
            Rate::PublishBase => self.publish.base = credits,
            Rate::PublishSurcharge(platform) => self.publish.surcharges.set(platform, credits),
        }
    }

    /// `rate`'s keys in the card as JS sees it: `["imageModels", "flux2-flex", "perImage"]`.
    pub(crate) fn rate_keys(&self, rate: Rate) -> Vec<Cow<'static, str>> {
        let text = Cow::Borrowed;
        let image = |index: usize| self.image_models.0[index].0.clone();
        let video = |index: usize| self.video_models.0[index].0.clone();
        match rate {
            Rate::Caption(mode) => vec![text("caption"), text(mode.name())],
            Rate::CaptionImageInput => vec![text("caption"), text("perImageInput")],
            Rate::CaptionVideoInput => vec![text("caption"), text("videoInput"), text("perUnit")],
            Rate::CaptionSourceUrl => vec![text("caption"), text("perSourceUrl")],
            Rate::ImagePerImage(index) => vec![text("imageModels"), image(index), text("perImage")],
            Rate::VideoPerSecond(index) => vec![text("videoModels"), video(index), text("perSecond")],
            Rate::VideoAudioPerSecond(index) => vec![text("videoModels"), video(index), text("audioPerSecond")],
            Rate::PublishBase => vec![text("publish"), text("base")],
            Rate::PublishSurcharge(platform) => vec![text("publish"), text("surcharges"), text(platform.name())],
        }
    }

    /// `rate`'s path in the card: `caption.deep`, `imageModels.flux2-flex.perImage`.
    pub(crate) fn rate_path(&self, rate: Rate) -> String {
        self.rate_keys(rate).join(".")
    }
}

type RateOverride = Whole<0, MAX_RATE>;

/// `RateCardOverrides`: any part of a rate card, merged over the built-in one.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RateCardOverrides {
    pub version: Option<Text>,
    pub caption: Option<CaptionOverrides>,
    pub image_models: Option<Entries<ModelName, ImageModelOverride>>,
    pub video_models: Option<Entries<ModelName, VideoModelOverride>>,
    pub publish: Option<PublishOverrides>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CaptionOverrides {
    pub regular: Option<RateOverride>,
    pub deep: Option<RateOverride>,
    pub per_image_input: Option<RateOverride>,
    pub per_source_url: Option<RateOverride>,
    pub video_input: Option<VideoInputOverrides>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct VideoInputOverrides {
    pub per_unit: Option<RateOverride>,
    pub unit_seconds: Option<Whole<1, 3600>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ImageModelOverride {
    pub per_image: Option<RateOverride>,
    pub sizes: Option<Sizes>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct VideoModelOverride {
    pub per_second: Option<RateOverride>,
    /// `null` means the model has no audio.
    #[serde(default)]
    pub audio_per_second: Setting<RateOverride>,
    pub durations: Option<List<Whole<1, MAX_VIDEO_SECONDS>, 10>>,
    pub sizes: Option<Sizes>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishOverrides {
    pub base: Option<RateOverride>,
    pub surcharges: Option<Entries<Platform, RateOverride>>,
}

/// A model name (the key of an `imageModels` or `videoModels` entry) or a size.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ModelName(pub String);

impl<'de> Deserialize<'de> for ModelName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if name.is_empty() || name.len() > MAX_NAME_LENGTH {
            return Err(serde::de::Error::custom(format_args!(
                "is not a usable name (1 to {MAX_NAME_LENGTH} characters)"
            )));
        }
        Ok(ModelName(name))
    }
}

type Sizes = List<ModelName, 16>;

impl CaptionOverrides {
    fn apply(&self, rates: &mut CaptionRates) {
        let set = |rate: &mut u32, new: Option<RateOverride>| *rate = new.map_or(*rate, |Whole(credits)| credits);
        set(&mut rates.regular, self.regular);
        set(&mut rates.deep, self.deep);
        set(&mut rates.per_image_input, self.per_image_input);
        set(&mut rates.per_source_url, self.per_source_url);
        if let Some(video) = &self.video_input {
            set(&mut rates.video_input.per_unit, video.per_unit);
            rates.video_input.unit_seconds = video.unit_seconds.map_or(rates.video_input.unit_seconds, |Whole(s)| s);
        }
    }
}

impl PublishOverrides {
    fn apply(&self, rates: &mut PublishRates) {
        if let Some(Whole(base)) = self.base {
            rates.base = base;
        }
        for (platform, Whole(credits)) in self.surcharges.iter().flat_map(|entries| &entries.0) {
            rates.surcharges.set(*platform, *credits);
        }
    }
}

/// Merges `{ [model]: partial entry }` into `models`; `merge` gets the existing entry, if
/// any, and must make a complete one.
fn merge_models<O, M: Clone>(
    models: &mut Models<M>,
    overrides: &Entries<ModelName, O>,
    at: &Path,
    merge: fn(&O, Option<&M>, &Path) -> Result<M, PowerPostError>,
) -> Result<(), PowerPostError> {
    if overrides.0.len() > MAX_MODELS {
        return Err(at.invalid("has too many models"));
    }
    let models = models.0.to_mut();
    for (ModelName(name), entry) in &overrides.0 {
        let entry_at = at.key(name);
        match models.iter_mut().find(|(known, _)| known == name) {
            Some((_, model)) => *model = merge(entry, Some(model), &entry_at)?,
            None => models.push((Cow::Owned(name.clone()), merge(entry, None, &entry_at)?)),
        }
    }
    Ok(())
}

/// An override's value, else the existing entry's, else an error: a model not on the card
/// needs its full entry.
fn merged<T>(given: Option<T>, existing: Option<T>, at: &Path, field: &str) -> Result<T, PowerPostError> {
    given.or(existing).ok_or_else(|| at.key(field).invalid("is required for a model not on the rate card"))
}

fn sizes(sizes: &Option<Sizes>, at: &Path) -> Result<Option<Names>, PowerPostError> {
    match sizes {
        None => Ok(None),
        Some(List(sizes)) if sizes.is_empty() => Err(at.key("sizes").invalid("must list at least one size")),
        Some(List(sizes)) => Ok(Some(sizes.iter().map(|ModelName(size)| Cow::Owned(size.clone())).collect())),
    }
}

impl ImageModelOverride {
    fn merge(&self, existing: Option<&ImageModelRate>, at: &Path) -> Result<ImageModelRate, PowerPostError> {
        Ok(ImageModelRate {
            per_image: merged(self.per_image.map(|Whole(c)| c), existing.map(|m| m.per_image), at, "perImage")?,
            sizes: merged(sizes(&self.sizes, at)?, existing.map(|m| m.sizes.clone()), at, "sizes")?,
        })
    }
}

impl VideoModelOverride {
    fn merge(&self, existing: Option<&VideoModelRate>, at: &Path) -> Result<VideoModelRate, PowerPostError> {
        let audio_per_second = match self.audio_per_second {
            Setting::Unset => merged(None, existing.map(|m| m.audio_per_second), at, "audioPerSecond")?,
            Setting::Cleared => None,
            Setting::To(Whole(credits)) => Some(credits),
        };
        let durations = match &self.durations {
            None => None,
            Some(List(durations)) if durations.is_empty() => {
                return Err(at.key("durations").invalid("must list at least one duration"))
            }
            Some(List(durations)) => Some(durations.iter().map(|Whole(seconds)| *seconds).collect::<Vec<_>>().into()),
        };
        Ok(VideoModelRate {
            per_second: merged(self.per_second.map(|Whole(c)| c), existing.map(|m| m.per_second), at, "perSecond")?,
            audio_per_second,
            durations: merged(durations, existing.map(|m| m.durations.clone()), at, "durations")?,
            sizes: merged(sizes(&self.sizes, at)?, existing.map(|m| m.sizes.clone()), at, "sizes")?,
        })
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;
    use serde_json::json;

    fn overridden(overrides: serde_json::Value) -> Result<RateCard, PowerPostError> {
        let at = Path::argument("rateCard");
        let overrides: RateCardOverrides = crate::input::from_json(overrides, &at)?;
        RateCard::DEFAULT.with_overrides(&overrides, &at)
    }

    /// What PowerPost's integration published (../shared/POWERPOST.md), rate by rate.
    const PUBLISHED: [(&str, u32); 12] = [
        ("caption.regular", 6),
        ("caption.deep", 8),
        ("caption.perImageInput", 1),
        ("caption.videoInput.perUnit", 6),
        ("imageModels.flux2-flex.perImage", 5),
        ("imageModels.ideogram-3.perImage", 6),
        ("imageModels.gpt-image-1.5.perImage", 14),
        ("imageModels.nano-banana-2.perImage", 6),
        ("publish.base", 1),
        ("publish.surcharges.x", 3),
        ("caption.perSourceUrl", 0),
        ("videoModels.kling-3.0-pro.perSecond", 0),
    ];

    #[test]
    fn the_default_card_holds_the_published_amounts_and_says_which_rates_they_are() {
        let card = RateCard::DEFAULT;
        let published: Vec<(String, u32)> = card
            .rates()
            .into_iter()
            .filter(|rate| is_published(*rate))
            .map(|rate| (card.rate_path(rate), card.rate(rate).unwrap()))
            .collect();
        let expected: Vec<(String, u32)> = PUBLISHED[..10].iter().map(|(path, c)| (path.to_string(), *c)).collect();
        let sorted = |mut list: Vec<(String, u32)>| {
            list.sort();
            list
        };
        assert_eq!(sorted(published), sorted(expected));
        assert_eq!(card.caption.video_input.unit_seconds, 60, "video analysis: 6 a started minute");
        for (path, _) in &PUBLISHED[10..] {
            let rate = card.rates().into_iter().find(|rate| card.rate_path(*rate) == *path).unwrap();
            assert!(!is_published(rate), "{path} is our estimate");
        }
        assert!(!card.image_models.get("gpt-image-1.5").unwrap().sizes.iter().any(|s| s == "feed"));
        assert_eq!(card.video_models.get("runway-gen-4.5").unwrap().audio_per_second, None);
        assert_eq!(card.publish.surcharges.of(Platform::Linkedin), 0);
    }

    #[test]
    fn every_rate_is_named_by_its_path_in_the_card_as_js_sees_it() {
        let card = RateCard::DEFAULT;
        let json = serde_json::to_value(&card).unwrap();
        let rates = card.rates();
        assert_eq!(rates.len(), 5 + 4 + 3 + 2 + 2, "caption, images, videos with and without audio, publish");
        for rate in rates {
            let path = card.rate_path(rate);
            // Model names hold dots (`gpt-image-1.5`): a model's rate is its list, name and field.
            let value = match path.split_once('.') {
                Some((list @ ("imageModels" | "videoModels"), rest)) => {
                    let (model, field) = rest.rsplit_once('.').unwrap();
                    &json[list][model][field]
                }
                _ => path.split('.').fold(&json, |value, key| &value[key]),
            };
            assert_eq!(value.as_u64(), card.rate(rate).map(u64::from), "{path}");
            let mut changed = card.clone();
            changed.set_rate(rate, 999);
            assert_eq!(changed.rate(rate), Some(999), "{path}");
            assert_eq!(changed.rates().iter().filter(|other| changed.rate(**other) == Some(999)).count(), 1, "{path}");
        }
        assert_eq!(card.rate(Rate::ImagePerImage(99)), None);
        assert_eq!(card.rate(Rate::VideoAudioPerSecond(2)), None, "runway-gen-4.5 has no audio");
        assert_eq!(card.rate(Rate::PublishSurcharge(Platform::Tiktok)), Some(0));
    }

    #[test]
    fn overrides_change_only_what_they_name() {
        let card =
            overridden(json!({"imageModels": {"flux2-flex": {"perImage": 9}}, "publish": {"surcharges": {"x": 5}}}))
                .unwrap();
        let default = RateCard::DEFAULT;
        assert_eq!(card.image_models.get("flux2-flex").unwrap().per_image, 9);
        assert_eq!(
            card.image_models.get("flux2-flex").unwrap().sizes,
            default.image_models.get("flux2-flex").unwrap().sizes
        );
        assert_eq!(card.publish.surcharges.of(Platform::X), 5);
        assert_eq!(card.caption, default.caption);
        assert_eq!(card.video_models, default.video_models);
        assert_eq!(card.version, format!("{DEFAULT_VERSION}+custom"));
        assert!(matches!(card.video_models.0, Cow::Borrowed(_)), "what no override touches stays borrowed");
        assert_eq!(overridden(json!({"version": "acme-1"})).unwrap().version, "acme-1");
    }

    #[test]
    fn new_models_need_full_entries() {
        let card = overridden(json!({"imageModels": {"brand-new": {"perImage": 3, "sizes": ["square"]}},
            "videoModels": {"vid-x": {"perSecond": 2, "audioPerSecond": null, "durations": [6], "sizes": ["portrait"]}}}))
        .unwrap();
        assert_eq!(card.image_models.get("brand-new").unwrap().per_image, 3);
        assert_eq!(card.video_models.get("vid-x").unwrap().audio_per_second, None);
        let error = overridden(json!({"imageModels": {"brand-new": {"perImage": 3}}})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("rateCard.imageModels.brand-new.sizes"));
        let error =
            overridden(json!({"videoModels": {"vid-x": {"perSecond": 2, "durations": [6], "sizes": ["portrait"]}}}))
                .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("rateCard.videoModels.vid-x.audioPerSecond"));
    }

    #[test]
    fn names_and_model_counts_are_allowed_up_to_their_limits() {
        let entry = || json!({"perImage": 1, "sizes": ["square"]});
        let longest = "m".repeat(MAX_NAME_LENGTH);
        assert!(overridden(json!({"imageModels": { longest.clone(): entry() }})).is_ok());
        let error = overridden(json!({"imageModels": { format!("{longest}m"): entry() }})).unwrap_err();
        assert!(error.message.ends_with("is not a usable name (1 to 64 characters)"), "{}", error.message);
        let models = |count: usize| serde_json::Value::Object((0..count).map(|n| (format!("m{n}"), entry())).collect());
        assert!(overridden(json!({ "imageModels": models(MAX_MODELS) })).is_ok());
        let error = overridden(json!({ "imageModels": models(MAX_MODELS + 1) })).unwrap_err();
        assert_eq!(error.message, "rateCard.imageModels has too many models");
    }

    #[test]
    fn audio_can_be_switched_off_and_kept() {
        let card = overridden(
            json!({"videoModels": {"veo-3.1": {"audioPerSecond": null}, "kling-3.0-pro": {"perSecond": 5}}}),
        )
        .unwrap();
        assert_eq!(card.video_models.get("veo-3.1").unwrap().audio_per_second, None);
        assert_eq!(card.video_models.get("kling-3.0-pro").unwrap().audio_per_second, Some(1));
    }

    #[test]
    fn bad_overrides_name_their_field() {
        let cases = [
            (json!({"caption": {"deep": -1}}), "rateCard.caption.deep"),
            (json!({"caption": {"deep": 1.5}}), "rateCard.caption.deep"),
            (json!({"caption": {"regular": "3"}}), "rateCard.caption.regular"),
            (json!({"caption": {"videoInput": {"unitSeconds": 0}}}), "rateCard.caption.videoInput.unitSeconds"),
            (json!({"caption": {"deeep": 3}}), "rateCard.caption.deeep"),
            (
                json!({"imageModels": {"flux2-flex": {"perImage": 2_000_000}}}),
                "rateCard.imageModels.flux2-flex.perImage",
            ),
            (json!({"imageModels": {"flux2-flex": {"sizes": []}}}), "rateCard.imageModels.flux2-flex.sizes"),
            (json!({"imageModels": {"flux2-flex": 3}}), "rateCard.imageModels.flux2-flex"),
            (json!({"videoModels": {"veo-3.1": {"durations": [0]}}}), "rateCard.videoModels.veo-3.1.durations[0]"),
            (json!({"videoModels": {"veo-3.1": {"durations": []}}}), "rateCard.videoModels.veo-3.1.durations"),
            (
                json!({"videoModels": {"veo-3.1": {"audioPerSecond": "yes"}}}),
                "rateCard.videoModels.veo-3.1.audioPerSecond",
            ),
            (json!({"publish": {"surcharges": {"myspace": 1}}}), "rateCard.publish.surcharges.myspace"),
            (json!({"publish": {"base": "1"}}), "rateCard.publish.base"),
            (json!({"version": ""}), "rateCard.version"),
            (json!([]), "rateCard"),
        ];
        for (overrides, field) in cases {
            let error = overridden(overrides.clone()).expect_err(&overrides.to_string());
            assert_eq!(error.field.as_deref(), Some(field), "{overrides}: {}", error.message);
        }
        let long_name = "m".repeat(MAX_NAME_LENGTH + 1);
        let error = overridden(json!({ "imageModels": { &long_name: {"perImage": 3} } })).unwrap_err();
        assert_eq!(error.field, Some(format!("rateCard.imageModels.{long_name}")));
        let models: serde_json::Map<String, serde_json::Value> =
            (0..=MAX_MODELS).map(|n| (format!("m{n}"), json!({"perImage": 1, "sizes": ["square"]}))).collect();
        let error = overridden(json!({ "imageModels": models })).unwrap_err();
        assert_eq!(error.message, "rateCard.imageModels has too many models");
    }

    #[test]
    fn null_overrides_are_not_given() {
        assert_eq!(overridden(json!({"publish": {"base": null}, "caption": null})).unwrap().publish.base, 1);
    }

    #[test]
    fn the_card_writes_itself_as_json() {
        let card = serde_json::to_value(RateCard::DEFAULT).unwrap();
        assert_eq!(card["version"], DEFAULT_VERSION);
        assert_eq!(card["imageModels"]["gpt-image-1.5"]["sizes"], json!(["square", "portrait", "landscape"]));
        assert_eq!(card["videoModels"]["runway-gen-4.5"]["audioPerSecond"], json!(null));
        assert_eq!(card["publish"], json!({"base": 1, "surcharges": {"x": 3}}));
        assert_eq!(card["caption"]["videoInput"], json!({"perUnit": 6, "unitSeconds": 60}));
    }
}
