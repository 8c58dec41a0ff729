/**
 * The staged forms of records, shared by every reader (CSV in the main thread, NDJSON in worker
 * threads): an accepted row is `[line, key, value…]` as a JSON array of text; a rejected one is a
 * quarantine object with its line, raw text and reason.
 */
import type { Encoding } from './read.ts';
import { FEEDS, type FeedName } from './specs.ts';
import { createValidator, type Checked } from './validate.ts';

const RAW_LIMIT = 65_536;
const REPLACEMENT = '\uFFFD';

export function rowLine(line: number, key: string, values: readonly (string | null)[]): string {
  return `[${line},${JSON.stringify(key)},${JSON.stringify(values).slice(1)}`;
}

export function quarantineLine(line: number, raw: string, reason: string): string {
  // stored for people to read: cut, and with broken surrogates shown as U+FFFD
  const cut = raw.length > RAW_LIMIT ? `${raw.slice(0, RAW_LIMIT)}…` : raw;
  const readable = (cut as unknown as { toWellFormed(): string }).toWellFormed();
  return JSON.stringify({ line_no: line, raw: readable, reason });
}

export const badEncoding = (enc: Encoding) =>
  enc === 'utf-8'
    ? 'line has bytes that are not valid UTF-8 (if the file is GBK, ingest it with --encoding gbk)'
    : 'line has bytes that are not valid GB18030/GBK';

const validators = new Map<FeedName, (r: Record<string, unknown>) => Checked>();

export function validatorFor(feed: FeedName): (r: Record<string, unknown>) => Checked {
  let v = validators.get(feed);
  if (!v) validators.set(feed, (v = createValidator(FEEDS[feed])));
  return v;
}

export interface StagedChunk {
  /** Staged rows, one per line (no trailing newline). */
  rows: string[];
  /** Quarantine lines. */
  bad: string[];
  /** Records read (blank lines are not records). */
  read: number;
}

/**
 * Stages the NDJSON lines of `text`, whose first line is line `firstLine` of the source. `text`
 * holds whole lines only (the caller cuts at line breaks).
 */
export function stageNdjsonText(
  feed: FeedName,
  text: string,
  firstLine: number,
  encoding: Encoding,
): StagedChunk {
  const validate = validatorFor(feed);
  const suspect = text.includes(REPLACEMENT);
  const rows: string[] = [];
  const bad: string[] = [];
  let read = 0;
  let line = firstLine - 1;
  let start = 0;
  while (start < text.length) {
    let nl = text.indexOf('\n', start);
    if (nl === -1) nl = text.length;
    let raw = text.slice(start, nl);
    start = nl + 1;
    line++;
    if (raw.length > 0 && raw.charCodeAt(raw.length - 1) === 13) raw = raw.slice(0, -1);
    if (raw.length === 0 || (raw.charCodeAt(0) <= 32 && raw.trim() === '')) continue;
    read++;
    if (suspect && raw.includes(REPLACEMENT)) {
      bad.push(quarantineLine(line, raw, badEncoding(encoding)));
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      bad.push(quarantineLine(line, raw, `malformed JSON: ${(err as Error).message}`));
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      bad.push(quarantineLine(line, raw, 'line is not a JSON object'));
      continue;
    }
    const checked = validate(value as Record<string, unknown>);
    if (checked.ok) rows.push(rowLine(line, checked.key, checked.values));
    else bad.push(quarantineLine(line, raw, checked.reason));
  }
  return { rows, bad, read };
}
