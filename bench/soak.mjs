// make soak: a long run in one Node process — 100,000 sequential getCredits calls against the
// sandbox (one in a hundred a deliberate failure) and 1,000,000 estimates — checking that every
// call settles as it should, wasm linear memory stays flat after warm-up, and nothing is
// left as an unhandled rejection. Writes its section of BENCHMARKS.md.
// Run through scripts/with-sandbox.mjs (POWERPOST_SANDBOX). SOAK_CALLS / SOAK_ESTIMATES scale it.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { wasmMemoryBytes, replaceSection, SAMPLE_PLAN, DEMO_KEY, repo, machine, powerpost } from "./common.mjs";

const { getCredits, estimateCost, CreditsClient } = powerpost;

const sandbox = process.env.POWERPOST_SANDBOX;
if (!sandbox) throw new Error("run through scripts/with-sandbox.mjs (make soak does)");
const CALLS = Number(process.env.SOAK_CALLS ?? 100_000);
const ESTIMATES = Number(process.env.SOAK_ESTIMATES ?? 1_000_000);
const baseUrl = `${sandbox}/api/v1`;

let unhandled = 0;
process.on("unhandledRejection", () => void (unhandled += 1));

const WRONG_KEY = "pp_live_sk_wrong000000000000000000000";
const client = new CreditsClient(DEMO_KEY, { baseUrl });
const wrongKeyClient = new CreditsClient(WRONG_KEY, { baseUrl });
const counts = { ok: 0, expectedErrors: 0 };
const memory = { calls: [], estimates: [] };

async function oneCall(i) {
  // One call in 100 fails on purpose, alternating a 401 from the server and a bad argument.
  if (i % 100 === 99) {
    const bad = i % 200 === 199 ? wrongKeyClient.getCredits() : getCredits(DEMO_KEY, { baseUrl, timeoutMs: -1 });
    const error = await bad.then(() => null, (reason) => reason);
    const expected = i % 200 === 199 ? "INVALID_API_KEY" : "INVALID_ARGUMENT";
    if (error?.code !== expected) throw new Error(`call ${i}: expected ${expected}, got ${error?.code ?? "success"}`);
    counts.expectedErrors += 1;
    return;
  }
  const result = i % 2 ? await client.getCredits() : await getCredits(DEMO_KEY, { baseUrl });
  if (result.balance !== 47) throw new Error(`call ${i}: balance ${result.balance}`);
  counts.ok += 1;
}

const checkpoints = (total) => new Set([1, 1_000, total / 4, total / 2, (3 * total) / 4, total].map(Math.floor));

const callsStarted = performance.now();
const callMarks = checkpoints(CALLS);
for (let i = 0; i < CALLS; i++) {
  await oneCall(i);
  if (callMarks.has(i + 1)) memory.calls.push([i + 1, wasmMemoryBytes()]);
}
const callSeconds = (performance.now() - callsStarted) / 1000;

const sampleTotal = estimateCost(SAMPLE_PLAN).total;
const estimatesStarted = performance.now();
const estimateMarks = checkpoints(ESTIMATES);
for (let i = 0; i < ESTIMATES; i++) {
  if (estimateCost(SAMPLE_PLAN).total !== sampleTotal) throw new Error(`estimate ${i}: wrong total`);
  if (estimateMarks.has(i + 1)) memory.estimates.push([i + 1, wasmMemoryBytes()]);
}
const estimateSeconds = (performance.now() - estimatesStarted) / 1000;
await new Promise((resolve) => setTimeout(resolve, 100)); // let any stray rejection surface

const flat = (marks) => marks.slice(1).every(([, bytes]) => bytes === marks[1][1]);
const row = (label, marks) => `| ${label} | ${marks.map(([n, bytes]) => `${n.toLocaleString("en")}: ${(bytes / 1024).toFixed(0)} KiB`).join(" · ")} | ${flat(marks) ? "yes" : "**no**"} |`;
const report = `## Soak (\`make soak\`)

Measured on ${machine()}. One Node process: ${CALLS.toLocaleString("en")} sequential \`getCredits\` calls
against the local sandbox in ${callSeconds.toFixed(0)} s (${counts.ok.toLocaleString("en")} succeeded; ${counts.expectedErrors.toLocaleString("en")} failed on purpose,
half a 401 from the server and half a bad argument, each with the expected code), then
${ESTIMATES.toLocaleString("en")} estimates of the documented sample plan in ${estimateSeconds.toFixed(0)} s. Unhandled rejections: **${unhandled}**.

| wasm linear memory after | calls/estimates: size | flat after warm-up (from the 1,000th) |
| --- | --- | --- |
${row("getCredits calls", memory.calls)}
${row("estimates", memory.estimates)}
`;
console.log(report);
replaceSection(join(repo, "BENCHMARKS.md"), "soak", report);
if (unhandled || !flat(memory.calls) || !flat(memory.estimates)) {
  console.error("soak: memory grew or a rejection went unhandled");
  process.exit(1);
}
