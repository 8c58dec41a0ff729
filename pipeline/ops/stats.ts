/**
 * `dafei db stats`: what takes the space — the file, its write-ahead log, and per table its rows
 * and the storage blocks its data occupies (blocks can be shared by small tables, so the per-table
 * figures are an upper bound), biggest first; plus what retention has done so far.
 */
import { existsSync, statSync } from 'node:fs';
import { ident, type Db } from '../db/index.ts';
import { tableNames } from './fingerprint.ts';

export interface DbStats {
  path: string;
  fileBytes: number;
  walBytes: number;
  blockSize: number;
  usedBlocks: number;
  freeBlocks: number;
  tables: { table: string; rows: number; blocks: number; bytes: number }[];
  retention: {
    compactedRevisions: number;
    superseded: number;
    purgedQuarantineBatches: number;
    auditArchives: number;
    auditArchivedRows: number;
  };
}

export async function dbStats(db: Db): Promise<DbStats> {
  const size = await db.one<{ block_size: string; used_blocks: string; free_blocks: string }>(
    `SELECT block_size::VARCHAR AS block_size, used_blocks::VARCHAR AS used_blocks, free_blocks::VARCHAR AS free_blocks
     FROM pragma_database_size() WHERE database_name = current_database()`,
  );
  const blockSize = Number(size?.block_size ?? 262144);
  const tables: DbStats['tables'] = [];
  for (const t of await tableNames(db)) {
    const r = await db.one<{ rows: number; blocks: number }>(
      `SELECT (SELECT count(*) FROM ${ident(t)})::DOUBLE AS rows,
              (SELECT count(DISTINCT b) FROM (SELECT block_id AS b FROM pragma_storage_info(${`'${t}'`}) WHERE block_id >= 0
                 UNION ALL SELECT unnest(additional_block_ids) FROM pragma_storage_info(${`'${t}'`})))::DOUBLE AS blocks`,
    );
    tables.push({
      table: t,
      rows: r?.rows ?? 0,
      blocks: r?.blocks ?? 0,
      bytes: (r?.blocks ?? 0) * blockSize,
    });
  }
  tables.sort((a, b) => b.bytes - a.bytes || b.rows - a.rows || (a.table < b.table ? -1 : 1));
  const ret = await db.one<DbStats['retention']>(
    `SELECT (SELECT count(*) FROM list_compactions)::DOUBLE AS "compactedRevisions",
            (SELECT count(*) FROM list_revisions r WHERE r.revision < (SELECT max(revision) FROM list_revisions x WHERE x.day = r.day))::DOUBLE AS superseded,
            (SELECT count(*) FROM quarantine_purges)::DOUBLE AS "purgedQuarantineBatches",
            (SELECT count(*) FROM audit_archives)::DOUBLE AS "auditArchives",
            (SELECT coalesce(sum(rows), 0) FROM audit_archives)::DOUBLE AS "auditArchivedRows"`,
  );
  const file = db.path;
  const bytes = (p: string) => (p !== ':memory:' && existsSync(p) ? statSync(p).size : 0);
  return {
    path: file,
    fileBytes: bytes(file),
    walBytes: bytes(`${file}.wal`),
    blockSize,
    usedBlocks: Number(size?.used_blocks ?? 0),
    freeBlocks: Number(size?.free_blocks ?? 0),
    tables,
    retention: ret!,
  };
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export function formatStats(s: DbStats, top = 15): string[] {
  const lines = [
    `${s.path}: file ${mib(s.fileBytes)}, write-ahead log ${mib(s.walBytes)}; blocks of ${s.blockSize / 1024} KiB: ${s.usedBlocks} used, ${s.freeBlocks} free (reused before the file grows)`,
    `${'table'.padEnd(32)} ${'rows'.padStart(12)} ${'≈ size'.padStart(12)}`,
  ];
  for (const t of s.tables.slice(0, top))
    lines.push(`${t.table.padEnd(32)} ${String(t.rows).padStart(12)} ${mib(t.bytes).padStart(12)}`);
  if (s.tables.length > top) lines.push(`… ${s.tables.length - top} smaller tables`);
  const r = s.retention;
  lines.push(
    `retention so far: ${r.compactedRevisions} of ${r.superseded} superseded revisions compacted, ` +
      `${r.purgedQuarantineBatches} quarantine batches purged, ${r.auditArchivedRows} audit entries in ${r.auditArchives} Parquet archives`,
  );
  return lines;
}
