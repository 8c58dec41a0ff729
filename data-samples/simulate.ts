/**
 * City simulator CLI:
 *   npm run simulate -- --enterprises N --days D --seed S --out DIR [--start YYYY-MM-DD]
 *     [--scheme-rate R] [--malformed-rate R] [--duplicate-rate R] [--recapture-rate R] [--threads T] [--gzip] [--quiet]
 */
import { availableParallelism } from 'node:os';
import { formatBaseline } from './sim/baseline.ts';
import { DEFAULTS, type SimOptions } from './sim/config.ts';
import { parseDay } from './sim/dates.ts';
import { simulate } from './sim/run.ts';
import { writeLayouts } from './sim/layouts.ts';

const USAGE = `usage: npm run simulate -- --enterprises N --days D --seed S --out DIR [options]

Writes one file per feed (registrations.ndjson, registration_changes.ndjson, ads.ndjson,
complaints.csv [GB18030], case_outcomes.csv) and the ground truth in DIR/truth/.

  --enterprises N       number of enterprises (default ${DEFAULTS.enterprises}, at most 3,000,000)
  --days D              simulated days (default ${DEFAULTS.days})
  --seed S              integer seed (default ${DEFAULTS.seed}); same seed, same bytes
  --out DIR             output folder (required)
  --start YYYY-MM-DD    first day (default ${DEFAULTS.start})
  --scheme-rate R       share of enterprises that are fundraising schemes (default ${DEFAULTS.schemeRate})
  --malformed-rate R    share of rows deliberately malformed (default ${DEFAULTS.malformedRate})
  --duplicate-rate R    share of rows delivered twice, byte-identical (default ${DEFAULTS.duplicateRate})
  --recapture-rate R    share of ads captured again with a new ad_id (default ${DEFAULTS.recaptureRate})
  --threads T           worker threads (default: 2, or 1 on a single core; 0 = none); same bytes either way
  --gzip                write .gz files
  --layouts             also write the feeds in office layouts to DIR/layouts/ (a 12345 hotline
                        XLSX of complaints, a GBK register extract, an ad-monitoring CSV; see
                        data-samples/sim/layouts.ts and pipeline/feeds/mapping/templates/)
  --quiet               print nothing but errors
  --help                this text`;

class UsageError extends Error {}

function isDay(v: string): boolean {
  try {
    parseDay(v);
    return true;
  } catch {
    return false;
  }
}

/** Worker threads (0 = generate in the main thread); the output does not depend on it. */
let threads = Math.min(2, availableParallelism());
/** --layouts: write the office layouts after the contract files. */
let layouts = false;

function parseArgs(argv: readonly string[]): SimOptions | null {
  const o: Partial<SimOptions> = {};
  const num = (
    flag: string,
    v: string | undefined,
    int: boolean,
    lo: number,
    hi: number,
  ): number => {
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    const n = Number(v);
    if (!Number.isFinite(n) || (int && !Number.isInteger(n)) || n < lo || n > hi) {
      throw new UsageError(
        `${flag} ${v}: must be ${int ? 'an integer' : 'a number'} in [${lo}, ${hi}]`,
      );
    }
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=')
      ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
      : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '--help':
      case '-h':
        return null;
      case '--enterprises':
        o.enterprises = num(flag, value(), true, 1, 3_000_000);
        break;
      case '--days':
        o.days = num(flag, value(), true, 1, 3660);
        break;
      case '--seed':
        o.seed = num(flag, value(), true, 0, 2 ** 32 - 1);
        break;
      case '--out': {
        const v = value();
        if (!v) throw new UsageError('--out needs a folder');
        o.out = v;
        break;
      }
      case '--start': {
        const v = value();
        if (!v || !isDay(v)) throw new UsageError('--start needs a calendar date YYYY-MM-DD');
        o.start = v;
        break;
      }
      case '--scheme-rate':
        o.schemeRate = num(flag, value(), false, 0, 0.5);
        break;
      case '--malformed-rate':
        o.malformedRate = num(flag, value(), false, 0, 0.5);
        break;
      case '--duplicate-rate':
        o.duplicateRate = num(flag, value(), false, 0, 0.5);
        break;
      case '--recapture-rate':
        o.recaptureRate = num(flag, value(), false, 0, 0.9);
        break;
      case '--threads':
        threads = num(flag, value(), true, 0, 64);
        break;
      case '--gzip':
        o.gzip = true;
        break;
      case '--layouts':
        layouts = true;
        break;
      case '--quiet':
        o.quiet = true;
        break;
      default:
        throw new UsageError(`unknown option ${a}`);
    }
  }
  if (o.out === undefined) throw new UsageError('--out DIR is required');
  return { ...DEFAULTS, ...o, out: o.out };
}

function human(bytes: number): string {
  return bytes >= 1 << 20
    ? `${(bytes / (1 << 20)).toFixed(1)} MB`
    : `${(bytes / 1024).toFixed(1)} KB`;
}

async function main(): Promise<number> {
  let opts: SimOptions | null;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`simulate: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
  if (opts === null) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const summary = await simulate(opts, threads);
  const written = layouts ? await writeLayouts(opts.out) : [];
  if (!opts.quiet) {
    for (const f of summary.files) {
      process.stdout.write(`${f.file}  ${f.rows} lines  ${human(f.bytes)}\n`);
    }
    for (const w of written) process.stdout.write(`${w.file}  ${w.rows} rows (office layout)\n`);
    process.stdout.write(`${formatBaseline(summary.baseline)}\n`);
    process.stdout.write(
      `done in ${(summary.elapsedMs / 1000).toFixed(1)} s (${opts.enterprises} enterprises, ${opts.days} days, seed ${opts.seed})\n`,
    );
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`simulate: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
