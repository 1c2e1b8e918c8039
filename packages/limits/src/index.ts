export { Backoff, backoffDelay } from './backoff.js';
export { type RateLimit, TokenBucket } from './token-bucket.js';
