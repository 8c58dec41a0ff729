/**
 * Personal fields by role (api/README.md, "Personal data"): removed from every response body,
 * however deeply nested, before it leaves the API.
 */
import type { Role } from '../pipeline/auth/index.ts';

export const PERSONAL_FIELDS = ['legal_rep', 'phone', 'complainant_ref'] as const;
type PersonalField = (typeof PERSONAL_FIELDS)[number];

/** A record as a response body carries it: its personal fields may have been removed for the role. */
export type Redacted<T> = Omit<T, PersonalField> &
  Partial<Pick<T, Extract<keyof T, PersonalField>>>;

export const HIDDEN_FIELDS: Readonly<Record<Role, ReadonlySet<string>>> = {
  admin: new Set(),
  investigator: new Set(),
  regulator: new Set(['complainant_ref']),
  data_scientist: new Set(PERSONAL_FIELDS),
};

/**
 * Mainland mobile and landline numbers inside free text (ads print them). Not inside a longer run
 * of letters and digits: a USCC such as 914404003212502PLW holds digit runs that look like one.
 */
const PHONE_IN_TEXT =
  /(?<![0-9A-Za-z])(?:(?:\+?86[- ]?)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?![0-9A-Za-z])/g;

export function redact<T>(value: T, role: Role): T {
  const hidden = HIDDEN_FIELDS[role];
  if (hidden.size === 0) return value;
  return strip(value, hidden, hidden.has('phone')) as T;
}

function strip(v: unknown, hidden: ReadonlySet<string>, maskPhones: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => strip(x, hidden, maskPhones));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      if (!hidden.has(k)) out[k] = strip(x, hidden, maskPhones);
    return out;
  }
  // same length, so evidence span offsets stay valid
  if (maskPhones && typeof v === 'string')
    return v.replace(PHONE_IN_TEXT, (m) => '*'.repeat(m.length));
  return v;
}
