//! A planned post as the caller describes it (`PostPlan`), read strictly: a misspelt key or a
//! value of the wrong kind is an `INVALID_ARGUMENT` naming its field. What depends on the rate
//! card (which models, sizes and durations exist) is checked when the plan is priced.

use serde::Deserialize;

use super::catalogue::{
    PostType, MAX_CAPTION_IMAGE_INPUTS, MAX_GENERATIONS, MAX_IMAGES_PER_GENERATION, MAX_SOURCE_URLS,
    MAX_VIDEO_INPUT_SECONDS,
};
use super::rate_card::RateCardOverrides;
use crate::error::PowerPostError;
use crate::input::{named_enum, read_as_object, Flag, List, Number, Text, Whole};

/// What `estimateCost` is asked to price.
#[derive(Debug, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct PostPlan {
    pub caption: Option<CaptionPlan>,
    pub images: Option<List<ImagePlan, MAX_GENERATIONS>>,
    pub videos: Option<List<VideoPlan, MAX_GENERATIONS>>,
    pub publish: Option<PublishPlan>,
}

#[derive(Debug, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CaptionPlan {
    /// Required; optional here so that a missing one gets the same message as a wrong one.
    pub research_mode: Option<ResearchMode>,
    pub image_inputs: Option<Whole<0, MAX_CAPTION_IMAGE_INPUTS>>,
    pub video_input_seconds: Option<Whole<0, MAX_VIDEO_INPUT_SECONDS>>,
    pub source_urls: Option<Whole<0, MAX_SOURCE_URLS>>,
    /// Informational only (the platform count never changes the caption cost), but checked.
    pub post_types: Option<PostTypes>,
}

named_enum! {
    pub(crate) enum ResearchMode {
        Regular = "regular",
        Deep = "deep",
    }
    else among(RESEARCH_MODES)
}

pub(crate) const RESEARCH_MODES: &str = "must be \"regular\" or \"deep\"";

#[derive(Debug, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct ImagePlan {
    pub model: Option<Text>,
    pub quantity: Option<Whole<1, MAX_IMAGES_PER_GENERATION>>,
    pub size: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct VideoPlan {
    pub model: Option<Text>,
    /// Required, and one of the model's durations (checked when priced).
    pub duration_seconds: Option<Number>,
    pub audio: Option<Flag>,
    pub size: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PublishPlan {
    /// Required and not empty.
    pub post_types: Option<PostTypes>,
}

pub(crate) type PostTypes = List<PostType, { PostType::ALL.len() }>;

/// `estimateCost`'s second argument.
#[derive(Debug, Default, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EstimateOptions {
    pub rate_card: Option<RateCardOverrides>,
}

read_as_object!(PostPlan, CaptionPlan, ImagePlan, VideoPlan, PublishPlan, EstimateOptions);

/// The post types of a list, each at most once (`path` names the list, e.g. `publish.postTypes`).
pub(crate) fn distinct_post_types(list: &PostTypes, path: &str) -> Result<Vec<PostType>, PowerPostError> {
    let mut seen = Vec::with_capacity(list.0.len());
    for (index, post_type) in list.0.iter().enumerate() {
        if seen.contains(post_type) {
            return Err(PowerPostError::invalid_argument(format!("{path}[{index}]"), "repeats a post type"));
        }
        seen.push(*post_type);
    }
    Ok(seen)
}
