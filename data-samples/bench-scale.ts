/**
 * Scale benchmark of the simulator: by default 1,000,000 enterprises × 365 days.
 *
 *   node --import tsx data-samples/bench-scale.ts [--enterprises N] [--days D] [--seed S] [--gzip] [--keep] [--out DIR]
 *
 * Prints wall time, CPU time, peak RSS (process.resourceUsage().maxRSS), output size and the
 * machine. The output folder is deleted afterwards unless --keep.
 */
import { rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { formatBaseline } from './sim/baseline.ts';
import { DEFAULTS } from './sim/config.ts';
import { simulate } from './sim/run.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const enterprises = Number(flag('--enterprises') ?? 1_000_000);
const days = Number(flag('--days') ?? 365);
const seed = Number(flag('--seed') ?? 1);
const gzip = args.includes('--gzip');
const keep = args.includes('--keep');
const out = flag('--out') ?? join(tmpdir(), `dafei-bench-${enterprises}-${days}-${seed}`);

const cpu0 = process.cpuUsage();
const summary = await simulate({ ...DEFAULTS, enterprises, days, seed, gzip, out, quiet: true });
const cpu = process.cpuUsage(cpu0);
const maxRssMb = process.resourceUsage().maxRSS / 1024;
const bytes = summary.files.reduce((s, f) => s + f.bytes, 0);
const rows = summary.files.reduce((s, f) => s + f.rows, 0);
const cpuInfo = cpus();
const load = loadavg()[0] ?? 0;
const report = {
  enterprises,
  days,
  seed,
  gzip,
  wall_s: Math.round(summary.elapsedMs / 100) / 10,
  cpu_user_s: Math.round(cpu.user / 1e5) / 10,
  cpu_system_s: Math.round(cpu.system / 1e5) / 10,
  peak_rss_mb: Math.round(maxRssMb),
  output_mb: Math.round(bytes / 2 ** 20),
  output_lines: rows,
  load_average_1m_at_end: Math.round(load * 10) / 10,
  machine: `${cpuInfo.length} × ${cpuInfo[0]?.model ?? 'unknown cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB RAM, Node ${process.version}`,
};
for (const f of summary.files)
  process.stdout.write(`${f.file}  ${f.rows} lines  ${(f.bytes / 2 ** 20).toFixed(1)} MB\n`);
process.stdout.write(`${formatBaseline(summary.baseline)}\n${JSON.stringify(report)}\n`);
if (!keep) rmSync(out, { recursive: true, force: true });
