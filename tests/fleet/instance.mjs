// One instance of a fleet, in a process of its own (tests/fleet.test.mjs, bench/fleet.mjs): a
// CreditsClient that calls getCredits every `everyMs` for `seconds`, sharing a Keyv store on
// Redis when given one, then prints what it saw as one JSON line.
import Keyv from "keyv";
import KeyvRedis from "@keyv/redis";
import { CreditsClient } from "../../pkg/node/index.mjs";

const { key, baseUrl, redisUrl, seconds, everyMs, maxAgeMs, maxRetries = 2, startAfterMs = 0 } = JSON.parse(process.argv[2]);
const seen = { ok: 0, served: 0, rateLimited: 0, pausedLocally: 0, errors: [], storeErrors: 0, unhandled: 0, slowestMs: 0 };
process.on("unhandledRejection", () => (seen.unhandled += 1));
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

const store = redisUrl ? new Keyv(new KeyvRedis(redisUrl)) : undefined;
store?.on("error", () => {}); // a connection that drops; every operation's failure reaches onStoreError
const storeOptions = store ? { store, onStoreError: () => (seen.storeErrors += 1) } : {};
const client = new CreditsClient(key, { baseUrl, maxAgeMs, maxRetries, ...storeOptions });
const requestIds = new Set();

await sleep(startAfterMs);
for (const until = Date.now() + seconds * 1000; Date.now() < until; await sleep(everyMs)) {
  const started = performance.now();
  try {
    requestIds.add((await client.getCredits()).requestId);
    seen.ok += 1;
  } catch (error) {
    // A 429 the server sent has its request id; a shared pause over a minute has none.
    if (error.code === "RATE_LIMIT_EXCEEDED") seen[error.requestId === null ? "pausedLocally" : "rateLimited"] += 1;
    else seen.errors.push(`${error.code}: ${error.message}`);
  }
  seen.slowestMs = Math.max(seen.slowestMs, performance.now() - started);
}
seen.served = requestIds.size;
await store?.disconnect();
console.log(JSON.stringify(seen));
