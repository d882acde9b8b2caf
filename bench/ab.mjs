// node bench/ab.mjs A B: two builds of the package (each a directory holding a copy of pkg/)
// compared in one process, the figures BENCHMARKS.md's A/B tables quote. Batches alternate
// between the two, so that the machine's drift falls on both alike:
//  - estimateCost of the documented sample plan, and defaultRateCard(), in µs (medians);
//  - the web build, wasm and all its JS, gzipped;
//  - whether both give the same result or message for every plan of the property samples.
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join, resolve } from "node:path";
import { SAMPLE_PLAN, median } from "./common.mjs";

const dirs = process.argv.slice(2, 4).map((dir) => resolve(dir));
if (dirs.length !== 2) throw new Error("usage: node bench/ab.mjs <pkg copy A> <pkg copy B>");
const builds = await Promise.all(dirs.map((dir) => import(join(dir, "node/index.mjs"))));

function gzippedWeb(dir) {
  const web = join(dir, "web");
  const files = ["powerpost_credits_bg.wasm", "powerpost_credits.js", "index.js", "api.js"];
  for (const snippet of readdirSync(join(web, "snippets"), { recursive: true })) {
    if (String(snippet).endsWith(".js")) files.push(join("snippets", String(snippet)));
  }
  return files.reduce((sum, file) => sum + gzipSync(readFileSync(join(web, file)), { level: 9 }).length, 0);
}

/** Nanoseconds per call of `run`, one batch of `perBatch`. */
function batchNs(run, perBatch) {
  const start = performance.now();
  for (let i = 0; i < perBatch; i++) run();
  return ((performance.now() - start) * 1e6) / perBatch;
}

/** Medians in ns of `call(build)` for each build, over `batches` alternating batches. */
function alternating(call, { batches, perBatch }) {
  const runs = builds.map((build) => () => call(build));
  for (const run of runs) batchNs(run, perBatch * 4);
  const samples = runs.map(() => []);
  for (let b = 0; b < batches; b++) {
    const order = b % 2 ? [0, 1] : [1, 0];
    for (const i of order) samples[i].push(batchNs(runs[i], perBatch));
  }
  return samples.map(median);
}

/** Plans that reach every reader path: good ones, misspelt keys, wrong kinds, unknown names. */
function plans() {
  const values = [undefined, null, 0, 1, 2.5, -1, "", "x", "regular", "deep", "flux2-flex", "x-post", [], [{}], {}, true];
  const out = [SAMPLE_PLAN, {}, { caption: {} }, { images: [{ quantity: 2 }] }, { videos: [{}] }, { publish: { postTypes: [] } }];
  for (const value of values) {
    out.push({ caption: { researchMode: value } }, { images: [{ model: value }] }, { images: [{ size: value }] },
      { videos: [{ model: value }] }, { publish: { postTypes: [value] } }, { captoin: value }, { caption: value },
      { images: value }, { images: [{ quantity: value }] }, { caption: { imageInputs: value } }, value);
  }
  return out;
}

const outcome = (build, plan) => {
  try {
    return JSON.stringify(build.estimateCost(plan));
  } catch (error) {
    return `${error.code}: ${error.message}`;
  }
};
const cases = plans();
const differing = cases.filter((plan) => outcome(builds[0], plan) !== outcome(builds[1], plan));

const estimate = alternating((build) => build.estimateCost(SAMPLE_PLAN), { batches: 40, perBatch: 5000 });
const rateCard = alternating((build) => build.defaultRateCard(), { batches: 40, perBatch: 5000 });
const sizes = dirs.map(gzippedWeb);
const row = (what, [a, b], unit, digits) =>
  `| ${what} | ${a.toFixed(digits)} ${unit} | ${b.toFixed(digits)} ${unit} | ${(b / a).toFixed(3)}× |`;
console.log(`| | A | B | B / A |
| --- | ---: | ---: | ---: |
${row("estimateCost of the sample plan", estimate.map((ns) => ns / 1000), "µs", 2)}
${row("defaultRateCard()", rateCard.map((ns) => ns / 1000), "µs", 2)}
${row("web build, gzipped", sizes, "bytes", 0)}

${cases.length} plans compared: ${differing.length} gave another result or message.`);
for (const plan of differing.slice(0, 5)) console.log(JSON.stringify(plan), "\n  A:", outcome(builds[0], plan), "\n  B:", outcome(builds[1], plan));
