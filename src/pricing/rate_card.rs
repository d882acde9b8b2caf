//! The rate card: what each action costs in whole credits. PowerPost publishes no exact
//! rates, so the built-in card is a versioned estimate and every part of it can be
//! overridden (validated: whole credits, known platforms, full entries for new models).

use crate::prelude::*;

use crate::error::PowerPostError;
use crate::pricing::catalogue::{IMAGE_SIZES, PLATFORMS, VIDEO_SIZES};
use crate::tape::TapeWriter;
use crate::text::concat;
use alloc::rc::Rc;

use crate::value::{optional_array, optional_text, optional_whole, reject_unknown_keys, require_object, Path, Value};

pub const DEFAULT_VERSION: &str = "2026-11-estimate";
/// The most any single rate may be, so that no total can overflow.
pub const MAX_RATE: u32 = 1_000_000;
const MAX_MODELS: u32 = 32;
const MAX_NAME_LENGTH: u32 = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct RateCard {
    /// Shared with every estimate made from this card.
    pub version: SharedName,
    pub caption: CaptionRates,
    pub image_models: Vec<ImageModelRate>,
    pub video_models: Vec<VideoModelRate>,
    pub publish: PublishRates,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaptionRates {
    pub regular: u32,
    pub deep: u32,
    pub per_image_input: u32,
    pub per_source_url: u32,
    /// Video analysis costs `per_unit` for every started `unit_seconds` of video.
    pub video_input_per_unit: u32,
    pub video_input_unit_seconds: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ImageModelRate {
    /// Shared with the labels of estimates that use the model.
    pub name: SharedName,
    pub per_image: u32,
    pub sizes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct VideoModelRate {
    pub name: SharedName,
    pub per_second: u32,
    /// Added per second when audio is on; `None` for models without audio.
    pub audio_per_second: Option<u32>,
    pub durations: Vec<u32>,
    pub sizes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PublishRates {
    /// Per publish action, however many post types it covers.
    pub base: u32,
    /// Added once per publish action that includes a post type of the platform.
    pub surcharges: Vec<(&'static str, u32)>,
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| String::from(*item)).collect()
}

/// A model name or card version, shared by the card and every label citing it. An
/// `Rc<String>`, not an `Rc<str>`: building an `Rc<str>` checks a layout, and that panic's
/// message would keep core's formatting in the wasm.
pub type SharedName = Rc<String>;

fn shared(name: &str) -> SharedName {
    Rc::new(String::from(name))
}

impl RateCard {
    /// The built-in estimate. Chosen so that the documented sample post (regular-research
    /// caption, one default image, published to 3 platforms) costs 11, or 13 with X: inside
    /// the documented 10-15.
    pub fn default_card() -> Self {
        let image = |name: &str, per_image, sizes: &[&str]| ImageModelRate {
            name: shared(name),
            per_image,
            sizes: strings(sizes),
        };
        let video = |name: &str, per_second, audio_per_second, durations: &[u32]| VideoModelRate {
            name: shared(name),
            per_second,
            audio_per_second,
            durations: durations.to_vec(),
            sizes: strings(&VIDEO_SIZES),
        };
        RateCard {
            version: shared(DEFAULT_VERSION),
            caption: CaptionRates {
                regular: 6,
                deep: 12,
                per_image_input: 1,
                per_source_url: 1,
                video_input_per_unit: 1,
                video_input_unit_seconds: 15,
            },
            image_models: vec![
                image("flux2-flex", 4, &IMAGE_SIZES),
                image("ideogram-3", 6, &IMAGE_SIZES),
                image("gpt-image-1.5", 8, &["square", "portrait", "landscape"]),
                image("nano-banana-2", 4, &IMAGE_SIZES),
            ],
            video_models: vec![
                video("kling-3.0-pro", 4, Some(1), &[5, 10]),
                video("veo-3.1", 8, Some(2), &[4, 8]),
                video("runway-gen-4.5", 5, None, &[5, 10]),
            ],
            publish: PublishRates { base: 1, surcharges: vec![("x", 2)] },
        }
    }

    pub fn image_model(&self, name: &str) -> Option<&ImageModelRate> {
        self.image_models.iter().find(|model| *model.name == name)
    }

    pub fn video_model(&self, name: &str) -> Option<&VideoModelRate> {
        self.video_models.iter().find(|model| *model.name == name)
    }

    pub fn surcharge(&self, platform: &str) -> u32 {
        self.publish.surcharges.iter().find(|(name, _)| *name == platform).map_or(0, |(_, credits)| *credits)
    }

    /// This card with `overrides` (a deep-partial rate card) merged over it. Without a
    /// `version` of its own, the result's version is this one's plus `+custom`.
    pub fn with_overrides<V: Value>(&self, overrides: &V, path: &Path) -> Result<RateCard, PowerPostError> {
        let mut card = self.clone();
        if overrides.is_undefined() {
            return Ok(card);
        }
        require_object(overrides, path)?;
        reject_unknown_keys(overrides, path, &["version", "caption", "imageModels", "videoModels", "publish"])?;
        card.version = match optional_text(&overrides.get("version"), &path.key("version"))? {
            Some(version) if !version.is_empty() => Rc::new(version),
            Some(_) => return Err(path.key("version").invalid("must not be empty")),
            None => Rc::new(concat(&[&self.version, "+custom"])),
        };
        override_caption(&mut card.caption, &overrides.get("caption"), &path.key("caption"))?;
        override_models(
            &mut card.image_models,
            &overrides.get("imageModels"),
            &path.key("imageModels"),
            override_image_model,
        )?;
        override_models(
            &mut card.video_models,
            &overrides.get("videoModels"),
            &path.key("videoModels"),
            override_video_model,
        )?;
        override_publish(&mut card.publish, &overrides.get("publish"), &path.key("publish"))?;
        Ok(card)
    }

    pub fn write_tape(&self, out: &mut TapeWriter) {
        let caption = &self.caption;
        out.begin_object().field_str("version", &self.version);
        out.key("caption").begin_object();
        out.field_uint("regular", caption.regular.into()).field_uint("deep", caption.deep.into());
        out.field_uint("perImageInput", caption.per_image_input.into())
            .field_uint("perSourceUrl", caption.per_source_url.into());
        out.key("videoInput").begin_object();
        out.field_uint("perUnit", caption.video_input_per_unit.into());
        out.field_uint("unitSeconds", caption.video_input_unit_seconds.into());
        out.end_object().end_object();
        out.key("imageModels").begin_object();
        for model in &self.image_models {
            out.key(&model.name).begin_object().field_uint("perImage", model.per_image.into());
            write_strings(out, "sizes", &model.sizes);
            out.end_object();
        }
        out.end_object().key("videoModels").begin_object();
        for model in &self.video_models {
            out.key(&model.name).begin_object().field_uint("perSecond", model.per_second.into()).key("audioPerSecond");
            match model.audio_per_second {
                Some(credits) => out.uint(credits.into()),
                None => out.null(),
            };
            out.key("durations").begin_array();
            for seconds in &model.durations {
                out.uint((*seconds).into());
            }
            out.end_array();
            write_strings(out, "sizes", &model.sizes);
            out.end_object();
        }
        out.end_object().key("publish").begin_object().field_uint("base", self.publish.base.into());
        out.key("surcharges").begin_object();
        for (platform, credits) in &self.publish.surcharges {
            out.field_uint(platform, (*credits).into());
        }
        out.end_object().end_object().end_object();
    }
}

fn write_strings(out: &mut TapeWriter, key: &str, values: &[String]) {
    out.key(key).begin_array();
    for value in values {
        out.string(value);
    }
    out.end_array();
}

fn rate<V: Value>(value: &V, path: &Path, current: u32) -> Result<u32, PowerPostError> {
    Ok(optional_whole(value, path, 0, MAX_RATE)?.unwrap_or(current))
}

fn override_caption<V: Value>(rates: &mut CaptionRates, overrides: &V, path: &Path) -> Result<(), PowerPostError> {
    if overrides.is_undefined() {
        return Ok(());
    }
    require_object(overrides, path)?;
    reject_unknown_keys(overrides, path, &["regular", "deep", "perImageInput", "perSourceUrl", "videoInput"])?;
    rates.regular = rate(&overrides.get("regular"), &path.key("regular"), rates.regular)?;
    rates.deep = rate(&overrides.get("deep"), &path.key("deep"), rates.deep)?;
    rates.per_image_input = rate(&overrides.get("perImageInput"), &path.key("perImageInput"), rates.per_image_input)?;
    rates.per_source_url = rate(&overrides.get("perSourceUrl"), &path.key("perSourceUrl"), rates.per_source_url)?;
    let video = overrides.get("videoInput");
    if !video.is_undefined() {
        let path = path.key("videoInput");
        require_object(&video, &path)?;
        reject_unknown_keys(&video, &path, &["perUnit", "unitSeconds"])?;
        rates.video_input_per_unit = rate(&video.get("perUnit"), &path.key("perUnit"), rates.video_input_per_unit)?;
        let unit_seconds = optional_whole(&video.get("unitSeconds"), &path.key("unitSeconds"), 1, 3600)?;
        rates.video_input_unit_seconds = unit_seconds.unwrap_or(rates.video_input_unit_seconds);
    }
    Ok(())
}

/// Image and video model entries, looked up by name.
pub trait NamedModel {
    fn name(&self) -> &str;
}
impl NamedModel for ImageModelRate {
    fn name(&self) -> &str {
        &self.name
    }
}
impl NamedModel for VideoModelRate {
    fn name(&self) -> &str {
        &self.name
    }
}

/// Merges `{ [model]: partial entry }` into `models`; `merge` gets the existing entry, if
/// any, and must produce a complete one.
fn override_models<V: Value, M: NamedModel>(
    models: &mut Vec<M>,
    overrides: &V,
    path: &Path,
    merge: fn(Option<&M>, &str, &V, &Path) -> Result<M, PowerPostError>,
) -> Result<(), PowerPostError> {
    if overrides.is_undefined() {
        return Ok(());
    }
    require_object(overrides, path)?;
    if overrides.key_count() > MAX_MODELS {
        return Err(path.invalid("has too many models"));
    }
    for name in overrides.keys() {
        let entry_path = path.key(&name);
        if name.is_empty() || name.len() > MAX_NAME_LENGTH as usize {
            return Err(entry_path.invalid("is not a usable model name"));
        }
        let entry = overrides.get_entry(&name);
        require_object(&entry, &entry_path)?;
        match models.iter_mut().find(|model| model.name() == name) {
            Some(model) => *model = merge(Some(model), &name, &entry, &entry_path)?,
            None => models.push(merge(None, &name, &entry, &entry_path)?),
        }
    }
    Ok(())
}

fn new_model_error(path: &Path, field: &str) -> PowerPostError {
    path.key(field).invalid("is required for a model not on the rate card")
}

fn override_image_model<V: Value>(
    existing: Option<&ImageModelRate>,
    name: &str,
    entry: &V,
    path: &Path,
) -> Result<ImageModelRate, PowerPostError> {
    reject_unknown_keys(entry, path, &["perImage", "sizes"])?;
    let per_image = optional_whole(&entry.get("perImage"), &path.key("perImage"), 0, MAX_RATE)?;
    let sizes = optional_names(&entry.get("sizes"), &path.key("sizes"))?;
    Ok(ImageModelRate {
        name: shared(name),
        per_image: per_image.or(existing.map(|m| m.per_image)).ok_or_else(|| new_model_error(path, "perImage"))?,
        sizes: sizes.or_else(|| existing.map(|m| m.sizes.clone())).ok_or_else(|| new_model_error(path, "sizes"))?,
    })
}

fn override_video_model<V: Value>(
    existing: Option<&VideoModelRate>,
    name: &str,
    entry: &V,
    path: &Path,
) -> Result<VideoModelRate, PowerPostError> {
    reject_unknown_keys(entry, path, &["perSecond", "audioPerSecond", "durations", "sizes"])?;
    let per_second = optional_whole(&entry.get("perSecond"), &path.key("perSecond"), 0, MAX_RATE)?;
    let audio = entry.get("audioPerSecond");
    let audio_path = path.key("audioPerSecond");
    // undefined keeps the existing value; null means "no audio".
    let audio_per_second = if audio.is_undefined() {
        existing.map(|m| m.audio_per_second).ok_or_else(|| new_model_error(path, "audioPerSecond"))?
    } else if audio.is_null() {
        None
    } else {
        Some(optional_whole(&audio, &audio_path, 0, MAX_RATE)?.unwrap_or(0))
    };
    let durations_path = path.key("durations");
    let durations = if entry.get("durations").is_undefined() {
        None
    } else {
        let durations =
            optional_array(&entry.get("durations"), &durations_path, 10, |value, at| whole_seconds(value, at))?;
        if durations.is_empty() {
            return Err(durations_path.invalid("must list at least one duration"));
        }
        Some(durations)
    };
    let sizes = optional_names(&entry.get("sizes"), &path.key("sizes"))?;
    Ok(VideoModelRate {
        name: shared(name),
        per_second: per_second.or(existing.map(|m| m.per_second)).ok_or_else(|| new_model_error(path, "perSecond"))?,
        audio_per_second,
        durations: durations
            .or_else(|| existing.map(|m| m.durations.clone()))
            .ok_or_else(|| new_model_error(path, "durations"))?,
        sizes: sizes.or_else(|| existing.map(|m| m.sizes.clone())).ok_or_else(|| new_model_error(path, "sizes"))?,
    })
}

fn whole_seconds<V: Value>(value: &V, path: &Path) -> Result<u32, PowerPostError> {
    crate::value::whole_in_range(value, path, 1, 600)
}

/// A non-empty list of short names, or `None` when undefined.
fn optional_names<V: Value>(value: &V, path: &Path) -> Result<Option<Vec<String>>, PowerPostError> {
    if value.is_undefined() {
        return Ok(None);
    }
    let names = optional_array(value, path, 16, |item, at| match optional_text(item, at)? {
        Some(name) if !name.is_empty() && name.len() <= MAX_NAME_LENGTH as usize => Ok(name),
        _ => Err(at.invalid("must be a non-empty name")),
    })?;
    if names.is_empty() {
        return Err(path.invalid("must list at least one size"));
    }
    Ok(Some(names))
}

fn override_publish<V: Value>(rates: &mut PublishRates, overrides: &V, path: &Path) -> Result<(), PowerPostError> {
    if overrides.is_undefined() {
        return Ok(());
    }
    require_object(overrides, path)?;
    reject_unknown_keys(overrides, path, &["base", "surcharges"])?;
    rates.base = rate(&overrides.get("base"), &path.key("base"), rates.base)?;
    let surcharges = overrides.get("surcharges");
    if surcharges.is_undefined() {
        return Ok(());
    }
    let path = path.key("surcharges");
    require_object(&surcharges, &path)?;
    reject_unknown_keys(&surcharges, &path, &PLATFORMS)?;
    for platform in PLATFORMS {
        let Some(credits) = optional_whole(&surcharges.get(platform), &path.key(platform), 0, MAX_RATE)? else {
            continue;
        };
        match rates.surcharges.iter_mut().find(|(name, _)| *name == platform) {
            Some(entry) => entry.1 = credits,
            None => rates.surcharges.push((platform, credits)),
        }
    }
    Ok(())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::value::json::Json;
    use serde_json::json;

    fn overridden(overrides: serde_json::Value) -> Result<RateCard, PowerPostError> {
        RateCard::default_card().with_overrides(&Json::of(overrides), &Path::Root("rateCard"))
    }

    #[test]
    fn the_default_card_orders_models_by_quality() {
        let card = RateCard::default_card();
        let price = |name| card.image_model(name).unwrap().per_image;
        for premium in ["ideogram-3", "gpt-image-1.5"] {
            assert!(price(premium) > price("flux2-flex") && price(premium) > price("nano-banana-2"), "{premium}");
        }
        assert!(card.caption.deep > card.caption.regular);
        assert!(!card.image_model("gpt-image-1.5").unwrap().sizes.iter().any(|s| s == "feed"));
        assert_eq!(card.video_model("runway-gen-4.5").unwrap().audio_per_second, None);
        assert_eq!(card.surcharge("x"), 2);
        assert_eq!(card.surcharge("linkedin"), 0);
    }

    #[test]
    fn overrides_change_only_what_they_name() {
        let card =
            overridden(json!({"imageModels": {"flux2-flex": {"perImage": 9}}, "publish": {"surcharges": {"x": 5}}}))
                .unwrap();
        let default = RateCard::default_card();
        assert_eq!(card.image_model("flux2-flex").unwrap().per_image, 9);
        assert_eq!(card.image_model("flux2-flex").unwrap().sizes, default.image_model("flux2-flex").unwrap().sizes);
        assert_eq!(card.surcharge("x"), 5);
        assert_eq!(card.caption, default.caption);
        assert_eq!(card.video_models, default.video_models);
        assert_eq!(&*card.version, "2026-11-estimate+custom");
        assert_eq!(&*overridden(json!({"version": "acme-1"})).unwrap().version, "acme-1");
    }

    #[test]
    fn new_models_need_full_entries() {
        let card = overridden(json!({"imageModels": {"brand-new": {"perImage": 3, "sizes": ["square"]}},
            "videoModels": {"vid-x": {"perSecond": 2, "audioPerSecond": null, "durations": [6], "sizes": ["portrait"]}}}))
        .unwrap();
        assert_eq!(card.image_model("brand-new").unwrap().per_image, 3);
        assert_eq!(card.video_model("vid-x").unwrap().audio_per_second, None);
        let error = overridden(json!({"imageModels": {"brand-new": {"perImage": 3}}})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("rateCard.imageModels.brand-new.sizes"));
        let error =
            overridden(json!({"videoModels": {"vid-x": {"perSecond": 2, "durations": [6], "sizes": ["portrait"]}}}))
                .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("rateCard.videoModels.vid-x.audioPerSecond"));
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
            (
                json!({"videoModels": {"veo-3.1": {"audioPerSecond": "yes"}}}),
                "rateCard.videoModels.veo-3.1.audioPerSecond",
            ),
            (json!({"publish": {"surcharges": {"myspace": 1}}}), "rateCard.publish.surcharges.myspace"),
            (json!({"publish": {"base": null}}), "rateCard.publish.base"),
            (json!({"version": ""}), "rateCard.version"),
            (json!([]), "rateCard"),
        ];
        for (overrides, field) in cases {
            let error = overridden(overrides.clone()).expect_err(&overrides.to_string());
            assert_eq!(error.field.as_deref(), Some(field), "{overrides}");
        }
    }

    #[test]
    fn the_card_writes_itself_as_json() {
        let mut out = TapeWriter::default();
        RateCard::default_card().write_tape(&mut out);
        let card: serde_json::Value = crate::tape::to_json(crate::tape::TapeValue::root(&out.finish()));
        assert_eq!(card["version"], DEFAULT_VERSION);
        assert_eq!(card["imageModels"]["gpt-image-1.5"]["sizes"], json!(["square", "portrait", "landscape"]));
        assert_eq!(card["videoModels"]["runway-gen-4.5"]["audioPerSecond"], json!(null));
        assert_eq!(card["publish"], json!({"base": 1, "surcharges": {"x": 2}}));
        assert_eq!(card["caption"]["videoInput"], json!({"perUnit": 1, "unitSeconds": 15}));
    }
}
