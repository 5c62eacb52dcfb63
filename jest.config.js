/** Jest runs the TypeScript sources as ESM through ts-jest. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '__tests__/tsconfig.json' }]
  },
  testMatch: ['**/__tests__/**/*.test.ts'],
  // Integration tests start real registries and engines; they share ports and storage.
  maxWorkers: 1,
  testTimeout: 180000
}
