// The one class that must be written in JS: a real `Error` subclass, so that rejections have
// a stack, `instanceof Error` and `instanceof PowerPostError` hold, and `name` is right.
// The Rust side decides every field; this only gives them a proper home.
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
