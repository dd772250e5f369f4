// ecb-backend: the server side of ECB, the Enterprise Chat Bridge, for Node backends.
//
// - TokenSigner: the RS256 userTokens, threadTokens and serverTokens ECB verifies.
// - backendHandler: the Backend API (every call ECB makes to a backend) as one
//   request handler for node:http, Express, Fastify or fetch-style servers.
// - ServerApi: publish, getPresence and disconnectUser, backend → ECB.
export { backendHandler, errorResponse } from "./handler.js";
export type { BackendHandler, BackendHandlerOptions, BackendRequest, BackendResponse } from "./handler.js";
export type { BackendCallbacks, CallContext, UserTokenAnswer } from "./operations.js";
export type { NodeListener } from "./http.js";
export { TokenSigner, keyIdFromPath, signJwt, verifyJwt } from "./tokens.js";
export type {
  BaseClaims,
  KeyInput,
  ServerTokenClaims,
  SignOptions,
  SigningKey,
  ThreadTokenClaims,
  TokenLifetimes,
  TokenSignerOptions,
  UserTokenClaims,
  VerificationKey,
  VerifyOptions,
} from "./tokens.js";
export { ReplayGuard, Webhook, webhookKey } from "./webhooks.js";
export type { HeaderSource, VerifiedWebhook, WebhookOptions } from "./webhooks.js";
export { Idempotency, MemoryIdempotencyStore } from "./idempotency.js";
export type { IdempotencyOptions, IdempotencyStore, MemoryIdempotencyStoreOptions } from "./idempotency.js";
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, isPage, page, requestedPaging, toPage } from "./paging.js";
export { ServerApi } from "./server-api.js";
export type { ServerApiOptions } from "./server-api.js";
export { BackendError, EcbError, TokenError, WebhookVerificationError } from "./errors.js";
export type { EcbErrorCode, TokenErrorReason } from "./errors.js";
export type * from "./types.js";
