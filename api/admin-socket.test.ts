/**
 * Administration while `dafei serve` runs: a real server process holds the database (and its
 * lock); the command line creates a user, creates and revokes a token through the server's admin
 * socket, and the revocation takes effect at once. Also: `serve` refuses a database where an
 * account has the demo password, and says how to fix it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type Io } from '../pipeline/cli.ts';
import { openMigratedDb } from '../pipeline/db/index.ts';
import {
  assertNoDemoPasswords,
  createUser,
  DEMO_PASSWORD,
  markDemoDb,
} from '../pipeline/auth/index.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
let dir: string;
let dbPath: string;
let server: ChildProcess | undefined;
let url: string;

function capture(): Io & { outs: string[]; errs: string[] } {
  const outs: string[] = [];
  const errs: string[] = [];
  return { outs, errs, out: (l) => outs.push(l), err: (l) => errs.push(l) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dafei-admin-'));
  dbPath = join(dir, 'serve.duckdb');
  (await openMigratedDb(dbPath)).close();
  const config = join(dir, 'dafei.config.json');
  writeFileSync(config, JSON.stringify({ daily_run: { cron: '0 6 * * *', catch_up_days: 0 } }));
  server = spawn(
    process.execPath,
    ['bin/dafei.js', 'serve', '--db', dbPath, '--port', '0', '--config', config],
    {
      cwd: ROOT,
      env: { ...process.env, DAFEI_ADMIN_SOCKET: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 60_000);
    server!.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /dafei serving (http:\/\/\S+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    server!.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}, 90_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('the CLI while dafei serve runs', () => {
  it('the admin socket is readable only by its owner', () => {
    const st = statSync(`${dbPath}.admin.sock`);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('creates a user through the running server (the database is locked)', async () => {
    const io = capture();
    const code = await main(
      [
        'user',
        'create',
        '--db',
        dbPath,
        '--username',
        'cli.made',
        '--role',
        'regulator',
        '--one-time',
      ],
      io,
    );
    expect(code, io.errs.join('\n')).toBe(0);
    const otp = io.outs[0]!;
    expect(otp).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
    const res = await fetch(`${url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'cli.made', password: otp }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { scope: string }).scope).toBe('change_password');
    const list = capture();
    expect(await main(['user', 'list', '--db', dbPath], list)).toBe(0);
    expect(list.outs.join('\n')).toMatch(/cli\.made\s+regulator\s+active/);
  });

  it('creates a token, and revoking it stops it at once', async () => {
    const io = capture();
    expect(
      await main(
        [
          'token',
          'create',
          '--db',
          dbPath,
          '--name',
          'ops-script',
          '--role',
          'admin',
          '--days',
          '7',
        ],
        io,
      ),
    ).toBe(0);
    const token = io.outs[0]!;
    const id = /token (\d+) for ops-script/.exec(io.errs.join('\n'))![1]!;
    const get = () => fetch(`${url}/v1/users`, { headers: { authorization: `Bearer ${token}` } });
    const ok = await get();
    expect(ok.status).toBe(200);
    const users = (await ok.json()) as { items: { username: string }[] };
    expect(users.items.map((u) => u.username)).toContain('cli.made');
    expect((await get()).status).toBe(200); // remembered by the server's 5 s cache
    const rv = capture();
    expect(await main(['token', 'revoke', '--db', dbPath, '--id', id], rv)).toBe(0);
    expect((await get()).status).toBe(401);
    // the actions are in the server's audit log, with the CLI as actor
    const verify = capture();
    expect(await main(['audit', 'verify', '--db', dbPath], verify)).toBe(0);
    expect(verify.outs.join('\n')).toMatch(/audit log intact/);
  });

  it('a verb that fails on the server fails on the CLI with its message', async () => {
    const io = capture();
    expect(await main(['user', 'disable', '--db', dbPath, '--username', 'nobody'], io)).toBe(1);
    expect(io.errs.join('\n')).toMatch(/no user nobody/);
  });
});

describe('demo credentials', () => {
  it('serve refuses a database (not made by dafei demo) where an account has the demo password', async () => {
    const path = join(dir, 'prod.duckdb');
    const db = await openMigratedDb(path);
    await createUser(db, {
      username: 'admin',
      role: 'admin',
      password: DEMO_PASSWORD,
      demo: true,
      cost: { N: 1024, r: 8, p: 1 },
    });
    db.close();
    const io = capture();
    expect(await main(['serve', '--db', path, '--port', '0'], io)).toBe(2);
    const msg = io.errs.join('\n');
    expect(msg).toMatch(
      /refusing to serve .*prod\.duckdb: account admin has the published demo password/,
    );
    expect(msg).toMatch(/dafei user reset-password --username NAME/);
    // the fix it names works (the server is not running: the CLI opens the database)
    const fix = capture();
    expect(await main(['user', 'reset-password', '--db', path, '--username', 'admin'], fix)).toBe(
      0,
    );
    const again = await openMigratedDb(path);
    await expect(assertNoDemoPasswords(again)).resolves.toBeUndefined();
    again.close();
  });

  it('a demo database may keep its demo accounts', async () => {
    const db = await openMigratedDb(join(dir, 'demo.duckdb'));
    await createUser(db, {
      username: 'admin',
      role: 'admin',
      password: DEMO_PASSWORD,
      demo: true,
      cost: { N: 1024, r: 8, p: 1 },
    });
    await expect(assertNoDemoPasswords(db)).rejects.toThrow(/demo password/);
    await markDemoDb(db);
    await expect(assertNoDemoPasswords(db)).resolves.toBeUndefined();
    db.close();
  });
});
