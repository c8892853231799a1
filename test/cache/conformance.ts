/**
 * The published contract (`prisma-tiered-cache/test-suite`, src/test-suite) bound to vitest: each backend's test
 * file calls {@link describeConformance} with a factory.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { backendTestSuite, type SuiteTarget } from '../../src/test-suite/index.js'

export { richValue } from '../../src/test-suite/index.js'

export const vitestApi = { describe, it, expect, beforeEach, afterEach }

export function describeConformance(name: string, create: () => Promise<SuiteTarget> | SuiteTarget): void {
  backendTestSuite({ name, create, test: vitestApi })
}
