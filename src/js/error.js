// What must be JS (with src/js/watch.js, which makes a watch async-iterable): an `Error`
// subclass, so that every rejection and throw is a real `Error` (with a stack) whose name is
// "PowerPostError".
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
