/**
 * Ingests one source of one feed into DuckDB.
 *
 * Each input (a file, a drop-folder file, an HTTP response) is one batch: it is read completely
 * into staging files first, then applied in one transaction. So a source that cannot be read at all
 * changes nothing, and a broken line only sends that line to quarantine.
 *
 * Counts add up: read = accepted + duplicate + corrected + quarantined, where
 *   accepted   a key not seen before
 *   duplicate  the same key with the same content as the current version (or earlier in the batch)
 *   corrected  the same key with different content: the newer wins, the older stays in history
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ident, literal, settleBulkWrite, type Db } from '../db/index.ts';
import { AppError, IngestError } from '../errors.ts';
import { StageFile } from '../stage-file.ts';
import { createGunzip } from 'node:zlib';
import { availableParallelism } from 'node:os';
import { encodingFrom, readRecords, type Encoding } from './read.ts';
import { lineChunks, NdjsonPool, stageLocally, type ChunkResult } from './ndjson-pool.ts';
import { quarantineLine, rowLine, validatorFor } from './stage-lines.ts';
import {
  fileInput,
  folderInputs,
  httpInput,
  isUrl,
  type Input,
  type Opened,
  type SourceKind,
} from './sources.ts';
import { dataColumns, FEEDS, type FeedName, type FeedSpec } from './specs.ts';
import { rescreenAfter } from '../notify/screen.ts';
import { identityMapping } from './mapping/compile.ts';
import { readMapped, type MappedRecord } from './mapping/read-mapped.ts';
import type { Mapping } from './mapping/schema.ts';
import type { XlsxLimits } from './xlsx.ts';

export interface IngestCounts {
  read: number;
  accepted: number;
  duplicate: number;
  corrected: number;
  quarantined: number;
}

export interface BatchResult extends IngestCounts {
  batchId: number;
  feed: FeedName;
  source: string;
  bytes: number;
  seconds: number;
}

export interface IngestOptions {
  feed: FeedName;
  /** A file, a folder, or an http(s) URL. */
  source: string;
  /** 'utf-8' (default) or 'gbk' / 'gb18030' for CSV from government Excel exports. */
  encoding?: string;
  now?: () => Date;
  fetch?: typeof fetch;
  /** Called after each batch with its counts. */
  onBatch?: (b: BatchResult) => void;
  /**
   * How the source's columns become the feed's fields (a layout that is not the contract's:
   * CSV or XLSX; see mapping/). An .xlsx without one must have the contract's column names.
   */
  mapping?: Mapping;
  /** Caps of .xlsx inflation (zip-bomb guard); default DEFAULT_XLSX_LIMITS. */
  xlsxLimits?: XlsxLimits;
  /** Rows read so far in the current batch (mapped sources; for progress bars). */
  onProgress?: (p: { rows: number; fraction: number | null }) => void;
}

export interface IngestResult extends IngestCounts {
  feed: FeedName;
  source: string;
  kind: SourceKind;
  batches: BatchResult[];
}

export function formatCounts(c: IngestCounts): string {
  return `read ${c.read}, accepted ${c.accepted}, duplicate ${c.duplicate}, corrected ${c.corrected}, quarantined ${c.quarantined}`;
}

export async function ingest(db: Db, options: IngestOptions): Promise<IngestResult> {
  const spec = FEEDS[options.feed];
  const now = options.now ?? (() => new Date());
  const encoding = encodingFrom(options.encoding);
  const inputs = await resolveInputs(db, options, now());
  const result: IngestResult = {
    feed: options.feed,
    source: options.source,
    kind: inputs.kind,
    batches: [],
    read: 0,
    accepted: 0,
    duplicate: 0,
    corrected: 0,
    quarantined: 0,
  };
  for (const input of inputs.list) {
    let batch: BatchResult;
    try {
      batch = await ingestInput(db, spec, input, encoding, now, options);
    } finally {
      // watchlists and subscriptions hear of the batch (or of its failure) at once
      await rescreenAfter(db, { now });
    }
    result.batches.push(batch);
    for (const k of ['read', 'accepted', 'duplicate', 'corrected', 'quarantined'] as const) {
      result[k] += batch[k];
    }
    options.onBatch?.(batch);
  }
  return result;
}

async function resolveInputs(
  db: Db,
  options: IngestOptions,
  now: Date,
): Promise<{ kind: SourceKind; list: Input[] }> {
  const { feed, source } = options;
  if (isUrl(source)) {
    const cursor = await db.one<{ since: string }>(
      `SELECT since FROM http_cursors WHERE feed = $feed AND url = $url ORDER BY updated_at DESC LIMIT 1`,
      { feed, url: source },
    );
    const httpOptions = {
      since: cursor?.since ?? null,
      now,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    return { kind: 'http', list: [httpInput(feed, source, httpOptions)] };
  }
  let st;
  try {
    st = await stat(source);
  } catch (err) {
    throw new IngestError(
      'source_unreadable',
      `[ingest:${feed}] cannot read ${source}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or folder' : (err as Error).message}`,
      { cause: err },
    );
  }
  if (st.isDirectory()) {
    const seen = await db.all<{ k: string }>(
      `SELECT file_name || chr(31) || sha256 AS k FROM source_files WHERE folder = $folder`,
      { folder: resolve(source) },
    );
    return {
      kind: 'folder',
      list: await folderInputs(feed, source, new Set(seen.map((r) => r.k))),
    };
  }
  return { kind: 'file', list: [fileInput(feed, source)] };
}

/** Rows per block: each block is staged and applied while the next one is read. */
const BLOCK_ROWS = 200_000;
/** NDJSON files larger than this are parsed by worker threads. */
const PARALLEL_BYTES = 16 << 20;
const THREADS = Math.max(1, Math.min(2, availableParallelism()));

/**
 * Accepted rows go to the database in blocks, all inside the batch's one transaction, so a later
 * block sees the rows of the earlier ones as current versions.
 */
class BlockWriter {
  readonly #dir: string;
  readonly #apply: (path: string) => Promise<void>;
  #block: StageFile | undefined;
  #ready: StageFile[] = [];
  #n = 0;

  constructor(dir: string, apply: (path: string) => Promise<void>) {
    this.#dir = dir;
    this.#apply = apply;
  }

  /** Appends staged rows (`n` lines, newline-separated). */
  add(lines: string, n: number): void {
    if (n === 0) return;
    this.#block ??= new StageFile(join(this.#dir, `block-${this.#n++}.ndjson`));
    this.#block.addLines(lines, n);
    if (this.#block.rows >= BLOCK_ROWS) this.#close();
  }

  #close(): void {
    if (!this.#block) return;
    this.#block.close();
    this.#ready.push(this.#block);
    this.#block = undefined;
  }

  hasReady(): boolean {
    return this.#ready.length > 0;
  }

  /** Applies closed blocks, one at a time, in order. */
  async drain(all = false): Promise<void> {
    if (all) this.#close();
    for (let b = this.#ready.shift(); b; b = this.#ready.shift()) {
      await this.#apply(b.path);
      rmSync(b.path, { force: true });
    }
  }

  /** Closes the open block without applying it (the batch failed). */
  abandon(): void {
    this.#block?.close();
    this.#block = undefined;
  }
}

async function ingestInput(
  db: Db,
  spec: FeedSpec,
  input: Input,
  encoding: ReturnType<typeof encodingFrom>,
  now: () => Date,
  options: Pick<IngestOptions, 'mapping' | 'xlsxLimits' | 'onProgress' | 'encoding'> = {},
): Promise<BatchResult> {
  const started = now();
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'dafei-ingest-'));
  const counts: IngestCounts = { read: 0, accepted: 0, duplicate: 0, corrected: 0, quarantined: 0 };
  let bytes = 0;
  let pool: NdjsonPool | undefined;
  try {
    // The source is opened before the transaction, so an unreachable one costs nothing.
    const opened = await input.open();
    const result = await db.transaction(async (tx) => {
      const batchId = (await tx.one<{ id: number }>(
        `SELECT nextval('ingest_batch_seq')::INTEGER AS id`,
      ))!.id;
      const bad = new StageFile(join(dir, 'quarantine.ndjson'));
      const blocks = new BlockWriter(dir, async (path) => {
        const c = await applyBlock(tx, spec, path, batchId);
        counts.accepted += c.accepted;
        counts.duplicate += c.duplicate;
        counts.corrected += c.corrected;
      });
      let applying: Promise<void> = Promise.resolve();
      // Apply finished blocks while the next ones are read; at most one block in flight, and
      // reading waits only when another block is ready before the previous one is applied.
      const afterChunk = async () => {
        if (!blocks.hasReady()) return;
        await applying;
        applying = blocks.drain();
      };
      try {
        if (options.mapping !== undefined || opened.format === 'xlsx') {
          // another layout (or a workbook) through a mapping: one entry point for all of them
          if (opened.format === 'ndjson')
            throw new IngestError(
              'ingest_failed',
              `[ingest:${spec.name}] ${input.name}: a mapping reads CSV or XLSX, not NDJSON`,
            );
          const validate = validatorFor(spec.name);
          ({ bytes } = await readMapped(
            {
              label: input.name,
              format: opened.format,
              stream: opened.stream,
              gzip: opened.gzip,
              ...(opened.path === undefined ? {} : { path: opened.path }),
              ...(opened.size === undefined ? {} : { size: opened.size }),
            },
            {
              mapping: options.mapping ?? identityMapping(spec.name),
              // no encoding given: the mapping's, else detected from the bytes
              ...(options.encoding ? { encoding } : {}),
              ...(options.xlsxLimits ? { limits: options.xlsxLimits } : {}),
              ...(options.onProgress ? { onProgress: options.onProgress } : {}),
            },
            (rec: MappedRecord) => {
              counts.read++;
              let reason = rec.problem;
              if (rec.value !== undefined) {
                const checked = validate(rec.value);
                if (checked.ok) {
                  blocks.add(rowLine(rec.line, checked.key, checked.values), 1);
                  return;
                }
                reason = rec.explain ? rec.explain(checked.reason) : checked.reason;
              }
              bad.add(quarantineLine(rec.line, rec.raw, reason ?? 'unreadable record'));
            },
            afterChunk,
          ));
        } else if (opened.format === 'ndjson') {
          pool =
            (opened.size ?? 0) > PARALLEL_BYTES && THREADS > 1
              ? new NdjsonPool(THREADS)
              : undefined;
          bytes = await readNdjson(
            opened,
            spec.name,
            encoding,
            pool,
            (r) => {
              counts.read += r.read;
              blocks.add(r.rows, r.nRows);
              bad.addLines(r.bad, r.nBad);
            },
            afterChunk,
          );
        } else {
          const validate = validatorFor(spec.name);
          const requiredColumns = spec.fields.filter((f) => f.required).map((f) => f.name);
          ({ bytes } = await readRecords(
            opened.stream,
            { format: opened.format, gzip: opened.gzip, encoding, requiredColumns },
            (rec) => {
              counts.read++;
              let reason = rec.problem;
              if (rec.value !== undefined) {
                const checked = validate(rec.value);
                if (checked.ok) {
                  blocks.add(rowLine(rec.line, checked.key, checked.values), 1);
                  return;
                }
                reason = checked.reason;
              }
              bad.add(quarantineLine(rec.line, rec.raw, reason ?? 'unreadable record'));
            },
            afterChunk,
          ));
        }
        await applying;
        await blocks.drain(true);
      } catch (err) {
        blocks.abandon();
        await applying.catch(() => undefined);
        throw err instanceof AppError
          ? err
          : new IngestError(
              'source_unreadable',
              `[ingest:${spec.name}] ${input.name}: ${(err as Error).message}`,
              {
                cause: err,
              },
            );
      } finally {
        bad.close();
      }
      counts.quarantined = bad.rows;
      if (bad.rows > 0) {
        // A line already quarantined from the same source (a re-ingest) is not stored twice.
        await tx.run(
          `INSERT INTO quarantine
           SELECT $batch, $feed, $source, q.line_no, q.raw, q.reason, $at::TIMESTAMPTZ
           FROM read_json(${literal(bad.path)}, format = 'newline_delimited', maximum_object_size = 268435456,
                          columns = {line_no: 'BIGINT', raw: 'VARCHAR', reason: 'VARCHAR'}) q
           ANTI JOIN quarantine o
             ON o.feed = $feed AND o.source = $source AND o.line_no = q.line_no AND o.raw = q.raw`,
          { batch: batchId, feed: spec.name, source: input.name, at: started.toISOString() },
        );
      }
      const seconds = (performance.now() - t0) / 1000;
      await tx.run(
        `INSERT INTO ingest_batches VALUES ($batch, $feed, $source, $kind, $started::TIMESTAMPTZ, $finished::TIMESTAMPTZ,
           'ok', $read, $accepted, $duplicate, $corrected, $quarantined, $bytes, NULL)`,
        {
          batch: batchId,
          feed: spec.name,
          source: input.name,
          kind: input.kind,
          started: started.toISOString(),
          finished: now().toISOString(),
          ...counts,
          bytes,
        },
      );
      if (input.folderFile) {
        await tx.run(
          `INSERT INTO source_files VALUES ($folder, $file, $sha, $size, $batch, $at::TIMESTAMPTZ)`,
          {
            folder: input.folderFile.folder,
            file: input.folderFile.fileName,
            sha: input.folderFile.sha256,
            size: input.folderFile.size,
            batch: batchId,
            at: started.toISOString(),
          },
        );
      }
      if (input.http) {
        await tx.run(
          `INSERT INTO http_cursors VALUES ($feed, $url, $since, $batch, $at::TIMESTAMPTZ)`,
          {
            feed: spec.name,
            url: input.http.url,
            since: input.http.nextSince,
            batch: batchId,
            at: started.toISOString(),
          },
        );
      }
      return { batchId, feed: spec.name, source: input.name, bytes, seconds, ...counts };
    });
    await settleBulkWrite(db, result.accepted + result.corrected + result.quarantined);
    return result;
  } catch (err) {
    await recordFailure(db, spec.name, input, started, now(), err);
    throw err;
  } finally {
    await pool?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Reads NDJSON in chunks of whole lines, staged by worker threads when `pool` is given; results
 * are handed to `onChunk` in source order. Returns the bytes read (after decompression).
 */
async function readNdjson(
  opened: Opened,
  feed: FeedName,
  declared: Encoding,
  pool: NdjsonPool | undefined,
  onChunk: (r: ChunkResult) => void,
  afterChunk: () => Promise<void>,
): Promise<number> {
  const stream = opened.gzip ? opened.stream.pipe(createGunzip()) : opened.stream;
  if (opened.gzip) opened.stream.on('error', (err) => stream.destroy(err));
  let bytes = 0;
  let encoding = declared;
  let first = true;
  const inFlight: Promise<ChunkResult>[] = [];
  for await (const chunk of lineChunks(stream as AsyncIterable<Buffer>)) {
    bytes += chunk.bytes.length;
    if (first && chunk.bytes[0] === 0xef && chunk.bytes[1] === 0xbb && chunk.bytes[2] === 0xbf) {
      encoding = 'utf-8'; // a UTF-8 BOM wins over a declared GBK
    }
    const task = { feed, encoding, bytes: chunk.bytes, firstLine: chunk.firstLine, first };
    first = false;
    if (!pool) {
      onChunk(stageLocally(task.feed, task.encoding, task.bytes, task.firstLine, task.first));
      await afterChunk();
      continue;
    }
    inFlight.push(pool.run(task));
    if (inFlight.length >= 4) {
      onChunk(await inFlight.shift()!);
      await afterChunk();
    }
  }
  while (inFlight.length) {
    onChunk(await inFlight.shift()!);
    await afterChunk();
  }
  return bytes;
}

/**
 * Applies one staged block in the open transaction. Each row is compared with the current version
 * of its key: new keys and changed content go to history, replaced versions are marked superseded.
 * When a key occurs several times in the block, its occurrences are applied in rounds (first
 * occurrences, then second ones …), so each is compared with the one before it.
 */
async function applyBlock(
  tx: Db,
  spec: FeedSpec,
  path: string,
  batchId: number,
): Promise<Pick<IngestCounts, 'accepted' | 'duplicate' | 'corrected'>> {
  const feed = ident(spec.name);
  const columns = dataColumns(spec);
  const names = columns.map((c) => ident(c.name));
  // staged line: [line, key, value1, value2, …] as text
  const at = (i: number) => `j.v[${i + 3}]`;
  // Content hash over the text values as staged (stable across DuckDB versions, unlike hash()).
  const hashed = `md5(concat_ws(chr(31), ${columns.map((_, i) => `coalesce(${at(i)}, chr(0))`).join(', ')}))`;
  const typed = columns
    .map((c, i) =>
      c.sqlType === 'VARCHAR' ? `${at(i)} AS ${names[i]}` : `${at(i)}::${c.sqlType} AS ${names[i]}`,
    )
    .join(', ');
  await tx.run(`DROP TABLE IF EXISTS _stage`);
  await tx.run(
    `CREATE TEMP TABLE _stage AS
     SELECT ${typed}, j.v[2] AS _key, ${hashed} AS _hash, j.v[1]::BIGINT AS _line, 1 AS _round
     FROM read_json(${literal(path)}, format = 'newline_delimited', records = false,
                    maximum_object_size = 268435456, columns = {v: 'VARCHAR[]'}) j`,
  );
  const repeats = (await tx.one<{ n: number }>(
    `SELECT (count(*) - count(DISTINCT _key))::INTEGER AS n FROM _stage`,
  ))!.n;
  let rounds = 1;
  if (repeats > 0) {
    await tx.run(
      `CREATE OR REPLACE TEMP TABLE _stage AS
       SELECT * EXCLUDE (_round), row_number() OVER (PARTITION BY _key ORDER BY _line) AS _round FROM _stage`,
    );
    rounds = (await tx.one<{ n: number }>(`SELECT max(_round)::INTEGER AS n FROM _stage`))!.n;
  }
  const out = { accepted: 0, duplicate: 0, corrected: 0 };
  for (let round = 1; round <= rounds; round++) {
    await tx.run(`DROP TABLE IF EXISTS _class`);
    await tx.run(
      `CREATE TEMP TABLE _class AS
       SELECT s.*, c._batch AS _prev_batch, c._line AS _prev_line,
              CASE WHEN c._key IS NULL THEN 'accepted' WHEN c._hash = s._hash THEN 'duplicate' ELSE 'corrected' END AS _class
       FROM _stage s LEFT JOIN ${feed} c ON c._key = s._key
       WHERE s._round = $round`,
      { round },
    );
    await tx.run(
      `INSERT INTO ${ident(`${spec.name}_superseded`)}
       SELECT _prev_batch, _prev_line, $batch FROM _class WHERE _class = 'corrected'`,
      { batch: batchId },
    );
    await tx.run(
      `INSERT INTO ${ident(`${spec.name}_history`)}
       SELECT ${names.join(', ')}, _key, _hash, $batch, _line FROM _class WHERE _class <> 'duplicate'`,
      { batch: batchId },
    );
    for (const { c, n } of await tx.all<{ c: string; n: number }>(
      `SELECT _class AS c, count(*)::INTEGER AS n FROM _class GROUP BY _class`,
    )) {
      if (c === 'accepted' || c === 'duplicate' || c === 'corrected') out[c] += n;
    }
  }
  await tx.run(`DROP TABLE _class`);
  await tx.run(`DROP TABLE _stage`);
  return out;
}

async function recordFailure(
  db: Db,
  feed: FeedName,
  input: Input,
  started: Date,
  finished: Date,
  err: unknown,
): Promise<void> {
  try {
    await db.run(
      `INSERT INTO ingest_batches VALUES (nextval('ingest_batch_seq'), $feed, $source, $kind,
         $started::TIMESTAMPTZ, $finished::TIMESTAMPTZ, 'failed', 0, 0, 0, 0, 0, NULL, $error)`,
      {
        feed,
        source: input.name,
        kind: input.kind,
        started: started.toISOString(),
        finished: finished.toISOString(),
        error: (err as Error).message,
      },
    );
  } catch {
    // the ledger entry is best effort; the original error is what the caller needs
  }
}
