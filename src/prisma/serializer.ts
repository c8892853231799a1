import { Decimal } from '@prisma/client/runtime/client'
import type { SuperjsonSerializer } from '../cache/serializer.js'

const registered = new WeakSet<SuperjsonSerializer>()

/**
 * Teaches a superjson-based serializer Prisma's Decimal, so values read back from Redis are `Prisma.Decimal`
 * instances again (equal, and `instanceof`-equal, to what the database returned). Idempotent.
 * Every Prisma 7 client shares this Decimal class (it lives in @prisma/client/runtime/client).
 */
export function registerPrismaTypes(serializer: SuperjsonSerializer): void {
  if (registered.has(serializer)) return
  registered.add(serializer)
  serializer.superjson.registerCustom<Decimal, string>(
    {
      isApplicable: (value): value is Decimal => Decimal.isDecimal(value),
      serialize: (value) => value.toString(),
      deserialize: (text) => new Decimal(text),
    },
    'Prisma.Decimal',
  )
}
