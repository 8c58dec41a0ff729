/**
 * Benchmark: a feed file whose one line is 2 GiB (a broken export, a hostile source) between good
 * lines. The line must be quarantined without being held in memory, the good lines must land, and
 * the ingest's peak RSS must stay under 500 MB. Plain and gzipped.
 *
 *   node --import tsx bench/long-line.ts [--gib 2]
 *
 * The input is generated into bench/out/ once and reused; each ingest runs in a child process so
 * that its peak RSS is the ingest's alone. Prints the machine and its load average.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';

const { values } = parseArgs({
  options: {
    gib: { type: 'string', default: '2' },
    child: { type: 'string' },
    db: { type: 'string' },
  },
});

if (values.child) {
  const { openMigratedDb } = await import('../pipeline/db/index.ts');
  const { ingest, formatCounts } = await import('../pipeline/feeds/index.ts');
  const db = await openMigratedDb(values.db!);
  const t0 = performance.now();
  const r = await ingest(db, { feed: 'ads', source: values.child });
  const seconds = (performance.now() - t0) / 1000;
  const q = await db.one<{ line_no: number; reason: string; kept: number }>(
    `SELECT line_no::INTEGER AS line_no, reason, length(raw)::INTEGER AS kept FROM quarantine`,
  );
  db.close();
  const u = process.resourceUsage();
  process.stdout.write(
    JSON.stringify({
      counts: formatCounts(r),
      quarantine: q,
      seconds,
      maxRssMb: u.maxRSS / 1024,
      cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6,
    }) + '\n',
  );
  process.exit(0);
}

const gib = Number(values.gib);
const bytes = Math.round(gib * 2 ** 30);
mkdirSync('bench/out', { recursive: true });
const plain = `bench/out/long-line-${gib}g.ndjson`;
const gz = `${plain}.gz`;
const good = (id: string) =>
  JSON.stringify({
    ad_id: id,
    seen_at: '2026-03-01T09:30:00+08:00',
    channel: 'web',
    text: '保本保息，年化收益18%',
  }) + '\n';

if (!existsSync(plain) || statSync(plain).size < bytes) {
  const fd = openSync(plain, 'w');
  writeSync(fd, good('before-1') + good('before-2'));
  writeSync(fd, '{"ad_id":"huge","seen_at":"2026-03-01T09:30:00+08:00","channel":"web","text":"');
  const block = Buffer.alloc(1 << 24, 0x78); // 16 MiB of 'x'
  for (let left = bytes; left > 0; left -= block.length)
    writeSync(fd, left >= block.length ? block : block.subarray(0, left));
  writeSync(fd, '"}\n' + good('after-1'));
  closeSync(fd);
}
if (!existsSync(gz)) await pipeline(createReadStream(plain), createGzip(), createWriteStream(gz));

const mb = (n: number) => `${(n / 2 ** 20).toFixed(0)} MB`;
process.stdout.write(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${mb(totalmem())} RAM, Node ${process.version}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
for (const file of [plain, gz]) {
  const db = `bench/out/long-line-${Date.now()}.duckdb`;
  const res = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'bench/long-line.ts', '--child', file, '--db', db],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  rmSync(db, { force: true });
  rmSync(`${db}.wal`, { force: true });
  if (res.status !== 0) {
    process.stderr.write(res.stderr);
    process.exit(1);
  }
  const r = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as {
    counts: string;
    quarantine: { line_no: number; reason: string; kept: number };
    seconds: number;
    maxRssMb: number;
    cpuSeconds: number;
  };
  process.stdout.write(
    `${file} (${mb(statSync(file).size)} on disk, one line of ${mb(bytes)}): ${r.counts}; ` +
      `line ${r.quarantine.line_no} quarantined (${r.quarantine.kept} characters kept): "${r.quarantine.reason}"; ` +
      `${r.seconds.toFixed(1)} s, ${r.cpuSeconds.toFixed(1)} CPU s, peak RSS ${r.maxRssMb.toFixed(0)} MB ` +
      `(bar < 500 MB: ${r.maxRssMb < 500 ? 'met' : 'NOT met'})\n`,
  );
}
process.stdout.write(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
