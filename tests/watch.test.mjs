// A watch in Node, as an app uses it: a `for await` loop over a client's watch, left by
// `break`, by `stop()` during a wait, or by the caller's signal. Each script runs in a process
// of its own, which must then exit by itself: no timer or request may outlive the watch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { repo } from "./support.mjs";
import { DEMO_KEY } from "../sandbox/index.mjs";

const sandbox = process.env.POWERPOST_SANDBOX;

/** Runs `body` (an ES module, with `client` made for `steps`) in a fresh Node; its lines of output. */
function run(name, steps, body) {
  const script = `
    import { CreditsClient } from ${JSON.stringify(join(repo, "pkg/node/index.mjs"))};
    const client = new CreditsClient(${JSON.stringify(DEMO_KEY)},
      { baseUrl: ${JSON.stringify(`${sandbox}/_sandbox/${name}-${process.pid}-${Date.now()}/${steps}/api/v1`)} });
    const started = performance.now();
    const line = (text) => console.log(text + " at " + Math.round(performance.now() - started));
    ${body}
  `;
  const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 20_000 });
  assert.equal(child.signal, null, `the process did not exit by itself: ${child.stdout}${child.stderr}`);
  assert.equal(child.status, 0, child.stderr);
  return child.stdout.trim().split("\n");
}

test("break from for await ends the watch, and the process exits by itself", () => {
  const lines = run("watch-break", "balance-47", `
    for await (const event of client.watch({ intervalMs: 60_000 })) {
      line(event.type + " " + event.credits.balance);
      break;
    }
    line("left");
  `);
  assert.deepEqual(lines.map((line) => line.replace(/ at \d+$/, "")), ["balance 47", "left"]);
});

test("stop() during a wait resolves the pending next() as done, at once", () => {
  const lines = run("watch-stop", "balance-47", `
    const watch = client.watch({ intervalMs: 60_000 });
    line(JSON.stringify((await watch.next()).value.credits.balance));
    const pending = watch.next();
    setTimeout(() => watch.stop(), 200);
    line(JSON.stringify(await pending));
  `);
  assert.equal(lines.length, 2);
  assert.match(lines[1], /^\{"done":true\} at \d+$/);
  assert.ok(Number(lines[1].split(" at ")[1]) < 2_000, lines[1]);
});

test("the caller's signal ends a watch in a for await loop, which then ends without an error", () => {
  const lines = run("watch-signal", "balance-47,balance-46", `
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    let events = 0;
    for await (const event of client.watch({ intervalMs: 60_000, signal: controller.signal })) events += 1;
    line("ended after " + events);
  `);
  assert.match(lines[0], /^ended after 1 at \d+$/);
});

test("an error not worth retrying ends a for await loop by throwing it", () => {
  const lines = run("watch-error", "balance-47,status-401", `
    try {
      for await (const event of client.watch({ intervalMs: 1000 })) line(event.type);
    } catch (error) {
      line(error.name + " " + error.code);
    }
  `);
  assert.deepEqual(lines.map((line) => line.replace(/ at \d+$/, "")), ["balance", "PowerPostError INVALID_API_KEY"]);
});
