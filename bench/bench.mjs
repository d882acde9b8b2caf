// make bench: measures the built package against its floors on this machine and writes
// BENCHMARKS.md. Run through scripts/with-sandbox.mjs (POWERPOST_SANDBOX).
//  - size: the web build's .wasm and JS glue, raw and gzipped, next to a hand-written fetch;
//  - in Node and in headless Chromium (bench/suite.mjs): getCredits vs a plain fetch + json()
//    of the same URL, one at a time and 64 in flight; estimateCost of the documented sample vs
//    the same total in plain JS; wasm memory after the first call and after 10,000 calls and
//    100,000 estimates;
//  - cold start: a fresh Node process from import to the first estimate;
//  - the pure Rust estimator on the host (cargo example), the floor without any boundary.
// The measured section of BENCHMARKS.md is rewritten; other sections (soak, analysis) are kept.
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { DEMO_KEY, SAMPLE_PLAN, machine, median, powerpost, quantile, repo, replaceSection, wasmMemoryBytes } from "./common.mjs";
import { suite } from "./suite.mjs";
import { inChromium } from "./browser.mjs";

const sandbox = process.env.POWERPOST_SANDBOX;
if (!sandbox) throw new Error("run through scripts/with-sandbox.mjs (make bench does)");
const fmt = (n, digits = 1) => n.toFixed(digits);

function sizes() {
  const web = join(repo, "pkg/web");
  const files = ["powerpost_credits_bg.wasm", "powerpost_credits.js", "index.js"];
  const snippetDir = join(web, "snippets");
  for (const dir of readdirSync(snippetDir)) files.push(join("snippets", dir, "src/js/boundary.js"));
  const rows = files.map((file) => {
    const bytes = readFileSync(join(web, file));
    return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const total = rows.reduce((sum, row) => ({ raw: sum.raw + row.raw, gzip: sum.gzip + row.gzip }), { raw: 0, gzip: 0 });
  const floor = `async function credits(key) { const r = await fetch("https://powerpost.ai/api/v1/account/credits", { headers: { "x-api-key": key } }); if (!r.ok) throw new Error(String(r.status)); return (await r.json()).balance; }`;
  return { rows, total, floor: { raw: floor.length, gzip: gzipSync(floor, { level: 9 }).length } };
}

function nativeEstimateNs() {
  const out = execFileSync("cargo", ["run", "--quiet", "--release", "--example", "native_estimate"], { cwd: repo, encoding: "utf8" });
  return median([...out.matchAll(/^(\d+) ns per estimate/gm)].map((m) => Number(m[1])));
}

/** Milliseconds from the start of `import` to the first estimate, in `runs` fresh Node processes. */
function coldStartMs(runs) {
  const script = `const start = performance.now();
    const { estimateCost } = await import(${JSON.stringify(join(repo, "pkg/node/index.mjs"))});
    estimateCost(${JSON.stringify(SAMPLE_PLAN)});
    console.log(performance.now() - start);`;
  return Array.from({ length: runs }, () => Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })));
}

const SETTINGS = { baseUrl: `${sandbox}/api/v1`, key: DEMO_KEY, plan: SAMPLE_PLAN, calls: Number(process.env.BENCH_CALLS ?? 2000),
  warmup: 300, inFlight: 64, concurrentCalls: 2000, rounds: 4, estimateBatches: 25, perBatch: 5000 };

const size = sizes();
globalThis.powerpost = powerpost;
globalThis.wasmMemory = { get buffer() { return { byteLength: wasmMemoryBytes() }; } };
const node = await suite(SETTINGS);
const chromium = await inChromium(suite, SETTINGS);
const coldStart = coldStartMs(15);
const nativeNs = nativeEstimateNs();

const ratio = (ours, plain) => `**${fmt(ours / plain, 3)}×**`;
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
function runtimeSection(name, r) {
  const lat = { ours: median(r.latency.ours), plain: median(r.latency.plain), ours95: quantile(r.latency.ours, 0.95), plain95: quantile(r.latency.plain, 0.95),
    sameWork: median(r.latency.sameWork), sameWork95: quantile(r.latency.sameWork, 0.95) };
  const tput = { ours: median(r.throughput.ours), plain: median(r.throughput.plain) };
  const est = { ours: median(r.estimator.ours), plain: median(r.estimator.plain) };
  return `### ${name}

| getCredits, one at a time (${r.latency.ours.length} calls each, interleaved in rotation after ${SETTINGS.warmup} warm-up calls each) | median ms | p95 ms |
| --- | ---: | ---: |
| plain \`fetch\` + \`json()\` | ${fmt(lat.plain, 3)} | ${fmt(lat.plain95, 3)} |
| floor: plain JS doing one attempt's work (own AbortController and timer, same options, five headers, \`text()\` + \`JSON.parse\`) | ${fmt(lat.sameWork, 3)} | ${fmt(lat.sameWork95, 3)} |
| \`getCredits\` | ${fmt(lat.ours, 3)} | ${fmt(lat.ours95, 3)} |
| floor / plain | ${fmt(lat.sameWork / lat.plain, 3)}× | ${fmt(lat.sameWork95 / lat.plain95, 3)}× |
| \`getCredits\` / plain (target ≤ 1.10×, issue #2) | ${ratio(lat.ours, lat.plain)} | ${fmt(lat.ours95 / lat.plain95, 3)}× |

| throughput, ${SETTINGS.inFlight} in flight (${SETTINGS.concurrentCalls} calls per round, median of ${SETTINGS.rounds} alternating rounds) | calls per second |
| --- | ---: |
| plain \`fetch\` + \`json()\` | ${fmt(tput.plain, 0)} |
| \`getCredits\` | ${fmt(tput.ours, 0)} |
| ratio (target ≥ 0.95×) | ${ratio(tput.ours, tput.plain)} |

| estimate of the documented sample plan (median of ${SETTINGS.estimateBatches} batches of ${SETTINGS.perBatch}) | ns per call |
| --- | ---: |
| \`estimateCost\` (wasm, validated, itemized; target ≤ 1,000 ns in Node) | ${fmt(est.ours, 0)} |
| floor: plain JS computing the same total (no validation, no items) | ${fmt(est.plain, 0)} |

| wasm linear memory | bytes |
| --- | ---: |
| after the first call and the first estimate | ${r.memory.atStart} (${kib(r.memory.atStart)}) |
| after ${r.memory.calls.toLocaleString("en")} calls and ${r.memory.estimates.toLocaleString("en")} estimates | ${r.memory.atEnd} (${kib(r.memory.atEnd)}) |
`;
}

const report = `## Measured by \`make bench\`

On ${machine()}, Chromium ${chromium.version}. Every figure in this section comes from one run
of [bench/bench.mjs](bench/bench.mjs) against the local sandbox; rerun it to refresh.

### Size of the web build

| file | raw bytes | gzipped bytes |
| --- | ---: | ---: |
${size.rows.map((row) => `| ${row.file} | ${row.raw} | ${row.gzip} |`).join("\n")}
| **total** (target ≤ 25 KB gzipped; budget in \`make test\`) | **${size.total.raw}** | **${size.total.gzip}** |
| floor: a hand-written \`fetch\` of the endpoint | ${size.floor.raw} | ${size.floor.gzip} |

${runtimeSection("Node", node)}
${runtimeSection("Chromium (headless, cross-origin-isolated page)", chromium)}
### Cold start and the native floor

| | median |
| --- | ---: |
| a fresh Node process, from \`import\` to the first estimate (${coldStart.length} processes; target ≤ 10 ms) | ${fmt(median(coldStart), 1)} ms |
| the same Rust estimator natively on the host (\`cargo run --release --example native_estimate\`) | ${fmt(nativeNs, 0)} ns |
`;

replaceSection(join(repo, "BENCHMARKS.md"), "bench", report);
console.log(report);
