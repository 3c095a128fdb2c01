/**
 * The Redis client library, imported statically here so that redis.ts can load this module
 * lazily: `@redis/client` is CommonJS, and a bundled `await import()` of a CommonJS package
 * gets only a default export (scripts/build.mjs bundles dist/).
 */
export { createClient, createCluster } from '@redis/client';
