/**
 * Interleaved timing for tasks that are compared with each other.
 *
 * tinybench runs one task after another, each for its whole time budget: on a small shared machine a burst
 * of noise (another process, Redis on the same two cores, a GC of the previous task's garbage) then lands
 * on one task only and skews the ratio between libraries. Here the tasks of one scenario take turns in
 * short slices (a few ms each, the order rotating every round) until each has had its budget, so they all
 * see the same conditions. Every call is timed on its own with process.hrtime.bigint(); `beforeEach` runs
 * before each call, outside the timed part.
 */

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

/** Durations of every timed call, in ms, per task name. */
export async function interleave(tasks: readonly TimedTask[], options: InterleaveOptions): Promise<Map<string, number[]>> {
  const slice = BigInt(Math.round((options.sliceMs ?? 5) * 1e6))
  const samples = new Map(tasks.map((t) => [t.name, [] as number[]]))
  const spent = new Map(tasks.map((t) => [t.name, 0n]))

  const turn = async (task: TimedTask, record: boolean): Promise<void> => {
    const own = samples.get(task.name)!
    const turnStarted = process.hrtime.bigint()
    let used = 0n
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
    for (let round = 0; ; round++) {
      const pending = tasks.filter((t) => spent.get(t.name)! < budget)
      if (pending.length === 0) return
      // Rotate who goes first, so no task always follows the same neighbour.
      for (let i = 0; i < pending.length; i++) await turn(pending[(i + round) % pending.length]!, record)
    }
  }

  await phase(options.warmupMs, false)
  await phase(options.timeMs, true)
  return samples
}
