/**
 * The set-up the bus tests that spawn bridges share: one sandbox and one redis-server for the
 * file, a plain Redis client to read the stream with, and a temporary config folder. Call it at
 * the top level of a test file (it registers vitest hooks).
 */
import { afterAll, beforeAll } from 'vitest';
import { startSandbox } from '../../src/sandbox/index.js';
import type { Sandbox, SandboxOptions } from '../../src/sandbox/types.js';
import { plainClient, startRedis, type PlainClient, type TestRedis } from './redis.js';
import { tempConfigDir } from './run-cli.js';

export interface BusSuite {
  readonly sandbox: Sandbox;
  readonly redis: TestRedis;
  readonly client: PlainClient;
  readonly config: ReturnType<typeof tempConfigDir>;
}

export function busSuite(options: SandboxOptions): BusSuite {
  const parts: { -readonly [K in keyof BusSuite]?: BusSuite[K] } = {};
  beforeAll(async () => {
    parts.sandbox = await startSandbox(options);
    parts.redis = await startRedis();
    parts.client = await plainClient(parts.redis.url);
    parts.config = tempConfigDir();
  });
  afterAll(async () => {
    parts.sandbox?.control.setRate(0);
    await parts.client?.close();
    await parts.redis?.stop();
    await parts.sandbox?.close();
    parts.config?.cleanup();
  });
  const started = <K extends keyof BusSuite>(key: K): BusSuite[K] => {
    const part = parts[key];
    if (part === undefined) throw new Error(`busSuite: ${key} is used before beforeAll ran`);
    return part as BusSuite[K];
  };
  return {
    get sandbox() {
      return started('sandbox');
    },
    get redis() {
      return started('redis');
    },
    get client() {
      return started('client');
    },
    get config() {
      return started('config');
    },
  };
}
