// make bench, part two: balance for fleets, written to BENCHMARKS.md's "fleet" section. Starts
// its own sandbox (answering after 20 ms, a nearby server) and its own Redis (Debian's
// redis-server, as the fleet tests do), and measures, in one run:
//  - API requests of 8 Node processes over 30 s, each calling getCredits every 50 ms with
//    maxAgeMs 5,000, sharing a Keyv store on Redis, and the same fleet without a store;
//  - the same at #34's pace (every 20 ms, maxAgeMs 1,000, 20 s) with the API answering after
//    20 ms and after 400 ms (a slow API, where a fleet's instances refresh by claim);
//  - one call of a new client answered from the store, against one that asks the server.
import { join } from "node:path";
import Keyv from "keyv";
import KeyvRedis from "@keyv/redis";
import { DEMO_KEY, machine, median, powerpost, repo, replaceSection } from "./common.mjs";
import { startSandbox } from "../sandbox/index.mjs";
import { runFleet, startRedis } from "../tests/support.mjs";

const { CreditsClient } = powerpost;
const [PROCESSES, SECONDS, EVERY_MS, MAX_AGE_MS] = [8, 30, 50, 5_000];

const sandbox = await startSandbox({ rateLimit: 1_000_000 });
const redis = await startRedis();
const scenario = (name, delayMs = 20) => {
  const id = `${name}-${process.pid}`;
  return { baseUrl: sandbox.scenarioUrl(id, [`slow-${delayMs}`]), attempts: async () => (await sandbox.stats(id)).attempts };
};

/**
 * Runs the fleet (tests/fleet/instance.mjs, a process each): the requests the sandbox saw, the
 * calls made, and the slowest call.
 */
async function fleet({ baseUrl, attempts }, redisUrl, { seconds = SECONDS, everyMs = EVERY_MS, maxAgeMs = MAX_AGE_MS } = {}) {
  const settings = { key: DEMO_KEY, baseUrl, redisUrl, seconds, everyMs, maxAgeMs };
  const seen = await runFleet(PROCESSES, () => settings);
  const calls = seen.reduce((sum, instance) => sum + instance.ok, 0);
  return { requests: await attempts(), calls, slowestMs: Math.max(...seen.flatMap((instance) => instance.callMs)) };
}

/** #34's fleet: every 20 ms, maxAgeMs 1,000, 20 s, with the API answering after `delayMs`. */
const PACE = { seconds: 20, everyMs: 20, maxAgeMs: 1_000 };
async function paced(delayMs) {
  const [shared, alone] = await Promise.all([
    fleet(scenario(`paced-${delayMs}-store`, delayMs), redis.url, PACE),
    fleet(scenario(`paced-${delayMs}-alone`, delayMs), undefined, PACE),
  ]);
  return { delayMs, shared, alone };
}

/** Milliseconds of one call of a new client: `calls` of them, after `warmup`. */
async function newClientCalls(options, { calls, warmup }) {
  const samples = [];
  for (let i = 0; i < warmup + calls; i++) {
    const client = new CreditsClient(DEMO_KEY, options);
    const start = performance.now();
    if ((await client.getCredits()).balance !== 47) throw new Error("unexpected balance");
    if (i >= warmup) samples.push(performance.now() - start);
    client.free();
  }
  return samples;
}

const [withStore, withoutStore] = await Promise.all([fleet(scenario("fleet-store"), redis.url), fleet(scenario("fleet-alone"))]);
const pacedRuns = [await paced(20), await paced(400)];

const store = new Keyv(new KeyvRedis(redis.url));
const { baseUrl } = scenario("fleet-hit");
await new CreditsClient(DEMO_KEY, { baseUrl, store, maxAgeMs: 600_000 }).getCredits();
const hit = median(await newClientCalls({ baseUrl, store, maxAgeMs: 600_000 }, { calls: 300, warmup: 30 }));
const fresh = median(await newClientCalls({ baseUrl }, { calls: 300, warmup: 30 }));
await store.disconnect();
await redis.close();
await sandbox.close();

const windows = SECONDS * 1000 / MAX_AGE_MS;
const report = `## Balance for fleets (\`make bench\`)

On ${machine()}; one run of [bench/fleet.mjs](bench/fleet.mjs): its own sandbox answering after
20 ms (and 400 ms, where said) and its own Redis (${redis.url.replace(/:\d+$/, "")}), Keyv with
@keyv/redis as the store.

| ${PROCESSES} Node processes, ${SECONDS} s, each calling \`getCredits\` every ${EVERY_MS} ms, \`maxAgeMs\` ${MAX_AGE_MS} | API requests | calls answered | requests per ${MAX_AGE_MS / 1000} s window |
| --- | ---: | ---: | ---: |
| sharing one store | ${withStore.requests} | ${withStore.calls} | ${(withStore.requests / windows).toFixed(1)} |
| without a store | ${withoutStore.requests} | ${withoutStore.calls} | ${(withoutStore.requests / windows).toFixed(1)} |

| ${PROCESSES} Node processes, ${PACE.seconds} s, each calling every ${PACE.everyMs} ms, \`maxAgeMs\` ${PACE.maxAgeMs} | requests per 1 s window, sharing one store | without a store | slowest call, sharing / without (ms) |
| --- | ---: | ---: | ---: |
${pacedRuns.map(({ delayMs, shared, alone }) => `| the API answering after ${delayMs} ms | ${(shared.requests / PACE.seconds).toFixed(2)} (${shared.requests}) | ${(alone.requests / PACE.seconds).toFixed(2)} (${alone.requests}) | ${shared.slowestMs.toFixed(0)} / ${alone.slowestMs.toFixed(0)} |`).join("\n")}

Every window is counted, the first included, when the fleet starts with no entry.

| one call of a new client (median of 300) | ms |
| --- | ---: |
| answered from the store (Redis on loopback) | ${hit.toFixed(3)} |
| a fresh request (20 ms round trip) | ${fresh.toFixed(3)} |
`;
replaceSection(join(repo, "BENCHMARKS.md"), "fleet", report);
console.log(report);
