#!/usr/bin/env node
// Runs a command with the PowerPost sandbox listening on a free loopback port, its origin in
// POWERPOST_SANDBOX and its demo key in POWERPOST_DEMO_KEY, and stops the sandbox afterwards;
// exits with the command's status.
//   node scripts/with-sandbox.mjs <command> [args...]
import { spawn } from "node:child_process";
import { startSandbox, DEMO_KEY } from "../sandbox/index.mjs";

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: node scripts/with-sandbox.mjs <command> [args...]");
  process.exit(2);
}
// Tests and benchmarks make thousands of calls with the demo key, so the default limit is
// high; rate limiting itself is tested through the sandbox's per-scenario `limit-<n>` step.
// SANDBOX_RATE_LIMIT sets it (the demo uses PowerPost's documented 30 per minute).
const sandbox = await startSandbox({ rateLimit: Number(process.env.SANDBOX_RATE_LIMIT ?? 1_000_000) });
const child = spawn(command, args, { stdio: "inherit", env: { ...process.env, POWERPOST_SANDBOX: sandbox.origin, POWERPOST_DEMO_KEY: DEMO_KEY } });
const code = await new Promise((resolve) => child.on("exit", (status, signal) => resolve(status ?? (signal ? 1 : 0))));
await sandbox.close();
process.exit(code);
