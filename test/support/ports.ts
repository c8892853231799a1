/**
 * Small networking and polling helpers shared by the service rig.
 *
 * Everything here binds or connects to loopback only: the rig never exposes a
 * service on another interface.
 */
import { createServer, connect } from 'node:net'

/** The only address the rig binds services to. */
export const LOOPBACK = '127.0.0.1'

/**
 * Ask the kernel for a currently unused TCP port on 127.0.0.1.
 *
 * Binds port 0, reads the port the kernel picked and closes the socket again.
 * There is an unavoidable window between closing and the real server binding
 * the port, so callers that spawn servers retry with a fresh port when the
 * server reports "address already in use".
 */
export async function freePort(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error(`freePort: unexpected server address ${String(address)}`))
        return
      }
      const { port } = address
      server.close((err) => (err ? reject(err) : resolve(port)))
    })
  })
}

/**
 * Whether something accepts TCP connections on `host:port` right now.
 *
 * Used both to wait for a server and to prove that a stopped server no longer
 * listens. A refused or timed-out connection counts as "not open".
 */
export async function isPortOpen(port: number, host: string = LOOPBACK, timeoutMs = 1000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ host, port })
    const finish = (open: boolean): void => {
      socket.removeAllListeners()
      socket.on('error', () => undefined)
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(timeoutMs, () => finish(false))
    socket.once('connect', () => finish(true))
    socket.once('error', () => finish(false))
  })
}

/** Options for {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this many milliseconds (default 10 000). */
  timeoutMs?: number
  /** Pause between attempts (default 100 ms). */
  intervalMs?: number
  /** What is being waited for; named in the timeout error. */
  what: string
}

/**
 * Throw this from a {@link waitFor} callback to stop retrying at once, e.g.
 * when the server being waited for has already exited: waiting out the full
 * timeout would only hide the real error.
 */
export class GiveUp extends Error {
  override name = 'GiveUp'
}

/**
 * Call `fn` until it succeeds, then return its result.
 *
 * An attempt fails when `fn` throws/rejects or returns `false`; any other value
 * (including `undefined`) ends the wait. A {@link GiveUp} error is rethrown
 * immediately. On timeout the error names `what` and carries the last failure
 * as `cause`, because "timed out" alone rarely says why a service did not come up.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, options: WaitForOptions): Promise<Exclude<T, false>> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const intervalMs = options.intervalMs ?? 100
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  let attempts = 0
  for (;;) {
    attempts += 1
    try {
      const value = await fn()
      if (value !== false) return value as Exclude<T, false>
      lastError = undefined
    } catch (err) {
      if (err instanceof GiveUp) throw err
      lastError = err
    }
    if (Date.now() + intervalMs > deadline) break
    await sleep(intervalMs)
  }
  const reason =
    lastError instanceof Error ? `: ${lastError.message}` : lastError === undefined ? '' : `: ${String(lastError)}`
  throw new Error(`Timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${options.what}${reason}`, {
    cause: lastError,
  })
}

/**
 * Race `promise` against a timer; rejects with an Error naming `what` when
 * the timer wins. The underlying work is not cancelled (callers decide what
 * to do with a late result), but the timer never keeps the process alive.
 */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${timeoutMs} ms: ${what}`)), timeoutMs)
    timer.unref()
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Promise-based sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
