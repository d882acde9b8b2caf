// Load and size guarantees of the built package (pkg/), against the sandbox that
// scripts/with-sandbox.mjs started (POWERPOST_SANDBOX).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join, resolve } from "node:path";
import { inspect } from "node:util";
import { getCredits, estimateCost } from "../pkg/node/index.mjs";
import { DEMO_KEY } from "../sandbox/index.mjs";

const repo = resolve(import.meta.dirname, "..");
const sandboxStats = async (id) => (await fetch(`${process.env.POWERPOST_SANDBOX}/_sandbox/${id}/stats`)).json();

test("1,000 concurrent getCredits calls all settle with the right balance", async () => {
  const baseUrl = `${process.env.POWERPOST_SANDBOX}/api/v1`;
  const results = await Promise.allSettled(Array.from({ length: 1000 }, () => getCredits(DEMO_KEY, { baseUrl })));
  const failed = results.filter((result) => result.status === "rejected");
  assert.deepEqual(failed.map((result) => result.reason.code), []);
  assert.ok(results.every((result) => result.value.balance === 47));
  assert.equal(new Set(results.map((result) => result.value.requestId)).size, 1000, "each response has its own request id");
});

// Every fault the sandbox can script, each ending in an error or (for the retried ones) a success.
const FAULTS = ["ok", "status-401", "status-403", "status-500", "status-503,ok", "html-502", "html-401", "ratelimit-1,ok",
  "ratelimit-61", "retrydate-1,ok", "slow-2000", "slowbody-2000", "malformed", "body-", "body-%5B%5D", "body-null",
  "body-%7B%22balance%22%3A%2247%22%7D", "body-%7B%22balance%22%3A-1%7D", "body-%7B%22balance%22%3A1e400%7D",
  "redirect", "reset", "resetbody", "error-bad%20request", "bigbody-5000000"];

test("across the whole fault matrix the key is in no message, stack, payload, log line or URL, and goes nowhere else", async () => {
  const secret = DEMO_KEY.slice("pp_live_sk_".length, -4); // a redacted hint may show the last four
  const seen = [];
  const logged = [];
  const methods = ["log", "info", "warn", "error", "debug", "trace"];
  const original = Object.fromEntries(methods.map((name) => [name, console[name]]));
  for (const name of methods) console[name] = (...args) => logged.push(args.map((arg) => inspect(arg)).join(" "));
  try {
    for (const [index, steps] of FAULTS.entries()) {
      const id = `secrets-${process.pid}-${index}`;
      const baseUrl = `${process.env.POWERPOST_SANDBOX}/_sandbox/${id}/${steps}/api/v1`;
      for (const auth of ["x-api-key", "bearer"]) {
        const onRetry = (info) => seen.push(inspect(info, { depth: 5 }), JSON.stringify(info));
        const outcome = await getCredits(DEMO_KEY, { baseUrl, auth, timeoutMs: 500, maxRetries: 1, onRetry }).then(
          (credits) => JSON.stringify(credits),
          (error) => [error.message, error.stack, String(error), JSON.stringify(error), inspect(error, { depth: 5 })].join("\n"),
        );
        seen.push(outcome);
      }
      const stats = await sandboxStats(id);
      assert.equal(stats.keyInUrl, false, `${steps}: the key was in a URL`);
      assert.equal(stats.elsewhere.sawKey, false, `${steps}: another origin received the key`);
    }
  } finally {
    Object.assign(console, original);
  }
  assert.ok(seen.some((text) => text.includes("INTERNAL_ERROR")) && seen.some((text) => text.includes('"balance":47')), "the matrix ran");
  for (const text of [...seen, ...logged]) assert.ok(!text.includes(secret), `the key leaked into: ${text.slice(0, 300)}`);
  assert.deepEqual(logged, [], "the package logs nothing");
});

test("a burst over the rate limit converges: retries wait for the window the server names, no storm", async (t) => {
  const [calls, limit] = [300, 100]; // the scenario admits 100 calls per 1-second window
  const id = `storm-${process.pid}`;
  const baseUrl = `${process.env.POWERPOST_SANDBOX}/_sandbox/${id}/limit-${limit}per1/api/v1`;
  let retries = 0;
  const onRetry = () => void (retries += 1);
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: calls }, () => getCredits(DEMO_KEY, { baseUrl, maxRetries: 5, onRetry })));
  const seconds = (performance.now() - started) / 1000;
  assert.deepEqual(results.filter((result) => result.status === "rejected").map((result) => result.reason.code), []);
  assert.ok(results.every((result) => result.value.balance === 47));

  const { attempts } = await sandboxStats(id);
  // A client that comes back only after the window the server named is rejected at most once
  // per window: 300 + 200 + 100 attempts at worst. Retrying on its own backoff (0.5 s, 1 s, ...)
  // would land inside the same window again and again.
  let mostAttempts = 0;
  for (let waiting = calls; waiting > 0; waiting -= limit) mostAttempts += waiting;
  t.diagnostic(`${calls} calls, ${attempts} attempts (${retries} retries) in ${seconds.toFixed(1)} s; at most ${mostAttempts} allowed`);
  assert.equal(attempts, calls + retries, "every retry reached the server once");
  assert.ok(attempts <= mostAttempts, `${attempts} attempts is a retry storm (at most ${mostAttempts} expected)`);
  assert.ok(attempts > calls, "the burst was rate limited at all");
});

test("the estimator keeps working after every kind of bad call", () => {
  const good = { caption: { researchMode: "regular" } };
  const hostile = [undefined, null, 5, "plan", [], { images: {} }, { images: [{ quantity: -1 }] }, { images: [{ model: "x".repeat(5_000_000) }] },
    { get caption() { throw new Error("boom"); } }, { videos: [{ durationSeconds: NaN }] }];
  for (const plan of hostile) {
    assert.throws(() => estimateCost(plan), (error) => error.name === "PowerPostError" && error.code === "INVALID_ARGUMENT" && typeof error.field === "string");
    assert.equal(estimateCost(good).total, 6);
  }
});

// Size is deterministic, so it is guarded here; timings live in `make bench`. The web build's
// wasm and all the JS a page loads (glue, snippets, entry and its exports), gzipped. The limit
// is the size reached, rounded up to the next KB, so that the build only grows on purpose; the
// budgets, and what the size is made of, are in BENCHMARKS.md.
const WEB_BUILD_BUDGET_GZIP = 131 * 1024;

test(`the web build's wasm, glue, snippets and entry stay within ${WEB_BUILD_BUDGET_GZIP} bytes gzipped`, () => {
  const web = join(repo, "pkg/web");
  const snippets = readdirSync(join(web, "snippets")).flatMap((dir) =>
    readdirSync(join(web, "snippets", dir, "src/js")).filter((file) => file.endsWith(".js")).map((file) => join("snippets", dir, "src/js", file)));
  const files = ["powerpost_credits_bg.wasm", "powerpost_credits.js", "index.js", "api.js", ...snippets];
  const total = files.reduce((sum, file) => sum + gzipSync(readFileSync(join(web, file)), { level: 9 }).length, 0);
  assert.ok(total <= WEB_BUILD_BUDGET_GZIP, `${total} bytes gzipped is over the budget of ${WEB_BUILD_BUDGET_GZIP}`);
});
