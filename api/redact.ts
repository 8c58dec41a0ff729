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
type PersonalField = 'legal_rep' | 'shareholder' | 'phone' | 'complainant_ref' | 'id_number';
/** Keys removed from a record that also has a `field` (a register change of a person field). */
type ChangeField = 'before' | 'after';
type Removable<T> = PersonalField | (T extends { field: unknown } ? ChangeField : never);

/**
 * A value as a response body carries it: at any depth, its personal fields may have been removed
 * for the role (redactFor). Distributes over unions (e.g. the kinds of timeline events).
 */
export type Redacted<T> = T extends readonly (infer U)[]
  ? Redacted<U>[]
  : T extends object
    ? { [K in keyof T as K extends Removable<T> ? never : K]: Redacted<T[K]> } & {
        [K in keyof T as K extends Removable<T> ? K : never]?: Redacted<T[K]>;
      }
    : T;

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
