// The sandbox as package users get it: `powerpost-credits/sandbox` and `powerpost-credits
// sandbox` from the packed tarball installed into a fresh project (no sandbox of the
// repository's is used here), its options and errors, and its absence from browser builds.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { projectWithPackage, repo, waitUntil } from "./support.mjs";
let project;

before(() => {
  project = projectWithPackage("sandbox-user", { type: "module" });
});

after(() => project && rmSync(project, { recursive: true, force: true }));

/** Runs `source` as a module of the project; returns what it printed, parsed as JSON. */
const run = (file, source) => {
  writeFileSync(join(project, file), source);
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: project, encoding: "utf8" }));
};

test("startSandbox from the package: the demo balance, a scripted scenario retried and counted, keys and balances of its own", () => {
  const out = run("sandbox.mjs", `
    import { startSandbox, DEMO_KEY, NO_SCOPE_KEY } from "powerpost-credits/sandbox";
    import { getCredits } from "powerpost-credits";
    const sandbox = await startSandbox({ port: 0 });
    const balance = (await getCredits(DEMO_KEY, { baseUrl: sandbox.baseUrl })).balance;
    const retries = [];
    const url = sandbox.scenarioUrl("my-test", ["status-503", "ok"]);
    const scripted = (await getCredits(DEMO_KEY, { baseUrl: url, onRetry: (info) => retries.push(info.error.status) })).balance;
    const stats = await sandbox.stats("my-test");
    sandbox.setBalance(DEMO_KEY, 5);
    const set = (await getCredits(DEMO_KEY, { baseUrl: sandbox.baseUrl })).balance;
    sandbox.addKey("pp_test_sk_mine0001", { balance: 100, scopes: ["account:read"] });
    sandbox.addKey("pp_test_sk_writeonly", { balance: 100, scopes: ["content:write"] });
    const added = (await getCredits("pp_test_sk_mine0001", { baseUrl: sandbox.baseUrl })).balance;
    const codes = await Promise.all(["pp_test_sk_writeonly", NO_SCOPE_KEY, "pp_test_sk_unknown"].map((key) =>
      getCredits(key, { baseUrl: sandbox.baseUrl }).then(() => "resolved", (error) => error.code)));
    const text = sandbox.scenarioUrl("texts", ['body-{"balance": 3}', "error-bad, very/bad"]);
    const fromBody = (await getCredits(DEMO_KEY, { baseUrl: text, maxRetries: 0 })).balance;
    const fromError = await getCredits(DEMO_KEY, { baseUrl: text, maxRetries: 0 }).catch((error) => error.message);
    const other = await startSandbox();
    const separate = (await getCredits(DEMO_KEY, { baseUrl: other.baseUrl })).balance;
    await Promise.all([sandbox.close(), other.close()]);
    const closed = await getCredits(DEMO_KEY, { baseUrl: sandbox.baseUrl, maxRetries: 0 }).catch((error) => error.code);
    console.log(JSON.stringify({ baseUrl: sandbox.baseUrl, balance, scripted, retries, stats, set, added, codes, fromBody, fromError, separate, closed }));
  `);
  assert.match(out.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/api\/v1$/);
  assert.equal(out.balance, 47);
  assert.equal(out.scripted, 47);
  assert.deepEqual(out.retries, [503]);
  assert.deepEqual(out.stats, { attempts: 2, cancelled: 0, keyInUrl: false, elsewhere: { hits: 0, sawKey: false } });
  assert.equal(out.set, 5);
  assert.equal(out.added, 100);
  assert.deepEqual(out.codes, ["INSUFFICIENT_SCOPE", "INSUFFICIENT_SCOPE", "INVALID_API_KEY"]);
  assert.equal(out.fromBody, 3);
  assert.match(out.fromError, /bad, very\/bad/);
  assert.equal(out.separate, 47, "each sandbox keeps its own accounts");
  assert.equal(out.closed, "NETWORK_ERROR");
});

test("CommonJS require of the sandbox works in every Node the package supports", () => {
  writeFileSync(join(project, "sandbox.cjs"), `
    const { startSandbox, DEMO_KEY } = require("powerpost-credits/sandbox");
    const { getCredits } = require("powerpost-credits");
    startSandbox().then(async (sandbox) => {
      const { balance } = await getCredits(DEMO_KEY, { baseUrl: sandbox.baseUrl });
      await sandbox.close();
      console.log(JSON.stringify({ balance }));
    });
  `);
  const out = execFileSync(process.execPath, ["sandbox.cjs"], { cwd: project, encoding: "utf8" });
  assert.deepEqual(JSON.parse(out), { balance: 47 });
});

test("bad options and arguments throw at once, naming what is wrong; the process is left with nothing running", () => {
  const out = run("bad.mjs", `
    import { startSandbox, DEMO_KEY } from "powerpost-credits/sandbox";
    const message = async (start) => { try { await start(); return "no error"; } catch (error) { return error.constructor.name + ": " + error.message; } };
    const starts = await Promise.all([{ port: -1 }, { port: 1.5 }, { prot: 8787 }, { rateLimit: 0 }, { windowSeconds: "60" }, 7]
      .map((options) => message(() => startSandbox(options))));
    const sandbox = await startSandbox({ port: null, rateLimit: null });
    const calls = await Promise.all([
      () => sandbox.scenarioUrl("x", ["stauts-503"]),
      () => sandbox.scenarioUrl("x", "status-503,ok"),
      () => sandbox.scenarioUrl("", ["ok"]),
      () => sandbox.setBalance("pp_test_sk_nobody", 1),
      () => sandbox.setBalance(DEMO_KEY, -1),
      () => sandbox.addKey("pp_test_sk_x", { balanse: 3 }),
      () => sandbox.addKey("pp_test_sk_x", { scopes: "account:read" }),
    ].map(message));
    const busy = await startSandbox({ port: Number(new URL(sandbox.origin).port) }).catch((error) => error);
    await sandbox.close();
    console.log(JSON.stringify({ starts, calls, busy: { message: busy.message, code: busy.code } }));
  `);
  assert.deepEqual(out.starts, [
    "RangeError: startSandbox: options.port must be a whole number from 0 to 65535",
    "RangeError: startSandbox: options.port must be a whole number from 0 to 65535",
    'TypeError: startSandbox: unknown option "prot" (expected port, rateLimit, windowSeconds)',
    "RangeError: startSandbox: options.rateLimit must be a whole number from 1 to 9007199254740991",
    "RangeError: startSandbox: options.windowSeconds must be a whole number from 1 to 86400",
    "TypeError: startSandbox: options must be an object",
  ]);
  assert.deepEqual(out.calls, [
    'TypeError: scenarioUrl: steps[0] is not a sandbox step: "stauts-503"',
    "TypeError: scenarioUrl: steps must be a non-empty array of steps",
    "TypeError: scenarioUrl: id must be a non-empty string",
    "TypeError: setBalance: no account has this key (addKey adds one)",
    "RangeError: setBalance: balance must be a whole number of credits, 0 or more",
    'TypeError: addKey: unknown field "balanse" (expected balance, scopes)',
    'TypeError: addKey: scopes must be an array of strings, such as ["account:read"]',
  ]);
  assert.match(out.busy.message, /^startSandbox: port \d+ is already in use on 127\.0\.0\.1 \(port 0 picks a free one\)$/);
  assert.equal(out.busy.code, "EADDRINUSE");
});

/**
 * Starts `command ...args` in its own process group (so "Ctrl-C" reaches all of it, as in a terminal);
 * waits for the demo key's line, the last the sandbox prints (each line may arrive in a chunk of its own).
 */
async function startCli(command, args) {
  const child = spawn(command, args, { cwd: project, detached: true });
  let out = "";
  child.stdout.on("data", (chunk) => (out += chunk));
  await waitUntil(() => /^Demo key: .*\n/m.test(out), 15_000);
  return { child, out: () => out, ctrlC: () => process.kill(-child.pid, "SIGINT") };
}

test("npx powerpost-credits sandbox --port 0 prints a working base URL and the demo key; Ctrl-C stops it", async () => {
  const npx = await startCli("npx", ["--offline", "powerpost-credits", "sandbox", "--port", "0", "--rate-limit", "2"]);
  let baseUrl;
  try {
    baseUrl = npx.out().match(/^PowerPost sandbox: (http:\/\/127\.0\.0\.1:\d+\/api\/v1)$/m)?.[1];
    assert.ok(baseUrl, npx.out());
    const key = npx.out().match(/^Demo key: (pp_\w+) \(balance 47\)$/m)?.[1];
    const answers = [];
    for (let call = 0; call < 3; call++) {
      const response = await fetch(`${baseUrl}/account/credits`, { headers: { "x-api-key": key } });
      answers.push([response.status, (await response.json()).balance ?? null]);
    }
    assert.deepEqual(answers, [[200, 47], [200, 47], [429, null]], "--rate-limit 2 admits two calls a window");
  } finally {
    npx.ctrlC();
  }
  await once(npx.child, "exit");
  await assert.rejects(fetch(`${baseUrl}/account/credits`), TypeError, "the sandbox still answers after Ctrl-C");

  // npm exec ends itself by the signal; the command's own exit status is 0.
  const bin = await startCli(join(project, "node_modules/.bin/powerpost-credits"), ["sandbox", "--port", "0"]);
  assert.match(bin.out(), /^PowerPost sandbox: http:/);
  bin.ctrlC();
  assert.deepEqual(await once(bin.child, "exit"), [0, null]);
});

test("the CLI sandbox on a busy port exits 1 with one line, and bad values are usage errors (exit 2)", async () => {
  const blocker = createServer();
  await new Promise((done) => blocker.listen(0, "127.0.0.1", done));
  const port = String(blocker.address().port);
  const cli = (args) => spawnSync(join(project, "node_modules/.bin/powerpost-credits"), ["sandbox", ...args], { cwd: project, encoding: "utf8", timeout: 15_000 });
  try {
    const busy = cli(["--port", port]);
    assert.equal(busy.status, 1);
    assert.equal(busy.stderr, `powerpost-credits: port ${port} is already in use on 127.0.0.1; --port 0 picks a free one\n`);
    assert.equal(busy.stdout, "");
  } finally {
    blocker.close();
  }
  for (const [args, message] of [
    [["--port", "http"], /^powerpost-credits: --port must be a whole number \(powerpost-credits --help shows the usage\)\n$/],
    [["--port", "70000"], /^powerpost-credits: --port must be a whole number from 0 to 65535 \(/],
    [["--rate-limit", "0"], /^powerpost-credits: --rate-limit must be a whole number from 1 to/],
    [["--window-seconds"], /^powerpost-credits: --window-seconds needs a value \(/],
    [["--json"], /^powerpost-credits: --json is not an option of sandbox \(/],
  ]) {
    const result = cli(args);
    assert.equal(result.status, 2, args.join(" "));
    assert.match(result.stderr, message);
  }
});

test("a browser build never contains the sandbox: Vite leaves it out of an app that imports the package, and refuses to bundle it", () => {
  writeFileSync(join(project, "index.html"), `<!doctype html><script type="module" src="/main.js"></script>`);
  const vite = () => spawnSync(process.execPath, [join(repo, "node_modules/vite/bin/vite.js"), "build", "--logLevel", "error"], { cwd: project, encoding: "utf8" });

  writeFileSync(join(project, "main.js"), `import { getCredits } from "powerpost-credits"; console.log(getCredits);`);
  const app = vite();
  assert.equal(app.status, 0, app.stderr);
  const assets = readdirSync(join(project, "dist/assets"));
  const bundled = assets.filter((file) => file.endsWith(".js")).map((file) => readFileSync(join(project, "dist/assets", file), "utf8")).join("\n");
  assert.match(bundled, /getCredits|PowerPostError/, "the app was built");
  assert.doesNotMatch(bundled, /_sandbox|startSandbox|node:http/);

  writeFileSync(join(project, "main.js"), `import { startSandbox } from "powerpost-credits/sandbox"; console.log(startSandbox);`);
  const refused = vite();
  assert.notEqual(refused.status, 0);
  assert.match(refused.stderr + refused.stdout, /"\.\/sandbox" is not exported under the conditions/);
});

test("the sandbox's types compile under strict mode and catch a misspelt step", () => {
  writeFileSync(join(project, "use.mts"), `
    import { startSandbox, DEMO_KEY, type Sandbox, type SandboxStats } from "powerpost-credits/sandbox";
    const sandbox: Sandbox = await startSandbox({ port: 0, rateLimit: 30, windowSeconds: 60 });
    const url: string = sandbox.scenarioUrl("t", ["status-503", "ok", "limit-5per1", 'body-{"balance":1}']);
    sandbox.setBalance(DEMO_KEY, 5);
    sandbox.addKey("pp_test_sk_x", { balance: 1, scopes: ["account:read"] });
    const stats: SandboxStats = await sandbox.stats("t");
    console.log(url, stats.attempts + stats.cancelled);
    await sandbox.close();
  `);
  writeFileSync(join(project, "misuse.mts"), `
    import { startSandbox } from "powerpost-credits/sandbox";
    (await startSandbox()).scenarioUrl("t", ["stauts-503"]);
  `);
  const tsc = (file) => spawnSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "--strict", "--noEmit", "--module", "node16",
    "--target", "es2022", "--types", "node", "--typeRoots", join(repo, "node_modules/@types"), join(project, file)], { encoding: "utf8" });
  const good = tsc("use.mts");
  assert.equal(good.status, 0, good.stdout);
  const misuse = tsc("misuse.mts");
  assert.match(misuse.stdout, /TS2322: Type '"stauts-503"' is not assignable to type 'SandboxStep'/);
});
