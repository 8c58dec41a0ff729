/**
 * Test fixture: small simulated cities, generated once per (size, seed, simulator sources) into
 * the OS temp folder under a lock with an atomic rename (`_build-once.ts`), so test files running
 * in parallel share one copy and never read a half-written one. The simulator is deterministic:
 * the same key is the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import iconv from 'iconv-lite';
import { buildOnceSync, hashSources } from './_build-once.ts';

export interface TestCity {
  dir: string;
  /** First simulated day. */
  start: string;
  /** Simulated days (the last is start + days − 1). */
  days: number;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SIMULATOR = join(ROOT, 'data-samples', 'simulate.ts');

let simulatorKey: string | undefined;
/** Hash of the simulator's sources (everything simulate.ts imports): part of every city's key. */
export function simulatorVersion(): string {
  return (simulatorKey ??= hashSources([SIMULATOR]));
}

interface Manifest {
  options: { start: string; days: number };
}

function readManifest(dir: string, gz = false): Manifest {
  const raw = readFileSync(join(dir, 'truth', gz ? 'manifest.json.gz' : 'manifest.json'));
  return JSON.parse((gz ? gunzipSync(raw) : raw).toString('utf8')) as Manifest;
}

/** A simulated city: `schemeRate` (default the simulator's) is the share of schemes. */
export function testCity(enterprises = 600, days = 120, seed = 11, schemeRate?: number): TestCity {
  const rate = schemeRate === undefined ? '' : `-r${schemeRate}`;
  const dir = join(
    tmpdir(),
    `dafei-city-${enterprises}-${days}-${seed}${rate}-${simulatorVersion()}`,
  );
  buildOnceSync(dir, (tmp) => {
    mkdirSync(tmp, { recursive: true });
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        SIMULATOR,
        '--enterprises',
        String(enterprises),
        '--days',
        String(days),
        '--seed',
        String(seed),
        '--out',
        tmp,
        '--quiet',
        '--threads',
        '0',
        ...(schemeRate === undefined ? [] : ['--scheme-rate', String(schemeRate)]),
      ],
      { stdio: 'inherit', cwd: ROOT, env: { ...process.env, DOTENV_CONFIG_QUIET: 'true' } },
    );
  });
  const m = readManifest(dir);
  return { dir, start: m.options.start, days: m.options.days };
}

/**
 * The committed sample city (data-samples/city, gzipped), decompressed once into the temp folder.
 * Its first day and length come from its own manifest. For benchmarks and the few tests that
 * need its scale: never base a new test on it (GUIDE.md).
 */
export function sampleCity(): TestCity {
  const src = join(ROOT, 'data-samples', 'city');
  const m = readManifest(src, true);
  const key = hashSources([], [src, join(src, 'truth')]);
  const dir = join(tmpdir(), `dafei-sample-city-${key}`);
  buildOnceSync(dir, (tmp) => {
    mkdirSync(join(tmp, 'truth'), { recursive: true });
    for (const sub of ['', 'truth'])
      for (const f of readdirSync(join(src, sub)).filter((n) => n.endsWith('.gz')))
        writeFileSync(
          join(tmp, sub, f.slice(0, -'.gz'.length)),
          gunzipSync(readFileSync(join(src, sub, f))),
        );
  });
  return { dir, start: m.options.start, days: m.options.days };
}

/** The record's own day, for splitting a feed file at a day. */
function recordDay(feed: string, rec: Record<string, string>): string | undefined {
  const v = {
    registrations: rec['as_of'],
    registration_changes: rec['changed_on'],
    ads: rec['seen_at'],
    complaints: rec['received_at'],
    case_outcomes: rec['decided_on'],
  }[feed];
  return v?.slice(0, 10);
}

/**
 * A copy of a city keeping only records whose own day is on or before `day` (point-in-time
 * fixtures), built once like the city. Malformed lines, which have no reliable day, are dropped.
 */
export function cityUpTo(city: TestCity, day: string): string {
  return buildOnceSync(`${city.dir}-upto-${day}`, (out) => {
    mkdirSync(out, { recursive: true });
    for (const f of ['registrations', 'registration_changes', 'ads']) {
      const lines = readFileSync(join(city.dir, `${f}.ndjson`), 'utf8').split('\n');
      const keep = lines.filter((l) => {
        try {
          const d = recordDay(f, JSON.parse(l) as Record<string, string>);
          return d !== undefined && d <= day;
        } catch {
          return false;
        }
      });
      writeFileSync(join(out, `${f}.ndjson`), keep.join('\n') + '\n');
    }
    for (const [f, enc] of [
      ['complaints', 'gb18030'],
      ['case_outcomes', 'utf8'],
    ] as const) {
      const raw = readFileSync(join(city.dir, `${f}.csv`));
      const text = enc === 'gb18030' ? iconv.decode(raw, 'gb18030') : raw.toString('utf8');
      const [header, ...rows] = text.split(/\r?\n/);
      // the record's own time is the second column of both files
      const keep = rows.filter(
        (r) => /^[^,]*,\d{4}-\d{2}-\d{2}/.test(r) && r.split(',')[1]!.slice(0, 10) <= day,
      );
      const body = [header, ...keep].join('\n') + '\n';
      writeFileSync(
        join(out, `${f}.csv`),
        enc === 'gb18030' ? iconv.encode(body, 'gb18030') : body,
      );
    }
  });
}
