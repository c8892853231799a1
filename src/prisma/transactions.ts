/**
 * Invalidations owed by interactive transactions, applied only once the transaction has committed.
 *
 * Writes inside `$transaction(async (tx) => ...)` add their tags under the transaction's id; the
 * extension's `$transaction` applies them after Prisma's `$transaction` resolved (committed) and drops
 * them when it rejected (rolled back: the database did not change, and neither must the cache).
 */
export class PendingInvalidations {
  readonly #byTransaction = new Map<string, Set<string> | 'all'>()

  open(id: string): void {
    if (!this.#byTransaction.has(id)) this.#byTransaction.set(id, new Set())
  }

  /** False when no transaction with this id is open (then the caller invalidates at once). */
  add(id: string, tags: Set<string> | 'all'): boolean {
    const pending = this.#byTransaction.get(id)
    if (pending === undefined) return false
    if (tags === 'all' || pending === 'all') this.#byTransaction.set(id, 'all')
    else for (const tag of tags) pending.add(tag)
    return true
  }

  /** Removes and returns what the transaction owes. */
  take(id: string): Set<string> | 'all' {
    const pending = this.#byTransaction.get(id) ?? new Set<string>()
    this.#byTransaction.delete(id)
    return pending
  }
}
