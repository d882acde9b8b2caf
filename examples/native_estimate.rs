//! Times the pure estimator on the host (no wasm, no JS): the floor for `estimateCost`.
use powerpost_credits::pricing::estimate::{estimate_with_options, CostEstimate};
use powerpost_credits::tape::{SentStrings, TapeValue, TapeWriter};
use powerpost_credits::value::Value;
use std::time::Instant;

fn main() {
    // The documented sample plan, as the JS encoder would send it.
    let mut out = TapeWriter::default();
    out.begin_array().begin_object();
    out.key("caption").begin_object().field_str("researchMode", "regular").key("postTypes").begin_array();
    for post_type in ["instagram-feed", "x-post", "linkedin-post"] {
        out.string(post_type);
    }
    out.end_array().end_object();
    out.key("images").begin_array().begin_object().end_object().end_array();
    out.key("publish").begin_object().key("postTypes").begin_array();
    for post_type in ["instagram-feed", "x-post", "linkedin-post"] {
        out.string(post_type);
    }
    out.end_array().end_object().end_object().end_array();
    let tape = out.finish();
    let args = TapeValue::root(&tape);
    let run = || -> CostEstimate { estimate_with_options(&args.at(0), &args.at(1)).expect("the sample is valid") };
    for _ in 0..3 {
        let rounds: u32 = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(200_000);
        let start = Instant::now();
        let mut total = 0;
        let mut strings = SentStrings::<powerpost_credits::pricing::estimate::Label>::default();
        for _ in 0..rounds {
            let estimate = run();
            let mut record = Vec::with_capacity(64);
            estimate.write_record(&mut record, &mut strings);
            total += record.len() as u64 + estimate.total;
        }
        println!(
            "{:.0} ns per estimate (decode + price + encode), checksum {total}",
            start.elapsed().as_nanos() as f64 / rounds as f64
        );
    }
}
