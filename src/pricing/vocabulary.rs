//! The words of PowerPost's documentation that do not change with prices: platforms and their
//! post types, research modes, image and video sizes, the default model of each kind, and the
//! bounds of a plan. The floor of `pricing/`: it uses none of its siblings.

use std::borrow::Cow;

use serde::{Serialize, Serializer};

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

/// A name as a result holds it. One of the package's own (borrowed: the built-in card's
/// models, sizes and version) is written as serde writes a unit variant, which
/// serde-wasm-bindgen writes as a JS string it makes once; a caller's, as a string.
pub(crate) struct WrittenName<'a>(pub &'a Cow<'static, str>);

impl Serialize for WrittenName<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Cow::Borrowed(name) => serializer.serialize_unit_variant("Name", 0, name),
            Cow::Owned(name) => serializer.serialize_str(name),
        }
    }
}

/// [`WrittenName`], for `#[serde(serialize_with)]`.
#[allow(clippy::ptr_arg, reason = "whether the name is borrowed is what it is asked")]
pub(crate) fn write_name<S: Serializer>(name: &Cow<'static, str>, serializer: S) -> Result<S::Ok, S::Error> {
    WrittenName(name).serialize(serializer)
}

/// Names (a model's sizes), each a [`WrittenName`].
pub(crate) fn write_names<S: Serializer>(names: &[Cow<'static, str>], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(names.iter().map(WrittenName))
}

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
    /// How people write it: the platform's name, then the kind of post (`Instagram · feed`).
    pub(crate) fn display_name(self) -> String {
        let kind = self.name().split_once('-').map_or(self.name(), |(_, kind)| kind);
        format!("{} · {kind}", self.platform().display_name())
    }

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

named_enum! {
    pub(crate) enum ResearchMode {
        Regular = "regular",
        Deep = "deep",
    }
    else among
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
