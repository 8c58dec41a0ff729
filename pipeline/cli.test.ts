import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { GOOD, tmpDir, toNdjson, writeFeedFile } from './feeds/_fixtures.ts';

function dafei(...args: string[]) {
  return spawnSync(process.execPath, ['bin/dafei.js', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DAFEI_DB: '' },
  });
}

describe('dafei command line', () => {
  it('--help lists the verbs and exits 0; no verb exits 2', () => {
    const help = dafei('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/ingest\s+load a feed/);
    expect(dafei().status).toBe(2);
    expect(dafei('ingest', '--help').stdout).toMatch(
      /FEED\s+registrations \| registration_changes/,
    );
  });

  it('bad usage exits 2 with one clear sentence', () => {
    const r = dafei('ingest', 'adverts', 'x.ndjson');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^dafei ingest: unknown feed 'adverts'/);
    expect(dafei('frobnicate').status).toBe(2);
    expect(dafei('ingest', '--nope').status).toBe(2);
  });

  it('ingest prints the summary line on stdout; a failure exits 1', () => {
    const db = `${tmpDir()}/cli.duckdb`;
    expect(dafei('init', '--db', db).status).toBe(0);
    const file = writeFeedFile(tmpDir(), 'ads.ndjson', toNdjson(GOOD.ads) + '{broken\n');
    const r = dafei('ingest', '--db', db, 'ads', file);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('read 3, accepted 2, duplicate 0, corrected 0, quarantined 1');
    const missing = dafei('ingest', '--db', db, 'ads', '/nope/ads.ndjson');
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe(
      'dafei ingest: [ingest:ads] cannot read /nope/ads.ndjson: no such file or folder',
    );
  });
});
