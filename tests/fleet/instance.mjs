// One instance of a fleet, in a process of its own (tests/fleet.test.mjs, bench/fleet.mjs): a
// CreditsClient that calls getCredits every `everyMs` from `startAt` (ms since the epoch, so
// that a fleet's instances start together) for `seconds`, sharing a Keyv store on Redis when
// given one; with `wakeAt`, it then stays quiet until then and makes one more call. It prints
// what it saw as one JSON line, and tells its parent (IPC) when each request starts and ends.
import Keyv from "keyv";
import KeyvRedis from "@keyv/redis";
import { CreditsClient } from "../../pkg/node/index.mjs";

const { key, baseUrl, redisUrl, seconds, everyMs, maxAgeMs, maxRetries = 2, timeoutMs, startAt, wakeAt } = JSON.parse(process.argv[2]);
/** `callMs`: how long each call took, in order; `balances`: the balances answered, each once. */
const seen = { ok: 0, balances: [], served: 0, rateLimited: 0, pausedLocally: 0, errors: [], storeErrors: 0, unhandled: 0, callMs: [] };
process.on("unhandledRejection", () => (seen.unhandled += 1));
const sleep = (ms) => new Promise((done) => setTimeout(done, Math.max(0, ms)));

const store = redisUrl ? new Keyv(new KeyvRedis(redisUrl)) : undefined;
store?.on("error", () => {}); // a connection that drops; every operation's failure reaches onStoreError
const storeOptions = store ? { store, onStoreError: () => (seen.storeErrors += 1) } : {};
/** The runtime's fetch, telling the parent of each request (a test kills the one asking). */
let asking = 0;
async function fetchTold(url, init) {
  const tell = (message) => process.connected && process.send(message);
  asking += 1;
  tell("asking");
  try {
    return await fetch(url, init);
  } finally {
    asking -= 1;
    tell("answered");
  }
}
const client = new CreditsClient(key, { baseUrl, maxAgeMs, maxRetries, timeoutMs, fetch: fetchTold, ...storeOptions });
const requestIds = new Set();

async function call() {
  const started = performance.now();
  try {
    const { balance, requestId } = await client.getCredits();
    requestIds.add(requestId);
    if (!seen.balances.includes(balance)) seen.balances.push(balance);
    seen.ok += 1;
  } catch (error) {
    // A 429 the server sent has its request id; a shared pause over a minute has none.
    if (error.code === "RATE_LIMIT_EXCEEDED") seen[error.requestId === null ? "pausedLocally" : "rateLimited"] += 1;
    else seen.errors.push(`${error.code}: ${error.message}`);
  }
  seen.callMs.push(Math.round((performance.now() - started) * 10) / 10);
}

await sleep(startAt - Date.now());
for (const until = startAt + seconds * 1000; Date.now() < until; await sleep(everyMs)) await call();
if (wakeAt) {
  await sleep(wakeAt - Date.now());
  await call();
}
// An early refresh may outlive the last call: its result is written to the store, which Keyv
// would reconnect to, and so keep the process alive, had it been disconnected first.
do await sleep(100);
while (asking > 0);
seen.served = requestIds.size;
await store?.disconnect();
console.log(JSON.stringify(seen));
process.disconnect?.();
