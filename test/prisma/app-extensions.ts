/**
 * Extensions as applications write them, for tests that compose the cache with others: a soft-delete query
 * extension (reads of User never see `active: false` rows) and a result extension (a computed field).
 */
import { Prisma } from '../support/database.js'

const READS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
])

/** Soft delete: every top-level read of User gets `active: true` in its where. */
export const softDelete = Prisma.defineExtension({
  name: 'soft-delete',
  query: {
    user: {
      $allOperations: ({ operation, args, query }) => {
        if (!READS.has(operation)) return query(args)
        const filtered = args as { where?: object }
        return query({ ...filtered, where: { ...filtered.where, active: true } } as typeof args)
      },
    },
  },
})

/** A computed field on User. */
export const label = Prisma.defineExtension({
  name: 'label',
  result: {
    user: { label: { needs: { name: true, email: true }, compute: (user) => `${user.name ?? '?'} <${user.email}>` } },
  },
})
