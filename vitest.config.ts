import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests import workspace packages from their TypeScript sources, so a test run
// never depends on a stale build.
export default defineConfig({
  resolve: {
    alias: {
      '@whodunit/testkit': here('./testkit/src/index.ts'),
      '@whodunit/sql': here('./sql/src/index.ts'),
      '@whodunit/collector': here('./collector/src/index.ts'),
      '@whodunit/forensics': here('./forensics/src/index.ts'),
      '@whodunit/protect': here('./protect/src/index.ts'),
    },
  },
  test: {
    include: ['*/test/**/*.test.ts', '*/src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', 'grafana-plugin/**'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
