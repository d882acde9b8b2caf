#!/usr/bin/env node
// powerpost-credits: the package's command line. Exit codes: 0 success, 1 API, network or
// sandbox error, 2 usage error. The key is read from POWERPOST_API_KEY or --key-file and never printed.
import { readFileSync } from "node:fs";
import { getCredits, estimateCost, checkBalance, CreditsClient, PowerPostError } from "../node/index.mjs";
import { startSandbox, DEMO_KEY } from "../sandbox/index.mjs";

const USAGE = `Usage:
  powerpost-credits balance [--base-url URL] [--timeout MS] [--json] [--key-file FILE]
  powerpost-credits estimate PLAN.json [--json] [--base-url URL] [--timeout MS] [--key-file FILE]
  powerpost-credits watch [--interval SECONDS] [--warn CREDITS ...] [--base-url URL] [--timeout MS] [--key-file FILE]
  powerpost-credits sandbox [--port 8787] [--rate-limit 30] [--window-seconds 60]

The API key comes from POWERPOST_API_KEY, or from the file named by --key-file.
"estimate" prints the itemized cost of a plan (see the README for its shape); with a key it
also says whether the account's balance covers it. "watch" polls the balance (every 60 s
unless --interval says otherwise) and prints a line when it changes and when it falls below
or comes back above a --warn threshold, until Ctrl-C. "sandbox" serves a local stand-in for
PowerPost on 127.0.0.1 (--port 0 picks a free port) and prints its base URL and demo key,
until Ctrl-C.`;

class UsageError extends Error {}
/** A failure of the local sandbox (exit 1, one line). */
class SandboxError extends Error {}

function parse(argv) {
  const args = { positional: [], json: false, warn: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
      return argv[++i];
    };
    if (arg === "--json") args.json = true;
    else if (arg === "--base-url") args.baseUrl = value();
    else if (arg === "--timeout") args.timeout = value();
    else if (arg === "--key-file") args.keyFile = value();
    else if (arg === "--interval") args.interval = value();
    else if (arg === "--warn") args.warn.push(value());
    else if (arg === "--port") args.port = value();
    else if (arg === "--rate-limit") args.rateLimit = value();
    else if (arg === "--window-seconds") args.windowSeconds = value();
    else if (arg === "--help" || arg === "-h") args.help = true;
    else if (arg === "--version") args.version = true;
    else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
    else args.positional.push(arg);
  }
  return args;
}

function requestOptions(args) {
  const options = {};
  if (args.baseUrl !== undefined) options.baseUrl = args.baseUrl;
  if (args.timeout !== undefined) {
    if (!/^\d+$/.test(args.timeout)) throw new UsageError("--timeout must be a whole number of milliseconds");
    options.timeoutMs = Number(args.timeout);
  }
  return options;
}

function readKey(args, required) {
  if (args.keyFile !== undefined) {
    try {
      return readFileSync(args.keyFile, "utf8").trim();
    } catch (error) {
      throw new UsageError(`cannot read --key-file: ${error.code ?? "unreadable"}`);
    }
  }
  const key = process.env.POWERPOST_API_KEY;
  if (!key && required) throw new UsageError("set POWERPOST_API_KEY or pass --key-file FILE");
  return key || undefined;
}

function describeRateLimit(rateLimit) {
  if (!rateLimit) return "";
  const reset = new Date(rateLimit.resetAt * 1000).toISOString().slice(11, 19);
  return `; ${rateLimit.remaining} of ${rateLimit.limit} calls left until ${reset} UTC`;
}

async function balance(args) {
  const credits = await getCredits(readKey(args, true), requestOptions(args));
  if (args.json) return console.log(JSON.stringify(credits));
  console.log(`${credits.balance} credits (request ${credits.requestId ?? "none"}${describeRateLimit(credits.rateLimit)})`);
}

async function estimate(args) {
  const [file] = args.positional;
  if (!file) throw new UsageError("estimate needs a plan file");
  let plan;
  try {
    plan = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`cannot read the plan: ${error instanceof SyntaxError ? "it is not valid JSON" : error.code ?? "unreadable"}`);
  }
  const result = estimateCost(plan);
  const key = readKey(args, false);
  const credits = key ? await getCredits(key, requestOptions(args)) : null;
  const affordability = credits ? checkBalance(credits.balance, result) : null;
  if (args.json) return console.log(JSON.stringify({ estimate: result, affordability }));

  const width = Math.max(5, ...result.items.map((item) => item.label.length));
  for (const item of result.items) console.log(`${item.label.padEnd(width)}  ${String(item.credits).padStart(5)}`);
  console.log(`${"Total".padEnd(width)}  ${String(result.total).padStart(5)}`);
  console.log(`(rate card ${result.rateCardVersion}: an estimate; PowerPost publishes no exact rates)`);
  if (affordability) {
    console.log(affordability.affordable
      ? `Your balance of ${affordability.balance} covers it; ${affordability.remaining} would remain.`
      : `Your balance of ${affordability.balance} is short by ${affordability.shortfall}.`);
  }
}

/** One line per event, with the time (UTC). */
function describeEvent(event) {
  const time = new Date().toISOString().slice(11, 19);
  switch (event.type) {
    case "balance":
      return `${time} balance: ${event.credits.balance} credits${event.previous === null ? "" : ` (was ${event.previous})`}`;
    case "low":
      return `${time} low: ${event.credits.balance} credits is below ${event.threshold}`;
    case "recovered":
      return `${time} recovered: ${event.credits.balance} credits is back at or above ${event.threshold}`;
    default:
      return `${time} error: ${event.error.message} (polling goes on)`;
  }
}

async function watch(args) {
  const whole = (text, option) => {
    if (!/^\d+$/.test(text)) throw new UsageError(`${option} must be a whole number`);
    return Number(text);
  };
  const watchOptions = { thresholds: args.warn.map((text) => whole(text, "--warn")) };
  if (args.interval !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(args.interval) || Number(args.interval) < 1) throw new UsageError("--interval must be a number of seconds, at least 1");
    watchOptions.intervalMs = Math.round(Number(args.interval) * 1000);
  }
  const client = new CreditsClient(readKey(args, true), requestOptions(args));
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  for await (const event of client.watch({ ...watchOptions, signal: stop.signal })) console.log(describeEvent(event));
}

async function sandbox(args) {
  const whole = (text, option, fallback) => {
    if (text === undefined) return fallback;
    if (!/^\d+$/.test(text)) throw new UsageError(`${option} must be a whole number`);
    return Number(text);
  };
  let running;
  try {
    running = await startSandbox({
      port: whole(args.port, "--port", 8787),
      rateLimit: whole(args.rateLimit, "--rate-limit", 30),
      windowSeconds: whole(args.windowSeconds, "--window-seconds", 60),
    });
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message.replace(/^startSandbox: options\.(\w+)/, (_, name) => `--${kebab(name)}`));
    if (error.code === "EADDRINUSE") throw new SandboxError(`port ${args.port ?? 8787} is already in use on 127.0.0.1; --port 0 picks a free one`);
    throw error;
  }
  console.log(`PowerPost sandbox: ${running.baseUrl}`);
  console.log(`Demo key: ${DEMO_KEY} (balance 47)`);
  console.log("Ctrl-C stops it.");
  const stop = () => running.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

const kebab = (name) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

async function main(argv) {
  const args = parse(argv);
  if (args.version) {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    return console.log(manifest.version);
  }
  const [command] = args.positional.splice(0, 1);
  if (args.help || !command) return console.log(USAGE);
  if (command === "balance") return balance(args);
  if (command === "estimate") return estimate(args);
  if (command === "watch") return watch(args);
  if (command === "sandbox") return sandbox(args);
  throw new UsageError(`unknown command "${command}"`);
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`powerpost-credits: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (error instanceof SandboxError) {
    console.error(`powerpost-credits: ${error.message}`);
    process.exitCode = 1;
  } else if (error instanceof PowerPostError && error.code === "INVALID_ARGUMENT") {
    console.error(`powerpost-credits: ${error.message}`);
    process.exitCode = 2;
  } else if (error instanceof PowerPostError) {
    const message = error.message.includes(error.code) ? error.message : `${error.code}: ${error.message}`;
    console.error(`powerpost-credits: ${message} (request ${error.requestId ?? "none"})`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
