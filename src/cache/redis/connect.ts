import { createRequire } from 'node:module'
import type { RedisNodeLike } from './client.js'

/** The part of ioredis's module used to open a connection from a URL. */
interface IoredisModule {
  Redis: new (url: string, options: { connectTimeout: number; maxRetriesPerRequest: number }) => RedisNodeLike
}

/**
 * Opens a standalone connection from a `redis://` URL with the application's ioredis (a peer dependency: loaded
 * here, on first use, so that an application without Redis never needs the package). `require` works in both
 * builds: ioredis is CommonJS, and in the ESM build `import.meta.url` locates the application's copy.
 */
export function connectRedis(url: string, who: string, connectTimeoutMs: number): RedisNodeLike {
  let ioredis: IoredisModule
  try {
    ioredis = createRequire(import.meta.url)('ioredis') as IoredisModule
  } catch (error) {
    throw new Error(
      `${who}: \`url\` needs the ioredis package (npm install ioredis), or pass your own client as \`client\``,
      {
        cause: error,
      },
    )
  }
  const client = new ioredis.Redis(url, {
    connectTimeout: connectTimeoutMs,
    // Fail queued commands after one reconnect attempt; our operation timeout bounds the wait anyway.
    maxRetriesPerRequest: 1,
  })
  // Connection errors surface through operations (counted, timed out); without a listener ioredis logs them.
  client.on('error', () => {})
  return client
}
