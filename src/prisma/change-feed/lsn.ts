/** A PostgreSQL log sequence number (`16/B374D848`) as a number that compares and subtracts (bytes of WAL). */
export function lsnValue(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn)
  if (!match) throw new TypeError(`Not a PostgreSQL LSN: ${JSON.stringify(lsn)}`)
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`)
}

/** The text form PostgreSQL reads back (upper-case hex halves). */
export function lsnText(value: bigint): string {
  return `${(value >> 32n).toString(16).toUpperCase()}/${(value & 0xffffffffn).toString(16).toUpperCase()}`
}
