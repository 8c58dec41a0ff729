/**
 * Benchmark: how long after `npm start` the demo's first model is active.
 *
 *   node --import tsx bench/demo-start.ts [--dir .] [--port 8819] [--until model|ready]
 *
 * Runs `dafei demo` (what `npm start` runs) in --dir — a fresh clone for the README's figure —
 * on a new database in a temporary folder, stamps every console line with the seconds since the
 * start, and stops the demo when its first model is active (--until model, the default) or when
 * the whole demo is done (--until ready: evaluation and backfill too). Prints the wall time, the
 * demo process's CPU time (all its threads, from /proc) and the load average at each milestone:
 * on a busy machine the wall time is pessimistic and the CPU time is the figure to compare.
 * Bar (issue 19): the first model active ≤ 60 s after the start on 2 idle cores.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '.' },
    port: { type: 'string', default: '8819' },
    until: { type: 'string', default: 'model' },
  },
});
if (values.until !== 'model' && values.until !== 'ready')
  throw new Error(`--until must be model or ready, got '${values.until}'`);
const dir = resolve(values.dir);
const tmp = mkdtempSync(join(tmpdir(), 'dafei-demo-start-'));
const load = () =>
  `load average ${loadavg()
    .map((v) => v.toFixed(1))
    .join(' ')}`;
const ticks = 100; // USER_HZ on Linux
/** CPU seconds (user + system, all threads) of a live process. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticks;
}

console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
console.log(`demo in ${dir}, database in ${tmp}; ${load()}`);
const t0 = performance.now();
const child = spawn(
  process.execPath,
  ['bin/dafei.js', 'demo', '--db', join(tmp, 'demo.duckdb'), '--port', values.port],
  { cwd: dir, env: { ...process.env, DOTENV_CONFIG_QUIET: 'true' } },
);
const stamp = () => ((performance.now() - t0) / 1000).toFixed(1).padStart(6);
let modelAt: number | null = null;
let stopped = false;
const milestone = (what: string) =>
  console.log(
    `${stamp()} s  [${what}: demo process CPU ${cpuSeconds(child.pid!).toFixed(1)} s; ${load()}]`,
  );
let buffered = '';
const onData = (chunk: Buffer) => {
  buffered += chunk.toString();
  for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
    const line = buffered.slice(0, i);
    buffered = buffered.slice(i + 1);
    console.log(`${stamp()} s  ${line}`);
    if (stopped) continue;
    if (/dashboard: http/.test(line)) milestone('dashboard served');
    if (modelAt === null && /model version \d+ active/.test(line)) {
      modelAt = (performance.now() - t0) / 1000;
      milestone('first model active');
      if (values.until === 'model') stop();
    }
    if (/^ready:/.test(line)) {
      milestone('demo done');
      stop();
    }
  }
};
function stop() {
  stopped = true;
  child.kill('SIGINT');
}
child.stdout.on('data', onData);
child.stderr.on('data', onData);
const [code] = (await once(child, 'exit')) as [number | null];
rmSync(tmp, { recursive: true, force: true });
// assigned in the output handler (the compiler's narrowing does not see it)
const firstModel = modelAt as number | null;
console.log(
  firstModel === null
    ? `no model became active (demo exited with ${code})`
    : `first model active after ${firstModel.toFixed(1)} s — bar ≤ 60 s: ${firstModel <= 60 ? 'PASS' : 'FAIL'}; ${load()}`,
);
