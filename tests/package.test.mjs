// The packed package as a user meets it: `npm pack` of pkg/, installed offline into a fresh
// project, then imported with ESM and required with CommonJS, calling the sandbox that
// scripts/with-sandbox.mjs started (POWERPOST_SANDBOX).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const repo = resolve(import.meta.dirname, "..");
const sandbox = process.env.POWERPOST_SANDBOX;
const DEMO_KEY = "pp_live_sk_demo0000000000000000000047";
let project;

const run = (file, source) => {
  writeFileSync(join(project, file), source);
  return execFileSync(process.execPath, [file], { cwd: project, env: { ...process.env }, encoding: "utf8" });
};

before(() => {
  assert.ok(sandbox, "run through scripts/with-sandbox.mjs (make test does)");
  project = mkdtempSync(join(tmpdir(), "powerpost-credits-consumer-"));
  const tarball = execFileSync("npm", ["pack", join(repo, "pkg"), "--pack-destination", project, "--silent"], { encoding: "utf8" }).trim().split("\n").pop();
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", join(project, tarball)], { cwd: project });
});

after(() => project && rmSync(project, { recursive: true, force: true }));

test("Node ESM import reads the demo balance from the sandbox", () => {
  const out = run("esm.mjs", `
    import { getCredits, PowerPostError } from "powerpost-credits";
    const credits = await getCredits("${DEMO_KEY}", { baseUrl: process.env.POWERPOST_SANDBOX + "/api/v1" });
    const error = await getCredits("nope").catch((e) => e);
    console.log(JSON.stringify({ credits, isError: error instanceof PowerPostError && error instanceof Error, code: error.code, field: error.field }));
  `);
  const { credits, isError, code, field } = JSON.parse(out);
  assert.equal(credits.balance, 47);
  assert.match(credits.requestId, /^req_/);
  assert.equal(typeof credits.rateLimit.remaining, "number");
  assert.deepEqual([isError, code, field], [true, "INVALID_ARGUMENT", "apiKey"]);
});

test("Node CommonJS require reads the demo balance and shares the error class with ESM", () => {
  const out = run("cjs.cjs", `
    const { CreditsClient, PowerPostError } = require("powerpost-credits");
    import("powerpost-credits").then(async (esm) => {
      const client = new CreditsClient("${DEMO_KEY}", { baseUrl: process.env.POWERPOST_SANDBOX + "/api/v1" });
      const credits = await client.getCredits();
      const error = await client.getCredits({ baseUrl: process.env.POWERPOST_SANDBOX + "/_sandbox/pkg-cjs-${process.pid}/status-402/api/v1" }).catch((e) => e);
      console.log(JSON.stringify({ balance: credits.balance, sameClass: esm.PowerPostError === PowerPostError, code: error.code, status: error.status, name: error.name }));
    });
  `);
  assert.deepEqual(JSON.parse(out), { balance: 47, sameClass: true, code: "INSUFFICIENT_CREDITS", status: 402, name: "PowerPostError" });
});

test("the estimator works from the package: the documented sample costs 10-15 and X raises it", () => {
  const out = run("estimate.mjs", `
    import { estimateCost, defaultRateCard, checkBalance, settleCharges } from "powerpost-credits";
    const plan = (postTypes) => ({ caption: { researchMode: "regular", postTypes }, images: [{}], publish: { postTypes } });
    const without = estimateCost(plan(["instagram-feed", "facebook-post", "linkedin-post"]));
    const withX = estimateCost(plan(["instagram-feed", "x-post", "linkedin-post"]));
    const card = defaultRateCard();
    card.caption.regular = 999; // a copy: changing it changes nothing
    const again = estimateCost(plan(["instagram-feed", "facebook-post", "linkedin-post"]));
    const settled = settleCharges(withX, { publish: [{ postType: "x-post", status: "failed" }, { postType: "instagram-feed", status: "posted" }] });
    let thrown; try { estimateCost({ images: [{ model: "gpt-image-1.5", size: "feed" }] }); } catch (e) { thrown = e; }
    console.log(JSON.stringify({ without: without.total, withX: withX.total, again: again.total, version: withX.rateCardVersion,
      affordable: checkBalance(12, withX), refunded: settled.refunded, field: thrown.field, code: thrown.code }));
  `);
  const result = JSON.parse(out);
  assert.ok(result.without >= 10 && result.without <= 15, `sample costs ${result.without}`);
  assert.ok(result.withX > result.without && result.withX <= 15);
  assert.equal(result.again, result.without);
  assert.equal(result.version, "2026-11-estimate");
  assert.deepEqual(result.affordable, { affordable: false, balance: 12, cost: result.withX, remaining: 0, shortfall: result.withX - 12 });
  assert.equal(result.refunded, 2);
  assert.deepEqual([result.field, result.code], ["images[0].size", "INVALID_ARGUMENT"]);
});

test("the package manifest routes Node and browsers to their builds", () => {
  const manifest = JSON.parse(readFileSync(join(project, "node_modules/powerpost-credits/package.json"), "utf8"));
  const cargoVersion = readFileSync(join(repo, "Cargo.toml"), "utf8").match(/^version = "(.+)"/m)[1];
  assert.equal(manifest.version, cargoVersion);
  assert.equal(Object.keys(manifest.exports["."])[0], "types");
  assert.deepEqual(manifest.exports["."].node, { import: "./node/index.mjs", require: "./node/index.cjs" });
  assert.equal(manifest.exports["."].browser, "./web/index.js");
});

test("the type definitions compile under strict mode and reject misuse", () => {
  const tsc = join(repo, "node_modules/typescript/bin/tsc");
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, module: "node16", moduleResolution: "node16", target: "es2022", lib: ["es2022", "dom"], types: [] },
    files: ["use.mts"],
  }));
  writeFileSync(join(project, "use.mts"), `
    import { getCredits, CreditsClient, PowerPostError, estimateCost, defaultRateCard, checkBalance, settleCharges,
      type Credits, type CostEstimate, type ErrorCode, type PostPlan, type RateCard, type Settlement } from "powerpost-credits";
    const credits: Credits = await getCredits("pp_live_sk_x", { timeoutMs: 1000, auth: "bearer", onRetry: (i) => void i.error.code });
    const client = new CreditsClient("pp_live_sk_x", { signal: new AbortController().signal });
    const again: Promise<Credits> = client.getCredits({ maxRetries: 0 });
    const plan: PostPlan = { caption: { researchMode: "deep" }, images: [{ model: "ideogram-3", quantity: 2 }], publish: { postTypes: ["x-post"] } };
    const estimate: CostEstimate = estimateCost(plan, { rateCard: { imageModels: { "flux2-flex": { perImage: 5 } } } });
    const card: RateCard = defaultRateCard();
    const settled: Settlement = settleCharges(estimate, { caption: "failed" });
    const ok: boolean = checkBalance(credits.balance, estimate).affordable;
    try { await again; } catch (e) { if (e instanceof PowerPostError) { const code: ErrorCode = e.code; const s: number | null = e.status; void code; void s; } }
    void card; void settled; void ok;
  `);
  execFileSync(process.execPath, [tsc, "-p", project], { encoding: "utf8" });
  writeFileSync(join(project, "use.mts"), `
    import { estimateCost } from "powerpost-credits";
    estimateCost({ caption: { researchMode: "shallow" } });
  `);
  assert.throws(
    () => execFileSync(process.execPath, [tsc, "-p", project], { encoding: "utf8", stdio: "pipe" }),
    (error) => /TS2322: Type '"shallow"' is not assignable to type 'ResearchMode'/.test(error.stdout),
  );
});
