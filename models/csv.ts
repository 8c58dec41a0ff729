import { ModelError } from './errors.ts';
import { createMatrix } from './matrix.ts';
import type { Matrix } from './matrix.ts';

/**
 * A small RFC 4180 CSV reader (quoted fields, doubled quotes, commas and newlines inside quotes,
 * CRLF, a UTF-8 BOM) and a helper that turns a feature table keyed by entity id into a Matrix.
 * Strings in, arrays out: reading files is the caller's business.
 */
export function parseCsv(text: string, delimiter = ','): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  const d = delimiter;
  while (i < n) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field.length === 0) {
      quoted = true;
      i++;
    } else if (ch === d) {
      row.push(field);
      field = '';
      i++;
    } else if (ch === '\n' || ch === '\r') {
      row.push(field);
      field = '';
      rows.push(row);
      row = [];
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      field += ch;
      i++;
    }
  }
  if (field.length > 0 || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  // Drop fully empty lines.
  return rows.filter((r) => !(r.length === 1 && r[0] === ''));
}

/** Parse with a header row into objects. */
export function parseCsvObjects(text: string, delimiter = ','): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text, delimiter);
  if (!header) return [];
  return rows.map((r) => Object.fromEntries(header.map((h, j) => [h, r[j] ?? ''] as const)));
}

/** Quote a field when needed. */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

export function toCsv(
  header: readonly string[],
  rows: readonly (readonly (string | number | null | undefined)[])[],
): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\n') + '\n';
}

export interface FeatureTable {
  ids: string[];
  matrix: Matrix;
  labels: Uint8Array | null;
  /** Extra integer column (e.g. fold ids) when asked for. */
  extra: Record<string, Int32Array>;
}

export interface FeatureTableOptions {
  /** Id column. Default 'id'. */
  id?: string;
  /** Label column (0/1), if any. Default 'label' when present. */
  label?: string | null;
  /** Integer columns to keep out of the features (e.g. 'fold'). */
  extra?: readonly string[];
  /** Other columns to ignore. */
  exclude?: readonly string[];
}

/**
 * A feature table (CSV text: one row per entity, numeric feature columns, empty = missing) as a
 * Matrix. Non-numeric cells are an error naming the column and line.
 */
export function featureTableFromCsv(text: string, options: FeatureTableOptions = {}): FeatureTable {
  const [header, ...rows] = parseCsv(text);
  if (!header) throw new ModelError('input_invalid', '[csv] empty feature table');
  const idCol = options.id ?? 'id';
  const labelCol =
    options.label === undefined ? (header.includes('label') ? 'label' : null) : options.label;
  const extra = options.extra ?? [];
  const skip = new Set([
    idCol,
    ...(labelCol ? [labelCol] : []),
    ...extra,
    ...(options.exclude ?? []),
  ]);
  const idIdx = header.indexOf(idCol);
  if (idIdx < 0) throw new ModelError('input_invalid', `[csv] no id column "${idCol}"`);
  const labelIdx = labelCol ? header.indexOf(labelCol) : -1;
  if (labelCol && labelIdx < 0)
    throw new ModelError('input_invalid', `[csv] no label column "${labelCol}"`);
  const featIdx = header.map((_, j) => j).filter((j) => !skip.has(header[j]!));
  const m = createMatrix(
    rows.length,
    featIdx.length,
    featIdx.map((j) => header[j]!),
  );
  const labels = labelIdx >= 0 ? new Uint8Array(rows.length) : null;
  const extraOut: Record<string, Int32Array> = {};
  for (const e of extra) extraOut[e] = new Int32Array(rows.length);
  const ids: string[] = [];
  rows.forEach((r, i) => {
    ids.push(r[idIdx] ?? '');
    featIdx.forEach((j, c) => {
      const cell = (r[j] ?? '').trim();
      const v = cell === '' || cell === 'NaN' || cell === 'nan' ? Number.NaN : Number(cell);
      if (Number.isNaN(v) && cell !== '' && cell.toLowerCase() !== 'nan') {
        throw new ModelError(
          'input_invalid',
          `[csv] line ${i + 2}, column ${header[j]}: "${cell}" is not a number`,
        );
      }
      m.data[i * m.cols + c] = v;
    });
    if (labels) {
      const l = Number(r[labelIdx]);
      if (l !== 0 && l !== 1)
        throw new ModelError('input_invalid', `[csv] line ${i + 2}: label must be 0 or 1`);
      labels[i] = l;
    }
    for (const e of extra) extraOut[e]![i] = Number(r[header.indexOf(e)]);
  });
  return { ids, matrix: m, labels, extra: extraOut };
}
