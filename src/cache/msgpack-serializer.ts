// msgpackr's Node entry, bundled into the package: it decodes strings natively when the application has
// msgpackr-extract (an optional peer: its install script is the user's to approve), in pure JavaScript otherwise.
// MSGPACKR_NATIVE_ACCELERATION_DISABLED=true (msgpackr's own switch) turns the native part off.
import { addExtension, isNativeAccelerationEnabled, Packr, RESERVE_START_SPACE } from 'msgpackr'
import { GuardedObject, guardValue, NegativeZero, needsGuard } from './msgpack-guards.js'
import type { BinarySerializer } from './serializer.js'

/** A class taught to the MessagePack serializer: how an instance is written (as a packable value) and rebuilt. */
export interface MsgpackClass<T> {
  /** The class; its instances (and its subclasses') are written with `write`. */
  Class: abstract new (...args: never[]) => T
  /** An extension type code, 1-127, not one of {@link RESERVED_TYPES}. */
  type: number
  write(value: T): unknown
  /** Receives what `write` returned, decoded. */
  read(data: never): T
}

/** The binary Serializer: MessagePack (msgpackr), with every type a cached value can hold coming back as itself. */
export interface MsgpackSerializer extends BinarySerializer {
  readonly format: 'msgpack'
  serializeWithHeadroom(value: unknown, headroom: number): Uint8Array
  /**
   * Teaches it a class. msgpackr keeps one table of classes per copy of the library, and this package bundles
   * its own copy: a registration is seen by this package's MessagePack serializer only, never by an application's
   * own msgpackr. Registering a type again with the same class is a no-op; a type taken by another class throws.
   */
  register<T>(definition: MsgpackClass<T>): void
  /**
   * Whether strings are decoded by msgpackr's native extractor (`msgpackr-extract`, an optional peer, found in
   * the application's node_modules): decoding is then ~1.4× faster for one row and ~1.8× for a hundred.
   */
  readonly accelerated: boolean
}

const GUARDED_OBJECT = 0x01
const NEGATIVE_ZERO = 0x02
/**
 * Extension types in use: this library's (guards; 0x44 is Prisma's Decimal, registered by src/prisma), msgpackr's
 * own.
 */
export const RESERVED_TYPES: readonly number[] = [
  0,
  GUARDED_OBJECT,
  NEGATIVE_ZERO,
  0x10,
  0x11,
  0x42,
  0x62,
  0x65,
  0x69,
  0x70,
  0x73,
  0x74,
  0x78,
]

/**
 * Options chosen for exact round trips of independent entries:
 * - records (`useRecords`): an object shape is written once per entry and referenced by the objects that share
 *   it (the posts of a user): smaller than maps, and decoded faster; each entry carries its own shapes (neither
 *   `sequential` nor shared `structures`), so any entry decodes alone;
 * - `mapsAsObjects: false`: a MessagePack map is a `Map` again (plain objects are records);
 * - `moreTypes`: Set, typed arrays (a Uint8Array is not read back as a Buffer), Error, RegExp, BigInts beyond 64 bits;
 * - `int64AsType: 'bigint'`: a 64-bit integer is a BigInt (msgpackr writes only BigInts that way: numbers beyond
 *   32 bits are doubles);
 * - `copyBuffers`: bytes read back are copies, never views of the reply (which ioredis shares with its socket
 *   reads, and which L1 would otherwise keep alive).
 */
const packr = new Packr({
  useRecords: true,
  mapsAsObjects: false,
  moreTypes: true,
  int64AsType: 'bigint',
  copyBuffers: true,
})

addExtension({
  Class: GuardedObject,
  type: GUARDED_OBJECT,
  write: (value: GuardedObject) => value.entries,
  read: rebuildObject,
})
addExtension({ Class: NegativeZero, type: NEGATIVE_ZERO, write: () => null, read: () => -0 })

function rebuildObject(entries: Array<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of entries)
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true })
  return out
}

const registered = new Map<number, unknown>()

/**
 * The default serializer of RedisCache and of MemoryCache's `values: 'serialize'`: MessagePack. Round-trips
 * Date (ms; invalid ones too), BigInt (any size), Uint8Array and Buffer (each as itself), Map, Set, undefined and
 * null, -0, NaN and the infinities, and objects with own `__proto__` or `constructor` keys (JSON data); cycles are
 * not supported (superjson supports them). Size and speed against superjson and JSON: docs/benchmarks.md.
 */
export const msgpackSerializer: MsgpackSerializer = {
  format: 'msgpack',
  binary: true,
  accelerated: isNativeAccelerationEnabled,
  serialize: (value) => pack(value, 0),
  serializeWithHeadroom(value, headroom) {
    if (!Number.isInteger(headroom) || headroom < 0)
      throw new RangeError(`msgpackSerializer.serializeWithHeadroom: headroom must be an integer ≥ 0, got ${headroom}`)
    if (headroom <= MAX_RESERVED_START) return pack(value, RESERVE_START_SPACE | headroom)
    const bytes = pack(value, 0)
    const out = Buffer.allocUnsafe(headroom + bytes.byteLength)
    out.set(bytes, headroom)
    return out
  },
  deserialize: (bytes) =>
    packr.unpack(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
  register<T>(definition: MsgpackClass<T>) {
    const { Class, type } = definition
    if (!Number.isInteger(type) || type < 1 || type > 127 || RESERVED_TYPES.includes(type)) {
      throw new RangeError(
        `msgpackSerializer.register: type must be an integer from 1 to 127 not in use (${RESERVED_TYPES.join(', ')}), got ${type}`,
      )
    }
    const existing = registered.get(type)
    if (existing === Class) return
    if (existing !== undefined)
      throw new Error(`msgpackSerializer.register: type ${type} is already registered for another class`)
    registered.set(type, Class)
    addExtension({ Class, type, write: definition.write, read: definition.read })
  },
}

/** The most bytes msgpackr leaves free in front of a value (`RESERVE_START_SPACE` takes the count in 8 bits). */
const MAX_RESERVED_START = 0xff

/** The size of msgpackr's first working buffer, which successive small values share. */
const WORKING_BUFFER_BYTES = 8192

/** msgpackr's pack, with its encode options; a cycle or too deep a nesting is said so. */
function pack(value: unknown, encodeOptions: number): Buffer {
  try {
    const bytes = packr.pack(needsGuard(value) ? guardValue(value) : value, encodeOptions)
    // msgpackr grows its working buffer for a large value, and every buffer it takes after that is as large. Back
    // to a small one (the large one is never written again): the bytes of small values, which L1 may keep as
    // views (RedisCache), then share 8 KiB, not hundreds.
    if (bytes.buffer.byteLength > WORKING_BUFFER_BYTES) packr.useBuffer(Buffer.allocUnsafeSlow(WORKING_BUFFER_BYTES))
    return bytes
  } catch (error) {
    // The guard walk and msgpackr both recurse: a cycle ends in a stack overflow, which says nothing useful.
    if (!(error instanceof RangeError)) throw error
    throw new TypeError(
      'msgpackSerializer: cannot pack this value (a cycle, or nesting too deep); use superjsonSerializer for values with cycles',
      { cause: error },
    )
  }
}

/** The serializer RedisCache and MemoryCache use unless given another. */
export const defaultSerializer: MsgpackSerializer = msgpackSerializer
