// The facts that prose repeats, checked against the package that owns them: the npm README's
// options and rate tables and its list of plan bounds, and the defaults and bounds the d.ts
// comments state, each against `catalogue()` and `defaultRateCard()` of the built package; and
// the sandbox's defaults, against what it does.
// When the catalogue or the rate card changes, these fail until the words follow.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { catalogue, defaultRateCard, estimateCost } from "../pkg/node/index.mjs";
import { DEMO_KEY, SANDBOX_DEFAULTS, startSandbox } from "../sandbox/index.mjs";
import { repo } from "./support.mjs";

// The README npm shows: pkg-template's, with the rate rows scripts/build.sh writes from the card.
const readme = readFileSync(join(repo, "pkg/README.md"), "utf8");
/** The README's text with its line breaks folded, as prose is read. */
const prose = readme.replace(/\s+/g, " ");
const dts = readFileSync(join(repo, "pkg-template/index.d.ts"), "utf8");
const facts = catalogue();
const card = defaultRateCard();

/** The cells of the markdown table row whose first cell is `first`. */
function row(first) {
  const line = readme.split("\n").find((text) => text.startsWith(`| ${first} |`));
  assert.ok(line, `the README has no table row for ${first}`);
  return line.split("|").slice(2, -1).map((cell) => cell.trim());
}

test("the README's options table states the request defaults", () => {
  const { baseUrl, timeoutMs, maxRetries, maxRetriesLimit } = facts.requestDefaults;
  assert.equal(row("`baseUrl`")[0], `\`"${baseUrl}"\``);
  assert.equal(row("`timeoutMs`")[0], `\`${timeoutMs}\``);
  assert.equal(row("`maxRetries`")[0], `\`${maxRetries}\``);
  assert.match(row("`maxRetries`")[1], new RegExp(`at most \`${maxRetriesLimit}\``));
  assert.ok(prose.includes(`\`storeTimeoutMs\` (default ${facts.requestDefaults.storeTimeoutMs})`), "the README states the store's timeout");
});

test("the README's rate table and its account of the rates are the built-in rate card", () => {
  for (const { rate, credits, source } of facts.rates) {
    assert.deepEqual(row(`\`${rate}\``), [String(credits), source === "published" ? "published" : "our estimate"], rate);
  }
  const { caption, imageModels, publish } = card;
  assert.equal(caption.videoInput.unitSeconds, 60, "the README says a started minute");
  const byPrice = new Map();
  for (const [name, model] of Object.entries(imageModels)) byPrice.set(model.perImage, [...(byPrice.get(model.perImage) ?? []), `\`${name}\``]);
  const prices = [...byPrice].sort(([a], [b]) => a - b).map(([credits, names]) => `${credits} (${names.join(", ")})`);
  const postTypes = (x) => ["instagram-feed", x ? "x-post" : "facebook-post", "linkedin-post"];
  const sample = (x) => estimateCost({ caption: { researchMode: "regular", postTypes: postTypes(x) }, images: [{}], publish: { postTypes: postTypes(x) } }).total;
  const said = [
    `version \`${facts.rateCardVersion}\`, holds them`,
    `a caption costs ${caption.regular} with regular research and ${caption.deep} with deep, plus ${caption.perImageInput} per analysed image and ${caption.videoInput.perUnit} per started minute of analysed video`,
    `an image costs ${prices.slice(0, -1).join(", ")} or ${prices.at(-1)}, times the quantity`,
    `publishing costs ${publish.base} per publish action, plus ${publish.surcharges.x} when it includes \`x-post\``,
    `costs ${sample(false)} credits, or ${sample(true)} with X, inside the documented 10-15`,
    `per started \`caption.videoInput.unitSeconds\` (${caption.videoInput.unitSeconds}) of video`,
  ];
  for (const text of said) assert.ok(prose.includes(text), `the README should say ${text}`);
  const estimated = facts.rates.filter((rate) => rate.source === "estimate").map((rate) => rate.rate);
  assert.ok(estimated.includes("caption.perSourceUrl") && estimated.every((rate) => rate === "caption.perSourceUrl" || rate.startsWith("videoModels.")),
    "the README says nobody published source URLs and video generation, and only those");
});

test("the README's list of plan bounds and durations is the catalogue's", () => {
  const { limits } = facts;
  const bounds = `(image inputs and source URLs 0-${limits.captionImageInputs}, quantity 1-${limits.imagesPerEntry}, `
    + `analysed video 0-${limits.videoInputSeconds} s, at most ${limits.entries} entries in \`images\` and \`videos\`)`;
  assert.equal(limits.sourceUrls, limits.captionImageInputs, "the README states one bound for both");
  const byDurations = new Map();
  for (const model of facts.videoModels) {
    const durations = model.durations.join(" or ");
    byDurations.set(durations, [...(byDurations.get(durations) ?? []), `\`${model.name}\``]);
  }
  const written = [...byDurations].map(([durations, models]) => `${models.join(" and ")}: ${durations} s`);
  const silent = facts.videoModels.filter((model) => !model.audio).map((model) => `audio on \`${model.name}\``);
  const noFeed = facts.imageModels.filter((model) => !model.sizes.includes("feed")).map((model) => `(\`${model.name}\` has no \`feed\`)`);
  for (const text of [bounds, ...written, ...silent, ...noFeed]) assert.ok(prose.includes(text), `the README should say ${text}`);
});

test("the d.ts comments state the package's defaults and bounds", () => {
  const { requestDefaults, watchDefaults, planDefaults, limits } = facts;
  const said = [
    `Default "${requestDefaults.baseUrl}".`,
    `Per attempt, in milliseconds. Default ${requestDefaults.timeoutMs}.`,
    `Default ${requestDefaults.maxRetries}; 0 disables retries; at most ${requestDefaults.maxRetriesLimit}.`,
    `How long one store operation may take before the call goes on without it, in milliseconds. Default ${requestDefaults.storeTimeoutMs}.`,
    `Default ${watchDefaults.intervalMs}, at least ${watchDefaults.minIntervalMs}.`,
    `Defaults: model "${planDefaults.imageModel}", quantity ${planDefaults.imageQuantity} (1-${limits.imagesPerEntry}), size "${planDefaults.imageSize}".`,
    `Defaults: model "${planDefaults.videoModel}", audio false, size "${planDefaults.videoSize}".`,
    `/** 0-${limits.captionImageInputs} images analysed. */`,
    `Length of an analysed video, whole seconds (0-${limits.videoInputSeconds}).`,
    `/** 0-${limits.sourceUrls}. */`,
  ];
  for (const text of said) assert.ok(dts.includes(text), `index.d.ts should say ${text}`);
});

test("the sandbox applies the defaults it exports (which the CLI's --help shows), and its d.ts states them", async () => {
  const { port, rateLimit, windowSeconds } = SANDBOX_DEFAULTS;
  const sandbox = await startSandbox();
  try {
    assert.notEqual(new URL(sandbox.origin).port, String(port), "port 0 picks a free port");
    const response = await fetch(`${sandbox.baseUrl}/account/credits`, { headers: { "x-api-key": DEMO_KEY } });
    assert.equal(response.headers.get("x-ratelimit-limit"), String(rateLimit));
    const window = Number(response.headers.get("x-ratelimit-reset")) - Date.now() / 1000;
    assert.ok(window > windowSeconds - 2 && window <= windowSeconds + 1, `the window ends in ${window} s`);
  } finally {
    await sandbox.close();
  }
  const sandboxDts = readFileSync(join(repo, "sandbox/index.d.ts"), "utf8");
  const said = [`${port} (the default) picks a free port.`, `Default ${rateLimit}, as PowerPost.`, `The rate limit's window in seconds. Default ${windowSeconds}.`];
  for (const text of said) assert.ok(sandboxDts.includes(text), `sandbox/index.d.ts should say ${text}`);
  const row = `\`port\` ${port} (the default) picks a free one; \`rateLimit\` per key and window, default ${rateLimit} as PowerPost; \`windowSeconds\` default ${windowSeconds}.`;
  assert.ok(prose.includes(row), `the README's sandbox table should say ${row}`);
});

test("the npm README's size of the web build is the one make bench measured", () => {
  const benchmarks = readFileSync(join(repo, "BENCHMARKS.md"), "utf8");
  const measured = Number(benchmarks.match(/\| web build, wasm and all its JS, gzipped \| ([\d.]+) KB/)?.[1]);
  const said = Number(prose.match(/the package costs about (\d+) KB gzipped/)?.[1]);
  assert.ok(measured > 0 && said > 0, "both figures are found");
  assert.equal(said, Math.round(measured), `the README says ${said} KB; BENCHMARKS.md measured ${measured} KB`);
});
