/**
 * The fault suite (tests/faults): real processes killed with SIGKILL, PostgreSQL restarted, a
 * department failing for a while. `npm run test:faults` builds first (the suite runs dist/).
 * One file at a time: each drives several processes on a shared 2-core machine.
 */
import base from './jest.config.js';

export default {
  ...base,
  testPathIgnorePatterns: ['/node_modules/'],
  testMatch: ['<rootDir>/tests/faults/**/*.test.ts'],
  testTimeout: 300_000,
  maxWorkers: 1,
};
