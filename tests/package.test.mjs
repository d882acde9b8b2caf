// The packed package as a user meets it: `npm pack` of pkg/, installed offline into a fresh
// project, then imported with ESM and required with CommonJS, calling the sandbox that
// scripts/with-sandbox.mjs started (POWERPOST_SANDBOX).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { writeFileSync, rmSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { closedPort as portNothingListensOn, projectWithPackage, repo, waitUntil } from "./support.mjs";
import { DEMO_KEY } from "../sandbox/index.mjs";
import { calibrateRateCard, catalogue, defaultRateCard } from "../pkg/node/index.mjs";
const sandbox = process.env.POWERPOST_SANDBOX;
let project;

const run = (file, source) => {
  writeFileSync(join(project, file), source);
  return execFileSync(process.execPath, [file], { cwd: project, env: { ...process.env }, encoding: "utf8" });
};

let closedPort; // a loopback port nothing listens on

before(async () => {
  assert.ok(sandbox, "run through scripts/with-sandbox.mjs (make test does)");
  project = projectWithPackage("consumer");
  closedPort = await portNothingListensOn();
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
  assert.equal(result.version, catalogue().rateCardVersion, "the built-in card's version");
  assert.deepEqual(result.affordable, { affordable: false, balance: 12, cost: result.withX, remaining: 0, shortfall: result.withX - 12 });
  assert.equal(result.refunded, defaultRateCard().publish.surcharges.x, "the X surcharge");
  assert.deepEqual([result.field, result.code], ["images[0].size", "INVALID_ARGUMENT"]);
});

test("the package manifest routes Node and browsers to their builds", () => {
  const manifest = JSON.parse(readFileSync(join(project, "node_modules/powerpost-credits/package.json"), "utf8"));
  const cargoVersion = readFileSync(join(repo, "Cargo.toml"), "utf8").match(/^version = "(.+)"/m)[1];
  assert.equal(manifest.version, cargoVersion);
  const { node, browser } = manifest.exports["."];
  // Edge runtimes first: they also match `browser` or `default`, whose entry they cannot load.
  assert.deepEqual(Object.keys(manifest.exports["."]), ["workerd", "edge-light", "node", "browser", "default"]);
  assert.deepEqual(manifest.exports["."].workerd, { types: "./index.d.ts", default: "./web/workerd.js" });
  assert.deepEqual(manifest.exports["."]["edge-light"], { types: "./index.d.ts", default: "./web/edge-light.js" });
  assert.deepEqual(node, {
    import: { types: "./index.d.ts", default: "./node/index.mjs" },
    require: { types: "./index.d.cts", default: "./node/index.cjs" },
  });
  assert.deepEqual(browser, { types: "./index.d.ts", default: "./web/index.js" });
  // The sandbox is for Node only: no condition a browser or bundler sets finds it.
  assert.deepEqual(manifest.exports["./sandbox"], {
    import: { types: "./sandbox/index.d.ts", node: "./sandbox/index.mjs" },
    require: { types: "./sandbox/index.d.cts", node: "./sandbox/index.cjs" },
  });
  assert.equal(manifest.bin["powerpost-credits"], "./bin/powerpost-credits.mjs");
});

test("the tarball carries the licence texts its license field names and a changelog that starts at its version", () => {
  const installed = join(project, "node_modules/powerpost-credits");
  const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
  assert.equal(manifest.license, "MIT OR Apache-2.0");
  assert.match(readFileSync(join(installed, "LICENSE-MIT"), "utf8"), /^Copyright \(c\) .*\n\nPermission is hereby granted, free of charge/);
  assert.match(readFileSync(join(installed, "LICENSE-APACHE"), "utf8"), /Apache License\s+Version 2\.0, January 2004/);
  const changelog = readFileSync(join(installed, "CHANGELOG.md"), "utf8");
  assert.equal(changelog.match(/^## (\S+)/m)?.[1], manifest.version, "the newest CHANGELOG entry is this version");
});

test("no file in the tarball names a path outside the package", () => {
  const installed = join(project, "node_modules/powerpost-credits");
  const outside = [];
  for (const file of readdirSync(installed, { recursive: true })) {
    const path = join(installed, file);
    if (!statSync(path).isFile() || file.endsWith(".wasm.cjs")) continue;
    const text = readFileSync(path, "utf8");
    for (const [reference] of text.matchAll(/(?:\.\.\/)+[\w.-][\w./-]*/g)) {
      if (relative(installed, resolve(dirname(path), reference)).startsWith("..")) outside.push(`${file}: ${reference}`);
    }
    for (const [reference] of text.matchAll(/\/work\/[\w./-]+|\/root\/[\w./-]+/g)) outside.push(`${file}: ${reference}`);
  }
  assert.deepEqual(outside, []);
});

test("publint and Are The Types Wrong find no problems in the tarball", () => {
  const tarball = join(project, readdirSync(project).find((file) => file.endsWith(".tgz")));
  const publint = execFileSync(join(repo, "node_modules/.bin/publint"), [tarball], { encoding: "utf8" });
  assert.doesNotMatch(publint, /Warnings:|Errors:/, publint);
  // attw exits non-zero on any problem; --format json keeps the output machine-readable.
  const attw = spawnSync(join(repo, "node_modules/.bin/attw"), [tarball, "--format", "json"], { encoding: "utf8" });
  assert.equal(attw.status, 0, attw.stdout + attw.stderr);
});

test("the type definitions compile under strict mode (node16 and bundler resolution, ESM and CJS) and reject misuse", () => {
  const tsc = (config) => {
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(config));
    return spawnSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "-p", project], { encoding: "utf8" });
  };
  const strict = { strict: true, noEmit: true, target: "es2022", lib: ["es2022", "dom"], types: [] };
  const consumer = `
    import { getCredits, CreditsClient, PowerPostError, estimateCost, defaultRateCard, checkBalance, settleCharges, canAfford,
      type Credits, type CostEstimate, type ErrorCode, type PostPlan, type RateCard, type Settlement, type Preflight } from "powerpost-credits";
    export async function use(): Promise<void> {
      const credits: Credits = await getCredits("pp_live_sk_x", { timeoutMs: 1000, auth: "bearer", onRetry: (i) => void i.error.code });
      const client = new CreditsClient("pp_live_sk_x", { signal: new AbortController().signal });
      const again: Promise<Credits> = client.getCredits({ maxRetries: 0 });
      const plan: PostPlan = { caption: { researchMode: "deep" }, images: [{ model: "ideogram-3", quantity: 2 }], publish: { postTypes: ["x-post"] } };
      const estimate: CostEstimate = estimateCost(plan, { rateCard: { imageModels: { "flux2-flex": { perImage: 5 } } } });
      const card: RateCard = defaultRateCard();
      const settled: Settlement = settleCharges(estimate, { caption: "failed" });
      const ok: boolean = checkBalance(credits.balance, estimate).affordable;
      try { await again; } catch (e) { if (e instanceof PowerPostError) { const code: ErrorCode = e.code; const s: number | null = e.status; void code; void s; } }
      const shared = new CreditsClient("pp_live_sk_x", { maxAgeMs: 10_000 });
      const preflight: Preflight = await shared.canAfford(plan, { rateCard: { caption: { deep: 20 } } });
      const gate: boolean = (await canAfford("pp_live_sk_x", estimate)).affordable;
      for await (const event of shared.watch({ intervalMs: 60_000, thresholds: [100, 20] })) {
        if (event.type === "low") { const threshold: number = event.threshold; void threshold; }
        if (event.type === "balance") { const previous: number | null = event.previous; void previous; }
        if (event.type === "error") { const code: ErrorCode = event.error.code; void code; }
      }
      void preflight; void gate;
      void card; void settled; void ok;
    }
  `;
  writeFileSync(join(project, "use.mts"), consumer);
  writeFileSync(join(project, "use.ts"), consumer);
  writeFileSync(join(project, "use.cts"), `
    import credits = require("powerpost-credits");
    const estimate: credits.CostEstimate = credits.estimateCost({ images: [{}] });
    export const total: number = estimate.total;
  `);
  for (const config of [
    { compilerOptions: { ...strict, module: "node16", moduleResolution: "node16" }, files: ["use.mts", "use.cts"] },
    { compilerOptions: { ...strict, module: "esnext", moduleResolution: "bundler" }, files: ["use.ts"] },
  ]) {
    const result = tsc(config);
    assert.equal(result.status, 0, `${config.compilerOptions.moduleResolution}: ${result.stdout}`);
  }
  writeFileSync(join(project, "use.mts"), `
    import { estimateCost } from "powerpost-credits";
    estimateCost({ caption: { researchMode: "shallow" } });
  `);
  const misuse = tsc({ compilerOptions: { ...strict, module: "node16", moduleResolution: "node16" }, files: ["use.mts"] });
  assert.notEqual(misuse.status, 0);
  assert.match(misuse.stdout, /TS2322: Type '"shallow"' is not assignable to type 'ResearchMode'/);
});

/** Runs the installed CLI; returns { status, stdout, stderr }. */
function cli(args, env = {}, input = undefined) {
  const bin = join(project, "node_modules/.bin/powerpost-credits");
  const result = spawnSync(bin, args, { cwd: project, encoding: "utf8", input, env: { ...process.env, POWERPOST_API_KEY: "", POWERPOST_BASE_URL: "", ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test("the CLI reads the balance, as text or JSON, with the key from the environment or a file", () => {
  const baseUrl = `${sandbox}/api/v1`;
  const text = cli(["balance", "--base-url", baseUrl], { POWERPOST_API_KEY: DEMO_KEY });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^47 credits \(request req_\w+; \d+ of \d+ calls left until \d\d:\d\d:\d\d UTC\)$/m);
  const json = cli(["balance", "--json", "--base-url", baseUrl], { POWERPOST_API_KEY: DEMO_KEY });
  assert.equal(JSON.parse(json.stdout).balance, 47);
  writeFileSync(join(project, "key.txt"), `${DEMO_KEY}\n`);
  const fromFile = cli(["balance", "--key-file", join(project, "key.txt"), "--base-url", baseUrl, "--timeout", "5000"]);
  assert.equal(fromFile.status, 0, fromFile.stderr);
  for (const run of [text, json, fromFile]) assert.ok(!(run.stdout + run.stderr).includes(DEMO_KEY), "the key was printed");
});

test("the CLI takes the base URL from POWERPOST_BASE_URL, and --base-url over it, naming whichever is bad", () => {
  const fromEnv = cli(["balance"], { POWERPOST_API_KEY: DEMO_KEY, POWERPOST_BASE_URL: `${sandbox}/api/v1` });
  assert.equal(fromEnv.status, 0, fromEnv.stderr);
  assert.match(fromEnv.stdout, /^47 credits/);
  const overridden = cli(["balance", "--base-url", `${sandbox}/api/v1`], { POWERPOST_API_KEY: DEMO_KEY, POWERPOST_BASE_URL: `http://127.0.0.1:${closedPort}/api/v1` });
  assert.equal(overridden.status, 0, overridden.stderr);
  const badEnv = cli(["balance"], { POWERPOST_API_KEY: DEMO_KEY, POWERPOST_BASE_URL: "http://example.com/api/v1" });
  assert.equal(badEnv.status, 2);
  assert.match(badEnv.stderr, /^powerpost-credits: POWERPOST_BASE_URL must use https/);
  const badOption = cli(["balance", "--base-url", "http://example.com/api/v1"], { POWERPOST_API_KEY: DEMO_KEY });
  assert.match(badOption.stderr, /^powerpost-credits: --base-url must use https/);
  const help = cli(["--help"]);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /POWERPOST_BASE_URL +the API's base URL/);
  assert.match(help.stdout, /POWERPOST_API_KEY +the key/);
});

test("the CLI exits 1 on API errors with the code and request id; a network error names the host and cause; never the key", () => {
  const key = "pp_live_sk_recognisable0secret0key";
  const run = cli(["balance", "--base-url", `${sandbox}/api/v1`], { POWERPOST_API_KEY: key });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^powerpost-credits: 401 INVALID_API_KEY: .* \(request req_\w+\)$/m);
  assert.ok(!(run.stdout + run.stderr).includes(key));
  const down = cli(["balance", "--base-url", `http://127.0.0.1:${closedPort}/api/v1`, "--timeout", "2000"], { POWERPOST_API_KEY: key });
  assert.equal(down.status, 1);
  assert.equal(down.stderr, `powerpost-credits: NETWORK_ERROR: cannot reach 127.0.0.1:${closedPort}: connect ECONNREFUSED 127.0.0.1:${closedPort} (request none)\n`);
  assert.ok(!(down.stdout + down.stderr).includes(key));
});

test("the CLI's usage errors are one line with a hint (exit 2) and name where the bad input came from", () => {
  writeFileSync(join(project, "bad-key.txt"), "not a key\n");
  for (const [args, env, message] of [
    [["balance"], {}, "no key: set POWERPOST_API_KEY or pass --key-file FILE"],
    [["balance", "--timeout", "soon"], { POWERPOST_API_KEY: DEMO_KEY }, "--timeout must be a whole number of milliseconds"],
    [["balance", "--colour"], {}, "unknown option --colour"],
    [["balance", "--port", "1"], {}, "--port is not an option of balance"],
    [["balance", "--key-file"], {}, "--key-file needs a value"],
    [["frobnicate"], {}, 'unknown command "frobnicate": balance, estimate, calibrate, watch or sandbox'],
    [[], {}, "no command: balance, estimate, calibrate, watch or sandbox"],
    [["estimate"], {}, "estimate needs a plan file (or - for standard input)"],
    [["calibrate"], {}, "calibrate needs a file of charges (or - for standard input)"],
    [["calibrate", "a.json", "b.json"], {}, "calibrate takes one file of charges, not also b.json"],
    [["calibrate", "a.json", "--timeout", "5"], {}, "--timeout is not an option of calibrate"],
    [["balance"], { POWERPOST_API_KEY: "not a key" }, "POWERPOST_API_KEY must look like pp_<env>_sk_<id> (letters, digits, '_' or '-'; no spaces)"],
    [["balance", "--key-file", join(project, "bad-key.txt")], {}, `--key-file ${join(project, "bad-key.txt")} must look like pp_<env>_sk_<id> (letters, digits, '_' or '-'; no spaces)`],
    [["balance", "--key-file", join(project, "missing.txt")], {}, `cannot read --key-file ${join(project, "missing.txt")}: no such file`],
  ]) {
    const run = cli(args, env);
    assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.equal(run.stderr, `powerpost-credits: ${message} (powerpost-credits --help shows the usage)\n`);
  }
});

test("the CLI calibrates: the changed rates and the unexplained charges as tables, the overrides as JSON", () => {
  const gpt = (quantity) => ({ images: [{ model: "gpt-image-1.5", quantity }] });
  const charges = [{ plan: gpt(1), creditsUsed: 15 }, { plan: gpt(2), creditsUsed: 30 }, { plan: gpt(1), creditsUsed: 7 }];
  writeFileSync(join(project, "charges.json"), JSON.stringify(charges));
  const table = cli(["calibrate", join(project, "charges.json")]);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^3 charges; rate card \S+\+calibrated$/m);
  assert.match(table.stdout, /^imageModels\.gpt-image-1\.5\.perImage\s+14\s+15\s+2$/m);
  assert.match(table.stdout, /^1 charge not explained/m);
  assert.match(table.stdout, /^\s+2\s+7\s+15$/m);
  const json = cli(["calibrate", "-", "--json"], {}, JSON.stringify(charges));
  assert.equal(json.status, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout), calibrateRateCard(charges).overrides);
  const bad = cli(["calibrate", "-"], {}, JSON.stringify([{ plan: { images: [{}, {}] }, creditsUsed: 1 }]));
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^powerpost-credits: the charges on standard input: charges\[0\]\.plan\.images must have one entry/);
});

test("the CLI prints an itemized estimate, as a table or JSON, and whether the balance covers it", () => {
  const postTypes = ["instagram-feed", "x-post", "linkedin-post"];
  const planText = JSON.stringify({ caption: { researchMode: "regular", postTypes }, images: [{}], publish: { postTypes } });
  writeFileSync(join(project, "plan.json"), planText);
  const table = cli(["estimate", join(project, "plan.json")]);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^Caption, regular research\s+6$/m);
  assert.match(table.stdout, /^Total\s+15$/m);
  assert.match(table.stdout, /^Balance not checked: set POWERPOST_API_KEY or pass --key-file FILE to compare\.$/m);
  const covered = cli(["estimate", join(project, "plan.json"), "--base-url", `${sandbox}/api/v1`], { POWERPOST_API_KEY: DEMO_KEY });
  assert.match(covered.stdout, /Your balance of 47 covers it; 32 would remain\./);
  const json = JSON.parse(cli(["estimate", join(project, "plan.json"), "--json"]).stdout);
  assert.deepEqual([json.estimate.total, json.affordability, json.balanceError], [15, null, null]);
  const stdin = cli(["estimate", "-"], {}, planText);
  assert.equal(stdin.status, 0, stdin.stderr);
  assert.equal(stdin.stdout, table.stdout, "- reads the plan from standard input");
});

test("the CLI's estimate stands when the balance cannot be read: printed, then why the balance is unknown (exit 1)", () => {
  const plan = join(project, "plan.json");
  const down = { POWERPOST_API_KEY: DEMO_KEY, POWERPOST_BASE_URL: `http://127.0.0.1:${closedPort}/api/v1` };
  const table = cli(["estimate", plan, "--timeout", "2000"], down);
  assert.equal(table.status, 1);
  assert.match(table.stdout, /^Total\s+15$/m);
  assert.equal(table.stderr, `powerpost-credits: balance unknown: NETWORK_ERROR: cannot reach 127.0.0.1:${closedPort}: connect ECONNREFUSED 127.0.0.1:${closedPort} (request none)\n`);
  const json = cli(["estimate", plan, "--json", "--timeout", "2000"], down);
  assert.equal(json.status, 1);
  const { estimate, affordability, balanceError } = JSON.parse(json.stdout);
  assert.deepEqual([estimate.total, affordability], [15, null]);
  assert.match(balanceError, /^NETWORK_ERROR: cannot reach 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
  const badKey = cli(["estimate", plan], { POWERPOST_API_KEY: "not a key" });
  assert.equal(badKey.status, 2);
  assert.match(badKey.stdout, /^Total\s+15$/m);
  assert.match(badKey.stderr, /^powerpost-credits: balance unknown: POWERPOST_API_KEY must look like/);
});

test("the CLI names a bad plan's file, line and column, or the field", () => {
  for (const [file, text, message] of [
    ["broken.json", '{\n  "images": [{ "quantity": 1 }\n}', "broken.json line 3 column 1 is not valid JSON"],
    ["cut.json", '{ "images": [', "cut.json line 1 column 14 is not valid JSON: Unexpected end of JSON input"],
    ["bad-plan.json", JSON.stringify({ images: [{ quantity: 9 }] }), "bad-plan.json: images[0].quantity must be a whole number from 1 to 4"],
  ]) {
    writeFileSync(join(project, file), text);
    const run = cli(["estimate", file]);
    assert.equal(run.status, 2, run.stderr);
    assert.ok(run.stderr.startsWith(`powerpost-credits: ${message}`), run.stderr);
    assert.equal(run.stderr.split("\n").length, 2, "one line");
  }
  const missing = cli(["estimate", "nowhere.json"]);
  assert.equal(missing.stderr, "powerpost-credits: cannot read nowhere.json: no such file (powerpost-credits --help shows the usage)\n");
  const stdin = cli(["estimate", "-"], {}, "[1,");
  assert.match(stdin.stderr, /^powerpost-credits: the plan on standard input line 1 column 4 is not valid JSON/);
});

test("the CLI watches the balance, a line per event, until Ctrl-C (exit 0) or an error ends the watch (exit 1)", async () => {
  const baseUrl = `${sandbox}/_sandbox/cli-watch-${process.pid}/balance-47,balance-30/api/v1`;
  const child = spawn(join(project, "node_modules/.bin/powerpost-credits"), ["watch", "--interval", "1", "--warn", "40", "--base-url", baseUrl], {
    env: { ...process.env, POWERPOST_API_KEY: DEMO_KEY },
  });
  let out = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  const lines = () => out.split("\n").filter(Boolean);
  await waitUntil(() => lines().length >= 3, 15_000);
  child.kill("SIGINT");
  const [code] = await once(child, "exit");
  assert.equal(code, 0, out);
  assert.deepEqual(lines().map((line) => line.slice(9)), ["balance: 47 credits", "balance: 30 credits (was 47)", "low: 30 credits is below 40"]);
  assert.ok(lines().every((line) => /^\d\d:\d\d:\d\d /.test(line)));

  const ended = cli(["watch", "--base-url", `${sandbox}/api/v1`], { POWERPOST_API_KEY: "pp_live_sk_recognisable0secret0key" });
  assert.equal(ended.status, 1);
  assert.match(ended.stderr, /^powerpost-credits: 401 INVALID_API_KEY: /m);
  assert.equal(cli(["watch", "--interval", "0.5"], { POWERPOST_API_KEY: DEMO_KEY }).status, 2);
  assert.equal(cli(["watch", "--warn", "low"], { POWERPOST_API_KEY: DEMO_KEY }).status, 2);
});
