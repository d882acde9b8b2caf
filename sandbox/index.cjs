// The PowerPost sandbox: a local, dependency-free stand-in for the credits endpoint that
// follows PowerPost's documented contract: both auth headers, 401 and 403 bodies, rate
// limiting with 429 + retryAfter + X-RateLimit-*, X-Request-Id on every response, CORS.
// Shipped as `powerpost-credits/sandbox` (Node only) and run by the CLI's `sandbox` command;
// the repository's demo, tests and benchmarks use this same module.
//
// Normal requests:  GET http://127.0.0.1:<port>/api/v1/account/credits
// Test scenarios:   GET http://127.0.0.1:<port>/_sandbox/<scenario>/<steps>/api/v1/account/credits
//   <scenario> is any id the test picks (state and counts are kept per id); <steps> is a
//   comma-separated list, one step per attempt, the last one repeating (STEPS below).
//   GET /_sandbox/<scenario>/stats  ->  { attempts, cancelled, keyInUrl, elsewhere: { hits, sawKey } }
//   (cancelled: requests the client gave up, closing the connection, before they were answered)
"use strict";
const { createServer } = require("node:http");
const { randomUUID } = require("node:crypto");

/** The demo account: a key with the account:read scope and the documented sample balance. */
const DEMO_KEY = "pp_live_sk_demo0000000000000000000047";
/** What `startSandbox` uses for an option not given: PowerPost's 30 calls a minute, a free port. */
const SANDBOX_DEFAULTS = Object.freeze({ port: 0, rateLimit: 30, windowSeconds: 60 });
/** A valid key whose scopes lack account:read. */
const NO_SCOPE_KEY = "pp_live_sk_noscope00000000000000000403";

/** Every step a scenario can script: its name and what its argument must look like. */
const STEPS = {
  ok: null, //                      answer normally
  balance: /^\d+$/, //              answer normally, but with a balance of <n>
  limit: /^\d+(per\d+)?$/, //       answer normally, with this scenario's own limit of <n> per window (of <s> seconds)
  status: /^\d{3}$/, //             a JSON error body for <code>
  html: /^\d{3}$/, //               an HTML error page with this status
  ratelimit: /^\d+$/, //            429 with retryAfter <s> in the body
  retrydate: /^\d+$/, //            429 with only a Retry-After HTTP date <s> seconds ahead
  slow: /^\d+$/, //                 wait <ms> before answering
  slowbody: /^\d+$/, //             send the headers, stall the body <ms>
  malformed: null, //               a truncated JSON 200
  body: /^/, //                     200 with this (URL-encoded) body
  error: /^/, //                    400 VALIDATION_ERROR whose message is this (URL-encoded) text
  redirect: null, //                302 to another origin
  reset: null, //                   close the connection unanswered
  resetbody: null, //               headers, half a body, then close
  bigbody: /^\d+$/, //              200 with the demo balance, padded to about <bytes> bytes
  manyvalues: /^\d{3}$/, //         what <code> (200 or an error status) answers, with 100,000 more numbers in it
};

const CODE_FOR_STATUS = {
  400: ["VALIDATION_ERROR", "Invalid request"],
  401: ["INVALID_API_KEY", "Invalid or missing API key"],
  402: ["INSUFFICIENT_CREDITS", "Not enough credits"],
  403: ["FORBIDDEN", "Forbidden"],
  404: ["NOT_FOUND", "Not found"],
  429: ["RATE_LIMIT_EXCEEDED", "Rate limit exceeded"],
  500: ["INTERNAL_ERROR", "Internal server error"],
  502: ["INTERNAL_ERROR", "Bad gateway"],
  503: ["INTERNAL_ERROR", "Service unavailable"],
  504: ["INTERNAL_ERROR", "Gateway timeout"],
};

const CORS = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, OPTIONS",
  "access-control-allow-headers": "x-api-key, authorization, accept",
  "access-control-expose-headers": "x-request-id, x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after",
  "access-control-max-age": "600",
};

const HOST = "127.0.0.1";
const CREDITS_PATH = "/api/v1/account/credits";
/** Anything shaped like a PowerPost key (`pp_<env>_sk_<id>`), to notice one in a URL. */
const KEY_SHAPE = /pp_[a-z0-9]+_sk_/;

const noStats = () => ({ attempts: 0, cancelled: 0, keyInUrl: false, elsewhere: { hits: 0, sawKey: false } });

/**
 * Starts a sandbox on 127.0.0.1. Options (defaults in `SANDBOX_DEFAULTS`): `port` (0 picks a
 * free one), `rateLimit` (calls per window and key) and `windowSeconds`; as everywhere in the
 * package, null means not given.
 */
async function startSandbox(options) {
  const { port, rateLimit, windowSeconds } = readOptions(options ?? {});
  const accounts = new Map([
    [DEMO_KEY, { balance: 47, scopes: ["account:read", "content:write"] }],
    [NO_SCOPE_KEY, { balance: 12, scopes: ["content:write"] }],
  ]);
  const scenarios = new Map();
  const windows = new Map(); // window id + key -> { resetAt, used }
  const scenario = (id) => {
    if (!scenarios.has(id)) scenarios.set(id, noStats());
    return scenarios.get(id);
  };

  // The "other origin" a redirect points at: it must never see a key.
  const elsewhere = createServer((req, res) => {
    const id = new URL(req.url, "http://x").searchParams.get("scenario") ?? "";
    const seen = scenario(id).elsewhere;
    seen.hits += 1;
    if (req.headers["x-api-key"] || req.headers.authorization) seen.sawKey = true;
    res.writeHead(200, { "content-type": "application/json", ...CORS }).end('{"balance": 999999}');
  });

  const server = createServer((req, res) => {
    const requestId = "req_" + randomUUID().replaceAll("-", "").slice(0, 20);
    const url = new URL(req.url, "http://sandbox");
    res.setHeader("x-request-id", requestId);
    for (const [name, value] of Object.entries(CORS)) res.setHeader(name, value);
    if (req.method === "OPTIONS") return res.writeHead(204).end();

    const match = url.pathname.match(/^\/_sandbox\/([^/]+)\/(stats|[^/]+\/api\/v1\/account\/credits)$/);
    if (match && match[2] === "stats") return sendJson(res, 200, scenarios.get(match[1]) ?? noStats());
    if (match) {
      const state = scenario(match[1]);
      const steps = match[2].slice(0, -CREDITS_PATH.length).split(",");
      const step = steps[Math.min(state.attempts, steps.length - 1)];
      state.attempts += 1;
      res.on("close", () => {
        if (!res.writableFinished && !res.closedBySandbox) state.cancelled += 1;
      });
      if (KEY_SHAPE.test(req.url)) state.keyInUrl = true;
      return runStep(step, match[1], req, res);
    }
    if (url.pathname === CREDITS_PATH) return answer(req, res);
    return sendError(res, 404, "NOT_FOUND", "No such endpoint");
  });

  function answer(req, res, { limit = rateLimit, window: seconds = windowSeconds, windowId = "", balance } = {}) {
    if (req.method !== "GET") return sendError(res, 404, "NOT_FOUND", "No such endpoint");
    const key = req.headers["x-api-key"] ?? bearer(req.headers.authorization);
    const account = key && accounts.get(key);
    if (!account) return sendError(res, 401, "INVALID_API_KEY", "Invalid or missing API key");
    const now = Math.floor(Date.now() / 1000);
    let window = windows.get(windowId + key);
    if (!window || window.resetAt <= now) windows.set(windowId + key, (window = { resetAt: now + seconds, used: 0 }));
    window.used += 1;
    res.setHeader("x-ratelimit-limit", String(limit));
    res.setHeader("x-ratelimit-remaining", String(Math.max(0, limit - window.used)));
    res.setHeader("x-ratelimit-reset", String(window.resetAt));
    if (window.used > limit) {
      return sendJson(res, 429, { error: { message: "Rate limit exceeded", code: "RATE_LIMIT_EXCEEDED", retryAfter: window.resetAt - now } });
    }
    if (!account.scopes.includes("account:read")) {
      return sendError(res, 403, "INSUFFICIENT_SCOPE", "This API key lacks the required scope: account:read");
    }
    return sendJson(res, 200, { balance: balance ?? account.balance });
  }

  function runStep(step, id, req, res) {
    const parsed = parseStep(step);
    if (!parsed) return sendError(res, 400, "VALIDATION_ERROR", `Unknown sandbox step "${step}"`);
    const { name, arg } = parsed;
    const number = Number(arg);
    switch (name) {
      case "ok": return answer(req, res);
      case "balance": return answer(req, res, { balance: number });
      case "limit": {
        const [limit, seconds = windowSeconds] = arg.split("per").map(Number);
        return answer(req, res, { limit, window: seconds, windowId: `scenario:${id}:` });
      }
      case "status": {
        const [code, message] = CODE_FOR_STATUS[number] ?? ["HTTP_ERROR", "Error"];
        return sendError(res, number, code, message);
      }
      case "html": return res.writeHead(number, { "content-type": "text/html" }).end(`<html><body><h1>Error ${number}</h1></body></html>`);
      case "ratelimit": return sendJson(res, 429, { error: { message: "Rate limit exceeded", code: "RATE_LIMIT_EXCEEDED", retryAfter: number } });
      case "retrydate":
        res.setHeader("retry-after", new Date(Date.now() + number * 1000).toUTCString());
        return sendJson(res, 429, { error: { message: "Rate limit exceeded", code: "RATE_LIMIT_EXCEEDED" } });
      case "slow": return void setTimeout(() => !res.destroyed && answer(req, res), number);
      case "slowbody":
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"balance":');
        return void setTimeout(() => !res.destroyed && res.end("47}"), number);
      case "error": return sendError(res, 400, "VALIDATION_ERROR", decodeURIComponent(arg));
      case "bigbody": return res.writeHead(200, { "content-type": "application/json" }).end(`{"padding":"${"x".repeat(number)}","balance":47}`);
      case "manyvalues": {
        const padding = new Array(100_000).fill(0);
        if (number === 200) return sendJson(res, 200, { padding, balance: 47 });
        const [code, message] = CODE_FOR_STATUS[number] ?? ["HTTP_ERROR", "Error"];
        return sendJson(res, number, { error: { message, code }, padding });
      }
      case "malformed": return res.writeHead(200, { "content-type": "application/json" }).end('{"balance": 4');
      case "body": return res.writeHead(200, { "content-type": "application/json" }).end(decodeURIComponent(arg));
      case "redirect": {
        const target = `http://${HOST}:${elsewhere.address().port}${CREDITS_PATH}?scenario=${encodeURIComponent(id)}`;
        return res.writeHead(302, { location: target }).end();
      }
      case "reset":
        res.closedBySandbox = true;
        return req.socket.destroy();
      case "resetbody":
        res.writeHead(200, { "content-type": "application/json", "content-length": "40" });
        res.write('{"balance"');
        res.closedBySandbox = true;
        return void setTimeout(() => req.socket.destroy(), 20);
    }
  }

  await listen(elsewhere, 0);
  try {
    await listen(server, port);
  } catch (error) {
    await close(elsewhere);
    throw error.code === "EADDRINUSE"
      ? Object.assign(new Error(`startSandbox: port ${port} is already in use on ${HOST} (port 0 picks a free one)`), { code: error.code, cause: error })
      : error;
  }
  const origin = `http://${HOST}:${server.address().port}`;
  return {
    origin,
    baseUrl: `${origin}/api/v1`,
    scenarioUrl(id, steps) {
      if (typeof id !== "string" || id === "") throw new TypeError("scenarioUrl: id must be a non-empty string");
      if (!Array.isArray(steps) || steps.length === 0) throw new TypeError("scenarioUrl: steps must be a non-empty array of steps");
      const written = steps.map((step, index) => {
        const parsed = typeof step === "string" && parseStep(step);
        if (!parsed) throw new TypeError(`scenarioUrl: steps[${index}] is not a sandbox step: ${JSON.stringify(step)}`);
        return parsed.arg === "" && STEPS[parsed.name] === null ? parsed.name : `${parsed.name}-${encodeURIComponent(parsed.arg)}`;
      });
      return `${origin}/_sandbox/${encodeURIComponent(id)}/${written.join(",")}/api/v1`;
    },
    setBalance(key, balance) {
      const account = typeof key === "string" ? accounts.get(key) : undefined;
      if (!account) throw new TypeError("setBalance: no account has this key (addKey adds one)");
      account.balance = readBalance(balance, "setBalance: balance");
    },
    addKey(key, account) {
      account ??= {};
      if (typeof key !== "string" || !/^\S+$/.test(key)) throw new TypeError("addKey: key must be a non-empty string without whitespace");
      if (typeof account !== "object") throw new TypeError("addKey: the account must be an object { balance, scopes }");
      const unknown = Object.keys(account).find((name) => name !== "balance" && name !== "scopes");
      if (unknown !== undefined) throw new TypeError(`addKey: unknown field ${JSON.stringify(unknown)} (expected balance, scopes)`);
      const balance = account.balance ?? 0;
      const scopes = account.scopes ?? ["account:read"];
      if (!Array.isArray(scopes) || !scopes.every((scope) => typeof scope === "string")) {
        throw new TypeError("addKey: scopes must be an array of strings, such as [\"account:read\"]");
      }
      accounts.set(key, { balance: readBalance(balance, "addKey: balance"), scopes: [...scopes] });
    },
    async stats(id) {
      return structuredClone(scenarios.get(id) ?? noStats());
    },
    close: () => Promise.all([close(server), close(elsewhere)]).then(() => undefined),
  };
}

function readOptions(options) {
  if (typeof options !== "object" || options === null) throw new TypeError("startSandbox: options must be an object");
  const known = ["port", "rateLimit", "windowSeconds"];
  const unknown = Object.keys(options).find((name) => !known.includes(name));
  if (unknown !== undefined) throw new TypeError(`startSandbox: unknown option ${JSON.stringify(unknown)} (expected ${known.join(", ")})`);
  const whole = (name, fallback, min, max) => {
    const value = options[name] ?? fallback;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`startSandbox: options.${name} must be a whole number from ${min} to ${max}`);
    }
    return value;
  };
  return {
    port: whole("port", SANDBOX_DEFAULTS.port, 0, 65535),
    rateLimit: whole("rateLimit", SANDBOX_DEFAULTS.rateLimit, 1, Number.MAX_SAFE_INTEGER),
    windowSeconds: whole("windowSeconds", SANDBOX_DEFAULTS.windowSeconds, 1, 86_400),
  };
}

function readBalance(balance, name) {
  if (!Number.isSafeInteger(balance) || balance < 0) throw new RangeError(`${name} must be a whole number of credits, 0 or more`);
  return balance;
}

/** `{ name, arg }` of a step as written in a URL (`status-503`, `limit-5per1`), or null. */
function parseStep(step) {
  const dash = step.indexOf("-");
  const [name, arg] = dash < 0 ? [step, ""] : [step.slice(0, dash), step.slice(dash + 1)];
  if (!Object.hasOwn(STEPS, name)) return null;
  const shape = STEPS[name];
  if (shape === null ? dash >= 0 : !shape.test(arg)) return null;
  return { name, arg };
}

function bearer(header) {
  return header?.startsWith("Bearer ") ? header.slice(7) : undefined;
}

function sendError(res, status, code, message) {
  return sendJson(res, status, { error: { message, code } });
}

function sendJson(res, status, body) {
  res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function close(server) {
  if (!server.listening) return Promise.resolve();
  return new Promise((done) => {
    server.closeAllConnections?.();
    server.close(() => done());
  });
}

module.exports = { startSandbox, DEMO_KEY, NO_SCOPE_KEY, SANDBOX_DEFAULTS };
