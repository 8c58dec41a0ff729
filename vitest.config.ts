import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import type { Reporter, TestModule } from 'vitest/node';

process.env['TZ'] = 'UTC';
process.env['DOTENV_CONFIG_QUIET'] = 'true';

/** Ends the run with one plain line, "Tests: N passed, N failed, N skipped", that CI tools read. */
class PlainSummary implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const s = t.result().state;
        if (s === 'passed') passed++;
        else if (s === 'failed') failed++;
        else skipped++;
      }
      if (m.state() === 'failed' && [...m.children.allTests()].length === 0) failed++;
    }
    process.stdout.write(`\nTests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

export default defineConfig({
  test: {
    include: [
      'pipeline/**/*.test.ts',
      'models/**/*.test.ts',
      'api/**/*.test.ts',
      'data-samples/**/*.test.ts',
      'bench/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: one worker on a 2-core machine, where
    // the suite then took 300 s; the tests wait on child processes, Chromium and disk, so two
    // workers share two cores well (164 s, measured on a fresh clone)
    maxWorkers: Math.max(2, availableParallelism() - 1),
    reporters: ['default', new PlainSummary()],
  },
});
