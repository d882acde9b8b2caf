// Every js, ts and html code block of README.md and pkg-template/README.md (the one npm
// shows), and every file in examples/, run as a user would run it: from a fresh project with
// the packed tarball installed, against a sandbox started with `startSandbox`. A block fails
// when it throws, exits non-zero, or prints something other than the output it shows.
//
// How a block runs:
// - js and ts blocks run in Node (ts after `tsc --strict` has checked every ts block), with
//   POWERPOST_API_KEY set to the sandbox's demo key, POWERPOST_BASE_URL to its base URL, and
//   requests to the real API (https://powerpost.ai/api/v1) sent to the sandbox instead. A
//   block with `require(` runs as CommonJS.
// - js blocks marked `deno` run in Deno with network and environment permissions only, the
//   API's requests sent to the sandbox as in Node; js blocks marked `workerd` are a Worker's
//   module (src/index.js), bundled by `wrangler deploy --dry-run` and served by workerd with
//   the demo key as its POWERPOST_API_KEY and every outbound request sent to the sandbox; the
//   test requests it once and reads what it logs.
// - html blocks, and js blocks marked `browser` or `worker`, run in headless Chromium, served
//   from the project: `prompt()` is answered with the demo key, a `browser` block is a module
//   script with the bare specifier mapped to the package's browser entry (as a bundler would),
//   a `worker` block is a module worker sent the demo key as its first message, and requests
//   to the real API go to the sandbox as in Node.
// - Shown output: a `// text` comment after a console.log call on its line, and the comment
//   lines right after it. The printed lines must equal them, whitespace aside, with `…`
//   standing for any text (a request id, a port).
// - Markers, in an HTML comment just above a README block or a `// test:` line in an example
//   file, separated by `;`: `skip: <reason>`, `browser`, `worker`, `deno`, `workerd`, `steps <a,b,...>` (requests
//   to the real API follow these sandbox steps), `until output` (a block that runs until
//   stopped: it is stopped once its output has been shown), `redis` (REDIS_URL names a Redis
//   server the test started), `kv <NAME>` (a workerd block gets a KV namespace bound as NAME,
//   and is requested twice: both answers must carry the same balance and request id, the
//   second read from KV).
// - Keyv and @keyv/redis, which the fleet examples import, are the repository's own, linked
//   into the project.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, extname, join } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { closedPort, headingAnchors, launchChromium, projectWithPackage, repo, runtimes, serveFolder, serveKvNamespace, serveWorker, startRedis, waitUntil, COMPATIBILITY_DATE } from "./support.mjs";

const REAL_API = "https://powerpost.ai/api/v1";
const SOURCES = ["README.md", "pkg-template/README.md"];
let project, sandbox, DEMO_KEY, browser, pageServer, redis;

const blocks = [
  ...SOURCES.flatMap((source) => markdownBlocks(source)),
  ...readdirSync(join(repo, "examples")).sort().map((file) => exampleBlock(`examples/${file}`)),
];

/** The fenced js, ts and html blocks of a markdown file, with the markers just above each. */
function markdownBlocks(source) {
  const text = readFileSync(join(repo, source), "utf8");
  const found = [];
  for (const match of text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) {
    const language = { javascript: "js", typescript: "ts" }[match[1]] ?? match[1];
    if (!["js", "ts", "html"].includes(language)) continue;
    const line = text.slice(0, match.index).split("\n").length;
    const above = text.slice(0, match.index).trimEnd().split("\n").pop();
    const marker = above.match(/^<!-- test: (.*) -->$/)?.[1];
    found.push({ name: `${source}:${line}`, language, code: match[2], markers: parseMarkers(marker) });
  }
  return found;
}

function exampleBlock(path) {
  const code = readFileSync(join(repo, path), "utf8");
  const marker = code.match(/^\/\/ test: (.*)$/m)?.[1];
  return { name: path, file: path.split("/").pop(), language: extname(path) === ".ts" ? "ts" : "js", code, markers: parseMarkers(marker) };
}

function parseMarkers(text) {
  const markers = {};
  for (const part of (text ?? "").split(";").map((part) => part.trim()).filter(Boolean)) {
    if (part.startsWith("skip:")) markers.skip = part.slice(5).trim();
    else if (part.startsWith("steps ")) markers.steps = part.slice(6).trim().split(",");
    else if (part.startsWith("kv ")) markers.kv = part.slice(3).trim();
    else if (["browser", "worker", "deno", "workerd", "until output", "redis"].includes(part)) markers[part.replace(" ", "")] = true;
    else throw new Error(`unknown test marker "${part}"`);
  }
  return markers;
}

/** The output a block shows: comments after console.log calls (see the top of this file). */
function shownOutput(code) {
  const shown = [];
  let following = false; // the line above logs, or is shown output
  for (const line of code.split("\n")) {
    const comment = line.match(/^\s*\/\/\s?(.*)$/);
    if (comment) {
      if (following && !comment[1].startsWith("test:")) shown.push(comment[1]);
      continue;
    }
    const trailing = line.match(/console\.log\(.*?\)[;,]?\s+\/\/\s?(.*)$/);
    if (trailing) shown.push(trailing[1]);
    following = /console\.log\(/.test(line);
  }
  return shown;
}

const collapse = (text) => text.replace(/\s+/g, " ").trim();

function assertShown(block, printed) {
  const shown = shownOutput(block.code);
  if (shown.length === 0) return;
  const pattern = collapse(shown.join("\n")).split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*?");
  assert.match(collapse(printed), new RegExp(`^${pattern}$`), `${block.name}: printed\n${printed}\nbut the block shows\n${shown.join("\n")}`);
}

/** Whether everything a block shows has been printed yet. */
function shownSoFar(block, printed) {
  const last = shownOutput(block.code).at(-1);
  return last !== undefined && collapse(printed).includes(collapse(last).split("…")[0]);
}

before(async () => {
  project = projectWithPackage("readme", { type: "module" });
  for (const name of ["keyv", "@keyv/redis"]) {
    mkdirSync(dirname(join(project, "node_modules", name)), { recursive: true });
    symlinkSync(join(repo, "node_modules", name), join(project, "node_modules", name));
  }
  const installed = await import(pathToFileURL(join(project, "node_modules/powerpost-credits/sandbox/index.mjs")));
  DEMO_KEY = installed.DEMO_KEY;
  sandbox = await installed.startSandbox({ rateLimit: 1_000 });
  // Node blocks: requests to the real API go to the sandbox (POWERPOST_TEST_API is set per block).
  writeFileSync(join(project, "redirect.mjs"), `
    const fetch = globalThis.fetch;
    const api = ${JSON.stringify(REAL_API)};
    const testApi = () => (globalThis.Deno ? Deno.env.get("POWERPOST_TEST_API") : process.env.POWERPOST_TEST_API);
    globalThis.fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (!url.startsWith(api)) return fetch(input, init);
      const moved = testApi() + url.slice(api.length);
      return fetch(input instanceof Request ? new Request(moved, input) : moved, init);
    };
  `);
});

after(async () => {
  await browser?.close();
  await pageServer?.close();
  await sandbox?.close();
  await redis?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

/** Where a block's requests to the real API go: the sandbox, or a scenario of its own. */
const apiFor = (block, index) => (block.markers.steps ? sandbox.scenarioUrl(`readme-${index}`, block.markers.steps) : sandbox.baseUrl);

test("the ts blocks type-check under tsc --strict", (t) => {
  const tsBlocks = blocks.filter((block) => block.language === "ts" && !block.markers.skip);
  if (tsBlocks.length === 0) return t.skip("no ts blocks");
  const files = tsBlocks.map((block, index) => {
    const file = `typed-${index}.mts`;
    writeFileSync(join(project, file), `${block.code}\nexport {};\n`);
    return file;
  });
  const result = spawnSync(process.execPath, [join(repo, "node_modules/typescript/bin/tsc"), "--strict", "--noEmit",
    "--module", "nodenext", "--target", "es2022", "--lib", "es2022,dom", "--types", "node",
    "--typeRoots", join(repo, "node_modules/@types"), ...files], { cwd: project, encoding: "utf8" });
  const named = result.stdout.replace(/typed-(\d+)\.mts/g, (_, index) => tsBlocks[index].name);
  assert.equal(result.status, 0, named);
});

for (const [index, block] of blocks.entries()) {
  const { browser, worker, deno, workerd } = block.markers;
  const where = deno ? "Deno" : workerd ? "workerd" : browser || worker || block.language === "html" ? "Chromium" : "Node";
  test(`${block.name} (${block.language}, ${where})`, { skip: block.markers.skip }, async () => {
    if (where === "Chromium") return runInChromium(block, index);
    if (where === "workerd") return runInWorkerd(block, index);
    const printed = await runInNode(block, index);
    assertShown(block, printed);
  });
}

async function runInNode(block, index) {
  const commonJs = /\brequire\(/.test(block.code);
  const source = block.language === "ts"
    ? ts.transpileModule(block.code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText
    : block.code;
  const file = block.file ?? `block-${index}.${commonJs ? "cjs" : "mjs"}`;
  writeFileSync(join(project, file), source);
  const variables = { POWERPOST_API_KEY: DEMO_KEY, POWERPOST_BASE_URL: sandbox.baseUrl, POWERPOST_TEST_API: apiFor(block, index) };
  if (block.markers.redis) variables.REDIS_URL = (redis ??= await startRedis()).url;
  const [command, args] = block.markers.deno
    ? [runtimes.deno, ["run", `--allow-net=powerpost.ai,${new URL(sandbox.baseUrl).host}`, `--allow-env=${Object.keys(variables)}`, "--preload", "./redirect.mjs", file]]
    : [process.execPath, ["--import", "./redirect.mjs", file]];
  const child = spawn(command, args, {
    cwd: project,
    env: { ...process.env, ...variables, DENO_DIR: join(project, ".deno"), DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" },
  });
  let [stdout, stderr] = ["", ""];
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
    if (block.markers.untiloutput && shownSoFar(block, stdout)) child.kill("SIGINT");
  });
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const [code, signal] = await new Promise((done) => child.on("exit", (...status) => done(status)));
  clearTimeout(timer);
  const stopped = block.markers.untiloutput && signal === "SIGINT";
  assert.ok(code === 0 || stopped, `${block.name} exited with ${code ?? signal}\n${stderr}${stdout}`);
  return stdout;
}

/**
 * `code` as a Worker's module, bundled by wrangler and served by workerd with the demo key and
 * every request sent to the sandbox; with `kvName`, a KV namespace bound under that name.
 */
async function startWorker(name, code, kvName) {
  const dir = join(project, name);
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "src/index.js"), code);
  writeFileSync(join(dir, "wrangler.toml"), `name = "${name}"\nmain = "src/index.js"\ncompatibility_date = "${COMPATIBILITY_DATE}"\n`);
  const kv = kvName && (await serveKvNamespace());
  const kvNamespaces = kv ? { [kvName]: kv } : {};
  const worker = await serveWorker(dir, { outbound: new URL(sandbox.baseUrl).host, bindings: { POWERPOST_API_KEY: DEMO_KEY }, kvNamespaces });
  return { worker, kv };
}

async function runInWorkerd(block, index) {
  assert.equal(block.markers.steps, undefined, `${block.name}: a Worker's requests all go to the sandbox as it is`);
  const { worker, kv } = await startWorker(`readme-${index}`, block.code, block.markers.kv);
  try {
    const response = await fetch(worker.url);
    const body = await response.text();
    assert.equal(response.status, 200, `${block.name}: ${body}\n${worker.output()}`);
    if (kv) {
      const first = JSON.parse(body);
      await waitUntil(() => kv.entries.size > 0, 5_000);
      assert.deepEqual([...kv.entries.keys()].map((key) => key.replace(/[0-9a-f]{64}$/, "<hash>")), ["powerpost-credits:v2:<hash>"]);
      const second = await (await fetch(worker.url)).json();
      assert.deepEqual(second, first, `${block.name}: the second request reads the balance the first stored`);
    }
    await waitUntil(() => shownSoFar(block, worker.output()), 5_000);
    assertShown(block, worker.output());
  } finally {
    await worker.close();
    await kv?.close();
  }
}

async function runInChromium(block, index) {
  // The project serves the package under node_modules/ and the pages of the blocks.
  pageServer ??= await serveFolder(project);
  const { origin } = pageServer;
  const entry = "/node_modules/powerpost-credits/web/index.js";
  let page;
  if (block.language === "html") page = block.code;
  else {
    writeFileSync(join(project, `block-${index}.js`), block.code);
    page = block.markers.worker
      ? `<script type="module">new Worker("/block-${index}.js", { type: "module" }).postMessage(${JSON.stringify(DEMO_KEY)});</script>`
      : `<script type="importmap">{ "imports": { "powerpost-credits": "${entry}" } }</script><script type="module" src="/block-${index}.js"></script>`;
  }
  writeFileSync(join(project, `block-${index}.html`), page);

  browser ??= await launchChromium();
  const context = await browser.newContext();
  const api = apiFor(block, index);
  await context.route(`${REAL_API}/**`, async (route) => {
    const request = route.request();
    const response = await fetch(api + request.url().slice(REAL_API.length), { method: request.method(), headers: request.headers() });
    await route.fulfill({ status: response.status, headers: Object.fromEntries(response.headers), body: Buffer.from(await response.arrayBuffer()) });
  });
  try {
    const tab = await context.newPage();
    const problems = [];
    let printed = "";
    tab.on("pageerror", (error) => problems.push(String(error)));
    tab.on("console", (message) => {
      if (message.type() === "log") printed += `${message.text()}\n`;
      else if (message.type() === "error") problems.push(message.text());
    });
    tab.on("dialog", (dialog) => dialog.accept(DEMO_KEY));
    assert.ok(shownOutput(block.code).length > 0, `${block.name}: a block run in Chromium must show its output`);
    await tab.goto(`${origin}/block-${index}.html`);
    await waitUntil(() => shownSoFar(block, printed) || problems.length > 0, 20_000);
    assert.deepEqual(problems, [], `${block.name}: errors in Chromium`);
    assertShown(block, printed);
  } finally {
    await context.close();
  }
}

test("the README's KV adapter never writes a key twice within a second, however often calls refresh", async () => {
  const block = blocks.find((block) => block.markers.kv);
  // maxAgeMs 2 s, so that claims and results come in quick succession.
  const code = block.code.replace("maxAgeMs: 30_000", "maxAgeMs: 2_000");
  assert.notEqual(code, block.code, "the block's maxAgeMs is 30_000");
  const { worker, kv } = await startWorker("kv-writes", code, block.markers.kv);
  try {
    // Four callers, each asking again as soon as answered, for 7 s.
    const until = Date.now() + 7_000;
    const answers = (await Promise.all(Array.from({ length: 4 }, async () => {
      const answered = [];
      while (Date.now() < until) {
        const started = performance.now();
        const { status } = await fetch(worker.url);
        answered.push({ status, ms: performance.now() - started });
      }
      return answered;
    }))).flat();
    await new Promise((done) => setTimeout(done, 1_500)); // a write still waiting for its second
    const times = kv.writes.map(({ at }) => at);
    const gaps = times.slice(1).map((at, index) => Math.round(at - times[index]));
    const slowest = Math.round(Math.max(...answers.map(({ ms }) => ms)));
    console.log(`# ${answers.length} Worker requests (the slowest ${slowest} ms), ${times.length} KV writes, ${gaps.join(", ")} ms apart`);
    const written = kv.writes.map(({ at, value }) => `${Math.round(at)} ${value}`).join("\n");
    assert.ok(answers.every(({ status }) => status === 200), worker.output());
    assert.ok(times.length >= 6, `claims and results were written: ${written}`);
    assert.deepEqual(new Set(kv.writes.map(({ key }) => key)).size, 1);
    // Timed as they reach the namespace: a put that took a little longer to arrive than the
    // next may shorten a gap by a few ms.
    assert.ok(gaps.every((ms) => ms >= 980), `writes ${gaps} ms apart:\n${written}`);
    // Past maxAgeMs a call waits for the claimant's result, written up to a second after it
    // came; never for a claim whose refresh the Worker dropped (30 s, until it lapses).
    assert.ok(slowest < 2_000, `a Worker request took ${slowest} ms:\n${written}`);
  } finally {
    await worker.close();
    await kv.close();
  }
});

test("the README in the tarball is the npm one: no make commands or repository paths, and links that work on npm", () => {
  const shipped = readFileSync(join(project, "node_modules/powerpost-credits/README.md"), "utf8");
  // pkg-template's, but for the rate rows scripts/build.sh writes from the built-in card.
  const withoutRates = (readme) => readme.replace(/^(\| `[\w.-]+` \| \d+ \| (published|our estimate) \|\n)+/m, "<!-- rate rows -->\n");
  assert.equal(withoutRates(shipped), withoutRates(readFileSync(join(repo, "pkg-template/README.md"), "utf8")));
  assert.doesNotMatch(shipped, /\bmake (demo|test|bench|soak|fuzz|build)\b|sandbox\/server|\.\.\/pkg\b|examples\//);
  const headings = headingAnchors(shipped);
  for (const [, target] of shipped.matchAll(/\]\(([^)]+)\)/g)) {
    if (target.startsWith("#")) assert.ok(headings.has(target.slice(1)), `no heading for the link ${target}`);
    else assert.match(target, /^https:\/\//, `a relative link does not work on npm: ${target}`);
  }
});

test("examples/node-balance.mjs asks the base URL it is given, and says how to start a sandbox when nothing answers there", async () => {
  // Run asynchronously: the sandbox answers from this process.
  const example = (args, env = {}) => new Promise((done) => {
    const child = spawn(process.execPath, [join(repo, "examples/node-balance.mjs"), ...args],
      { env: { ...process.env, POWERPOST_API_KEY: "", POWERPOST_BASE_URL: "", ...env } });
    let [stdout, stderr] = ["", ""];
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
  const given = await example([sandbox.baseUrl]);
  assert.equal(given.status, 0, given.stderr);
  assert.match(given.stdout, /^balance: 47 credits/);
  const fromEnv = await example([], { POWERPOST_BASE_URL: sandbox.scenarioUrl("example-env", ["balance-12"]) });
  assert.match(fromEnv.stdout, /^balance: 12 credits[\s\S]*short by 3 credits$/m);
  const closed = `http://127.0.0.1:${await closedPort()}/api/v1`;
  const nothing = await example([closed]);
  assert.equal(nothing.status, 1);
  assert.match(nothing.stderr, /^NETWORK_ERROR: /);
  assert.ok(nothing.stderr.includes(`Nothing answers at ${closed}. Start the sandbox with \`npx powerpost-credits sandbox\``), nothing.stderr);
});
