// Types for powerpost-credits: the API as README.md describes it.

/** Options for a credits request. Per-call options override a client's, field by field. */
export interface RequestOptions {
  /** Default "https://powerpost.ai/api/v1". https is required unless the host is loopback. */
  baseUrl?: string;
  /** Per attempt, in milliseconds. Default 30000. */
  timeoutMs?: number;
  /** Default 2; 0 disables retries; at most 10. */
  maxRetries?: number;
  /** Aborts the request and any wait between retries at once. */
  signal?: AbortSignal;
  /** Which header carries the key. Default "x-api-key". */
  auth?: "x-api-key" | "bearer";
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Called before each retry; what it throws is ignored. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  error: PowerPostError;
}

export interface RateLimit {
  limit: number;
  remaining: number;
  /** Unix seconds. */
  resetAt: number;
}

export interface Credits {
  balance: number;
  /** X-Request-Id of the response. */
  requestId: string | null;
  /** From the X-RateLimit-* headers, when all three are present. */
  rateLimit: RateLimit | null;
  /** When the server answered: ms since the epoch, by the local clock. A client's kept result keeps it. */
  fetchedAt: number;
}

/** Checks the key and options, then reads the account's credit balance. */
export function getCredits(apiKey: string, options?: RequestOptions): Promise<Credits>;

/** A client's options: calls that overlap share one request, and results are kept for `maxAgeMs`. */
export interface ClientOptions extends RequestOptions {
  /**
   * A result of this client for the same request, younger than this, is returned without a
   * request (with the same requestId). Default 0: every call that overlaps no other asks.
   */
  maxAgeMs?: number;
  /**
   * A store the instances of a fleet share (a Keyv instance fits as it is): a call answers from
   * a valid entry younger than `maxAgeMs` without a request, writes each fresh result, and
   * shares a 429's pause. One instance refreshes an entry at a time, by a claim written in it:
   * the others answer from the entry, or past `maxAgeMs` wait for the claimant's result until
   * its claim lapses (`timeoutMs`). An early refresh never delays a caller. `null` per call:
   * this call uses no store. See "Balance for fleets".
   */
  store?: CreditsStore | null;
  /** How long one store operation may take before the call goes on without it, in milliseconds. Default 500. */
  storeTimeoutMs?: number;
  /** Told of each failed store operation and each entry ignored (code STORE_ERROR); the call goes on. */
  onStoreError?: (error: PowerPostError) => void;
}

/**
 * Keyv's two methods: anything that has them is a store. Either may return a value or a
 * promise of one; what they throw, reject with or take too long for is told to
 * `onStoreError`, and never breaks a call.
 */
export interface CreditsStore {
  get(key: string): unknown | Promise<unknown>;
  set(key: string, value: unknown, ttlMs?: number): unknown | Promise<unknown>;
  /**
   * Keeps the runtime alive for work a call leaves running (an early refresh, a write), which
   * it is handed as a promise: in a Cloudflare Worker, `(promise) => ctx.waitUntil(promise)`.
   * Runtimes that keep running after a response (Node, Deno, Bun, browsers) need none.
   */
  waitUntil?(promise: Promise<unknown>): void;
}

/** `canAfford`'s options: the request's, and the rate card to estimate with. */
export interface CanAffordOptions extends RequestOptions {
  rateCard?: RateCardOverrides;
}

/** A client's `canAfford` options. */
export interface ClientCanAffordOptions extends ClientOptions {
  rateCard?: RateCardOverrides;
}

/**
 * Holds a key and default options for repeated calls. Calls that overlap and would send the
 * same request (the same options apart from `signal`) share it; aborting one caller's signal
 * rejects that caller at once, and the request is aborted when every caller has aborted.
 */
export class CreditsClient {
  /** Throws PowerPostError (INVALID_ARGUMENT) for a malformed key or options. */
  constructor(apiKey: string, options?: ClientOptions);
  /** Per-call options override the client's. */
  getCredits(options?: ClientOptions): Promise<Credits>;
  /** Polls the balance; throws PowerPostError (INVALID_ARGUMENT) for bad options. */
  watch(options?: WatchOptions): BalanceWatch;
  /** Estimates the plan (or takes a CostEstimate as it is) and reads the balance (honouring `maxAgeMs`). */
  canAfford(plan: PostPlan | CostEstimate, options?: ClientCanAffordOptions): Promise<Preflight>;
  /**
   * A balance a PowerPost answer reported (`remaining_credits`), fetched `at` (ms since the
   * epoch; default now, at most a minute ahead). Unless the client's kept result is newer, it
   * becomes that result (`requestId` and `rateLimit` null), so `maxAgeMs` answers use it; it
   * is written to the client's store; and every running `watch` yields from it at once. Returns
   * the kept result after it. Throws PowerPostError (INVALID_ARGUMENT) unless `balance` is a
   * whole number from 0 (`field: "balance"`) and `at` such a time (`field: "at"`).
   */
  observeBalance(balance: number, at?: number): Credits;
  /** Releases the client's wasm memory now instead of at garbage collection. */
  free(): void;
}

/**
 * Estimates the plan (or takes a CostEstimate as it is), reads the balance, and says whether
 * it covers the cost. A bad plan rejects with INVALID_ARGUMENT before any request.
 */
export function canAfford(apiKey: string, plan: PostPlan | CostEstimate, options?: CanAffordOptions): Promise<Preflight>;

export interface Preflight extends Affordability {
  estimate: CostEstimate;
  credits: Credits;
}

export interface WatchOptions {
  /** Between polls, in milliseconds: from the end of one to the start of the next. Default 60000, at least 1000. */
  intervalMs?: number;
  /** Balances to warn at, e.g. [100, 20]: whole, non-negative, any order. */
  thresholds?: number[];
  /** Ends the watch. */
  signal?: AbortSignal;
}

/** `for await (const event of client.watch(options))`. */
export interface BalanceWatch extends AsyncIterable<BalanceEvent> {
  /** Ends the watch: a pending next() resolves `{ done: true }`, and no timer or request is left. */
  stop(): void;
}

export type BalanceEvent =
  /** The first poll, then only when the balance changed. */
  | { type: "balance"; credits: Credits; previous: number | null }
  /** The balance fell below `threshold` (it was at or above it before, or this is the first poll). */
  | { type: "low"; threshold: number; credits: Credits }
  /** The balance is back at or above a threshold it had fallen below. */
  | { type: "recovered"; threshold: number; credits: Credits }
  /** A poll failed for a reason worth another try; the watch goes on. */
  | { type: "error"; error: PowerPostError };

export type ErrorCode =
  | "VALIDATION_ERROR"
  | "INVALID_API_KEY"
  | "INSUFFICIENT_CREDITS"
  | "FORBIDDEN"
  | "INSUFFICIENT_SCOPE"
  | "NOT_FOUND"
  | "ALREADY_PUBLISHED"
  | "FILE_TOO_LARGE"
  | "STORAGE_QUOTA_EXCEEDED"
  | "PLATFORM_NOT_CONNECTED"
  | "RATE_LIMIT_EXCEEDED"
  | "INTERNAL_ERROR"
  | "HTTP_ERROR"
  | "INVALID_ARGUMENT"
  | "INVALID_RESPONSE"
  | "NETWORK_ERROR"
  | "TIMEOUT"
  | "ABORTED"
  /** Only ever given to `onStoreError`: a store operation failed, or an entry was ignored. */
  | "STORE_ERROR";

export interface PowerPostErrorDetails {
  code?: ErrorCode;
  status?: number | null;
  requestId?: string | null;
  retryAfterMs?: number | null;
  retryable?: boolean;
  field?: string;
  cause?: unknown;
}

/** Every rejection and throw of this package. */
export class PowerPostError extends Error {
  constructor(message: string, details?: PowerPostErrorDetails);
  readonly name: "PowerPostError";
  code: ErrorCode;
  /** HTTP status; null when no response arrived, but 429 for a fleet's shared pause over a minute (no request sent). */
  status: number | null;
  requestId: string | null;
  retryAfterMs: number | null;
  retryable: boolean;
  /** For INVALID_ARGUMENT: the path of the bad input, e.g. "images[0].quantity". */
  field?: string;
}

export type ResearchMode = "regular" | "deep";
// The built-in rate card's models and sizes: scripts/build.sh writes these four lines from the
// package it builds, so the package's d.ts always names the card's (these are last build's).
export type ImageModel = "flux2-flex" | "ideogram-3" | "gpt-image-1.5" | "nano-banana-2";
export type ImageSize = "square" | "feed" | "portrait" | "landscape";
export type VideoModel = "kling-3.0-pro" | "veo-3.1" | "runway-gen-4.5";
export type VideoSize = "landscape" | "portrait";
export type Platform = "instagram" | "tiktok" | "youtube" | "x" | "facebook" | "linkedin";
export type PostType =
  | "instagram-feed" | "instagram-reel" | "instagram-story"
  | "tiktok-video" | "tiktok-photos"
  | "youtube-video" | "youtube-short"
  | "x-post"
  | "facebook-post" | "facebook-reel" | "facebook-story"
  | "linkedin-post";

/** `string & {}` keeps editor completion for the known names while allowing models added by a rate card override. */
type OrCustom<Known extends string> = Known | (string & {});

export interface PostPlan {
  caption?: {
    researchMode: ResearchMode;
    /** 0-10 images analysed. */
    imageInputs?: number;
    /** Length of an analysed video, whole seconds (0-3600). */
    videoInputSeconds?: number;
    /** 0-10. */
    sourceUrls?: number;
    /** Informational: the platform count never changes the caption cost. */
    postTypes?: PostType[];
  };
  /** Defaults: model "flux2-flex", quantity 1 (1-4), size "square". */
  images?: { model?: OrCustom<ImageModel>; quantity?: number; size?: OrCustom<ImageSize> }[];
  /** Defaults: model "kling-3.0-pro", audio false, size "landscape". */
  videos?: { model?: OrCustom<VideoModel>; durationSeconds: number; audio?: boolean; size?: OrCustom<VideoSize> }[];
  /** One publish action. */
  publish?: { postTypes: PostType[] };
}

export type EstimateItem =
  | { kind: "caption"; label: string; credits: number }
  | { kind: "image"; label: string; credits: number; index: number; quantity: number; unitCredits: number }
  | { kind: "video"; label: string; credits: number; index: number }
  | {
      kind: "publish";
      label: string;
      credits: number;
      postTypes: PostType[];
      baseCredits: number;
      surcharges: Partial<Record<Platform, number>>;
    };

export interface CostEstimate {
  total: number;
  items: EstimateItem[];
  rateCardVersion: string;
}

export interface ImageModelRate {
  perImage: number;
  sizes: string[];
}

export interface VideoModelRate {
  /** Credits per second of video. */
  perSecond: number;
  /** Added per second with audio; null when the model has no audio. */
  audioPerSecond: number | null;
  /** The durations (seconds) the model offers. */
  durations: number[];
  sizes: string[];
}

/** Whole credits everywhere. */
export interface RateCard {
  version: string;
  caption: {
    regular: number;
    deep: number;
    perImageInput: number;
    perSourceUrl: number;
    /** Video analysis costs `perUnit` for every started `unitSeconds` of video. */
    videoInput: { perUnit: number; unitSeconds: number };
  };
  imageModels: Record<string, ImageModelRate>;
  videoModels: Record<string, VideoModelRate>;
  /** `base` per publish action; `surcharges` once per action that includes the platform. */
  publish: { base: number; surcharges: Partial<Record<Platform, number>> };
}

/** Merged over the default card. A model not on the card needs its full entry. */
export interface RateCardOverrides {
  version?: string;
  caption?: Partial<Omit<RateCard["caption"], "videoInput">> & { videoInput?: Partial<RateCard["caption"]["videoInput"]> };
  imageModels?: Record<string, Partial<ImageModelRate>>;
  videoModels?: Record<string, Partial<VideoModelRate>>;
  publish?: { base?: number; surcharges?: Partial<Record<Platform, number>> };
}

export interface Affordability {
  affordable: boolean;
  balance: number;
  cost: number;
  remaining: number;
  shortfall: number;
}

export interface Outcome {
  caption?: "succeeded" | "failed";
  /** Per `images[]` entry of the plan. */
  images?: { succeeded: number; failed: number }[];
  videos?: ("succeeded" | "failed")[];
  publish?: { postType: PostType; status: "posted" | "failed" }[];
}

export interface Settlement {
  charged: number;
  refunded: number;
  items: { kind: EstimateItem["kind"]; label: string; charged: number; refunded: number }[];
}

/** Itemized cost of a plan in whole credits; throws PowerPostError (INVALID_ARGUMENT) for a bad plan. */
export function estimateCost(plan: PostPlan, options?: { rateCard?: RateCardOverrides }): CostEstimate;
/** A copy of the built-in rate card: published amounts, and estimates where none were published (`catalogue().rates` says which). */
export function defaultRateCard(): RateCard;
export function checkBalance(balance: number, cost: CostEstimate | number): Affordability;
/** Applies PowerPost's refund rules to an estimate and what actually happened. */
export function settleCharges(estimate: CostEstimate, outcome: Outcome): Settlement;

/** One action the app paid for, and what PowerPost charged for it. */
export interface Charge {
  /** Exactly one action: a caption, one `images` entry, one `videos` entry, or a publish. */
  plan: PostPlan;
  /** What PowerPost's answer reported as `credits_used`: a whole number, at least 0. */
  creditsUsed: number;
}

export interface Calibration {
  /** The base card with the learned rates; its version is the base's plus "+calibrated". */
  rateCard: RateCard;
  /** Only the rates that changed, and the version: keep it, and pass it as `rateCard` to `estimateCost` and `canAfford`. */
  overrides: RateCardOverrides;
  /** Each rate that differs from the base card's: its path in the card (`"imageModels.flux2-flex.perImage"`), and how many explained charges use it. */
  changes: { rate: string; was: number; now: number; charges: number }[];
  /** The charges the returned card does not price exactly (a partial refund, a price change), by their index in `charges`. */
  unexplained: { index: number; creditsUsed: number; estimated: number }[];
}

/**
 * The rate card that explains what PowerPost charged: for each action, the whole-credit rates
 * that price the most charges exactly, starting from the built-in card (or it with
 * `options.rateCard`). At most 10,000 charges; throws PowerPostError (INVALID_ARGUMENT) naming
 * the field, e.g. `charges[3].plan.images`, `charges[3].creditsUsed`.
 */
export function calibrateRateCard(charges: Charge[], options?: { rateCard?: RateCardOverrides }): Calibration;

/**
 * What the package knows, for building a planner or a settings form without a copy of your
 * own: every post type with its platform, the built-in rate card's models with their choices
 * and every rate with where it comes from, the bounds of a plan (each inclusive) and every
 * default.
 */
export interface Catalogue {
  /** The built-in rate card's version (`defaultRateCard().version`). */
  rateCardVersion: string;
  /**
   * Every rate of the built-in card: its path in the card (`"imageModels.flux2-flex.perImage"`,
   * as calibration's `changes` name it), its credits, and whether it is an amount PowerPost
   * published (`"published"`) or ours (`"estimate"`).
   */
  rates: { rate: string; credits: number; source: "published" | "estimate" }[];
  postTypes: {
    name: PostType;
    platform: Platform;
    /** The platform as written for people: "TikTok". */
    platformName: string;
    /** The post type as written for people: "Instagram · feed". */
    displayName: string;
  }[];
  researchModes: ResearchMode[];
  imageModels: { name: ImageModel; sizes: ImageSize[] }[];
  videoModels: { name: VideoModel; durations: number[]; audio: boolean; sizes: VideoSize[] }[];
  limits: {
    /** `caption.imageInputs`, from 0. */
    captionImageInputs: number;
    /** `caption.sourceUrls`, from 0. */
    sourceUrls: number;
    /** `caption.videoInputSeconds`, from 0. */
    videoInputSeconds: number;
    /** An image entry's `quantity`, from 1. */
    imagesPerEntry: number;
    /** Entries in `images`, and in `videos`. */
    entries: number;
  };
  /** What a plan's image and video entries use for what they leave out. */
  planDefaults: { imageModel: ImageModel; imageQuantity: number; imageSize: ImageSize; videoModel: VideoModel; videoSize: VideoSize };
  /** What a request uses for an option not given, and the most `maxRetries` may be. */
  requestDefaults: { baseUrl: string; timeoutMs: number; maxRetries: number; maxRetriesLimit: number; storeTimeoutMs: number };
  /** A watch's `intervalMs` when not given, and the least it may be. */
  watchDefaults: { intervalMs: number; minIntervalMs: number };
}

/** A new copy of the catalogue. */
export function catalogue(): Catalogue;
