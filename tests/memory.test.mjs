// The module's linear memory stays flat over many calls of each kind, so that a long-lived app
// does not grow: calls with a signal that never aborts, client calls, callers that leave, and
// watches stopped while they wait. (`make soak` runs far longer; this catches a leak early.)
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { DEMO_KEY } from "../sandbox/index.mjs";

// The Node glue keeps its wasm instance private: watch WebAssembly.Instance for it.
let memory;
const RealInstance = WebAssembly.Instance;
WebAssembly.Instance = function Instance(module, imports) {
  const instance = new RealInstance(module, imports);
  memory ??= instance.exports.memory;
  return instance;
};
const { getCredits, CreditsClient } = await import("../pkg/node/index.mjs");
WebAssembly.Instance = RealInstance;

const baseUrl = `${process.env.POWERPOST_SANDBOX}/api/v1`;
const slowUrl = `${process.env.POWERPOST_SANDBOX}/_sandbox/memory-${process.pid}/slow-50/api/v1`;

// A watch the app no longer holds is freed when the garbage collector finds it, as every
// object of a wasm-bindgen class is: collect now and then, as a running app would.
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc");

/** Runs `round` 1,000 times to warm up, then 2,000 more; the memory must not have grown. */
async function flat(round) {
  const rounds = async (count) => {
    for (let i = 0; i < count; i++) {
      await round(i);
      if (i % 100 === 99) {
        collect();
        await new Promise((done) => setImmediate(done));
      }
    }
  };
  await rounds(1000);
  const warm = memory.buffer.byteLength;
  await rounds(2000);
  assert.equal(memory.buffer.byteLength, warm, `grew from ${warm} to ${memory.buffer.byteLength} bytes`);
}

test("calls with a signal that never aborts leave nothing behind", async () => {
  const signal = new AbortController().signal;
  await flat(() => getCredits(DEMO_KEY, { baseUrl, signal }));
});

test("a client's calls, and callers that leave them, leave nothing behind", async () => {
  const client = new CreditsClient(DEMO_KEY, { baseUrl });
  const slow = new CreditsClient(DEMO_KEY, { baseUrl: slowUrl });
  await flat(async (i) => {
    if (i % 10) return client.getCredits({ signal: new AbortController().signal });
    const leaving = new AbortController();
    const call = slow.getCredits({ signal: leaving.signal }).catch((error) => error);
    leaving.abort();
    assert.equal((await call).code, "ABORTED");
  });
});

test("watches stopped while they wait leave nothing behind", async () => {
  const client = new CreditsClient(DEMO_KEY, { baseUrl });
  await flat(async () => {
    const watch = client.watch({ intervalMs: 60_000, thresholds: [20] });
    await watch.next();
    const pending = watch.next();
    watch.stop();
    assert.deepEqual(await pending, { done: true });
  });
});
