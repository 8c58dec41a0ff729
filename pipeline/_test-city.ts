/**
 * Test fixture: a small simulated city, generated once per seed and size into the OS temp folder
 * (the simulator is deterministic, so a cached copy is the same bytes).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import iconv from 'iconv-lite';

export interface TestCity {
  dir: string;
  start: string;
  days: number;
}

/** `extra`: more simulator options (e.g. `['--scheme-rate', '0.05', '--traits', 'quiet']`). */
export function testCity(
  enterprises = 600,
  days = 120,
  seed = 11,
  extra: readonly string[] = [],
): TestCity {
  const tag = extra.length ? `-${extra.join('').replace(/[^a-z0-9.]/gi, '')}` : '';
  const dir = join(tmpdir(), `dafei-city-${enterprises}-${days}-${seed}${tag}`);
  if (!existsSync(join(dir, 'truth', 'manifest.json'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        'data-samples/simulate.ts',
        '--enterprises',
        String(enterprises),
        '--days',
        String(days),
        '--seed',
        String(seed),
        '--out',
        dir,
        '--quiet',
        '--threads',
        '0',
        ...extra,
      ],
      { stdio: 'inherit', env: { ...process.env, DOTENV_CONFIG_QUIET: 'true' } },
    );
  }
  return { dir, start: '2026-01-01', days };
}

/** The committed sample city (data-samples/city, gzipped), decompressed once into the temp folder. */
export function sampleCity(): TestCity {
  const src = fileURLToPath(new URL('../data-samples/city/', import.meta.url));
  const dir = join(tmpdir(), 'dafei-sample-city');
  mkdirSync(dir, { recursive: true });
  for (const f of readdirSync(src).filter((n) => n.endsWith('.gz'))) {
    const out = join(dir, f.slice(0, -'.gz'.length));
    if (!existsSync(out)) writeFileSync(out, gunzipSync(readFileSync(join(src, f))));
  }
  return { dir, start: '2026-01-01', days: 180 };
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
 * Copies a city keeping only records whose own day is on or before `day` (point-in-time
 * fixtures). Malformed lines, which have no reliable day, are dropped.
 */
export function cityUpTo(city: TestCity, day: string): string {
  const out = `${city.dir}-upto-${day}`;
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
    writeFileSync(join(out, `${f}.csv`), enc === 'gb18030' ? iconv.encode(body, 'gb18030') : body);
  }
  return out;
}
