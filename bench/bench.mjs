// make bench: the package's budgets, measured on this machine, written to BENCHMARKS.md.
// Run through scripts/with-sandbox.mjs (POWERPOST_SANDBOX). All figures come from one run:
//  - size: the web build's wasm and all its JS, gzipped (budget 115 KB, aim 100 KB);
//  - getCredits against plain fetch + json() in Node, interleaved after warm-up, with the
//    sandbox delaying each response by 20 ms (a nearby server; budget 1.015x, aim 1.01x), and
//    the time it adds on bare loopback (budget 120 µs, aim 80 µs);
//  - estimateCost of the documented sample plan in Node (budget 8 µs, aim 5 µs), and
//    defaultRateCard(), which reads no input (budget 10 µs);
//  - a fresh Node process from `import` to the first estimate (budget 25 ms, aim 15 ms);
//  - calibrateRateCard of 1,000 and of 10,000 charges (budget 50 ms for 10,000);
//  - 1,000 overlapping getCredits calls of one client: one request, settled within twice the
//    time of one call (the median of 9 rounds).
// Wasm memory over a long run is `make soak`'s (its own section of BENCHMARKS.md).
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { DEMO_KEY, SAMPLE_PLAN, machine, median, powerpost, repo, replaceSection, wasmMemoryBytes } from "./common.mjs";

const sandbox = process.env.POWERPOST_SANDBOX;
if (!sandbox) throw new Error("run through scripts/with-sandbox.mjs (make bench does)");
const { getCredits, estimateCost, defaultRateCard, calibrateRateCard, catalogue, CreditsClient } = powerpost;

function sizes() {
  const web = join(repo, "pkg/web");
  const snippets = readdirSync(join(web, "snippets")).flatMap((dir) =>
    readdirSync(join(web, "snippets", dir, "src/js")).filter((file) => file.endsWith(".js")).map((file) => join("snippets", dir, "src/js", file)));
  return ["powerpost_credits_bg.wasm", "powerpost_credits.js", "index.js", "api.js", ...snippets].map((file) => {
    const bytes = readFileSync(join(web, file));
    return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
}

/** Milliseconds per call of each client, `calls` each, interleaved in alternating order after `warmup` each. */
async function interleaved(clients, { calls, warmup }) {
  const samples = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
  const entries = Object.entries(clients);
  for (let i = 0; i < warmup + calls; i++) {
    for (const [name, call] of i % 2 ? entries : [...entries].reverse()) {
      const start = performance.now();
      const balance = await call();
      const elapsed = performance.now() - start;
      if (balance !== 47) throw new Error(`${name}: unexpected balance ${balance}`);
      if (i >= warmup) samples[name].push(elapsed);
    }
  }
  return samples;
}

function clientsFor(baseUrl) {
  const url = `${baseUrl}/account/credits`;
  return {
    plain: async () => (await (await fetch(url, { headers: { "x-api-key": DEMO_KEY } })).json()).balance,
    getCredits: async () => (await getCredits(DEMO_KEY, { baseUrl })).balance,
  };
}

/** Nanoseconds per call of `run` (whose result `check` accepts): the median of `batches` batches. */
function perCallNs(run, check, { batches, perBatch }) {
  for (let i = 0; i < perBatch * 4; i++) run();
  const samples = [];
  for (let b = 0; b < batches; b++) {
    const start = performance.now();
    for (let i = 0; i < perBatch; i++) if (!check(run())) throw new Error("the result changed");
    samples.push(((performance.now() - start) * 1e6) / perBatch);
  }
  return median(samples);
}

/** Nanoseconds per estimate of the sample plan. */
function estimateNs(batches) {
  const total = estimateCost(SAMPLE_PLAN).total;
  return perCallNs(() => estimateCost(SAMPLE_PLAN), (estimate) => estimate.total === total, batches);
}

/** Nanoseconds per `defaultRateCard()`, which reads no input: what writing a result costs. */
function rateCardNs(batches) {
  const { version } = defaultRateCard();
  return perCallNs(defaultRateCard, (card) => card.version === version, batches);
}

/**
 * `count` overlapping calls of one client against the sandbox answering after 20 ms: the
 * requests each round of them made (the most of 9 rounds), and how long a round took (the
 * median) next to one call (the median of 21). One round alone moved by ±30% between runs.
 */
async function overlapping(count) {
  const id = `bench-overlap-${process.pid}`;
  const client = new CreditsClient(DEMO_KEY, { baseUrl: `${sandbox}/_sandbox/${id}/slow-20/api/v1` });
  const attempts = async () => (await (await fetch(`${sandbox}/_sandbox/${id}/stats`)).json()).attempts;
  const one = [];
  for (let i = 0; i < 21; i++) {
    const start = performance.now();
    await client.getCredits();
    one.push(performance.now() - start);
  }
  const [rounds, requests] = [[], []];
  for (let round = 0; round < 9; round++) {
    const before = await attempts();
    const start = performance.now();
    const results = await Promise.all(Array.from({ length: count }, () => client.getCredits()));
    rounds.push(performance.now() - start);
    if (results.some((credits) => credits.balance !== 47)) throw new Error("an overlapping call got another balance");
    requests.push((await attempts()) - before);
  }
  return { requests: Math.max(...requests), allMs: median(rounds), oneMs: median(one) };
}

/**
 * `count` charges as an app records them: one action each, of every kind (captions with what
 * they analyse, every image and video model, publishes to a few post types), charged at the
 * built-in card's prices, one in twenty refunded by half. Drawn from a fixed seed.
 */
function charges(count) {
  let seed = 12345;
  const draw = (below) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % below;
  };
  const { imageModels, videoModels, postTypes } = catalogue();
  const pick = (list) => list[draw(list.length)];
  const plans = [
    () => ({ caption: { researchMode: pick(["regular", "deep"]), imageInputs: draw(4), videoInputSeconds: pick([0, 0, 30, 90]), sourceUrls: draw(3) } }),
    () => ({ images: [{ model: pick(imageModels).name, quantity: 1 + draw(4) }] }),
    () => {
      const model = pick(videoModels);
      return { videos: [{ model: model.name, durationSeconds: pick(model.durations), audio: model.audio && draw(2) === 0 }] };
    },
    () => ({ publish: { postTypes: [...new Set(Array.from({ length: 1 + draw(3) }, () => pick(postTypes).name))] } }),
  ];
  return Array.from({ length: count }, () => {
    const plan = pick(plans)();
    const credits = estimateCost(plan).total;
    return { plan, creditsUsed: draw(20) === 0 ? Math.floor(credits / 2) : credits };
  });
}

/** Milliseconds per `calibrateRateCard` of `count` charges: the median of `runs`. */
function calibrateMs(count, runs) {
  const recorded = charges(count);
  const expected = calibrateRateCard(recorded).unexplained.length;
  if (expected === 0 || calibrateRateCard(recorded).changes.length !== 0) throw new Error("the refunds should be unexplained, and move no rate");
  return median(Array.from({ length: runs }, () => {
    const start = performance.now();
    if (calibrateRateCard(recorded).unexplained.length !== expected) throw new Error("the result changed");
    return performance.now() - start;
  }));
}

/** Milliseconds from the start of `import` to the first estimate, in `runs` fresh Node processes. */
function coldStartMs(runs) {
  const script = `const start = performance.now();
    const { estimateCost } = await import(${JSON.stringify(join(repo, "pkg/node/index.mjs"))});
    estimateCost(${JSON.stringify(SAMPLE_PLAN)});
    console.log(performance.now() - start);`;
  return median(Array.from({ length: runs }, () => Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" }))));
}

const files = sizes();
const size = files.reduce((sum, row) => ({ raw: sum.raw + row.raw, gzip: sum.gzip + row.gzip }), { raw: 0, gzip: 0 });
const estimate = estimateNs({ batches: 25, perBatch: 5000 });
const rateCard = rateCardNs({ batches: 25, perBatch: 5000 });
const calibrate1k = calibrateMs(1000, 21);
const calibrate10k = calibrateMs(10_000, 9);
const nearby = await interleaved(clientsFor(`${sandbox}/_sandbox/bench-nearby-${process.pid}/slow-20/api/v1`), { calls: 300, warmup: 30 });
const loopback = await interleaved(clientsFor(`${sandbox}/api/v1`), { calls: 3000, warmup: 300 });
const estimateAfterCalls = estimateNs({ batches: 25, perBatch: 5000 });
const memory = wasmMemoryBytes();
const coldStart = coldStartMs(15);
const shared = await overlapping(1000);

const nearbyRatio = median(nearby.getCredits) / median(nearby.plain);
const addedUs = (median(loopback.getCredits) - median(loopback.plain)) * 1000;
const verdict = (ok) => (ok ? "met" : "**not met**");
const kb = (bytes) => (bytes / 1024).toFixed(1);

const report = `## Measured by \`make bench\`

On ${machine()}. Every figure in this section comes from one run of [bench/bench.mjs](bench/bench.mjs)
against the local sandbox; rerun it to refresh.

| budget | measured | limit (aim) | |
| --- | ---: | ---: | --- |
| web build, wasm and all its JS, gzipped | ${kb(size.gzip)} KB (${size.gzip} bytes) | 115 KB (100 KB) | ${verdict(size.gzip <= 115 * 1024)} |
| \`getCredits\` / plain \`fetch\` + \`json()\`, Node, sandbox answering after 20 ms (median of ${nearby.plain.length} interleaved calls each) | ${nearbyRatio.toFixed(3)}× | 1.015× (1.01×) | ${verdict(nearbyRatio <= 1.015)} |
| time \`getCredits\` adds on bare loopback (median of ${loopback.plain.length} interleaved calls each) | ${addedUs.toFixed(0)} µs | 120 µs (80 µs) | ${verdict(addedUs <= 120)} |
| \`estimateCost\` of the documented sample plan, Node (median of 25 batches of 5,000) | ${(estimate / 1000).toFixed(2)} µs | 8 µs (5 µs) | ${verdict(estimate <= 8_000)} |
| the same, after the ${nearby.plain.length + loopback.plain.length + 330 * 2} \`getCredits\` calls above in the same process | ${(estimateAfterCalls / 1000).toFixed(2)} µs | | |
| \`defaultRateCard()\`, Node (median of 25 batches of 5,000) | ${(rateCard / 1000).toFixed(2)} µs | 10 µs | ${verdict(rateCard <= 10_000)} |
| \`calibrateRateCard\` of 10,000 charges, Node (median of 9; 1,000 charges: ${calibrate1k.toFixed(2)} ms, median of 21) | ${calibrate10k.toFixed(1)} ms | 50 ms | ${verdict(calibrate10k <= 50)} |
| a fresh Node process, \`import\` to the first estimate (median of 15) | ${coldStart.toFixed(1)} ms | 25 ms (15 ms) | ${verdict(coldStart <= 25)} |
| 1,000 overlapping \`getCredits\` calls of one client, sandbox answering after 20 ms (median of 9 rounds) | ${shared.requests} request${shared.requests === 1 ? "" : "s"}, ${shared.allMs.toFixed(1)} ms (one call: ${shared.oneMs.toFixed(1)} ms, ${(shared.allMs / shared.oneMs).toFixed(2)}×) | 1 request, 2× one call | ${verdict(shared.requests === 1 && shared.allMs <= 2 * shared.oneMs)} |

| getCredits, Node | median ms | plain \`fetch\` + \`json()\`, median ms |
| --- | ---: | ---: |
| sandbox answering after 20 ms | ${median(nearby.getCredits).toFixed(3)} | ${median(nearby.plain).toFixed(3)} |
| bare loopback | ${median(loopback.getCredits).toFixed(3)} | ${median(loopback.plain).toFixed(3)} |

| web build file | raw bytes | gzipped bytes |
| --- | ---: | ---: |
${files.map((row) => `| ${row.file} | ${row.raw} | ${row.gzip} |`).join("\n")}
| **total** | **${size.raw}** | **${size.gzip}** |

Wasm linear memory after the run: ${memory} bytes (${kb(memory)} KB).
`;

replaceSection(join(repo, "BENCHMARKS.md"), "bench", report);
console.log(report);
