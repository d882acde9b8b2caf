// The JS half of the wasm boundary: the error class (a real `Error` subclass must be written
// in JS) and the tape codec that moves whole values across in one call each way.
// The Rust side decides every value and every rule; this file only gives them JS form.

export class PowerPostError extends Error {
  constructor(message, details = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code ?? "HTTP_ERROR";
    this.status = details.status ?? null;
    this.requestId = details.requestId ?? null;
    this.retryAfterMs = details.retryAfterMs ?? null;
    this.retryable = details.retryable ?? false;
    if (details.field !== undefined) this.field = details.field;
  }
}
Object.defineProperty(PowerPostError.prototype, "name", { value: "PowerPostError", configurable: true, writable: true });

export function createError(code, message, status, requestId, retryAfterMs, retryable, field, cause) {
  return new PowerPostError(message, { code, status, requestId, retryAfterMs, retryable, field, cause });
}

// The tape (see src/tape.rs): a Float64Array of tags and payloads; strings are UTF-16 units.
const UNDEFINED = 0, NULL = 1, FALSE = 2, TRUE = 3, NUMBER = 4, STRING = 5, ARRAY = 6, OBJECT = 7, OTHER = 8, LONG_STRING = 9, STRING_ID = 10;
const MAX_DEPTH = 8;
const MAX_STRING = 1024;
const MAX_TAPE = 1 << 16;

// Strings that cross as ids (tape.rs KNOWN_STRINGS), sent by Rust once before first use, and
// an open-addressing table from a cheap hash to their ids (a Map lookup cost twice as much).
let known = [];
const ID_MASK = 511;
const idTable = new Int16Array(ID_MASK + 1).fill(-1);

function slotOf(s) {
  const n = s.length;
  return (n * 31 + s.charCodeAt(0) * 7 + s.charCodeAt(n >> 1) * 3 + s.charCodeAt(n - 1)) & ID_MASK;
}

/** The id of a known string, or -1. */
function knownId(s) {
  for (let slot = slotOf(s); ; slot = (slot + 1) & ID_MASK) {
    const id = idTable[slot];
    if (id < 0 || known[id] === s) return id;
  }
}

// Tapes in and estimate records out pass through the module's linear memory.
let memory;
let heap = new Float64Array(0);

function wasmHeap() {
  if (heap.byteLength === 0) heap = new Float64Array(memory.buffer); // detached when memory grows
  return heap;
}

export function registerStrings(list, wasmMemory) {
  // Property keys are internalized: the plan's literals then equal these by identity, which
  // makes each lookup one pointer comparison instead of a character-by-character one.
  known = Object.keys(Object.fromEntries(list.split("\n").map((name) => [name, 0])));
  idTable.fill(-1);
  known.forEach((name, id) => {
    let slot = slotOf(name);
    while (idTable[slot] >= 0) slot = (slot + 1) & ID_MASK;
    idTable[slot] = id;
  });
  memory = wasmMemory;
}

// The encoder's state lives at module level (no closures per call); a getter that calls back
// into the estimator while a value is being encoded gets a tape of its own.
let scratch = new Float64Array(512);
let tape = scratch;
let at = 0;
let encoding = false;
// The tape encodeValues produced last, for copyTape: a nested call has made its own by then.
let encoded = scratch;
let encodedLength = 0;

/**
 * Encodes `[first, second]` and returns the tape's length; the tape is already at `pointer`
 * in linear memory when it fits in `capacity` slots, else `copyTape` puts it there. When one
 * of them cannot be read (a getter threw, or it is too large), returns minus its number.
 */
export function encodeValues(first, second, pointer, capacity) {
  const outer = encoding ? { tape, at } : null;
  tape = outer ? new Float64Array(512) : scratch;
  at = 0;
  encoding = true;
  let reading = 1;
  try {
    tape[at++] = ARRAY;
    tape[at++] = 2;
    at++;
    write(first, 1);
    reading = 2;
    write(second, 1);
    tape[2] = at - 3;
    encoded = tape;
    encodedLength = at;
    if (at <= capacity) copyTape(pointer);
    return at;
  } catch {
    return -reading;
  } finally {
    if (outer) {
      tape = outer.tape;
      at = outer.at;
    } else {
      if (tape.length <= 4096) scratch = tape;
      encoding = false;
    }
  }
}

/** Copies the tape encodeValues made last to `pointer` in linear memory. */
export function copyTape(pointer) {
  const target = wasmHeap();
  const base = pointer / 8;
  for (let i = 0; i < encodedLength; i++) target[base + i] = encoded[i];
}

function room(n) {
  if (at + n <= tape.length) return;
  if (at + n > MAX_TAPE) throw new RangeError("too large");
  const grown = new Float64Array(Math.max(tape.length * 2, at + n));
  grown.set(tape.subarray(0, at));
  tape = grown;
}

function writeKey(s) {
  const id = knownId(s);
  if (id < 0) return writeUnits(s);
  room(1);
  tape[at++] = -1 - id;
}

function writeUnits(s) {
  room(s.length + 1);
  tape[at++] = s.length;
  for (let i = 0; i < s.length; i++) tape[at++] = s.charCodeAt(i);
}

function write(v, depth) {
  room(3);
  switch (typeof v) {
    case "undefined": tape[at++] = UNDEFINED; return;
    case "boolean": tape[at++] = v ? TRUE : FALSE; return;
    case "number": tape[at++] = NUMBER; tape[at++] = v; return;
    case "string": {
      if (v.length > MAX_STRING) { tape[at++] = LONG_STRING; return; }
      const id = knownId(v);
      if (id >= 0) { tape[at++] = STRING_ID; tape[at++] = id; return; }
      tape[at++] = STRING;
      writeUnits(v);
      return;
    }
    case "object": {
      if (v === null) { tape[at++] = NULL; return; }
      if (depth >= MAX_DEPTH) { tape[at++] = OTHER; return; }
      if (Array.isArray(v)) {
        tape[at++] = ARRAY; tape[at++] = v.length;
        const spanAt = at++;
        for (let i = 0; i < v.length; i++) write(v[i], depth + 1);
        tape[spanAt] = at - spanAt - 1;
        return;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) { tape[at++] = OTHER; return; }
      const keys = Object.keys(v);
      tape[at++] = OBJECT; tape[at++] = keys.length;
      const spanAt = at++;
      for (let i = 0; i < keys.length; i++) { writeKey(keys[i]); write(v[keys[i]], depth + 1); }
      tape[spanAt] = at - spanAt - 1;
      return;
    }
    default: tape[at++] = OTHER;
  }
}

// A call's attempts. The loop lives here so that no Rust future (and no closure per await)
// is needed; after each attempt it asks Rust what to do, and every rule about what an
// outcome means (result, error code, retry, delay) is Rust's.
let settleAttempt;

/**
 * Rust's callback, given once: settle(id, tag, status, headers, body, thrown, detail)
 * with what an attempt came to (see sendAttempt); a wait cut short by the caller's signal is
 * reported as an aborted attempt.
 */
export function registerCallback(settle) {
  settleAttempt = settle;
}

/**
 * Sends attempts of call `id` until Rust settles it. `settle` answers with the result, the
 * PowerPostError to reject with, or the milliseconds to wait before the next attempt.
 */
export async function runCall(id, fetch, url, init, timeoutMs, signal) {
  for (;;) {
    const [tag, status = 0, headers, body, thrown, detail = ""] = await sendAttempt(fetch, url, { ...init }, timeoutMs, signal);
    const next = settleAttempt(id, tag, status, headers, body, thrown, detail);
    if (typeof next !== "number") {
      if (next instanceof PowerPostError) throw next;
      return next;
    }
    if (!(await wait(next, signal))) throw settleAttempt(id, ABORTED, 0, undefined, undefined, undefined, "");
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function wait(ms, signal) {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      if (signal) signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    if (signal) {
      signal.addEventListener("abort", onAbort, { once: true });
      if (signal.aborted) onAbort();
    }
  });
}

// One attempt: it reports what happened and leaves the meaning to Rust.
const RESPONSE = 0, NOT_A_RESPONSE = 1, TIMED_OUT = 2, ABORTED = 3, FAILED = 4;
const NO_STATUS = 0, NO_TEXT = 1;

/**
 * Calls `fetch(url, init)` with its own AbortController, stopped after `timeoutMs` or when
 * `signal` aborts, and reads the body. Resolves (never rejects) to one of:
 * [RESPONSE, status, [x-request-id, x-ratelimit-limit, x-ratelimit-remaining,
 * x-ratelimit-reset, retry-after], body parsed as JSON or undefined] |
 * [NOT_A_RESPONSE, NO_STATUS | NO_TEXT] | [TIMED_OUT] | [ABORTED] |
 * [FAILED, 0, , , thrown, its message].
 */
function sendAttempt(fetch, url, init, timeoutMs, signal) {
  const controller = new AbortController();
  init.signal = controller.signal;
  return new Promise((resolve) => {
    let done = false;
    const finish = (outcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (signal) signal.removeEventListener("abort", onAbort);
      resolve(outcome);
    };
    const stop = (tag) => {
      finish([tag]);
      controller.abort();
    };
    const onAbort = () => stop(ABORTED);
    const timer = setTimeout(stop, timeoutMs, TIMED_OUT);
    if (signal) {
      signal.addEventListener("abort", onAbort);
      if (signal.aborted) onAbort();
    }
    readResponse(fetch, url, init).then(finish, (thrown) => finish([FAILED, 0, undefined, undefined, thrown, messageOf(thrown)]));
  });
}

function messageOf(thrown) {
  try {
    const message = thrown instanceof Error ? thrown.message : thrown;
    return typeof message === "string" ? message : "";
  } catch {
    return ""; // a hostile fetch's thrown value can throw again when read
  }
}

async function readResponse(fetch, url, init) {
  const response = await fetch(url, init);
  if (typeof response?.status !== "number") return [NOT_A_RESPONSE, NO_STATUS];
  if (typeof response.text !== "function") return [NOT_A_RESPONSE, NO_TEXT];
  const headers = response.headers;
  const header = (name) => {
    try {
      return typeof headers?.get === "function" ? headers.get(name) : null;
    } catch {
      return null;
    }
  };
  const text = await response.text();
  let body; // stays undefined when the body is not JSON
  try {
    body = JSON.parse(text);
  } catch {}
  return [RESPONSE, response.status, [header("x-request-id"), header("x-ratelimit-limit"),
    header("x-ratelimit-remaining"), header("x-ratelimit-reset"), header("retry-after")], body];
}

/** A `Credits` result; its `requestId` is the response's own header string. */
export function makeCredits(balance, headers, hasRequestId, limit, remaining, resetAt) {
  return { balance, requestId: hasRequestId ? headers[0] : null, rateLimit: limit < 0 ? null : { limit, remaining, resetAt } };
}

/** The runtime's own fetch (Node 18+, browsers, workers), or undefined. */
export function globalFetch() {
  return globalThis.fetch;
}

/**
 * A call's fetch options: the auth header Rust chose; redirects are errors (the key is never
 * sent to another origin) and no cookies go along.
 */
export function makeInit(headerName, headerValue) {
  return { method: "GET", headers: { [headerName]: headerValue, accept: "application/json" }, redirect: "error", credentials: "omit" };
}

/** `onRetry({ attempt, delayMs, error })`; what it throws is ignored, so a logging hook can never break the call it observes. */
export function reportRetry(onRetry, attempt, delayMs, error) {
  try {
    onRetry({ attempt, delayMs, error });
  } catch {}
}
