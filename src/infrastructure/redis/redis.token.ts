/** The shared ioredis client, or null in the embedded (no REDIS_URL) mode. */
export const REDIS = Symbol('REDIS');
