#!/usr/bin/env node
// powerpost-credits: the package's command line. Exit codes: 0 success, 1 API, network or
// sandbox error, 2 usage error. The key is read from POWERPOST_API_KEY or --key-file and
// never printed; every error names where the bad input came from.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { getCredits, estimateCost, checkBalance, calibrateRateCard, catalogue, CreditsClient, PowerPostError } from "../node/index.mjs";
import { startSandbox, DEMO_KEY, SANDBOX_DEFAULTS } from "../sandbox/index.mjs";

const { requestDefaults, watchDefaults } = catalogue();
const DEFAULT_BASE_URL = requestDefaults.baseUrl;
const MIN_INTERVAL_SECONDS = watchDefaults.minIntervalMs / 1000;

// The sandbox command's port. A person starting the sandbox by hand wants the same URL every
// time (to set POWERPOST_BASE_URL once); code calling startSandbox wants a port nothing else
// uses, so SANDBOX_DEFAULTS.port is 0 (a free one).
const CLI_SANDBOX_PORT = 8787;

/** Each command: how --help shows it, and the options it takes besides --help and --version. */
const COMMANDS = {
  balance: { usage: ["balance", "the account's balance"], options: ["base-url", "key-file", "timeout", "json"] },
  estimate: {
    usage: ["estimate PLAN.json", "the itemized cost of a plan (- reads it from standard input), and",
      "whether the balance covers it when a key is set"],
    options: ["base-url", "key-file", "timeout", "json"],
  },
  calibrate: {
    usage: ["calibrate CHARGES.json", "the rates that explain what PowerPost charged (an array of",
      "{ plan, creditsUsed }; - reads it from standard input)"],
    options: ["json"],
  },
  watch: {
    usage: ["watch", "a line when the balance changes and when it crosses a --warn", "threshold, until Ctrl-C"],
    options: ["base-url", "key-file", "timeout", "interval", "warn"],
  },
  sandbox: {
    usage: ["sandbox", "a local stand-in for PowerPost on 127.0.0.1, until Ctrl-C"],
    options: ["port", "rate-limit", "window-seconds"],
  },
};

/** "balance, estimate, calibrate, watch or sandbox". */
const COMMAND_LIST = Object.keys(COMMANDS).join(", ").replace(/, (\w+)$/, " or $1");

const commandLines = Object.values(COMMANDS)
  .flatMap(({ usage: [call, ...about] }) => about.map((line, index) => `  ${(index === 0 ? call : "").padEnd(25)}${line}`))
  .join("\n");

const USAGE = `Usage: powerpost-credits <command> [options]

Commands:
${commandLines}

Options:
  --base-url URL           the API (default: POWERPOST_BASE_URL, else ${DEFAULT_BASE_URL})
  --key-file FILE          read the key from FILE instead of POWERPOST_API_KEY
  --timeout MS             per attempt, in milliseconds (default ${requestDefaults.timeoutMs})
  --json                   machine-readable output (balance, estimate; calibrate: the overrides)
  --interval SECONDS       watch: time between polls (default ${watchDefaults.intervalMs / 1000}, at least ${MIN_INTERVAL_SECONDS})
  --warn CREDITS           watch: a balance to warn at; repeat it for more
  --port PORT              sandbox: the port (default ${CLI_SANDBOX_PORT}; 0 picks a free one)
  --rate-limit N           sandbox: calls per window and key (default ${SANDBOX_DEFAULTS.rateLimit})
  --window-seconds S       sandbox: the rate limit's window (default ${SANDBOX_DEFAULTS.windowSeconds})
  --help, --version

Environment:
  POWERPOST_API_KEY        the key (never printed)
  POWERPOST_BASE_URL       the API's base URL, e.g. http://127.0.0.1:${CLI_SANDBOX_PORT}/api/v1 for the sandbox

Exit codes: 0 success, 1 API, network or sandbox error, 2 usage error.`;

const HINT = "(powerpost-credits --help shows the usage)";

const OPTIONS = {
  "base-url": { type: "string" },
  "key-file": { type: "string" },
  timeout: { type: "string" },
  json: { type: "boolean" },
  interval: { type: "string" },
  warn: { type: "string", multiple: true },
  port: { type: "string" },
  "rate-limit": { type: "string" },
  "window-seconds": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
};

/** A mistake in how the command was called (exit 2, one line and a hint). */
class UsageError extends Error {}
/** A failure that is not the caller's (exit 1, one line). */
class Failure extends Error {}

function parse(argv) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const option = error.message.match(/'(--?[\w-]+)/)?.[1];
    if (error.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") throw new UsageError(`unknown option ${option}`);
    if (/argument missing/.test(error.message)) throw new UsageError(`${option} needs a value`);
    if (/does not take an argument/.test(error.message)) throw new UsageError(`${option} takes no value`);
    throw new UsageError(error.message);
  }
  const [command, ...positional] = parsed.positionals;
  return { command, positional, ...parsed.values };
}

function wholeNumber(text, option, fallback) {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new UsageError(`${option} must be a whole number`);
  return Number(text);
}

/** The base URL in effect and where it came from, for messages. */
function baseUrlOf(args) {
  if (args["base-url"] !== undefined) return { baseUrl: args["base-url"], source: "--base-url" };
  if (process.env.POWERPOST_BASE_URL) return { baseUrl: process.env.POWERPOST_BASE_URL, source: "POWERPOST_BASE_URL" };
  return { baseUrl: DEFAULT_BASE_URL, source: "the default base URL" };
}

function requestOptions(args) {
  const options = { baseUrl: baseUrlOf(args).baseUrl };
  if (args.timeout !== undefined) {
    if (!/^\d+$/.test(args.timeout)) throw new UsageError("--timeout must be a whole number of milliseconds");
    options.timeoutMs = Number(args.timeout);
  }
  return options;
}

/** The key and where it came from; `null` when none is set and `required` is false. */
function readKey(args, required) {
  if (args["key-file"] !== undefined) {
    const file = args["key-file"];
    try {
      return { key: readFileSync(file, "utf8").trim(), source: `--key-file ${file}` };
    } catch (error) {
      throw new UsageError(`cannot read --key-file ${file}: ${describeFileError(error)}`);
    }
  }
  const key = process.env.POWERPOST_API_KEY;
  if (key) return { key, source: "POWERPOST_API_KEY" };
  if (required) throw new UsageError("no key: set POWERPOST_API_KEY or pass --key-file FILE");
  return null;
}

function describeFileError(error) {
  const reasons = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a folder" };
  return reasons[error.code] ?? error.code ?? "unreadable";
}

/**
 * An error of the package as one line: the bad input named by where it came from, a
 * network error by the host it could not reach and why.
 */
function describe(error, { key, args }) {
  const redact = (text) => (key?.key ? text.replaceAll(key.key, "…") : text);
  if (error.code === "INVALID_ARGUMENT") {
    if (error.field === "apiKey") return new UsageError(redact(error.message.replace(/^apiKey/, key.source)));
    if (error.field === "options.baseUrl") return new UsageError(error.message.replace(/^options\.baseUrl/, baseUrlOf(args).source));
    return new UsageError(redact(error.message));
  }
  const request = `(request ${error.requestId ?? "none"})`;
  if (error.code === "NETWORK_ERROR") {
    let cause = error.cause;
    while (cause?.cause instanceof Error) cause = cause.cause;
    const host = new URL(baseUrlOf(args).baseUrl).host;
    return new Failure(redact(`NETWORK_ERROR: cannot reach ${host}: ${cause?.message ?? error.message} ${request}`));
  }
  const message = error.message.includes(error.code) ? error.message : `${error.code}: ${error.message}`;
  return new Failure(redact(`${message} ${request}`));
}

/** Runs `call`; a PowerPostError becomes a one-line error that names its source. */
async function explained(call, context) {
  try {
    return await call();
  } catch (error) {
    throw error instanceof PowerPostError ? describe(error, context) : error;
  }
}

function describeRateLimit(rateLimit) {
  if (!rateLimit) return "";
  const reset = new Date(rateLimit.resetAt * 1000).toISOString().slice(11, 19);
  return `; ${rateLimit.remaining} of ${rateLimit.limit} calls left until ${reset} UTC`;
}

async function balance(args) {
  const key = readKey(args, true);
  const credits = await explained(() => getCredits(key.key, requestOptions(args)), { key, args });
  if (args.json) return console.log(JSON.stringify(credits));
  console.log(`${credits.balance} credits (request ${credits.requestId ?? "none"}${describeRateLimit(credits.rateLimit)})`);
}

/** The JSON `what` in `file` (`-`: standard input), with JSON errors placed by line and column. */
function readJson(file, what) {
  const name = file === "-" ? `the ${what} on standard input` : file;
  let text;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${name}: ${describeFileError(error)}`);
  }
  try {
    return { value: JSON.parse(text), name };
  } catch (error) {
    const position = Number(error.message.match(/at position (\d+)/)?.[1] ?? text.length);
    const before = text.slice(0, position).split("\n");
    const reason = error.message.replace(/ in JSON at position \d+.*$/, "").replace(/^JSON\.parse: /, "");
    throw new UsageError(`${name} line ${before.length} column ${before.at(-1).length + 1} is not valid JSON: ${reason}`);
  }
}

/**
 * The JSON in the command's one file (`-`: standard input) as `value`, and `compute` of it as
 * `result`; `file` says what the file is ("plan", "file of charges"). What the package refuses
 * in it is a usage error named by where it came from.
 */
function fromFile(args, { file: what, needs, holds }, compute) {
  const [file, extra] = args.positional;
  if (!file) throw new UsageError(`${args.command} needs ${needs} (or - for standard input)`);
  if (extra !== undefined) throw new UsageError(`${args.command} takes one ${what}, not also ${extra}`);
  const { value, name } = readJson(file, holds);
  try {
    return { value, result: compute(value) };
  } catch (error) {
    if (error instanceof PowerPostError) throw new UsageError(`${name}: ${error.message}`);
    throw error;
  }
}

async function estimate(args) {
  const { result } = fromFile(args, { file: "plan", needs: "a plan file", holds: "plan" }, (plan) => estimateCost(plan));
  const key = readKey(args, false);
  let affordability = null;
  let balanceError = null;
  if (key) {
    try {
      const credits = await explained(() => getCredits(key.key, requestOptions(args)), { key, args });
      affordability = checkBalance(credits.balance, result);
    } catch (error) {
      if (!(error instanceof Failure || error instanceof UsageError)) throw error;
      balanceError = error;
    }
  }

  if (args.json) {
    console.log(JSON.stringify({ estimate: result, affordability, balanceError: balanceError?.message ?? null }));
  } else {
    const width = Math.max(5, ...result.items.map((item) => item.label.length));
    for (const item of result.items) console.log(`${item.label.padEnd(width)}  ${String(item.credits).padStart(5)}`);
    console.log(`${"Total".padEnd(width)}  ${String(result.total).padStart(5)}`);
    console.log(`(rate card ${result.rateCardVersion}: published amounts, and our estimates where none were published)`);
    if (affordability) {
      console.log(affordability.affordable
        ? `Your balance of ${affordability.balance} covers it; ${affordability.remaining} would remain.`
        : `Your balance of ${affordability.balance} is short by ${affordability.shortfall}.`);
    } else if (!key) {
      console.log("Balance not checked: set POWERPOST_API_KEY or pass --key-file FILE to compare.");
    }
  }
  // The estimate stands; the exit status still says the balance is unknown.
  if (balanceError) throw balanceError.constructor === UsageError ? new UsageError(`balance unknown: ${balanceError.message}`) : new Failure(`balance unknown: ${balanceError.message}`);
}

/** The rows of a table, each cell padded to its column's width (numbers to the right). */
function table(header, rows) {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => String(row[column]).length)));
  const line = (row) => row.map((cell, column) => (typeof cell === "number" ? String(cell).padStart(widths[column]) : String(cell).padEnd(widths[column]))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

async function calibrate(args) {
  const { value: charges, result: calibration } =
    fromFile(args, { file: "file of charges", needs: "a file of charges", holds: "charges" }, (value) => calibrateRateCard(value));
  if (args.json) return console.log(JSON.stringify(calibration.overrides));
  const { changes, unexplained, rateCard } = calibration;
  const counted = (n, one, many) => `${n} ${n === 1 ? one : many}`;
  console.log(`${counted(charges.length, "charge", "charges")}; rate card ${rateCard.version}`);
  if (changes.length === 0) console.log("No rate changed: the built-in card explains every charge it can.");
  else console.log(table(["rate", "was", "now", "charges"], changes.map((change) => [change.rate, change.was, change.now, change.charges])));
  if (unexplained.length > 0) {
    console.log(`\n${counted(unexplained.length, "charge", "charges")} not explained (a partial refund, or a price that changed):`);
    console.log(table(["charge", "charged", "estimated"], unexplained.map((charge) => [charge.index, charge.creditsUsed, charge.estimated])));
  }
  console.log("\n--json prints the overrides to keep and pass as rateCard.");
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
  const watchOptions = { thresholds: (args.warn ?? []).map((text) => wholeNumber(text, "--warn")) };
  if (args.interval !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(args.interval) || Number(args.interval) < MIN_INTERVAL_SECONDS) {
      throw new UsageError(`--interval must be a number of seconds, at least ${MIN_INTERVAL_SECONDS}`);
    }
    watchOptions.intervalMs = Math.round(Number(args.interval) * 1000);
  }
  const key = readKey(args, true);
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  await explained(async () => {
    const client = new CreditsClient(key.key, requestOptions(args));
    for await (const event of client.watch({ ...watchOptions, signal: stop.signal })) console.log(describeEvent(event));
  }, { key, args });
}

async function sandbox(args) {
  const port = wholeNumber(args.port, "--port", CLI_SANDBOX_PORT);
  let running;
  try {
    running = await startSandbox({
      port,
      rateLimit: wholeNumber(args["rate-limit"], "--rate-limit", SANDBOX_DEFAULTS.rateLimit),
      windowSeconds: wholeNumber(args["window-seconds"], "--window-seconds", SANDBOX_DEFAULTS.windowSeconds),
    });
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message.replace(/^startSandbox: options\.(\w+)/, (_, name) => `--${kebab(name)}`));
    if (error.code === "EADDRINUSE") throw new Failure(`port ${port} is already in use on 127.0.0.1; --port 0 picks a free one`);
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
  if (args.help) return console.log(USAGE);
  if (!args.command) throw new UsageError(`no command: ${COMMAND_LIST}`);
  const allowed = COMMANDS[args.command]?.options;
  if (!allowed) throw new UsageError(`unknown command "${args.command}": ${COMMAND_LIST}`);
  const given = Object.keys(args).filter((name) => name in OPTIONS && !["help", "version"].includes(name));
  const stray = given.find((name) => !allowed.includes(name));
  if (stray) throw new UsageError(`--${stray} is not an option of ${args.command}`);
  if (!["estimate", "calibrate"].includes(args.command) && args.positional.length > 0) throw new UsageError(`${args.command} takes no ${args.positional[0]}`);
  if (args.command === "balance") return balance(args);
  if (args.command === "estimate") return estimate(args);
  if (args.command === "calibrate") return calibrate(args);
  if (args.command === "watch") return watch(args);
  return sandbox(args);
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`powerpost-credits: ${error.message} ${HINT}`);
    process.exitCode = 2;
  } else if (error instanceof Failure) {
    console.error(`powerpost-credits: ${error.message}`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
