#!/usr/bin/env node
// A local, dependency-free stand-in for the PowerPost credits endpoint, following the
// documented contract (../shared/POWERPOST.md): both auth headers, 401/403 bodies, rate
// limiting with 429 + retryAfter + X-RateLimit-*, X-Request-Id on every response, CORS.
//
//   node sandbox/server.mjs [--port 8787] [--rate-limit 30] [--window-seconds 60]
//
// Normal requests:  GET http://127.0.0.1:<port>/api/v1/account/credits
// Test scenarios:   GET http://127.0.0.1:<port>/_sandbox/<scenario>/<steps>/api/v1/account/credits
//   <scenario> is any id the test picks (state and counts are kept per id);
//   <steps> is a comma-separated list, one step per attempt, the last one repeating:
//     ok                 answer normally              status-<code>     JSON error body for <code>
//     balance-<n>        answer normally, but with a balance of <n>
//     limit-<n>          answer normally, but with this scenario's own rate limit of <n> per window
//     limit-<n>per<s>    the same with this scenario's own window of <s> seconds
//     html-502           an HTML 502 page             ratelimit-<s>     429 with retryAfter <s> in the body
//     retrydate-<s>      429 with only a Retry-After HTTP date <s> seconds ahead
//     slow-<ms>          wait <ms> before answering   slowbody-<ms>     send headers, stall the body <ms>
//     malformed          truncated JSON 200           body-<json>       200 with this (URL-encoded) body
//     redirect           302 to another origin        reset             close the connection unanswered
//     error-<text>       400 VALIDATION_ERROR whose message is this (URL-encoded) text
//     bigbody-<bytes>    200 with the demo balance, padded to about <bytes> bytes
//     resetbody          headers, half a body, then close
//     manyvalues-<code>  what <code> (200 or an error status) answers, with 100,000 more numbers in it
//   GET /_sandbox/<scenario>/stats  ->  { attempts, cancelled, keyInUrl, elsewhere: { hits, sawKey } }
//   (cancelled: requests the client gave up, closing the connection, before they were answered)
import { createServer } from "node:http";
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";

/** The demo account: a key with the account:read scope and the documented sample balance. */
export const DEMO_KEY = "pp_live_sk_demo0000000000000000000047";
/** A valid key whose scopes lack account:read. */
export const NO_SCOPE_KEY = "pp_live_sk_noscope00000000000000000403";

const ACCOUNTS = new Map([
  [DEMO_KEY, { balance: 47, scopes: ["account:read", "content:write"] }],
  [NO_SCOPE_KEY, { balance: 12, scopes: ["content:write"] }],
]);

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

const CREDITS_PATH = "/api/v1/account/credits";
/** Anything shaped like a PowerPost key (`pp_<env>_sk_<id>`), to notice one in a URL. */
const KEY_SHAPE = /pp_[a-z0-9]+_sk_/;

const noStats = () => ({ attempts: 0, cancelled: 0, keyInUrl: false, elsewhere: { hits: 0, sawKey: false } });

export async function startSandbox({ port = 0, host = "127.0.0.1", rateLimit = 30, windowSeconds = 60 } = {}) {
  const scenarios = new Map();
  const windows = new Map(); // key -> { resetAt, used }
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
  await listen(elsewhere, 0, host);

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
    const account = key && ACCOUNTS.get(key);
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
    const [name, arg = ""] = splitStep(step);
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
      case "html": return res.writeHead(number || 502, { "content-type": "text/html" }).end("<html><body><h1>502 Bad Gateway</h1></body></html>");
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
        const target = `http://${host}:${elsewhere.address().port}${CREDITS_PATH}?scenario=${encodeURIComponent(id)}`;
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
      default: return sendError(res, 400, "VALIDATION_ERROR", `Unknown sandbox step "${step}"`);
    }
  }

  await listen(server, port, host);
  const origin = `http://${host}:${server.address().port}`;
  return {
    origin,
    baseUrl: `${origin}/api/v1`,
    /** The base URL for a scripted scenario; `steps` as in the header comment. */
    scenarioUrl: (id, steps) => `${origin}/_sandbox/${encodeURIComponent(id)}/${steps}/api/v1`,
    stats: (id) => scenarios.get(id) ?? noStats(),
    close: () => Promise.all([server, elsewhere].map((s) => new Promise((done) => { s.closeAllConnections?.(); s.close(done); }))),
  };
}

function splitStep(step) {
  const dash = step.indexOf("-");
  return dash < 0 ? [step] : [step.slice(0, dash), step.slice(dash + 1)];
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

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const option = (name, fallback) => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const sandbox = await startSandbox({
    port: option("--port", Number(process.env.SANDBOX_PORT ?? 8787)),
    rateLimit: option("--rate-limit", 30),
    windowSeconds: option("--window-seconds", 60),
  });
  console.log(`PowerPost sandbox listening on ${sandbox.baseUrl}`);
  console.log(`demo key: ${DEMO_KEY} (balance 47)`);
  const stop = () => sandbox.close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
