/**
 * Two instances of a service in two processes, sharing one database and one Redis (L2 + invalidation bus).
 *
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/multi-instance/main.ts
 *
 * Creates a SQLite file (examples/multi-instance/shared.db, or DB_FILE) that both instances open, starts
 * instance.ts twice (A and B), lets B cache a row in its L1, makes A update that row, and shows that B's next
 * read is fresh: A's invalidation reached B over the RedisBus and dropped the row from B's L1. Stops both
 * processes before it exits (0 when B read the new row, 1 otherwise).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { BusStats } from 'prisma-tiered-cache'
import { connectRedisOrExit, createSqliteDatabase, databaseFile, DEFAULT_REDIS_URL } from '../support.js'
import type { Reply, Request } from './instance.js'

type Read = { name: string | null; source: string }
type Call = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never

/** One instance process, driven over IPC. */
class Instance {
  readonly #child: ChildProcess
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  readonly #exited: Promise<void>
  readonly started: Promise<void>
  #next = 1

  constructor(
    readonly name: string,
    env: Record<string, string>,
  ) {
    this.#child = fork(fileURLToPath(new URL('./instance.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env, INSTANCE: name },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()))
    this.started = new Promise((resolve, reject) => {
      this.#child.once('exit', (code, signal) => {
        const error = new Error(`instance ${name} exited (code ${code}, signal ${signal})`)
        reject(error)
        for (const waiter of this.#pending.values()) waiter.reject(error)
        this.#pending.clear()
      })
      this.#child.on('message', (message: Reply) => {
        if (message.id === 0) return resolve()
        const waiter = this.#pending.get(message.id)
        this.#pending.delete(message.id)
        if (message.error !== undefined) waiter?.reject(new Error(message.error))
        else waiter?.resolve(message.result)
      })
    })
    this.started.catch(() => undefined) // reported by whoever awaits it
  }

  get pid(): number | undefined {
    return this.#child.pid
  }

  call<T>(request: Call): Promise<T> {
    const id = this.#next++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      this.#child.send({ ...request, id } as Request)
    })
  }

  /** Asks the instance to close its connections and exit; kills it (by its handle) when it has not within 5 s. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    if (this.#child.connected) this.call({ op: 'exit' }).catch(() => undefined)
    else this.#child.kill('SIGTERM')
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000)
    await this.#exited
    clearTimeout(timer)
  }
}

const redisUrl = process.env['REDIS_URL'] || DEFAULT_REDIS_URL
// Fail here, with a clear message, rather than in both children.
await (await connectRedisOrExit('npx tsx examples/multi-instance/main.ts', redisUrl)).quit()

const file = databaseFile(new URL('./shared.db', import.meta.url))
await createSqliteDatabase(file, `INSERT INTO "User" ("email", "name") VALUES ('ada@example.com', 'Ada');`)
// A prefix of this run's own: the database is new, so nothing an earlier run cached may be read.
const env = { DB_FILE: file, REDIS_URL: redisUrl, CACHE_PREFIX: `example-multi:${randomBytes(4).toString('hex')}:` }
const a = new Instance('A', env)
const b = new Instance('B', env)
const show = (label: string, read: Read) =>
  console.log(`${label.padEnd(46)} name "${read.name}"  source ${read.source}`)

let fresh = false
try {
  await Promise.all([a.started, b.started])
  for (const instance of [a, b])
    if (!(await instance.call<boolean>({ op: 'ready' })))
      throw new Error(`instance ${instance.name}: bus did not connect`)
  console.log(`instances A (pid ${a.pid}) and B (pid ${b.pid}) are up; shared database ${file}`)

  show('B reads User 1', await b.call<Read>({ op: 'read', userId: 1 }))
  show('B reads User 1 again (from its L1)', await b.call<Read>({ op: 'read', userId: 1 }))
  show('A reads User 1 (from Redis, filled by B)', await a.call<Read>({ op: 'read', userId: 1 }))

  const before = (await b.call<BusStats>({ op: 'busStats' })).received
  await a.call({ op: 'write', userId: 1, name: 'Ada Lovelace' })
  console.log(`A updates User 1 to "Ada Lovelace"`)
  // The bus delivers asynchronously (about a millisecond on loopback): make sure B has heard of the write.
  const started = performance.now()
  while ((await b.call<BusStats>({ op: 'busStats' })).received === before) {
    if (performance.now() - started > 5000) throw new Error('B heard nothing on the bus within 5 s')
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  console.log(
    `B has received A's invalidation over the bus (checked ${(performance.now() - started).toFixed(1)} ms after the write returned)`,
  )

  const after = await b.call<Read>({ op: 'read', userId: 1 })
  show('B reads User 1 after A wrote', after)
  show('B reads User 1 again', await b.call<Read>({ op: 'read', userId: 1 }))
  fresh = after.name === 'Ada Lovelace' && after.source !== 'l1'
  console.log(
    fresh
      ? 'B read the new row: the bus dropped the old one from its L1'
      : 'B read a stale row: the invalidation did not reach its L1',
  )
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
} finally {
  await Promise.all([a.stop(), b.stop()])
  console.log(`stopped instances A (pid ${a.pid}) and B (pid ${b.pid})`)
}
process.exitCode = fresh ? 0 : 1
