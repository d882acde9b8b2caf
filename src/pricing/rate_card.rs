//! The rate card: what each action costs in whole credits. PowerPost publishes no exact
//! rates, so the built-in card is a versioned estimate and every part of it can be
//! overridden (validated: whole credits, known platforms, full entries for new models).

use std::borrow::Cow;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::vocabulary::{Platform, IMAGE_SIZES, VIDEO_SIZES};
use crate::error::PowerPostError;
use crate::input::{Entries, List, Path, Setting, Text, Whole};

pub(crate) const DEFAULT_VERSION: &str = "2026-11-estimate";
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
    pub sizes: Names,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VideoModelRate {
    pub per_second: u32,
    /// Added per second when audio is on; `None` (`null`) for models without audio.
    pub audio_per_second: Option<u32>,
    pub durations: Cow<'static, [u32]>,
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
        serializer.collect_map(self.0.iter().map(|(name, model)| (name, model)))
    }
}

impl Serialize for Surcharges {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (platform, credits) in self.0.iter() {
            map.serialize_entry(platform.name(), credits)?;
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
    /// The built-in estimate. Chosen so that the documented sample post (regular-research
    /// caption, one default image, published to 3 platforms) costs 11, or 13 with X: inside
    /// the documented 10-15.
    pub(crate) const DEFAULT: RateCard = RateCard {
        version: Cow::Borrowed(DEFAULT_VERSION),
        caption: CaptionRates {
            regular: 6,
            deep: 12,
            per_image_input: 1,
            per_source_url: 1,
            video_input: VideoInputRates { per_unit: 1, unit_seconds: 15 },
        },
        image_models: Models(Cow::Borrowed(&[
            image("flux2-flex", 4, &IMAGE_SIZES),
            image("ideogram-3", 6, &IMAGE_SIZES),
            image("gpt-image-1.5", 8, &IMAGE_SIZES_BUT_FEED),
            image("nano-banana-2", 4, &IMAGE_SIZES),
        ])),
        video_models: Models(Cow::Borrowed(&[
            video("kling-3.0-pro", 4, Some(1), &[5, 10]),
            video("veo-3.1", 8, Some(2), &[4, 8]),
            video("runway-gen-4.5", 5, None, &[5, 10]),
        ])),
        publish: PublishRates { base: 1, surcharges: Surcharges(Cow::Borrowed(&[(Platform::X, 2)])) },
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

type Rate = Whole<0, MAX_RATE>;

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
    pub regular: Option<Rate>,
    pub deep: Option<Rate>,
    pub per_image_input: Option<Rate>,
    pub per_source_url: Option<Rate>,
    pub video_input: Option<VideoInputOverrides>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct VideoInputOverrides {
    pub per_unit: Option<Rate>,
    pub unit_seconds: Option<Whole<1, 3600>>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ImageModelOverride {
    pub per_image: Option<Rate>,
    pub sizes: Option<Sizes>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct VideoModelOverride {
    pub per_second: Option<Rate>,
    /// `null` means the model has no audio.
    #[serde(default)]
    pub audio_per_second: Setting<Rate>,
    pub durations: Option<List<Whole<1, MAX_VIDEO_SECONDS>, 10>>,
    pub sizes: Option<Sizes>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishOverrides {
    pub base: Option<Rate>,
    pub surcharges: Option<Entries<Platform, Rate>>,
}

/// A model name (the key of an `imageModels` or `videoModels` entry) or a size.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ModelName(pub String);

impl<'de> Deserialize<'de> for ModelName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        if name.is_empty() || name.len() > MAX_NAME_LENGTH {
            return Err(serde::de::Error::custom("is not a usable name (1 to 64 characters)"));
        }
        Ok(ModelName(name))
    }
}

type Sizes = List<ModelName, 16>;

impl CaptionOverrides {
    fn apply(&self, rates: &mut CaptionRates) {
        let set = |rate: &mut u32, new: Option<Rate>| *rate = new.map_or(*rate, |Whole(credits)| credits);
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

    #[test]
    fn the_default_card_orders_models_by_quality() {
        let card = RateCard::DEFAULT;
        let price = |name| card.image_models.get(name).unwrap().per_image;
        for premium in ["ideogram-3", "gpt-image-1.5"] {
            assert!(price(premium) > price("flux2-flex") && price(premium) > price("nano-banana-2"), "{premium}");
        }
        assert!(card.caption.deep > card.caption.regular);
        assert!(!card.image_models.get("gpt-image-1.5").unwrap().sizes.iter().any(|s| s == "feed"));
        assert_eq!(card.video_models.get("runway-gen-4.5").unwrap().audio_per_second, None);
        assert_eq!(card.publish.surcharges.of(Platform::X), 2);
        assert_eq!(card.publish.surcharges.of(Platform::Linkedin), 0);
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
        assert_eq!(card["publish"], json!({"base": 1, "surcharges": {"x": 2}}));
        assert_eq!(card["caption"]["videoInput"], json!({"perUnit": 1, "unitSeconds": 15}));
    }
}
