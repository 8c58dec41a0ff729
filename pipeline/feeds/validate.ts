/**
 * Checks one record against its feed's contract and turns it into the row that is staged: its
 * natural key and its data columns as text, in `dataColumns(spec)` order (the database casts them,
 * and hashes them to tell a duplicate from a correction). Fields the contract does not know are
 * kept in `extra`, never rejected.
 */
import { FieldProblem, parseTimestamp } from './fields.ts';
import type { FeedSpec } from './specs.ts';

export type Checked =
  { ok: true; key: string; values: (string | null)[] } | { ok: false; reason: string };

export const KEY_SEP = '\u001f';

export function createValidator(spec: FeedSpec): (record: Record<string, unknown>) => Checked {
  const fields = spec.fields;
  const known = new Set(fields.map((f) => f.name));
  const dayField = spec.dayOf ? fields.findIndex((f) => f.name === spec.dayOf!.field) : -1;
  // position of each field's value in the output (the day column follows its timestamp)
  const slot = fields.map((_, i) => (dayField >= 0 && i > dayField ? i + 1 : i));
  const keySlots = spec.key.map((k) => slot[fields.findIndex((f) => f.name === k)]!);
  const width = fields.length + (dayField >= 0 ? 1 : 0) + 1; // + extra

  return (record) => {
    const values = new Array<string | null>(width);
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const raw = record[f.name];
      let value: string | null = null;
      if (
        raw === undefined ||
        raw === null ||
        raw === '' ||
        (typeof raw === 'string' && isBlank(raw))
      ) {
        if (f.required) return { ok: false, reason: `${f.name}: required field is missing` };
      } else {
        try {
          if (i === dayField) {
            const t = parseTimestamp(f.name, raw);
            value = t.iso;
            values[i + 1] = t.day;
          } else {
            const v = f.parse(raw);
            value = v === null ? null : typeof v === 'string' ? v : String(v);
          }
        } catch (err) {
          if (err instanceof FieldProblem) return { ok: false, reason: err.message };
          throw err;
        }
      }
      values[slot[i]!] = value;
    }
    if (dayField >= 0 && values[dayField] === null) values[dayField + 1] = null;
    let extra: Record<string, unknown> | null = null;
    for (const k in record) {
      if (!known.has(k)) (extra ??= {})[k] = record[k];
    }
    values[width - 1] = extra === null ? null : JSON.stringify(extra);
    let key = values[keySlots[0]!] ?? '';
    for (let k = 1; k < keySlots.length; k++) key += KEY_SEP + (values[keySlots[k]!] ?? '');
    return { ok: true, key, values };
  };
}

function isBlank(s: string): boolean {
  const c = s.charCodeAt(0);
  // only strings that start with white space can be blank: skip trim() for the rest
  return (c <= 32 || c === 0x3000 || c === 0xa0 || c === 0xfeff) && s.trim() === '';
}
