/**
 * Single-flight: concurrent calls with the same key share one in-flight promise.
 * The entry is removed when the promise settles, so a failure is not remembered.
 */
export class Coalescer {
  readonly #inFlight = new Map<string, Promise<unknown>>()

  /** Runs `task` unless one is already running for `key`; `joined` tells the caller it is a waiter. */
  run<T>(key: string, task: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const running = this.#inFlight.get(key)
    if (running !== undefined) return { promise: running as Promise<T>, joined: true }
    const promise = task().finally(() => this.#inFlight.delete(key))
    this.#inFlight.set(key, promise)
    return { promise, joined: false }
  }

  /** Whether a task is running for `key`. */
  has(key: string): boolean {
    return this.#inFlight.has(key)
  }

  get size(): number {
    return this.#inFlight.size
  }
}
