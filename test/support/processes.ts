/**
 * Child-process management for the service rig.
 *
 * Servers started by tests must never outlive the test process: on the
 * machines this project runs on, orphaned processes are not reaped and keep
 * their ports. So every process is
 *  - spawned by us and kept by handle (never looked up by name),
 *  - registered in a per-process registry that `exit` and SIGTERM/SIGINT/
 *    SIGHUP hooks kill (test runners stop workers with SIGTERM), and
 *  - when `setpriv` exists, started with a parent-death signal, which also
 *    covers the cases where Node dies without running `exit` hooks
 *    (SIGKILL, an unhandled SIGTERM from a test runner).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants as fsConstants, readFileSync, rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { withTimeout } from './ports.js'

/** How a process ended. */
export interface ProcessExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** Options for {@link ManagedProcess.start}. */
export interface ManagedProcessOptions {
  /** Executable name (looked up in PATH) or path. */
  command: string
  args?: readonly string[]
  /** Short label used in error messages; defaults to `command`. */
  name?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  /**
   * Run as this user (via `setpriv --reuid/--regid --init-groups`, which execs,
   * so the child's pid is the target program's pid). Needed for PostgreSQL,
   * which refuses to run as root.
   */
  runAs?: string
  /**
   * Signal sent when the test process exits with the process still running,
   * and used as the parent-death signal. Defaults to SIGKILL; PostgreSQL wants
   * SIGQUIT so the postmaster takes its backends down with it.
   */
  emergencySignal?: NodeJS.Signals
  /** Receives every chunk of output (for one-shot commands that need all of it). */
  onOutput?: (stream: 'stdout' | 'stderr', chunk: string) => void
  /** How many trailing output lines to keep for error messages (default 50). */
  tailLines?: number
}

interface Registry {
  processes: Set<ManagedProcess>
  dirs: Set<string>
  hooked: boolean
}

// Kept on globalThis so that several evaluations of this module in one Node
// process (test runners may re-evaluate modules per file) share one registry
// and install one exit hook.
const REGISTRY_KEY = Symbol.for('prisma-tiered-cache.test-rig.registry')

function registry(): Registry {
  const holder = globalThis as typeof globalThis & { [REGISTRY_KEY]?: Registry }
  let reg = holder[REGISTRY_KEY]
  if (!reg) {
    reg = { processes: new Set(), dirs: new Set(), hooked: false }
    holder[REGISTRY_KEY] = reg
  }
  if (!reg.hooked) {
    reg.hooked = true
    const hookReg = reg
    // 'exit' listeners must be synchronous, so cleanup cannot await anything.
    process.on('exit', () => cleanupSync(hookReg))
    // Test runners stop their workers with SIGTERM (vitest's forks pool
    // does), which by default ends Node without 'exit' events. So on a signal:
    // kill the leftovers, await their exit briefly (vitest sends SIGKILL 500 ms
    // after SIGTERM; awaiting lets Node reap them instead of leaving zombies),
    // remove temp dirs, then re-send the signal with our listener removed so
    // it takes whatever course it would have taken without us.
    // `on`, not `once`: signal-exit (loaded by testcontainers) re-raises at
    // once if it believes it is the only listener, which would kill the
    // process before our cleanup ran.
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
      let handling = false
      const onSignal = (): void => {
        if (handling) return
        handling = true
        const leftovers = [...hookReg.processes]
        for (const proc of leftovers) proc.killNow()
        const exited = Promise.all(leftovers.map((proc) => proc.exited))
        void withTimeout(exited, 300, 'leftover processes to exit')
          .catch(() => undefined)
          .then(() => {
            cleanupSync(hookReg)
            process.off(signal, onSignal)
            process.kill(process.pid, signal)
          })
      }
      process.on(signal, onSignal)
    }
  }
  return reg
}

/**
 * Signal every leftover process, give them up to 2 s to die (so their
 * directories are no longer written to), then remove the temp dirs.
 */
function cleanupSync(reg: Registry): void {
  const leftovers = [...reg.processes]
  reg.processes.clear()
  for (const proc of leftovers) proc.killNow()
  const deadline = Date.now() + 2000
  const tick = new Int32Array(new SharedArrayBuffer(4))
  while (leftovers.some((proc) => !isDeadOrZombie(proc.pid)) && Date.now() < deadline) {
    Atomics.wait(tick, 0, 0, 10) // synchronous sleep; nothing can be awaited here
  }
  for (const dir of reg.dirs) {
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // Best effort: a server that is still shutting down may be writing into it.
    }
  }
  reg.dirs.clear()
}

/**
 * Whether a process has terminated, reaped or not. Our own exited children
 * stay zombies until Node reaps them on a later event-loop turn, which never
 * comes during a synchronous exit hook, so zombies count as dead.
 */
function isDeadOrZombie(pid: number): boolean {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return !isPidAlive(pid) // no /proc (not Linux) or already gone
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  return state === 'Z' || state === 'X'
}

/**
 * Resolve an executable through PATH (or check an explicit path).
 * @returns the absolute path, or `null` when it is not installed.
 */
export function findExecutable(command: string): string | null {
  const candidates = command.includes('/')
    ? [command]
    : (process.env['PATH'] ?? '/usr/local/bin:/usr/bin:/bin')
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, command))
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK)
      return candidate
    } catch {
      // not here; keep looking
    }
  }
  return null
}

/** True when the current process runs as root (uid 0). */
export function isRoot(): boolean {
  return process.getuid?.() === 0
}

/**
 * Look a local user up in /etc/passwd.
 * @returns uid/gid, or `null` when the user does not exist.
 */
export function lookupUser(name: string): { uid: number; gid: number } | null {
  let passwd: string
  try {
    passwd = readFileSync('/etc/passwd', 'utf8')
  } catch {
    return null
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':')
    if (user === name && uid !== undefined && gid !== undefined) {
      return { uid: Number(uid), gid: Number(gid) }
    }
  }
  return null
}

/**
 * Whether a pid refers to a live process (signal 0 probes without signalling).
 * A zombie still counts as alive; the rig awaits 'exit', so its children are reaped.
 */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Create a fresh directory under the OS temp dir, removed by
 * {@link removeTempDir} or, at the latest, when the test process exits.
 */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  registry().dirs.add(dir)
  return dir
}

/** Remove a directory made by {@link makeTempDir}. */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 })
  registry().dirs.delete(dir)
}

/**
 * A spawned child process that we own: kept by handle, its recent output kept
 * for error messages, stopped by signalling its own pid and awaiting 'exit'.
 */
export class ManagedProcess {
  /** Label used in messages. */
  readonly name: string
  /** The underlying child. */
  readonly child: ChildProcess
  /** Pid of the program itself (setpriv execs, so no wrapper pid sits in between). */
  readonly pid: number
  /** Resolves once the process has exited and been reaped. */
  readonly exited: Promise<ProcessExit>

  readonly #emergencySignal: NodeJS.Signals
  readonly #tailLimit: number
  readonly #tail: string[] = []
  readonly #partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' }
  #exit: ProcessExit | null = null

  private constructor(name: string, child: ChildProcess, pid: number, options: ManagedProcessOptions) {
    this.name = name
    this.child = child
    this.pid = pid
    this.#emergencySignal = options.emergencySignal ?? 'SIGKILL'
    this.#tailLimit = options.tailLines ?? 50
    this.exited = new Promise<ProcessExit>((resolve) => {
      // 'exit' rather than 'close': 'close' also waits for stdio pipes, which a
      // forked grandchild could keep open after the server itself is gone.
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal }
        registry().processes.delete(this)
        resolve(this.#exit)
      })
    })
    for (const stream of ['stdout', 'stderr'] as const) {
      child[stream]?.setEncoding('utf8')
      child[stream]?.on('data', (chunk: string) => {
        options.onOutput?.(stream, chunk)
        this.#record(stream, chunk)
      })
    }
  }

  /**
   * Spawn a process and wait until the OS has started it.
   * Rejects (with the OS error, e.g. ENOENT) when it cannot be spawned.
   */
  static async start(options: ManagedProcessOptions): Promise<ManagedProcess> {
    const name = options.name ?? options.command
    const emergency = options.emergencySignal ?? 'SIGKILL'
    let command = options.command
    let args: string[] = [...(options.args ?? [])]
    const setpriv = findExecutable('setpriv')
    if (options.runAs !== undefined && setpriv === null) {
      throw new Error(
        `Cannot run ${name} as user ${options.runAs}: setpriv (Debian package util-linux) is not installed`,
      )
    }
    if (setpriv !== null) {
      // Behind setpriv a missing program would only show up as setpriv
      // exiting with 127, so check for it up front.
      const resolved = findExecutable(command)
      if (resolved === null)
        throw new Error(`Failed to start ${name}: ${command} not found (PATH=${process.env['PATH'] ?? ''})`)
      command = resolved
      // The parent-death signal makes the kernel stop the server if this Node
      // process dies without running its exit hooks.
      const user =
        options.runAs === undefined ? [] : [`--reuid=${options.runAs}`, `--regid=${options.runAs}`, '--init-groups']
      args = [...user, '--pdeathsig', emergency, '--', command, ...args]
      command = setpriv
    }
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        child.off('spawn', onSpawn)
        reject(new Error(`Failed to start ${name} (${options.command}): ${err.message}`, { cause: err }))
      }
      const onSpawn = (): void => {
        child.off('error', onError)
        resolve()
      }
      child.once('error', onError)
      child.once('spawn', onSpawn)
    })
    // Later 'error' events (e.g. a failed kill) must not crash the test process.
    child.on('error', () => undefined)
    if (child.pid === undefined) throw new Error(`Failed to start ${name}: no pid`)
    const proc = new ManagedProcess(name, child, child.pid, options)
    registry().processes.add(proc)
    return proc
  }

  /** Whether the process has not exited yet. */
  get running(): boolean {
    return this.#exit === null
  }

  /** Exit status once exited, else `null`. */
  get exitStatus(): ProcessExit | null {
    return this.#exit
  }

  /** The last lines of combined stdout/stderr. */
  output(): string {
    const partial = [this.#partial.stdout, this.#partial.stderr].filter((s) => s !== '')
    return [...this.#tail, ...partial].join('\n')
  }

  /** One-line status plus recent output, for error messages. */
  describe(): string {
    const status = this.#exit === null ? 'running' : `exited (code ${this.#exit.code}, signal ${this.#exit.signal})`
    const out = this.output()
    return `${this.name} (pid ${this.pid}) ${status}${out === '' ? ', no output' : `; last output:\n${out}`}`
  }

  /**
   * Signal the process and wait for it to exit; escalates to SIGKILL when it
   * has not exited after `timeoutMs`. Resolves immediately if already exited.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000): Promise<ProcessExit> {
    if (this.#exit !== null) return this.#exit
    this.child.kill(signal)
    try {
      return await withTimeout(this.exited, timeoutMs, `${this.name} (pid ${this.pid}) to exit after ${signal}`)
    } catch {
      this.child.kill('SIGKILL')
      return withTimeout(this.exited, 10_000, `${this.name} (pid ${this.pid}) to exit after SIGKILL`)
    }
  }

  /**
   * Synchronously send the emergency signal (used by the process exit hook,
   * where nothing can be awaited).
   */
  killNow(): void {
    if (this.#exit !== null) return
    try {
      this.child.kill(this.#emergencySignal)
    } catch {
      // Already gone.
    }
  }

  #record(stream: 'stdout' | 'stderr', chunk: string): void {
    const lines = (this.#partial[stream] + chunk).split('\n')
    this.#partial[stream] = lines.pop() ?? ''
    for (const line of lines) {
      this.#tail.push(line)
      if (this.#tail.length > this.#tailLimit) this.#tail.shift()
    }
  }
}

/** Result of {@link runCommand}. */
export interface RunResult extends ProcessExit {
  stdout: string
  stderr: string
}

/** Options for {@link runCommand}. */
export interface RunOptions {
  runAs?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Kill the command after this long (default 30 000 ms). */
  timeoutMs?: number
}

/**
 * Run a short-lived command to completion and collect all of its output.
 * Does not throw on a non-zero exit; see {@link runChecked}.
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const out = { stdout: '', stderr: '' }
  const proc = await ManagedProcess.start({
    command,
    args,
    ...options,
    onOutput: (stream, chunk) => {
      out[stream] += chunk
    },
  })
  // 'exit' can fire before the last output chunks were read; 'close' marks
  // the end of the pipes too. Attached before any I/O can be processed.
  const closed = new Promise<void>((resolve) => proc.child.once('close', () => resolve()))
  const timeoutMs = options.timeoutMs ?? 30_000
  let exit: ProcessExit
  try {
    exit = await withTimeout(proc.exited, timeoutMs, `${command} ${args.join(' ')}`)
  } catch (err) {
    await proc.stop('SIGKILL')
    throw err
  }
  // One-shot commands have no grandchildren holding the pipes, so this is quick;
  // the timeout only guards against a daemonizing command.
  await withTimeout(closed, 5000, `output pipes of ${command} to close`).catch(() => undefined)
  return { ...exit, ...out }
}

/**
 * Like {@link runCommand} but rejects, with the command's output, unless it
 * exits with code 0.
 */
export async function runChecked(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<RunResult> {
  const result = await runCommand(command, args, options)
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (code ${result.code}, signal ${result.signal}):\n${result.stderr}${result.stdout}`.trimEnd(),
    )
  }
  return result
}

/**
 * Try to start a service with testcontainers; `null` when that is not possible.
 *
 * First asks testcontainers for a container runtime with a short timeout: with
 * no runtime (the normal case on these machines) it rejects within
 * milliseconds and we fall through to local binaries. With a runtime, the
 * start itself gets a longer budget (image pulls) and any failure still falls
 * through. A start that outlives its timeout is left to testcontainers' own
 * reaper (Ryuk), which removes the container when this process ends.
 */
export async function tryContainer<T>(what: string, start: () => Promise<T>): Promise<T | null> {
  try {
    // Imported lazily so that a missing or broken testcontainers install only
    // disables this path instead of failing the whole suite.
    const { getContainerRuntimeClient } = await import('testcontainers')
    await withTimeout(getContainerRuntimeClient(), 5000, 'a container runtime')
  } catch {
    return null
  }
  try {
    return await withTimeout(start(), 120_000, `${what} container to start`)
  } catch (err) {
    // Visible on purpose: a runtime exists, so the fallback is surprising.
    console.warn(`[test-rig] ${what} via testcontainers failed, using local binaries: ${(err as Error).message}`)
    return null
  }
}
