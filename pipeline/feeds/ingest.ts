/**
 * Ingests one source of one feed into DuckDB.
 *
 * Each input (a file, a drop-folder file, an HTTP response) is one batch: it is read completely
 * into staging files first, then applied in one transaction. So a source that cannot be read at all
 * changes nothing, and a broken line only sends that line to quarantine.
 *
 * Failures never go silent: bytes are read through limits (a line over `maxLineBytes` is
 * quarantined while streaming, gzip output and HTTP bodies are capped); a drop-folder file that
 * cannot be read is moved aside (reject.ts) and the other files go on; a batch that looks broken
 * as a whole is held for an admin instead of applied (held-store.ts, held.ts).
 *
 * Counts add up: read = accepted + duplicate + corrected + quarantined, where
 *   accepted   a key not seen before
 *   duplicate  the same key with the same content as the current version (or earlier in the batch)
 *   corrected  the same key with different content: the newer wins, the older stays in history
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { ident, literal, settleBulkWrite, type Db } from '../db/index.ts';
import { AppError, IngestError } from '../errors.ts';
import { StageFile } from '../stage-file.ts';
import {
  decideHold,
  DEFAULT_HOLD,
  HoldSignal,
  recordHeld,
  spoolTo,
  type HeldBatch,
  type HoldPolicy,
} from './held-store.ts';
import { capBytes, gunzipOf, limitLines, type LongLine } from './limits.ts';
import { encodingFrom, readRecords, type Encoding } from './read.ts';
import { lineChunks, NdjsonPool, stageLocally, type ChunkResult } from './ndjson-pool.ts';
import { rejectFile, type RejectedFile } from './reject.ts';
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

/** What a source may make the reader hold or write (config `limits`). */
export interface IngestLimits {
  /** A longer line is quarantined without being held whole in memory. */
  maxLineBytes: number;
  /** A gzip expanding to more is refused. */
  maxGzipBytes: number;
  /** An HTTP body larger than this is refused. */
  httpMaxBytes: number;
  httpTimeoutMs: number;
}

export const DEFAULT_LIMITS: IngestLimits = {
  maxLineBytes: 1 << 20,
  maxGzipBytes: 20 * 2 ** 30,
  httpMaxBytes: 2 * 2 ** 30,
  httpTimeoutMs: 300_000,
};

export interface IngestOptions {
  feed: FeedName;
  /** A file, a folder, or an http(s) URL. */
  source: string;
  /** 'utf-8' (default) or 'gbk' / 'gb18030' for CSV from government Excel exports. */
  encoding?: string;
  now?: () => Date;
  fetch?: typeof fetch;
  /** HTTP request headers (e.g. credentials). */
  headers?: Record<string, string>;
  limits?: Partial<IngestLimits>;
  /** When a batch is held for an admin instead of applied; false = never (default DEFAULT_HOLD). */
  hold?: HoldPolicy | false;
  /** Where copies of held batches are kept (default `<database>.files`). */
  filesDir?: string;
  /** Called after each batch with its counts. */
  onBatch?: (b: BatchResult) => void;
  /** Called for each batch held for an admin. */
  onHeld?: (h: HeldBatch) => void;
  /** Called for each drop-folder file that could not be read and was moved aside. */
  onRejected?: (r: RejectedFile) => void;
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

/**
 * Counts are those of the batches applied; held batches and files moved aside are listed
 * apart (their lines are not in the counts).
 */
export interface IngestResult extends IngestCounts {
  feed: FeedName;
  source: string;
  kind: SourceKind;
  batches: BatchResult[];
  held: HeldBatch[];
  rejected: RejectedFile[];
}

/** Where held batches are copied when the caller does not say: beside the database file. */
export function defaultFilesDir(dbPath: string): string {
  return dbPath === ':memory:' ? join(tmpdir(), 'dafei-files') : `${dbPath}.files`;
}

/** How one input is read and whether it may be held (shared by ingest and the release of a held batch). */
export interface InputPolicy {
  limits: IngestLimits;
  hold: HoldPolicy | false;
  filesDir: string;
  /** Runs inside the batch's transaction after it is applied (e.g. marking a held batch released). */
  inTransaction?: (tx: Db, batchId: number) => Promise<void>;
  /** How a mapped layout or a workbook is read (mapping/). */
  read?: Pick<IngestOptions, 'mapping' | 'xlsxLimits' | 'onProgress' | 'encoding'>;
}

export function formatCounts(c: IngestCounts): string {
  return `read ${c.read}, accepted ${c.accepted}, duplicate ${c.duplicate}, corrected ${c.corrected}, quarantined ${c.quarantined}`;
}

export async function ingest(db: Db, options: IngestOptions): Promise<IngestResult> {
  const spec = FEEDS[options.feed];
  const now = options.now ?? (() => new Date());
  const encoding = encodingFrom(options.encoding);
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const policy: InputPolicy = {
    limits,
    hold: options.hold ?? DEFAULT_HOLD,
    filesDir: options.filesDir ?? defaultFilesDir(db.path),
    read: {
      ...(options.mapping ? { mapping: options.mapping } : {}),
      ...(options.xlsxLimits ? { xlsxLimits: options.xlsxLimits } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.encoding ? { encoding: options.encoding } : {}),
    },
  };
  const inputs = await resolveInputs(db, options, limits, now());
  const result: IngestResult = {
    feed: options.feed,
    source: options.source,
    kind: inputs.kind,
    batches: [],
    held: [],
    rejected: [],
    read: 0,
    accepted: 0,
    duplicate: 0,
    corrected: 0,
    quarantined: 0,
  };
  for (const input of inputs.list) {
    let outcome: BatchResult | HeldBatch;
    try {
      outcome = await ingestInput(db, spec, input, encoding, now, policy);
    } catch (err) {
      // one unreadable file of a drop folder never stops the others: it is moved aside
      if (input.folderFile && err instanceof AppError && err.code === 'source_unreadable') {
        const rejected = await rejectFile(db, input, err, now());
        result.rejected.push(rejected);
        options.onRejected?.(rejected);
        continue;
      }
      throw err;
    } finally {
      // watchlists and subscriptions hear of the batch (or of its failure) at once
      await rescreenAfter(db, { now });
    }
    if ('reason' in outcome) {
      result.held.push(outcome);
      options.onHeld?.(outcome);
      continue;
    }
    result.batches.push(outcome);
    for (const k of ['read', 'accepted', 'duplicate', 'corrected', 'quarantined'] as const) {
      result[k] += outcome[k];
    }
    options.onBatch?.(outcome);
  }
  return result;
}

async function resolveInputs(
  db: Db,
  options: IngestOptions,
  limits: IngestLimits,
  now: Date,
): Promise<{ kind: SourceKind; list: Input[] }> {
  const { feed, source } = options;
  if (isUrl(source)) {
    // while a batch of this source waits for an admin, the source is not pulled again: the
    // cursor has not moved, so a new pull would only hold the same records again
    const held = await db.one<{ id: number }>(
      `SELECT batch_id::INTEGER AS id FROM held_batches WHERE status = 'held' AND feed = $feed AND http_url = $url
       ORDER BY batch_id LIMIT 1`,
      { feed, url: source },
    );
    if (held) {
      throw new IngestError(
        'source_held',
        `[ingest:${feed}] batch ${held.id} of this source is held for an admin (release or discard it on the 运行 page or with dafei held); not pulled until then`,
      );
    }
    const cursor = await db.one<{ since: string }>(
      `SELECT since FROM http_cursors WHERE feed = $feed AND url = $url ORDER BY updated_at DESC LIMIT 1`,
      { feed, url: source },
    );
    const httpOptions = {
      since: cursor?.since ?? null,
      now,
      maxBytes: limits.httpMaxBytes,
      timeoutMs: limits.httpTimeoutMs,
      ...(options.headers ? { headers: options.headers } : {}),
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
    // taken before, held for an admin, or moved aside: never taken again
    const seen = await db.all<{ k: string }>(
      `SELECT file_name || chr(31) || sha256 AS k FROM source_files WHERE folder = $folder
       UNION ALL SELECT file_name || chr(31) || file_sha256 FROM held_batches WHERE folder = $folder AND status = 'held'
       UNION ALL SELECT file_name || chr(31) || sha256 FROM rejected_files WHERE folder = $folder`,
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

/**
 * The decompressed, capped, line-limited bytes of an opened input. Every line-based reader (NDJSON,
 * CSV, and any new one) reads these, so the limits hold for all of them.
 */
function boundedBytes(
  raw: AsyncIterable<Buffer>,
  gzip: boolean,
  limits: IngestLimits,
  onLong: (l: LongLine) => void,
): AsyncIterable<Buffer> {
  let bytes = raw;
  if (gzip) {
    bytes = capBytes(
      gunzipOf(raw),
      limits.maxGzipBytes,
      (max) => `the gzip expands to more than ${max} bytes (limits.max_gzip_output_bytes); refused`,
    );
  }
  return limitLines(bytes, limits.maxLineBytes, onLong);
}

/** Reads one input and applies it as one batch, or holds it for an admin (see held-store.ts). */
export async function ingestInput(
  db: Db,
  spec: FeedSpec,
  input: Input,
  encoding: ReturnType<typeof encodingFrom>,
  now: () => Date,
  policy: InputPolicy,
): Promise<BatchResult | HeldBatch> {
  const started = now();
  const t0 = performance.now();
  const dir = mkdtempSync(join(tmpdir(), 'dafei-ingest-'));
  const counts: IngestCounts = { read: 0, accepted: 0, duplicate: 0, corrected: 0, quarantined: 0 };
  let bytes = 0;
  let pool: NdjsonPool | undefined;
  let opened: Opened | undefined;
  // HTTP bodies are kept while read: a held batch is released from this copy
  const spool = input.kind === 'http' ? join(dir, 'body') : undefined;
  const bad = new StageFile(join(dir, 'quarantine.ndjson'));
  try {
    // The source is opened before the transaction, so an unreachable one costs nothing.
    opened = await input.open();
    // the bytes as received (an HTTP body is kept while read: a held batch is released from it)
    const raw: AsyncIterable<Buffer> = spool ? spoolTo(opened.stream, spool) : opened.stream;
    const source = boundedBytes(raw, opened.gzip, policy.limits, (long) => {
      counts.read++;
      const head = new TextDecoder(encoding).decode(long.head);
      bad.add(
        quarantineLine(
          long.line,
          head,
          `line is ${long.bytes} bytes, longer than the limit of ${policy.limits.maxLineBytes} (limits.max_line_bytes); only its beginning is kept`,
        ),
      );
    });
    const format = opened.format;
    const result = await db.transaction(async (tx) => {
      const batchId = (await tx.one<{ id: number }>(
        `SELECT nextval('ingest_batch_seq')::INTEGER AS id`,
      ))!.id;
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
        // Readers: a mapped layout or a workbook (mapping/read-mapped.ts), NDJSON, CSV. A new
        // line-based reader reads `source` (bounded bytes) and hands staged rows to `blocks` and
        // rejected lines to `bad`.
        const read = policy.read ?? {};
        if (read.mapping !== undefined || format === 'xlsx') {
          // another layout (or a workbook) through a mapping: one entry point for all of them
          if (format === 'ndjson')
            throw new IngestError(
              'ingest_failed',
              `[ingest:${spec.name}] ${input.name}: a mapping reads CSV or XLSX, not NDJSON`,
            );
          const validate = validatorFor(spec.name);
          ({ bytes } = await readMapped(
            {
              label: input.name,
              format,
              // a workbook is a zip: its own inflation caps (xlsxLimits), read from the file (or
              // the HTTP body, kept as it arrives); CSV reads the bounded bytes like every line format
              ...(format === 'xlsx'
                ? {
                    stream: Readable.from(raw),
                    gzip: opened!.gzip,
                    ...(opened!.path === undefined ? {} : { path: opened!.path }),
                  }
                : { stream: Readable.from(source), gzip: false }),
              ...(opened!.size === undefined ? {} : { size: opened!.size }),
            },
            {
              mapping: read.mapping ?? identityMapping(spec.name),
              // no encoding given: the mapping's, else detected from the bytes
              ...(read.encoding ? { encoding } : {}),
              ...(read.xlsxLimits ? { limits: read.xlsxLimits } : {}),
              ...(read.onProgress ? { onProgress: read.onProgress } : {}),
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
        } else if (format === 'ndjson') {
          pool =
            (opened!.size ?? 0) > PARALLEL_BYTES && THREADS > 1
              ? new NdjsonPool(THREADS)
              : undefined;
          bytes = await readNdjson(
            source,
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
            source,
            { format, gzip: false, encoding, requiredColumns },
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
      if (policy.hold) {
        const reason = await decideHold(tx, policy.hold, counts, bad.path);
        // rolls the batch back; caught below, where it is recorded as held
        if (reason) throw new HoldSignal(batchId, reason);
      }
      if (bad.rows > 0)
        await insertQuarantine(tx, spec.name, input.name, batchId, bad.path, started);
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
      await markTaken(tx, spec.name, input, batchId, started);
      await policy.inTransaction?.(tx, batchId);
      return { batchId, feed: spec.name, source: input.name, bytes, seconds, ...counts };
    });
    await settleBulkWrite(db, result.accepted + result.corrected + result.quarantined);
    return result;
  } catch (err) {
    if (err instanceof HoldSignal && opened) {
      return await recordHeld(db, {
        batchId: err.batchId,
        reason: err.reason,
        feed: spec.name,
        input,
        format: opened.format,
        gzip: opened.gzip,
        encoding,
        counts,
        bytes,
        badPath: bad.path,
        spoolPath: spool,
        filesDir: policy.filesDir,
        heldAt: started,
        ...(policy.read?.mapping ? { mapping: policy.read.mapping } : {}),
        insertQuarantine: (tx, batchId, path) =>
          insertQuarantine(tx, spec.name, input.name, batchId, path, started),
      });
    }
    await recordFailure(db, spec.name, input, started, now(), err);
    throw err;
  } finally {
    await pool?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Stores a batch's quarantined lines (a line already quarantined from the same source is not stored twice). */
async function insertQuarantine(
  tx: Db,
  feed: FeedName,
  source: string,
  batchId: number,
  path: string,
  at: Date,
): Promise<void> {
  await tx.run(
    `INSERT INTO quarantine
     SELECT $batch, $feed, $source, q.line_no, q.raw, q.reason, $at::TIMESTAMPTZ
     FROM read_json(${literal(path)}, format = 'newline_delimited', maximum_object_size = 268435456,
                    columns = {line_no: 'BIGINT', raw: 'VARCHAR', reason: 'VARCHAR'}) q
     ANTI JOIN quarantine o
       ON o.feed = $feed AND o.source = $source AND o.line_no = q.line_no AND o.raw = q.raw`,
    { batch: batchId, feed, source, at: at.toISOString() },
  );
}

/** Remembers a drop-folder file as taken, and moves an HTTP source's cursor. */
export async function markTaken(
  tx: Db,
  feed: FeedName,
  input: Pick<Input, 'folderFile' | 'http'>,
  batchId: number,
  at: Date,
): Promise<void> {
  if (input.folderFile) {
    await tx.run(
      `INSERT INTO source_files VALUES ($folder, $file, $sha, $size, $batch, $at::TIMESTAMPTZ)`,
      {
        folder: input.folderFile.folder,
        file: input.folderFile.fileName,
        sha: input.folderFile.sha256,
        size: input.folderFile.size,
        batch: batchId,
        at: at.toISOString(),
      },
    );
  }
  if (input.http) {
    await tx.run(
      `INSERT INTO http_cursors VALUES ($feed, $url, $since, $batch, $at::TIMESTAMPTZ)`,
      {
        feed,
        url: input.http.url,
        since: input.http.nextSince,
        batch: batchId,
        at: at.toISOString(),
      },
    );
  }
}

/**
 * Reads NDJSON in chunks of whole lines, staged by worker threads when `pool` is given; results
 * are handed to `onChunk` in source order. Returns the bytes read (after decompression).
 */
async function readNdjson(
  stream: AsyncIterable<Buffer>,
  feed: FeedName,
  declared: Encoding,
  pool: NdjsonPool | undefined,
  onChunk: (r: ChunkResult) => void,
  afterChunk: () => Promise<void>,
): Promise<number> {
  let bytes = 0;
  let encoding = declared;
  let first = true;
  const inFlight: Promise<ChunkResult>[] = [];
  for await (const chunk of lineChunks(stream)) {
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
