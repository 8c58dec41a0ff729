/**
 * Demo credentials never reach production: `dafei demo` marks its database as a demo
 * (app_meta demo = true) and creates its accounts only there; `dafei serve` on any other database
 * refuses to start while an active account has the demo password.
 */
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { checkPassword, DEMO_PASSWORD } from './passwords.ts';

export async function isDemoDb(db: Db): Promise<boolean> {
  const r = await db.one<{ v: string }>(`SELECT value AS v FROM app_meta WHERE key = 'demo'`);
  return r?.v === 'true';
}

export async function markDemoDb(db: Db, now = new Date()): Promise<void> {
  await db.run(`INSERT OR REPLACE INTO app_meta VALUES ('demo', 'true', $now::TIMESTAMPTZ)`, {
    now: now.toISOString(),
  });
}

/** Active accounts whose password is the demo password (scrypt-checked, four at a time). */
export async function demoPasswordAccounts(db: Db): Promise<string[]> {
  const users = await db.all<{ username: string; h: string }>(
    `SELECT username, password_hash AS h FROM api_users WHERE disabled_at IS NULL ORDER BY username`,
  );
  const found: string[] = [];
  for (let i = 0; i < users.length; i += 4) {
    const chunk = users.slice(i, i + 4);
    const hits = await Promise.all(chunk.map((u) => checkPassword(DEMO_PASSWORD, u.h)));
    chunk.forEach((u, j) => hits[j] && found.push(u.username));
  }
  return found;
}

/** Throws (with the fix) when a non-demo database has an active account with the demo password. */
export async function assertNoDemoPasswords(db: Db): Promise<void> {
  if (await isDemoDb(db)) return;
  const users = await demoPasswordAccounts(db);
  if (users.length === 0) return;
  throw new AppError(
    'usage',
    `refusing to serve ${db.path}: ${users.length === 1 ? 'account' : 'accounts'} ${users.join(', ')} ` +
      `${users.length === 1 ? 'has' : 'have'} the published demo password, and this is not a demo database. ` +
      `Give each a new password (dafei user reset-password --username NAME) or disable it ` +
      `(dafei user disable --username NAME), then start again.`,
  );
}
