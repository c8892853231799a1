import { Decimal } from '@prisma/client/runtime/client'
import { msgpackSerializer, type MsgpackSerializer } from '../cache/msgpack-serializer.js'
import { type SuperjsonSerializer, superjsonSerializer } from '../cache/superjson-serializer.js'

/** The MessagePack extension type of Prisma's Decimal (its text, so no precision is lost). */
const DECIMAL_TYPE = 0x44

const registered = new WeakSet<object>()

/**
 * Teaches a serializer Prisma's Decimal, so values read back from Redis are `Prisma.Decimal` instances again
 * (equal, and `instanceof`-equal, to what the database returned). Without an argument: the built-in MessagePack
 * and superjson serializers (the extension does this when it is created). Idempotent.
 * Every Prisma 7 client shares this Decimal class (it lives in @prisma/client/runtime/client).
 */
export function registerPrismaTypes(serializer?: SuperjsonSerializer | MsgpackSerializer): void {
  if (serializer === undefined) {
    registerPrismaTypes(msgpackSerializer)
    registerPrismaTypes(superjsonSerializer)
    return
  }
  if (registered.has(serializer)) return
  registered.add(serializer)
  if (serializer.format === 'msgpack') {
    serializer.register<Decimal>({
      Class: Decimal,
      type: DECIMAL_TYPE,
      write: (value) => value.toString(),
      read: (text: string) => new Decimal(text),
    })
    return
  }
  serializer.superjson.registerCustom<Decimal, string>(
    {
      isApplicable: (value): value is Decimal => Decimal.isDecimal(value),
      serialize: (value) => value.toString(),
      deserialize: (text) => new Decimal(text),
    },
    'Prisma.Decimal',
  )
}
