//! A planned post as the caller describes it (`PostPlan`), read strictly: a misspelt key or a
//! value of the wrong kind is an `INVALID_ARGUMENT` naming its field. What depends on the rate
//! card (which models, sizes and durations exist) is checked when the plan is priced.

use serde::Deserialize;

use super::rate_card::RateCardOverrides;
use super::vocabulary::{
    PostType, ResearchMode, MAX_CAPTION_IMAGE_INPUTS, MAX_GENERATIONS, MAX_IMAGES_PER_GENERATION, MAX_SOURCE_URLS,
    MAX_VIDEO_INPUT_SECONDS,
};
use crate::error::PowerPostError;
use crate::input::{Flag, List, Number, Path, Text, Whole};

/// What `estimateCost` is asked to price.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PostPlan {
    pub caption: Option<CaptionPlan>,
    pub images: Option<List<ImagePlan, MAX_GENERATIONS>>,
    pub videos: Option<List<VideoPlan, MAX_GENERATIONS>>,
    pub publish: Option<PublishPlan>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CaptionPlan {
    /// Required; optional here so that a missing one gets the same message as a wrong one.
    pub research_mode: Option<ResearchMode>,
    pub image_inputs: Option<Whole<0, MAX_CAPTION_IMAGE_INPUTS>>,
    pub video_input_seconds: Option<Whole<0, MAX_VIDEO_INPUT_SECONDS>>,
    pub source_urls: Option<Whole<0, MAX_SOURCE_URLS>>,
    /// Informational only (the platform count never changes the caption cost), but checked.
    pub post_types: Option<PostTypes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImagePlan {
    pub model: Option<Text>,
    pub quantity: Option<Whole<1, MAX_IMAGES_PER_GENERATION>>,
    pub size: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct VideoPlan {
    pub model: Option<Text>,
    /// Required, and one of the model's durations (checked when priced).
    pub duration_seconds: Option<Number>,
    pub audio: Option<Flag>,
    pub size: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PublishPlan {
    /// Required and not empty.
    pub post_types: Option<PostTypes>,
}

pub(crate) type PostTypes = List<PostType, { PostType::ALL.len() }>;

/// `estimateCost`'s second argument.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EstimateOptions {
    pub rate_card: Option<RateCardOverrides>,
}

/// Where a plan's fields are: named on their own (`images[0].quantity`).
pub(crate) const PLAN: Path = Path::fields_of("plan");

/// Where `estimateCost`'s options are: their fields too are named on their own
/// (`rateCard.caption.deep`); `canAfford`'s are `options.rateCard.caption.deep`.
pub(crate) const ESTIMATE_OPTIONS: Path = Path::fields_of("options");

/// The post types of a list, each at most once (`at` names the list, e.g. `publish.postTypes`).
pub(crate) fn distinct_post_types(list: &PostTypes, at: fn() -> Path) -> Result<Vec<PostType>, PowerPostError> {
    let mut seen = Vec::with_capacity(list.0.len());
    for (index, post_type) in list.0.iter().enumerate() {
        if seen.contains(post_type) {
            return Err(at().index(index).invalid("repeats a post type"));
        }
        seen.push(*post_type);
    }
    Ok(seen)
}
