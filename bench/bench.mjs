// make bench: measures the built package against its floors on this machine and writes
// BENCHMARKS.md. Run through scripts/with-sandbox.mjs (POWERPOST_SANDBOX).
//  - size: the web build's .wasm and JS glue, raw and gzipped;
//  - getCredits vs a plain fetch + json() of the same URL, interleaved in one process;
//  - estimateCost of the documented sample vs the same total computed in plain JS;
//  - the pure Rust estimator on the host (cargo example), the floor without any boundary.
import { readFileSync, writeFileSync, readdirSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { resolve, join } from "node:path";
import { getCredits, estimateCost } from "../pkg/node/index.mjs";

const repo = resolve(import.meta.dirname, "..");
const sandbox = process.env.POWERPOST_SANDBOX;
if (!sandbox) throw new Error("run through scripts/with-sandbox.mjs (make bench does)");
const DEMO_KEY = "pp_live_sk_demo0000000000000000000047";
const baseUrl = `${sandbox}/api/v1`;
const url = `${baseUrl}/account/credits`;

const median = (xs) => quantile(xs, 0.5);
const quantile = (xs, q) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
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

async function latency(calls) {
  const plain = async () => {
    const response = await fetch(url, { headers: { "x-api-key": DEMO_KEY } });
    return (await response.json()).balance;
  };
  const ours = async () => (await getCredits(DEMO_KEY, { baseUrl })).balance;
  for (let i = 0; i < 300; i++) {
    await plain();
    await ours();
  }
  const times = { plain: [], ours: [] };
  for (let i = 0; i < calls; i++) {
    // Interleaved, alternating which goes first, so drift hits both alike.
    const order = i % 2 ? [["plain", plain], ["ours", ours]] : [["ours", ours], ["plain", plain]];
    for (const [name, call] of order) {
      const start = performance.now();
      const balance = await call();
      times[name].push(performance.now() - start);
      if (balance !== 47) throw new Error(`unexpected balance ${balance}`);
    }
  }
  return times;
}

const SAMPLE = (() => {
  const postTypes = ["instagram-feed", "x-post", "linkedin-post"];
  return { caption: { researchMode: "regular", postTypes }, images: [{}], publish: { postTypes } };
})();

/** The same total in plain JS, hard-wired to the default card: the floor for a JS caller. */
function plainTotal(plan) {
  const perImage = { "flux2-flex": 4, "ideogram-3": 6, "gpt-image-1.5": 8, "nano-banana-2": 4 };
  let total = plan.caption ? (plan.caption.researchMode === "deep" ? 12 : 6) : 0;
  for (const image of plan.images ?? []) total += perImage[image.model ?? "flux2-flex"] * (image.quantity ?? 1);
  if (plan.publish) total += 1 + (plan.publish.postTypes.includes("x-post") ? 2 : 0);
  return total;
}

function perCall(run, batches = 25, perBatch = 5000) {
  for (let i = 0; i < perBatch * 4; i++) run();
  const samples = [];
  for (let b = 0; b < batches; b++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < perBatch; i++) run();
    samples.push(Number(process.hrtime.bigint() - start) / perBatch);
  }
  return samples;
}

function nativeEstimate() {
  const out = execFileSync("cargo", ["run", "--quiet", "--release", "--example", "native_estimate"], { cwd: repo, encoding: "utf8" });
  const values = [...out.matchAll(/^(\d+) ns per estimate/gm)].map((m) => Number(m[1]));
  return median(values);
}

const size = sizes();
const times = await latency(Number(process.env.BENCH_CALLS ?? 2000));
const estimateNs = perCall(() => estimateCost(SAMPLE).total);
const plainNs = perCall(() => plainTotal(SAMPLE));
if (estimateCost(SAMPLE).total !== plainTotal(SAMPLE)) throw new Error("the floor computes a different total");
const nativeNs = nativeEstimate();

const ours = { median: median(times.ours), p95: quantile(times.ours, 0.95) };
const plain = { median: median(times.plain), p95: quantile(times.plain, 0.95) };
const cpu = cpus()[0]?.model ?? "unknown CPU";
const date = new Date().toISOString().slice(0, 10);

const report = `# Benchmarks

Measured by \`make bench\` on ${date}: ${cpus().length} × ${cpu}, Node ${process.version}. Every
figure below comes from one run of [bench/bench.mjs](bench/bench.mjs); rerun it to refresh this file.

## Size of the web build

| file | raw bytes | gzipped bytes |
| --- | ---: | ---: |
${size.rows.map((row) => `| ${row.file} | ${row.raw} | ${row.gzip} |`).join("\n")}
| **total** | **${size.total.raw}** | **${size.total.gzip}** |
| floor: a hand-written \`fetch\` of the endpoint | ${size.floor.raw} | ${size.floor.gzip} |

## getCredits against the local sandbox (Node)

${times.ours.length} calls each, interleaved in one process after 300 warm-up calls each.

| | median ms | p95 ms |
| --- | ---: | ---: |
| plain \`fetch\` + \`json()\` | ${fmt(plain.median, 3)} | ${fmt(plain.p95, 3)} |
| \`getCredits\` | ${fmt(ours.median, 3)} | ${fmt(ours.p95, 3)} |
| **ratio** | **${fmt(ours.median / plain.median, 3)}×** | ${fmt(ours.p95 / plain.p95, 3)}× |

## estimateCost of the documented sample plan (Node)

Median over 25 batches of 5,000 calls, after warm-up.

| | median ns per call |
| --- | ---: |
| \`estimateCost\` (wasm, itemized, validated) | ${fmt(median(estimateNs), 0)} |
| plain JS computing the same total (no validation, no items) | ${fmt(median(plainNs), 0)} |
| the Rust estimator natively on the host (\`cargo run --release --example native_estimate\`) | ${fmt(nativeNs, 0)} |

## Where the targets stand, and what limits them

The targets (issues 2, 3 and 6): \`getCredits\` within 1.10× (later 1.05×) of a plain fetch;
an estimate in at most 2 µs (later 1 µs); web build at most 40 KB (later 25 KB) gzipped. None
is met yet. What the investigation of 2026-11-24 found (figures from its own runs, not from
the tables above):

- **getCredits**: a plain-JS client doing the same work per call (AbortController, timer,
  \`redirect: "error"\`, \`text()\` + \`JSON.parse\`, five headers) costs 1.054-1.058× a bare
  fetch, so the target is reachable in principle. Our own JS loop alone (boundary.js
  \`runCall\`, with a JS stand-in for the Rust step) costs 1.068-1.077×. Done so far: key and
  options cross in one tape; names are cached JS strings; the retry loop runs in JS and asks
  Rust once per attempt (no Rust futures, no per-await closures, 14 KB less wasm); headers and
  the body (parsed in JS) cross in one tape; the result is built in JS around the response's
  own request-id string; the last call's request is reused. That took the ratio from 1.31× to
  1.19×. With an instant fake \`fetch\` the wasm side now costs ~23 µs a call (profiled: call
  decoding ~7 µs, settling an attempt ~11 µs, of which ~4 µs turns header values into Rust
  strings), yet against the sandbox the gap to our own JS loop is ~55 µs, and the extra shows
  up as idle time, not CPU: not yet explained. GC is not the difference (~54 µs a call for
  both clients: undici's own allocations).
- **estimateCost**: a boundary crossing costs ~150 ns here, and reading a plan property by
  property took 140 of them (21 µs). Values now cross as one numeric tape each way, with known
  keys and catalogue names as ids (src/tape.rs), field paths are built only for errors, and
  string ids come from a compile-time hash table: 10 µs in wasm in a fresh process (up to
  16 µs in this benchmark, which runs it after thousands of fetches), a few µs for the same Rust
  natively (27,000 instructions by callgrind, from 44,000). The rest is spread thin: object
  lookups that scan entries, label building, and the JS encoder/decoder (~1 µs each way).
  Reaching 2 µs needs a different decoding model (one pass over the tape into a typed plan
  instead of repeated lookups). Tried: \`opt-level\` 3 and \`s\` (11-15 µs, 70-88 KB gzipped).
- **size**: \`opt-level = "z"\`, LTO, \`panic = "abort"\`, \`wasm-opt -Oz\`. Removing the
  second, \`JsValue\`-typed instantiation of every decoder and the async machinery took the
  wasm from 166 KB to 116 KB. By twiggy, what remains is our own code (\`estimateCost\` ~19 KB,
  \`settleCharges\` ~11 KB, call decoding ~6 KB), the allocator (~5 KB), and \`core::fmt\`
  pulled in by panic paths. \`make test\` guards the current size with a budget.
`;

writeFileSync(join(repo, "BENCHMARKS.md"), report);
console.log(report);
