import type { TieredCache } from '../../src/index.js'
import { eventually } from './eventually.js'

/**
 * Waits until each cache may serve its L1: its bus is up and its lease holds (its own heartbeat came back).
 * A bus that is merely connected is not enough: until the first own beat is heard, reads skip L1 and fills do
 * not reach it, so a test asserting what L1 holds would race the heartbeat.
 */
export async function l1Trusted(...caches: TieredCache[]): Promise<void> {
  await Promise.all(caches.map((cache) => cache.ready))
  await eventually(
    async () => (await Promise.all(caches.map((cache) => cache.health()))).every((health) => health.l1.trusted),
    'L1 to be trusted (the bus up and its lease held)',
  )
}
