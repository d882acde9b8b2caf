// The estimate as JS receives it from the built package: every field in its place, in a
// stable key order, and labels right however many different ones have crossed before.
import { test } from "node:test";
import assert from "node:assert/strict";
import { runInNewContext } from "node:vm";
import { estimateCost, defaultRateCard, settleCharges } from "../pkg/node/index.mjs";

const card = defaultRateCard();

test("every kind of line arrives whole, with its fields in a stable order", () => {
  const plan = {
    caption: { researchMode: "deep", imageInputs: 1, videoInputSeconds: 31, sourceUrls: 2 },
    images: [{ model: "ideogram-3", quantity: 3 }, {}],
    videos: [{ durationSeconds: 5, audio: true }],
    publish: { postTypes: ["instagram-feed", "x-post", "tiktok-video"] },
  };
  const options = { rateCard: { publish: { surcharges: { tiktok: 1 } } } };
  const { caption, imageModels, videoModels, publish } = card;
  const kling = videoModels["kling-3.0-pro"];
  const ideogram = imageModels["ideogram-3"].perImage;
  const flux = imageModels["flux2-flex"].perImage;
  const items = [
    { kind: "caption", label: "Caption, deep research", credits: caption.deep },
    { kind: "caption", label: "Caption: analyse 1 image", credits: caption.perImageInput },
    { kind: "caption", label: "Caption: analyse 31 s of video", credits: Math.ceil(31 / caption.videoInput.unitSeconds) * caption.videoInput.perUnit },
    { kind: "caption", label: "Caption: read 2 source URLs", credits: 2 * caption.perSourceUrl },
    { kind: "image", label: "3 × ideogram-3 images", credits: 3 * ideogram, index: 0, quantity: 3, unitCredits: ideogram },
    { kind: "image", label: "1 × flux2-flex image", credits: flux, index: 1, quantity: 1, unitCredits: flux },
    { kind: "video", label: "kling-3.0-pro video, 5 s with audio", credits: 5 * (kling.perSecond + kling.audioPerSecond), index: 0 },
    {
      kind: "publish", label: "Publish to 3 post types (includes X surcharge, TikTok surcharge)",
      credits: publish.base + publish.surcharges.x + 1, postTypes: ["instagram-feed", "x-post", "tiktok-video"],
      baseCredits: publish.base, surcharges: { x: publish.surcharges.x, tiktok: 1 },
    },
  ];
  const expected = { total: items.reduce((sum, item) => sum + item.credits, 0), items, rateCardVersion: `${card.version}+custom` };
  for (let call = 0; call < 3; call++) {
    // The first call spells every label out; later ones send positions in the label table.
    assert.equal(JSON.stringify(estimateCost(plan, options)), JSON.stringify(expected), `call ${call + 1}`);
  }
});

test("labels stay right as hundreds of different ones cross, before and after the label table fills", () => {
  const sample = { caption: { researchMode: "regular" }, images: [{}] };
  const sampleLabels = ["Caption, regular research", "1 × flux2-flex image"];
  for (let seconds = 1; seconds <= 700; seconds++) {
    const estimate = estimateCost({ caption: { researchMode: "regular", videoInputSeconds: seconds } });
    assert.deepEqual(estimate.items.map((item) => item.label), ["Caption, regular research", `Caption: analyse ${seconds} s of video`]);
    if (seconds % 97 === 0) assert.deepEqual(estimateCost(sample).items.map((item) => item.label), sampleLabels);
  }
  assert.deepEqual(estimateCost(sample).items.map((item) => item.label), sampleLabels);
});

test("each estimate is a fresh object: changing one changes no later one", () => {
  const plan = { publish: { postTypes: ["x-post"] } };
  const first = estimateCost(plan);
  first.items[0].postTypes.push("changed");
  first.items[0].surcharges.x = 99;
  first.items[0].label = "changed";
  assert.deepEqual(estimateCost(plan).items[0], {
    kind: "publish", label: "Publish to 1 post type (includes X surcharge)", credits: 1 + card.publish.surcharges.x,
    postTypes: ["x-post"], baseCredits: 1, surcharges: { x: card.publish.surcharges.x },
  });
});

test("a getter that estimates while its own plan is being read gets its own answer, and so does the plan", () => {
  let inner;
  const plan = {
    get caption() {
      inner = estimateCost({ images: [{ quantity: 2 }] });
      return { researchMode: "deep" };
    },
    publish: { postTypes: ["x-post"] },
  };
  const outer = estimateCost(plan);
  assert.deepEqual(inner.items.map((item) => [item.label, item.credits]), [["2 × flux2-flex images", 2 * card.imageModels["flux2-flex"].perImage]]);
  assert.deepEqual(outer.items.map((item) => item.label), ["Caption, deep research", "Publish to 1 post type (includes X surcharge)"]);
});

test("plans and options larger than the reused tape buffer arrive whole, and labels tell models apart", () => {
  // ~40 slots a model: far past the 512 slots the buffer starts with.
  const imageModels = {};
  for (let n = 0; n < 30; n++) imageModels[`custom-model-${String(n).padStart(2, "0")}-with-a-long-name`] = { perImage: n + 1, sizes: ["square", "portrait"] };
  const options = { rateCard: { version: "big-card", imageModels } };
  for (const [n, quantity] of [[29, 2], [3, 2], [29, 1], [3, 2]]) {
    const model = `custom-model-${String(n).padStart(2, "0")}-with-a-long-name`;
    const estimate = estimateCost({ images: [{ model, quantity, size: "portrait" }] }, options);
    assert.deepEqual(estimate, {
      total: (n + 1) * quantity,
      items: [{ kind: "image", label: `${quantity} × ${model} image${quantity === 1 ? "" : "s"}`, credits: (n + 1) * quantity, index: 0, quantity, unitCredits: n + 1 }],
      rateCardVersion: "big-card",
    });
    assert.equal(estimateCost({ images: [{}] }).items[0].label, "1 × flux2-flex image", "a small plan after a large one");
  }
});

test("a plan is a plain object: of any realm or prototype-less, but no Date, Map, array or class instance", () => {
  const images = (plan) => estimateCost(plan).items.map((item) => item.label);
  assert.deepEqual(images(runInNewContext("({ images: [{}] })")), ["1 × flux2-flex image"]);
  assert.deepEqual(images(Object.assign(Object.create(null), { images: [{}] })), ["1 × flux2-flex image"]);
  for (const plan of [new Date(), new Map([["images", [{}]]]), [], new (class Plan { images = [{}]; })()]) {
    assert.throws(() => estimateCost(plan), (error) => error.code === "INVALID_ARGUMENT" && error.field === "plan" && error.message === "plan must be a plain object");
  }
});

// What no JSON holds, read where it stands: each is INVALID_ARGUMENT naming the field, never a
// trap or a stack overflow, and the module keeps working after it.
test("hostile input is named at its field: getters and Proxies that throw, cycles, deep nesting, huge arrays", () => {
  const bad = (plan, options) => {
    try { estimateCost(plan, options); } catch (error) { return [error.name, error.code, error.field, error.message]; }
    assert.fail("no error");
  };
  const unreadable = "could not be read: a property getter or a Proxy threw";
  let deep = {};
  for (let level = 0; level < 100_000; level++) deep = { caption: deep };
  let deepList = 1;
  for (let level = 0; level < 100_000; level++) deepList = [deepList];
  const cyclic = { images: [{}] };
  cyclic.images[0].model = cyclic;
  const cyclicEstimate = { items: [] };
  cyclicEstimate.self = cyclicEstimate;
  const trapped = new Proxy({}, { ownKeys() { throw new Error("no keys"); } });
  const hidden = new Proxy({}, { getPrototypeOf() { throw new Error("no prototype"); } });
  const cases = [
    [[{ get caption() { throw new Error("boom"); } }], "caption", `caption ${unreadable}`],
    [[{ images: [{}, { get quantity() { throw new Error("boom"); } }] }], "images[1].quantity", `images[1].quantity ${unreadable}`],
    [[{ caption: trapped }], "caption", `caption ${unreadable}`],
    [[{ caption: hidden }], "caption", "caption must be a plain object"],
    [[new Proxy([], {})], "plan", "plan must be a plain object"],
    [[{ images: new Map() }], "images", "images must be an array"],
    [[{ caption: new Date() }], "caption", "caption must be a plain object"],
    [[{ images: [{ quantity: 10n }] }], "images[0].quantity", "images[0].quantity must be a whole number from 1 to 4"],
    [[{ images: [{ model: () => "flux2-flex" }] }], "images[0].model", "images[0].model must be a string"],
    [[{ images: [{ model: Symbol("flux2-flex") }] }], "images[0].model", "images[0].model must be a string"],
    [[deep], "caption.caption", "caption.caption is not a known field; expected one of researchMode, imageInputs, videoInputSeconds, sourceUrls, postTypes"],
    [[{ images: deepList }], "images[0]", "images[0] must be a plain object"],
    [[cyclic], "images[0].model", "images[0].model must be a string"],
    [[{ images: new Array(100_000).fill({}) }], "images", "images must have at most 20 entries"],
    [[{ publish: { postTypes: new Array(100_000).fill("x-post") } }], "publish.postTypes", "publish.postTypes must have at most 12 entries"],
    [[{ images: [{ model: "x".repeat(10_000_000) }] }], "images[0].model", "images[0].model is too long"],
    [[{}, { rateCard: { imageModels: Object.fromEntries(Array.from({ length: 100_000 }, (_, n) => [`m${n}`, 1])) } }], "rateCard.imageModels.m0", "rateCard.imageModels.m0 must be a plain object"],
  ];
  for (const [args, field, message] of cases) {
    assert.deepEqual(bad(...args), ["PowerPostError", "INVALID_ARGUMENT", field, message]);
    assert.equal(estimateCost({ images: [{}] }).total, card.imageModels["flux2-flex"].perImage, "the module still works");
  }
  assert.deepEqual(settleCharges(cyclicEstimate), { charged: 0, refunded: 0, items: [] }, "keys an estimate may carry are not read");
});
