//! `catalogue()`: what the package knows, in one report an app can build on. It is built from
//! the floors below (pricing's vocabulary and built-in card, the request and watch defaults),
//! so it sits above both `pricing` and `credits`; its types are all here.

use std::borrow::Cow;

use serde::Serialize;

use crate::credits::options::{
    DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_STORE_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, MAX_RETRIES_LIMIT,
};
use crate::credits::watch::{DEFAULT_INTERVAL_MS, MIN_INTERVAL_MS};
use crate::pricing::rate_card::{is_published, ImageModelRate, Names, RateCard, VideoModelRate, DEFAULT_VERSION};
use crate::pricing::vocabulary::{
    Platform, PostType, ResearchMode, DEFAULT_IMAGE_MODEL, DEFAULT_IMAGE_QUANTITY, DEFAULT_IMAGE_SIZE,
    DEFAULT_VIDEO_MODEL, DEFAULT_VIDEO_SIZE, MAX_CAPTION_IMAGE_INPUTS, MAX_GENERATIONS, MAX_IMAGES_PER_GENERATION,
    MAX_SOURCE_URLS, MAX_VIDEO_INPUT_SECONDS,
};

/// What `catalogue()` returns: everything an app needs to build a planner or a settings form
/// without a copy of its own. Every post type with its platform, the models of the built-in
/// rate card with their choices, every rate of that card and whether PowerPost published it,
/// the bounds of a plan and what a plan's entries default to, and what requests and watches
/// use for an option not given.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Catalogue {
    pub rate_card_version: &'static str,
    pub rates: Vec<RateEntry>,
    pub post_types: Vec<PostTypeEntry>,
    pub research_modes: [ResearchMode; 2],
    pub image_models: Vec<ImageModelEntry>,
    pub video_models: Vec<VideoModelEntry>,
    pub limits: PlanLimits,
    pub plan_defaults: PlanDefaults,
    pub request_defaults: RequestDefaults,
    pub watch_defaults: WatchDefaults,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PostTypeEntry {
    pub name: PostType,
    pub platform: Platform,
    /// How the platform is written for people (`TikTok`, `LinkedIn`).
    pub platform_name: &'static str,
    /// How the post type is written for people (`Instagram · feed`).
    pub display_name: String,
}

/// One rate of the built-in card: its path in the card, its credits, and where it comes from.
#[derive(Debug, Serialize)]
pub(crate) struct RateEntry {
    pub rate: String,
    pub credits: u32,
    pub source: RateSource,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RateSource {
    /// An amount a PowerPost integration published.
    Published,
    /// Ours: nobody published one.
    Estimate,
}

#[derive(Debug, Serialize)]
pub(crate) struct ImageModelEntry {
    pub name: Cow<'static, str>,
    pub sizes: Names,
}

#[derive(Debug, Serialize)]
pub(crate) struct VideoModelEntry {
    pub name: Cow<'static, str>,
    pub durations: Cow<'static, [u32]>,
    pub audio: bool,
    pub sizes: Names,
}

/// The bounds of a plan, each inclusive.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PlanLimits {
    pub caption_image_inputs: u32,
    pub source_urls: u32,
    pub video_input_seconds: u32,
    pub images_per_entry: u32,
    /// Entries in `images`, and in `videos`.
    pub entries: usize,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PlanDefaults {
    pub image_model: &'static str,
    pub image_quantity: u32,
    pub image_size: &'static str,
    pub video_model: &'static str,
    pub video_size: &'static str,
}

/// What a call uses for a request option not given.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestDefaults {
    pub base_url: &'static str,
    pub timeout_ms: u32,
    pub max_retries: u32,
    /// The most `maxRetries` may be.
    pub max_retries_limit: u32,
    pub store_timeout_ms: u32,
}

/// What a watch uses for an option not given, and the shortest interval it takes.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WatchDefaults {
    pub interval_ms: u32,
    pub min_interval_ms: u32,
}

impl Catalogue {
    pub(crate) fn new() -> Self {
        let card = &RateCard::DEFAULT;
        let post_type = |name: PostType| PostTypeEntry {
            name,
            platform: name.platform(),
            platform_name: name.platform().display_name(),
            display_name: name.display_name(),
        };
        let image = |(name, rate): &(Cow<'static, str>, ImageModelRate)| ImageModelEntry {
            name: name.clone(),
            sizes: rate.sizes.clone(),
        };
        let video = |(name, rate): &(Cow<'static, str>, VideoModelRate)| VideoModelEntry {
            name: name.clone(),
            durations: rate.durations.clone(),
            audio: rate.audio_per_second.is_some(),
            sizes: rate.sizes.clone(),
        };
        let rate = |rate| RateEntry {
            rate: card.rate_path(rate),
            credits: card.rate(rate).unwrap_or(0),
            source: if is_published(rate) { RateSource::Published } else { RateSource::Estimate },
        };
        Self {
            rate_card_version: DEFAULT_VERSION,
            rates: card.rates().into_iter().map(rate).collect(),
            post_types: Vec::from(PostType::ALL.map(post_type)),
            research_modes: ResearchMode::ALL,
            image_models: card.image_models.0.iter().map(image).collect(),
            video_models: card.video_models.0.iter().map(video).collect(),
            limits: PlanLimits {
                caption_image_inputs: MAX_CAPTION_IMAGE_INPUTS,
                source_urls: MAX_SOURCE_URLS,
                video_input_seconds: MAX_VIDEO_INPUT_SECONDS,
                images_per_entry: MAX_IMAGES_PER_GENERATION,
                entries: MAX_GENERATIONS,
            },
            plan_defaults: PlanDefaults {
                image_model: DEFAULT_IMAGE_MODEL,
                image_quantity: DEFAULT_IMAGE_QUANTITY,
                image_size: DEFAULT_IMAGE_SIZE,
                video_model: DEFAULT_VIDEO_MODEL,
                video_size: DEFAULT_VIDEO_SIZE,
            },
            request_defaults: RequestDefaults {
                base_url: DEFAULT_BASE_URL,
                timeout_ms: DEFAULT_TIMEOUT_MS,
                max_retries: DEFAULT_MAX_RETRIES,
                max_retries_limit: MAX_RETRIES_LIMIT,
                store_timeout_ms: DEFAULT_STORE_TIMEOUT_MS,
            },
            watch_defaults: WatchDefaults { interval_ms: DEFAULT_INTERVAL_MS, min_interval_ms: MIN_INTERVAL_MS },
        }
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_says_what_plans_and_the_built_in_card_accept() {
        let catalogue = serde_json::to_value(Catalogue::new()).unwrap();
        assert_eq!(catalogue["rateCardVersion"], DEFAULT_VERSION);
        assert_eq!(catalogue["postTypes"].as_array().unwrap().len(), PostType::ALL.len());
        let post_type =
            |name: &str| catalogue["postTypes"].as_array().unwrap().iter().find(|entry| entry["name"] == name).cloned();
        assert_eq!(
            post_type("x-post"),
            Some(
                serde_json::json!({"name": "x-post", "platform": "x", "platformName": "X", "displayName": "X · post"})
            )
        );
        assert_eq!(post_type("tiktok-photos").unwrap()["displayName"], "TikTok · photos");
        assert_eq!(catalogue["researchModes"], serde_json::json!(["regular", "deep"]));
        let rates = catalogue["rates"].as_array().unwrap();
        assert_eq!(rates.len(), RateCard::DEFAULT.rates().len());
        assert_eq!(rates[1], serde_json::json!({"rate": "caption.deep", "credits": 8, "source": "published"}));
        let source = |path: &str| rates.iter().find(|rate| rate["rate"] == path).unwrap()["source"].clone();
        assert_eq!(source("publish.surcharges.x"), "published");
        assert_eq!(source("caption.perSourceUrl"), "estimate");
        assert_eq!(source("videoModels.veo-3.1.audioPerSecond"), "estimate");
        let card = &RateCard::DEFAULT;
        let images: Vec<&str> =
            catalogue["imageModels"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
        assert_eq!(images, card.image_models.names().collect::<Vec<_>>());
        let model = |list: &str, name: &str| {
            catalogue[list].as_array().unwrap().iter().find(|entry| entry["name"] == name).cloned().unwrap()
        };
        assert_eq!(
            model("imageModels", "gpt-image-1.5"),
            serde_json::json!({"name": "gpt-image-1.5", "sizes": ["square", "portrait", "landscape"]})
        );
        assert_eq!(
            model("videoModels", "runway-gen-4.5"),
            serde_json::json!({"name": "runway-gen-4.5", "durations": [5, 10], "audio": false, "sizes": ["landscape", "portrait"]})
        );
        assert_eq!(model("videoModels", "kling-3.0-pro")["audio"], true);
        assert_eq!(
            catalogue["limits"],
            serde_json::json!({"captionImageInputs": 10, "sourceUrls": 10, "videoInputSeconds": 3600, "imagesPerEntry": 4, "entries": 20})
        );
        assert_eq!(
            catalogue["planDefaults"],
            serde_json::json!({"imageModel": "flux2-flex", "imageQuantity": 1, "imageSize": "square", "videoModel": "kling-3.0-pro", "videoSize": "landscape"})
        );
    }

    #[test]
    fn the_catalogue_tells_request_and_watch_defaults() {
        let catalogue = serde_json::to_value(Catalogue::new()).unwrap();
        assert_eq!(
            catalogue["requestDefaults"],
            serde_json::json!({"baseUrl": "https://powerpost.ai/api/v1", "timeoutMs": 30000, "maxRetries": 2, "maxRetriesLimit": 10, "storeTimeoutMs": 500})
        );
        assert_eq!(catalogue["watchDefaults"], serde_json::json!({"intervalMs": 60000, "minIntervalMs": 1000}));
    }
}
