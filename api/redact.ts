/**
 * Personal data by role, by meaning (pipeline/privacy: the catalogue). Applied to every response
 * body before it leaves the API; see docs/security.md, "Personal data".
 */
import type { Role } from '../pipeline/auth/index.ts';
import {
  PERSONAL_FIELDS as FIELDS,
  redactFor,
  ROLE_SEES,
  type NameMatcher,
} from '../pipeline/privacy/index.ts';

/** Field names that always hold personal data (and their kind: see pipeline/privacy). */
export const PERSONAL_FIELDS = Object.keys(FIELDS);
type PersonalField = 'legal_rep' | 'phone' | 'complainant_ref';

/** A record as a response body carries it: its personal fields may have been removed for the role. */
export type Redacted<T> = Omit<T, PersonalField> &
  Partial<Pick<T, Extract<keyof T, PersonalField>>>;

/** Field names removed for each role (the structured part of the catalogue). */
export const HIDDEN_FIELDS: Readonly<Record<Role, ReadonlySet<string>>> = Object.fromEntries(
  (Object.keys(ROLE_SEES) as Role[]).map((role) => [
    role,
    new Set(
      Object.entries(FIELDS)
        .filter(([, k]) => !ROLE_SEES[role].has(k))
        .map(([f]) => f),
    ),
  ]),
) as unknown as Record<Role, ReadonlySet<string>>;

export function redact<T>(value: T, role: Role, names?: NameMatcher): T {
  return redactFor(value, role, names);
}
