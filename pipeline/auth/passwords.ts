/**
 * Password hashing (scrypt, node:crypto) and the password policy (ASVS 2.1): at least 12
 * characters, at most 128, any characters, no composition rules, and not a common password —
 * checked against the 49,233 most common passwords of @zxcvbn-ts/language-common (MIT), also with
 * trailing digits and symbols removed ("password2026!" is refused), plus the demo password.
 */
import { randomBytes, randomInt, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { dictionary } from '@zxcvbn-ts/language-common';
import { AppError } from '../errors.ts';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt minimum (Password Storage Cheat Sheet): N = 2^17, r = 8, p = 1 (128 MiB). */
export const DEFAULT_SCRYPT: ScryptCost = Object.freeze({ N: 2 ** 17, r: 8, p: 1 });
const KEYLEN = 32;

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;

/** The password `dafei demo` gives its accounts (printed in the README): never valid elsewhere. */
export const DEMO_PASSWORD = 'dafei-demo-2026';

function scryptAsync(password: string, salt: Buffer, keylen: number, o: ScryptOptions) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, keylen, o, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const maxmem = (c: ScryptCost) => 128 * c.N * c.r * 2 + 1024 * 1024;

/** 'scrypt$N$r$p$salt_b64$hash_b64' */
export async function hashPassword(password: string, cost: ScryptCost = DEFAULT_SCRYPT) {
  const salt = randomBytes(16);
  const key = await scryptAsync(password.normalize('NFC'), salt, KEYLEN, {
    ...cost,
    maxmem: maxmem(cost),
  });
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export function hashCost(stored: string): ScryptCost | undefined {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  return { N: Number(parts[1]), r: Number(parts[2]), p: Number(parts[3]) };
}

/** Whether a stored hash was made with another cost than `cost` (then it is rehashed at login). */
export function needsRehash(stored: string, cost: ScryptCost = DEFAULT_SCRYPT): boolean {
  const c = hashCost(stored);
  return !c || c.N !== cost.N || c.r !== cost.r || c.p !== cost.p;
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const c = hashCost(stored);
  if (!c || !Number.isInteger(c.N) || c.N < 2 || c.N > 2 ** 20) return false;
  const parts = stored.split('$');
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await scryptAsync(password.normalize('NFC'), salt, expected.length, {
    ...c,
    maxmem: maxmem(c),
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of nothing at the given cost: checked when the user is unknown, so timing is the same. */
const dummies = new Map<string, string>();
export function dummyHash(cost: ScryptCost = DEFAULT_SCRYPT): string {
  const k = `${cost.N}$${cost.r}$${cost.p}`;
  let h = dummies.get(k);
  if (!h) {
    h = `scrypt$${k}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEYLEN).toString('base64')}`;
    dummies.set(k, h);
  }
  return h;
}

let common: Set<string> | undefined;
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

/** Why a password is refused, or undefined when it is acceptable. */
export function passwordProblem(
  password: string,
  o: { username?: string } = {},
): string | undefined {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_LENGTH)
    return `the password must have at least ${MIN_PASSWORD_LENGTH} characters`;
  if (chars.length > MAX_PASSWORD_LENGTH)
    return `the password must have at most ${MAX_PASSWORD_LENGTH} characters`;
  const lower = password.normalize('NFKC').toLowerCase();
  if (lower === DEMO_PASSWORD) return 'the demo password cannot be used';
  if (new Set(chars).size <= 2) return 'the password repeats one or two characters';
  const list = commonPasswords();
  const stem = lower.replace(/[\d\W_]+$/u, '');
  if (
    list.has(lower) ||
    (stem.length >= 4 && list.has(stem)) ||
    list.has(lower.replace(/^\d+/, ''))
  )
    return 'the password is on the list of common passwords';
  if (o.username && lower.includes(o.username.toLowerCase()))
    return 'the password must not contain the user name';
  return undefined;
}

export function assertPasswordPolicy(password: string, o: { username?: string } = {}): void {
  const p = passwordProblem(password, o);
  if (p) throw new AppError('usage', p);
}

/** A one-time password an admin hands over (the user must change it at the first login). */
export function oneTimePassword(): string {
  // 16 characters of an unambiguous alphabet, in groups of four
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  let s = '';
  for (let i = 0; i < 16; i++) s += alphabet[randomInt(alphabet.length)];
  return s.match(/.{4}/g)!.join('-');
}
