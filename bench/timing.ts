/**
 * Interleaved timing for tasks that are compared with each other.
 *
 * tinybench runs one task after another, each for its whole time budget: on a small shared machine a burst
 * of noise (another process, Redis on the same two cores, a GC of the previous task's garbage) then lands
 * on one task only and skews the ratio between libraries. Here the tasks of one scenario take turns in
 * short slices (a few ms each, the order shuffled every round) until each has had its budget, so they all
 * see the same conditions. Every call is timed on its own with process.hrtime.bigint(); `beforeEach` runs
 * before each call, outside the timed part.
 *
 * Two things make the turns fair to each other:
 * - The order of the tasks is shuffled every round (a seeded permutation), so every task follows every other
 *   about equally often. (Rotating a fixed order, as this file first did, keeps the neighbours fixed: a task
 *   placed after one that never touches Redis always started its turns on an idle Redis.)
 * - Between turns the event loop runs once (a setImmediate): tasks whose calls never wait for I/O (an L1 hit
 *   resolves in microtasks) would otherwise keep timers and sockets waiting for a whole phase — a bus's
 *   heartbeats among them, and with them the lease that lets a TieredCache serve its L1.
 * - The first call of every turn is run but not recorded, for every task. It pays for the switch: on these VMs
 *   a Redis server or database connection left idle for a few ms answers the next request 0.2–3 ms late
 *   (measured: GET p50 61 µs back to back, 249 µs after 5 ms without Redis traffic), which would otherwise be
 *   charged to whichever task happens to come after a task that does not use it.
 */

import { prng } from './prng.js'

export interface TimedTask {
  name: string
  fn: () => unknown
  /** Runs before every call, not timed (e.g. dropping the key from L1 to force an L2 hit). */
  beforeEach?: () => unknown
}

export interface InterleaveOptions {
  /** Time budget per task in ms (time spent inside the timed calls). */
  timeMs: number
  /** Untimed warm-up per task in ms, also interleaved. */
  warmupMs: number
  /** Length of one task's turn in ms. Default 5. */
  sliceMs?: number
}

/** A shuffled copy (Fisher–Yates). */
function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

/** Durations of every timed call, in ms, per task name. */
export async function interleave(
  tasks: readonly TimedTask[],
  options: InterleaveOptions,
): Promise<Map<string, number[]>> {
  const slice = BigInt(Math.round((options.sliceMs ?? 5) * 1e6))
  const samples = new Map(tasks.map((t) => [t.name, [] as number[]]))
  const spent = new Map(tasks.map((t) => [t.name, 0n]))
  const random = prng(0x5eed)

  const turn = async (task: TimedTask, record: boolean): Promise<void> => {
    const own = samples.get(task.name)!
    const turnStarted = process.hrtime.bigint()
    let used = 0n
    // The untimed first call (see the module comment), then timed calls until the slice is used up.
    if (task.beforeEach) await task.beforeEach()
    await task.fn()
    do {
      if (task.beforeEach) await task.beforeEach()
      const t0 = process.hrtime.bigint()
      await task.fn()
      const dt = process.hrtime.bigint() - t0
      used += dt
      if (record) own.push(Number(dt) / 1e6)
    } while (process.hrtime.bigint() - turnStarted < slice)
    spent.set(task.name, spent.get(task.name)! + used)
  }

  const phase = async (budgetMs: number, record: boolean): Promise<void> => {
    const budget = BigInt(Math.round(budgetMs * 1e6))
    for (const t of tasks) spent.set(t.name, 0n)
    for (;;) {
      const pending = tasks.filter((t) => spent.get(t.name)! < budget)
      if (pending.length === 0) return
      for (const task of shuffle(pending, random)) {
        await new Promise((resolve) => setImmediate(resolve))
        await turn(task, record)
      }
    }
  }

  await phase(options.warmupMs, false)
  await phase(options.timeMs, true)
  return samples
}
