// Types for powerpost-credits. The contract: ../shared/API.md in the repository.

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
}

/** Checks the key and options, then reads the account's credit balance. */
export function getCredits(apiKey: string, options?: RequestOptions): Promise<Credits>;

export class CreditsClient {
  /** Throws PowerPostError (INVALID_ARGUMENT) for a malformed key or options. */
  constructor(apiKey: string, options?: RequestOptions);
  getCredits(options?: RequestOptions): Promise<Credits>;
  /** Releases the client's wasm memory now instead of at garbage collection. */
  free(): void;
}

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
  | "ABORTED";

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
  /** HTTP status; null when no response arrived. */
  status: number | null;
  requestId: string | null;
  retryAfterMs: number | null;
  retryable: boolean;
  /** For INVALID_ARGUMENT: the path of the bad input, e.g. "images[0].quantity". */
  field?: string;
}

export type ResearchMode = "regular" | "deep";
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
/** A copy of the built-in (estimated) rate card. */
export function defaultRateCard(): RateCard;
export function checkBalance(balance: number, cost: CostEstimate | number): Affordability;
/** Applies PowerPost's refund rules to an estimate and what actually happened. */
export function settleCharges(estimate: CostEstimate, outcome: Outcome): Settlement;
