//! Facts from PowerPost's documentation that do not change with prices: platforms and their
//! post types, image and video sizes, the default model of each kind, and the bounds of a plan.

use std::borrow::Cow;

use serde::Serialize;

use super::plan::ResearchMode;
use super::rate_card::{ImageModelRate, Names, RateCard, VideoModelRate, DEFAULT_VERSION};
use crate::input::named_enum;

pub(crate) const DEFAULT_IMAGE_MODEL: &str = "flux2-flex";
pub(crate) const DEFAULT_IMAGE_QUANTITY: u32 = 1;
pub(crate) const DEFAULT_IMAGE_SIZE: &str = "square";
pub(crate) const DEFAULT_VIDEO_MODEL: &str = "kling-3.0-pro";
pub(crate) const DEFAULT_VIDEO_SIZE: &str = "landscape";

/// As the rate card holds them (a model's sizes can be overridden, so they may be owned).
pub(crate) const IMAGE_SIZES: [Cow<'static, str>; 4] =
    [Cow::Borrowed("square"), Cow::Borrowed("feed"), Cow::Borrowed("portrait"), Cow::Borrowed("landscape")];
pub(crate) const VIDEO_SIZES: [Cow<'static, str>; 2] = [Cow::Borrowed("landscape"), Cow::Borrowed("portrait")];

pub(crate) const MAX_CAPTION_IMAGE_INPUTS: u32 = 10;
pub(crate) const MAX_SOURCE_URLS: u32 = 10;
pub(crate) const MAX_IMAGES_PER_GENERATION: u32 = 4;
/// Our bound (the docs give none): one hour of analysed video.
pub(crate) const MAX_VIDEO_INPUT_SECONDS: u32 = 3600;
/// Our bound on entries in `images` and `videos` (the docs give none).
pub(crate) const MAX_GENERATIONS: usize = 20;

named_enum! {
    /// Where a post is published.
    pub(crate) enum Platform {
        Instagram = "instagram",
        Tiktok = "tiktok",
        Youtube = "youtube",
        X = "x",
        Facebook = "facebook",
        Linkedin = "linkedin",
    }
    else listed("platform")
}

impl Platform {
    /// How the platform is written in a label.
    pub(crate) fn display_name(self) -> &'static str {
        match self {
            Self::Instagram => "Instagram",
            Self::Tiktok => "TikTok",
            Self::Youtube => "YouTube",
            Self::X => "X",
            Self::Facebook => "Facebook",
            Self::Linkedin => "LinkedIn",
        }
    }
}

named_enum! {
    /// A kind of post on one platform, e.g. `instagram-reel`.
    pub(crate) enum PostType {
        InstagramFeed = "instagram-feed",
        InstagramReel = "instagram-reel",
        InstagramStory = "instagram-story",
        TiktokVideo = "tiktok-video",
        TiktokPhotos = "tiktok-photos",
        YoutubeVideo = "youtube-video",
        YoutubeShort = "youtube-short",
        XPost = "x-post",
        FacebookPost = "facebook-post",
        FacebookReel = "facebook-reel",
        FacebookStory = "facebook-story",
        LinkedinPost = "linkedin-post",
    }
    else listed("post type")
}

impl PostType {
    pub(crate) fn platform(self) -> Platform {
        match self {
            Self::InstagramFeed | Self::InstagramReel | Self::InstagramStory => Platform::Instagram,
            Self::TiktokVideo | Self::TiktokPhotos => Platform::Tiktok,
            Self::YoutubeVideo | Self::YoutubeShort => Platform::Youtube,
            Self::XPost => Platform::X,
            Self::FacebookPost | Self::FacebookReel | Self::FacebookStory => Platform::Facebook,
            Self::LinkedinPost => Platform::Linkedin,
        }
    }
}

/// The plan side of what `catalogue()` tells an app, so that it can build a planner without a
/// copy of its own: every post type with its platform, the models of the built-in rate card
/// with their choices, the bounds of a plan and what a plan's entries default to.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PlanCatalogue {
    pub rate_card_version: &'static str,
    pub post_types: Vec<PostTypeEntry>,
    pub research_modes: [ResearchMode; 2],
    pub image_models: Vec<ImageModelEntry>,
    pub video_models: Vec<VideoModelEntry>,
    pub limits: PlanLimits,
    pub plan_defaults: PlanDefaults,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PostTypeEntry {
    pub name: PostType,
    pub platform: Platform,
    /// How the platform is written for people (`TikTok`, `LinkedIn`).
    pub platform_name: &'static str,
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

impl PlanCatalogue {
    pub(crate) fn new() -> Self {
        let card = &RateCard::DEFAULT;
        let post_type = |name: PostType| PostTypeEntry {
            name,
            platform: name.platform(),
            platform_name: name.platform().display_name(),
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
        Self {
            rate_card_version: DEFAULT_VERSION,
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
        }
    }
}

#[cfg(test)]
#[cfg(not(target_arch = "wasm32"))]
mod tests {
    use super::*;

    #[test]
    fn every_post_type_belongs_to_the_platform_it_is_named_after() {
        for post_type in PostType::ALL {
            assert!(post_type.name().starts_with(post_type.platform().name()), "{post_type:?}");
        }
        for platform in Platform::ALL {
            assert!(PostType::ALL.iter().any(|t| t.platform() == platform), "{platform:?} has no post type");
        }
    }

    #[test]
    fn the_catalogue_says_what_plans_and_the_built_in_card_accept() {
        let catalogue = serde_json::to_value(PlanCatalogue::new()).unwrap();
        assert_eq!(catalogue["rateCardVersion"], DEFAULT_VERSION);
        assert_eq!(catalogue["postTypes"].as_array().unwrap().len(), PostType::ALL.len());
        assert_eq!(
            catalogue["postTypes"][7],
            serde_json::json!({"name": "x-post", "platform": "x", "platformName": "X"})
        );
        assert_eq!(catalogue["researchModes"], serde_json::json!(["regular", "deep"]));
        let card = &RateCard::DEFAULT;
        let images: Vec<&str> =
            catalogue["imageModels"].as_array().unwrap().iter().map(|m| m["name"].as_str().unwrap()).collect();
        assert_eq!(images, card.image_models.names().collect::<Vec<_>>());
        assert_eq!(
            catalogue["imageModels"][2],
            serde_json::json!({"name": "gpt-image-1.5", "sizes": ["square", "portrait", "landscape"]})
        );
        assert_eq!(
            catalogue["videoModels"][2],
            serde_json::json!({"name": "runway-gen-4.5", "durations": [5, 10], "audio": false, "sizes": ["landscape", "portrait"]})
        );
        assert_eq!(catalogue["videoModels"][0]["audio"], true);
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
    fn names_read_back_and_unknown_names_are_listed() {
        let read = |name: &str| {
            crate::input::from_json::<PostType>(serde_json::json!(name), &crate::input::Path::fields_of("postType"))
        };
        for post_type in PostType::ALL {
            assert_eq!(read(post_type.name()).unwrap(), post_type);
        }
        let error = read("twitter-post").unwrap_err();
        assert!(error.message.starts_with("postType is not a known post type; expected one of instagram-feed, "));
        let error =
            crate::input::from_json::<Platform>(serde_json::json!(5), &crate::input::Path::fields_of("platform"))
                .unwrap_err();
        assert_eq!(error.message, "platform must be a string");
    }
}
