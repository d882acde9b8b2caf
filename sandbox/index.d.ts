// Types for powerpost-credits/sandbox (Node only): the API as README.md describes it.

/** The demo account's key: scope account:read, balance 47 (until `setBalance` changes it). */
export const DEMO_KEY: string;
/** A valid key whose scopes lack account:read: the credits endpoint answers 403 INSUFFICIENT_SCOPE. */
export const NO_SCOPE_KEY: string;

/** What `startSandbox` uses for an option not given. */
export const SANDBOX_DEFAULTS: Readonly<Required<SandboxOptions>>;

export interface SandboxOptions {
  /** 0 (the default) picks a free port. The sandbox listens on 127.0.0.1 only. */
  port?: number;
  /** Calls per window and key before a 429. Default 30, as PowerPost. */
  rateLimit?: number;
  /** The rate limit's window in seconds. Default 60. */
  windowSeconds?: number;
}

/**
 * What one attempt of a scenario gets. `body-` and `error-` take their text as is (the sandbox
 * URL-encodes it); the others take whole numbers (`status-503`, `slow-2000`, `limit-5per1`).
 */
export type SandboxStep =
  | "ok"
  | "malformed"
  | "redirect"
  | "reset"
  | "resetbody"
  | `balance-${number}`
  | `limit-${number}`
  | `limit-${number}per${number}`
  | `status-${number}`
  | `html-${number}`
  | `ratelimit-${number}`
  | `retrydate-${number}`
  | `slow-${number}`
  | `slowbody-${number}`
  | `bigbody-${number}`
  | `manyvalues-${number}`
  | `body-${string}`
  | `error-${string}`;

export interface SandboxStats {
  /** Requests that reached the scenario, answered or not. */
  attempts: number;
  /** Requests the client gave up (closing the connection) before they were answered. */
  cancelled: number;
  /** Whether a request's URL contained anything shaped like a key. */
  keyInUrl: boolean;
  /** The other origin a `redirect` step points at: it must never see a key. */
  elsewhere: { hits: number; sawKey: boolean };
}

export interface SandboxAccount {
  /** Whole credits. Default 0. */
  balance?: number;
  /** Default ["account:read"]; without it the credits endpoint answers 403. */
  scopes?: string[];
}

export interface Sandbox {
  /** "http://127.0.0.1:<port>": the sandbox's origin. */
  readonly origin: string;
  /** "http://127.0.0.1:<port>/api/v1": the `baseUrl` to give the client. */
  readonly baseUrl: string;
  /** A base URL whose attempts follow `steps`, one per attempt, the last one repeating; `id` keeps the scenario's state and stats. */
  scenarioUrl(id: string, steps: SandboxStep[]): string;
  /** What the next calls with this key see; throws for a key the sandbox does not know. */
  setBalance(key: string, balance: number): void;
  /** Adds (or replaces) an account. */
  addKey(key: string, account?: SandboxAccount): void;
  /** What the scenario `id` saw so far (all zero for one that saw nothing). */
  stats(id: string): Promise<SandboxStats>;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Starts a sandbox; bad options reject at once, and a busy port rejects with one clear error (`code: "EADDRINUSE"`). */
export function startSandbox(options?: SandboxOptions): Promise<Sandbox>;
