/**
 * TOTP (RFC 6238: SHA-1, 6 digits, 30-s steps, ±1 step of clock drift) through `otpauth`, and
 * recovery codes. A code is accepted once: the step it belongs to must be later than the last
 * accepted one. Recovery codes (10, shown once) are stored as sha256 hashes and used up one by one.
 */
import { createHash, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { z } from 'zod';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';

export const TOTP_ISSUER = '打非云 Dafei';
const PERIOD = 30;

function totpOf(secret: string, username = 'user'): TOTP {
  return new TOTP({
    issuer: TOTP_ISSUER,
    label: username,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
  });
}

/** The code for `at` (tests and the enrolment check use it). */
export function totpCode(secret: string, at: Date): string {
  return totpOf(secret).generate({ timestamp: at.getTime() });
}

/**
 * The 30-s step of an accepted code, or undefined when the code is wrong, or was already used
 * (its step is not after `lastStep`).
 */
export function verifyTotp(
  secret: string,
  code: string,
  at: Date,
  lastStep: number | null,
): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return undefined;
  const delta = totpOf(secret).validate({ token, timestamp: at.getTime(), window: 1 });
  if (delta === null) return undefined;
  const step = Math.floor(at.getTime() / 1000 / PERIOD) + delta;
  if (lastStep !== null && step <= lastStep) return undefined;
  return step;
}

export const TotpSetup = z
  .object({
    secret: z.string().meta({ description: 'base32' }),
    uri: z.string().meta({
      description:
        'otpauth://totp/… for authenticator apps (as a QR code, or typed in as `secret`)',
    }),
  })
  .meta({ id: 'TotpSetup' });
export type TotpSetup = z.output<typeof TotpSetup>;

/** Starts an enrolment: a new secret, pending until confirmed with a code from it. */
export async function setupTotp(db: Db, username: string): Promise<TotpSetup> {
  const secret = new Secret({ size: 20 }).base32;
  const rows = await db.all(
    `UPDATE api_users SET totp_secret = $s WHERE username = $u AND totp_enabled_at IS NULL RETURNING username`,
    { s: secret, u: username },
  );
  if (rows.length === 0)
    throw new AppError('usage', `TOTP is already on for ${username}; an admin can reset it`);
  return { secret, uri: totpOf(secret, username).toString() };
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

function newRecoveryCode(): string {
  let s = '';
  for (let i = 0; i < 10; i++) s += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

const hashCode = (c: string) =>
  createHash('sha256').update(c.trim().toLowerCase().replace(/\s+/g, ''), 'utf8').digest('hex');

/**
 * Confirms an enrolment with a code from the new secret: TOTP is on from now, and 10 recovery
 * codes are returned (shown once).
 */
export async function confirmTotp(
  db: Db,
  username: string,
  code: string,
  now: Date,
): Promise<{ recoveryCodes: string[] }> {
  const u = await db.one<{ secret: string | null; on: boolean }>(
    `SELECT totp_secret AS secret, totp_enabled_at IS NOT NULL AS on FROM api_users WHERE username = $u`,
    { u: username },
  );
  if (!u?.secret) throw new AppError('usage', 'start the TOTP enrolment first');
  if (u.on) throw new AppError('usage', `TOTP is already on for ${username}`);
  const step = verifyTotp(u.secret, code, now, null);
  if (step === undefined)
    throw new AppError('usage', 'the code does not match: check the clock of the device');
  const codes = Array.from({ length: 10 }, newRecoveryCode);
  await db.run(
    `UPDATE api_users SET totp_enabled_at = $now::TIMESTAMPTZ, totp_last_step = $step, recovery_codes = $codes
     WHERE username = $u`,
    { now: now.toISOString(), step, codes: JSON.stringify(codes.map(hashCode)), u: username },
  );
  return { recoveryCodes: codes };
}

/** Uses up one recovery code; false when it is not one of the user's unused codes. */
export async function useRecoveryCode(db: Db, username: string, code: string): Promise<boolean> {
  const u = await db.one<{ codes: string | null }>(
    `SELECT recovery_codes AS codes FROM api_users WHERE username = $u`,
    { u: username },
  );
  const hashes = JSON.parse(u?.codes ?? '[]') as string[];
  const h = hashCode(code);
  if (!hashes.includes(h)) return false;
  await db.run(`UPDATE api_users SET recovery_codes = $c WHERE username = $u`, {
    c: JSON.stringify(hashes.filter((x) => x !== h)),
    u: username,
  });
  return true;
}

/** Turns TOTP off (an admin, for a user who lost the device); the user enrols again. */
export async function resetTotp(db: Db, username: string): Promise<boolean> {
  const rows = await db.all(
    `UPDATE api_users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, recovery_codes = NULL
     WHERE username = $u RETURNING username`,
    { u: username },
  );
  return rows.length > 0;
}
