//! Facts from PowerPost's documentation that do not change with prices: platforms and their
//! post types, image sizes, video sizes, and the default model of each kind.

pub const DEFAULT_IMAGE_MODEL: &str = "flux2-flex";
pub const DEFAULT_IMAGE_SIZE: &str = "square";
pub const DEFAULT_VIDEO_MODEL: &str = "kling-3.0-pro";
pub const DEFAULT_VIDEO_SIZE: &str = "landscape";

pub const IMAGE_SIZES: [&str; 4] = ["square", "feed", "portrait", "landscape"];
pub const VIDEO_SIZES: [&str; 2] = ["landscape", "portrait"];

pub const MAX_CAPTION_IMAGE_INPUTS: u32 = 10;
pub const MAX_SOURCE_URLS: u32 = 10;
pub const MAX_IMAGES_PER_GENERATION: u32 = 4;
/// Our bound (the docs give none): one hour of analysed video.
pub const MAX_VIDEO_INPUT_SECONDS: u32 = 3600;
/// Our bound on entries in `images` and `videos` (the docs give none).
pub const MAX_GENERATIONS: u32 = 20;

/// Every post type, with the platform it publishes to.
pub const POST_TYPES: [(&str, &str); 12] = [
    ("instagram-feed", "instagram"),
    ("instagram-reel", "instagram"),
    ("instagram-story", "instagram"),
    ("tiktok-video", "tiktok"),
    ("tiktok-photos", "tiktok"),
    ("youtube-video", "youtube"),
    ("youtube-short", "youtube"),
    ("x-post", "x"),
    ("facebook-post", "facebook"),
    ("facebook-reel", "facebook"),
    ("facebook-story", "facebook"),
    ("linkedin-post", "linkedin"),
];

pub const POST_TYPE_NAMES: [&str; 12] = {
    let mut names = [""; 12];
    let mut i = 0;
    while i < POST_TYPES.len() {
        names[i] = POST_TYPES[i].0;
        i += 1;
    }
    names
};

pub const PLATFORMS: [&str; 6] = ["instagram", "tiktok", "youtube", "x", "facebook", "linkedin"];

/// The platform of a post type, `None` for an unknown post type.
pub fn platform_of(post_type: &str) -> Option<&'static str> {
    POST_TYPES.iter().find(|(name, _)| *name == post_type).map(|(_, platform)| *platform)
}

/// How a platform is written in a label.
pub fn display_platform(platform: &str) -> &str {
    match platform {
        "instagram" => "Instagram",
        "tiktok" => "TikTok",
        "youtube" => "YouTube",
        "x" => "X",
        "facebook" => "Facebook",
        "linkedin" => "LinkedIn",
        other => other,
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    #[test]
    fn every_post_type_belongs_to_a_listed_platform() {
        for (post_type, platform) in POST_TYPES {
            assert!(PLATFORMS.contains(&platform), "{post_type}");
            assert!(post_type.starts_with(platform), "{post_type}");
        }
        assert_eq!(platform_of("x-post"), Some("x"));
        assert_eq!(platform_of("twitter-post"), None);
        for platform in PLATFORMS {
            assert!(POST_TYPES.iter().any(|(_, p)| *p == platform), "{platform} has no post type");
        }
    }
}
