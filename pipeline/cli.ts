/**
 * The `dafei` command line. Verbs and flags are a contract (../shared/DESIGN.md): other tools drive
 * the pipeline through them. Exit codes: 0 success, 1 failure, 2 bad usage. Errors go to stderr
 * as one clear sentence; results go to stdout.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig } from './config.ts';
import { openMigratedDb, type Db } from './db/index.ts';
import { AppError, UsageError } from './errors.ts';
import { FEED_NAMES, formatCounts, ingest, isFeedName } from './feeds/index.ts';
import { runDemo } from './demo.ts';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = {
  out: (l) => process.stdout.write(`${l}\n`),
  err: (l) => process.stderr.write(`${l}\n`),
};

interface Verb {
  summary: string;
  usage: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, unknown>, positionals: string[], io: Io): Promise<number>;
}

const dbOption = { db: { type: 'string' as const } };
const helpOption = { help: { type: 'boolean' as const, short: 'h' } };

function dbPath(values: Record<string, unknown>): string {
  return (values['db'] as string | undefined) ?? loadConfig().dbPath;
}

async function withOpenDb<T>(values: Record<string, unknown>, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openMigratedDb(dbPath(values));
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

const VERBS: Record<string, Verb> = {
  init: {
    summary: 'create or migrate the database',
    usage: 'dafei init [--db PATH]',
    options: { ...dbOption },
    async run(values, _pos, io) {
      const path = dbPath(values);
      await withOpenDb(values, async () => undefined);
      io.out(`database ready: ${path}`);
      return 0;
    },
  },
  ingest: {
    summary: 'load a feed from a file, a drop folder or an http(s) URL',
    usage: `dafei ingest [--db PATH] FEED SOURCE [--encoding gbk]

  FEED     ${FEED_NAMES.join(' | ')}
  SOURCE   a file (.ndjson, .jsonl, .csv, optionally .gz), a drop folder (each new file once),
           or an http(s) URL (sent ?since= the time of the last successful pull)
  --encoding gbk   for CSV exported by Excel on Chinese Windows (GBK/GB18030)

Prints one line: read N, accepted N, duplicate N, corrected N, quarantined N`,
    options: { ...dbOption, encoding: { type: 'string' } },
    async run(values, positionals, io) {
      const [feed, source, ...rest] = positionals;
      if (feed === undefined || source === undefined || rest.length > 0) {
        throw new UsageError('ingest needs exactly FEED and SOURCE');
      }
      if (!isFeedName(feed)) throw new UsageError(`unknown feed '${feed}' (one of ${FEED_NAMES.join(', ')})`);
      const encoding = values['encoding'] as string | undefined;
      if (encoding !== undefined && !/^(utf-?8|gbk|gb2312|gb18030|cp936)$/i.test(encoding)) {
        throw new UsageError(`unknown encoding '${encoding}' (use utf-8 or gbk)`);
      }
      const result = await withOpenDb(values, (db) =>
        ingest(db, {
          feed,
          source,
          ...(encoding ? { encoding } : {}),
          onBatch: (b) =>
            io.err(`  batch ${b.batchId} ${b.source}: ${formatCounts(b)} (${b.seconds.toFixed(1)} s)`),
        }),
      );
      if (result.kind === 'folder' && result.batches.length === 0) io.err(`  no new files in ${source}`);
      io.out(formatCounts(result));
      return 0;
    },
  },
  demo: {
    summary: 'load the sample city into ./var/dafei.duckdb and show what it holds',
    usage: 'dafei demo [--db PATH]',
    options: { ...dbOption },
    async run(values, _pos, io) {
      return withOpenDb(values, (db) => runDemo(db, io));
    },
  },
};

function mainHelp(): string {
  const width = Math.max(...Object.keys(VERBS).map((v) => v.length));
  return [
    '打非云 · Dafei — early warning of illegal fundraising',
    '',
    'Usage: dafei <verb> [options]   (dafei <verb> --help for its options)',
    '',
    ...Object.entries(VERBS).map(([name, v]) => `  ${name.padEnd(width)}  ${v.summary}`),
    '',
    'The database is --db, else $DAFEI_DB, else ./var/dafei.duckdb.',
  ].join('\n');
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [verbName, ...args] = argv;
  if (verbName === undefined || verbName === '--help' || verbName === '-h' || verbName === 'help') {
    (verbName === undefined ? io.err : io.out)(mainHelp());
    return verbName === undefined ? 2 : 0;
  }
  const verb = VERBS[verbName];
  if (!verb) {
    io.err(`dafei: unknown verb '${verbName}'. Run dafei --help for the list.`);
    return 2;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({ args, options: { ...verb.options, ...helpOption }, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError((err as Error).message.split('\n')[0]!, { cause: err });
    }
    if (parsed.values['help']) {
      io.out(`${verb.usage}\n`);
      return 0;
    }
    return await verb.run(parsed.values, parsed.positionals, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`dafei ${verbName}: ${err.message}\nusage: ${verb.usage.split('\n')[0]}`);
      return 2;
    }
    if (err instanceof AppError) {
      io.err(`dafei ${verbName}: ${err.message}`);
      return 1;
    }
    io.err(`dafei ${verbName}: unexpected error: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}
