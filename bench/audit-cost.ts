/**
 * What the audit of list pages costs (issue 15), side by side in one run on a DuckDB file:
 *
 *  1. one batch INSERT into the audit log: the hash-chained writer (pipeline/queries/audit.ts)
 *     beside the plain INSERT it replaced (no ids, no hashes), for batches of 1, 10 and 50;
 *  2. GET /v1/alerts?limit=50 in process (app.request, 10 at a time): as an admin (the page
 *     has legal representatives, so it waits until its `alert.list` entry is on record — in the
 *     audit journal, pipeline/queries/audit-journal.ts) beside a
 *     data scientist (redacted, not audited).
 *
 *   node --import tsx bench/audit-cost.ts [--enterprises 2000] [--rounds 5]
 *
 * Prints medians and p99 and the ratios, with the machine and its load average.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createToken } from '../pipeline/auth/index.ts';
import { loadConfig } from '../pipeline/config.ts';
import { openMigratedDb } from '../pipeline/db/index.ts';
import { writeAudits, type AuditEntry } from '../pipeline/queries/index.ts';
import { createApp } from '../api/app.ts';
import { seedCity } from '../api/_fixtures.ts';

const { values } = parseArgs({
  options: {
    enterprises: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '5' },
  },
});
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

const PLAIN_SQL = `
INSERT INTO audit_log (audit_id, logged_at, actor, role, action, target, status, detail)
SELECT nextval('audit_seq') + 100000000, e.at::TIMESTAMPTZ, e.actor, e.role, e.action, e.target, e.status, e.detail::JSON
FROM (SELECT unnest(from_json($entries::VARCHAR,
  '[{"at":"VARCHAR","actor":"VARCHAR","role":"VARCHAR","action":"VARCHAR","target":"VARCHAR","status":"INTEGER","detail":"VARCHAR"}]')) AS e)`;

async function main(): Promise<void> {
  process.stdout.write(
    `machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GB, Node ${process.version}; load average at start ${load()}\n`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'dafei-audit-cost-'));
  const db = await openMigratedDb(join(dir, 'bench.duckdb'));
  try {
    await seedCity(db, { enterprises: Number(values.enterprises), days: 3 });
    const entry = (i: number): AuditEntry => ({
      actor: 'user:bench',
      role: 'regulator',
      action: 'alert.list',
      target: '2026-03-31',
      status: 200,
      detail: { revision: 1, rows: 50, first_rank: i },
      clientIp: '10.0.0.1',
      userAgent: 'Mozilla/5.0 (bench)',
      requestId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      at: new Date(),
    });
    const rounds = Number(values.rounds);
    process.stdout.write('\n1. one audit INSERT (ms per batch; 40 batches per size per round)\n');
    for (const size of [1, 10, 50]) {
      const chained: number[] = [];
      const plain: number[] = [];
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < 40; i++) {
          const batch = Array.from({ length: size }, (_, j) => entry(i * size + j));
          let t0 = performance.now();
          await writeAudits(db, batch);
          chained.push(performance.now() - t0);
          t0 = performance.now();
          await db.run(PLAIN_SQL, {
            entries: JSON.stringify(
              batch.map((e) => ({
                at: e.at!.toISOString(),
                actor: e.actor,
                role: e.role,
                action: e.action,
                target: e.target,
                status: e.status,
                detail: JSON.stringify(e.detail),
              })),
            ),
          });
          plain.push(performance.now() - t0);
        }
      }
      process.stdout.write(
        `  batch of ${String(size).padStart(2)}: chained p50 ${q(chained, 0.5).toFixed(2)} ms, p99 ${q(chained, 0.99).toFixed(2)} ms | plain p50 ${q(plain, 0.5).toFixed(2)} ms, p99 ${q(plain, 0.99).toFixed(2)} ms | chained/plain p50 ${(q(chained, 0.5) / q(plain, 0.5)).toFixed(2)}\n`,
      );
    }
    // the plain rows would break the chain: remove them before the HTTP part writes more
    await db.run(`DELETE FROM audit_log WHERE audit_id > 100000000`);

    process.stdout.write(
      '\n2. GET /v1/alerts?limit=50 in process, 10 at a time (ms per request)\n',
    );
    const app = createApp({ db, config: loadConfig({}), log: () => undefined, dashboard: false });
    const admin = (await createToken(db, { name: 'bench-admin', role: 'admin' })).token;
    const ds = (await createToken(db, { name: 'bench-ds', role: 'data_scientist' })).token;
    const times: Record<string, number[]> = { admin: [], data_scientist: [] };
    const one = async (token: string): Promise<number> => {
      const t0 = performance.now();
      const res = await app.request('/v1/alerts?limit=50', {
        headers: { authorization: `Bearer ${token}` },
      });
      await res.text();
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      return performance.now() - t0;
    };
    for (const t of [admin, ds]) for (let i = 0; i < 20; i++) await one(t); // warm
    // entries on record in the audit journal move into audit_log within a second: count after a flush
    await app.dafei.deps.audit.flush();
    const before = (await db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM audit_log WHERE action = 'alert.list'`,
    ))!.n;
    for (let r = 0; r < rounds; r++) {
      for (const [role, token] of [
        ['admin', admin],
        ['data_scientist', ds],
      ] as const) {
        for (let b = 0; b < 20; b++) {
          const batch = await Promise.all(Array.from({ length: 10 }, () => one(token)));
          times[role]!.push(...batch);
        }
      }
    }
    await app.dafei.deps.audit.flush();
    const after = (await db.one<{ n: number }>(
      `SELECT count(*)::INTEGER AS n FROM audit_log WHERE action = 'alert.list'`,
    ))!.n;
    for (const role of ['admin', 'data_scientist'] as const) {
      const t = times[role]!;
      process.stdout.write(
        `  ${role.padEnd(15)} ${t.length} requests: p50 ${q(t, 0.5).toFixed(2)} ms, p90 ${q(t, 0.9).toFixed(2)} ms, p99 ${q(t, 0.99).toFixed(2)} ms\n`,
      );
    }
    process.stdout.write(
      `  admin/data_scientist p50 ${(q(times['admin']!, 0.5) / q(times['data_scientist']!, 0.5)).toFixed(2)}, p99 ${(q(times['admin']!, 0.99) / q(times['data_scientist']!, 0.99)).toFixed(2)}; alert.list entries written: ${after - before} (one per admin request); chain ${(await import('../pipeline/queries/index.ts').then((m) => m.verifyAuditChain(db))).ok ? 'intact' : 'BROKEN'}\n`,
    );
    await app.dafei.deps.audit.close();
    app.dafei.deps.db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`\nload average at the end ${load()}\n`);
}

await main();
