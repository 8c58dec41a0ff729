/**
 * Where feed records come from: a file, a drop folder (every file not ingested before), or an
 * HTTP(S) URL (with `since` for incremental pulls). Each yields inputs that open as byte streams.
 */
import { createHash } from 'node:crypto';
import { createReadStream, fstatSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { IngestError } from '../errors.ts';
import { capBytes } from './limits.ts';
import { formatFromName, type Format } from './read.ts';
import { XLS_ADVICE } from './xlsx.ts';

export type SourceKind = 'file' | 'folder' | 'http';

export interface Opened {
  stream: Readable;
  format: Format;
  gzip: boolean;
  /** Bytes of the source when known (files; HTTP with Content-Length). */
  size?: number;
  /** The file on disk, when the source is one (an .xlsx is read from it). */
  path?: string;
}

export interface Input {
  /** What the ledger and quarantine name as the source: a path or a URL. */
  name: string;
  kind: SourceKind;
  open(): Promise<Opened>;
  /** Drop-folder files: remembered so that each is ingested once. */
  folderFile?: { folder: string; fileName: string; sha256: string; size: number };
  /** HTTP sources: the `since` sent, and the one to send next time. */
  http?: { url: string; since: string | null; nextSince: string };
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

function unreadable(feed: string, message: string, cause?: unknown): IngestError {
  return new IngestError('source_unreadable', `[ingest:${feed}] ${message}`, { cause });
}

function fileFormat(feed: string, path: string): { format: Format; gzip: boolean } {
  const f = formatFromName(path);
  if (!f) {
    throw unreadable(
      feed,
      /\.xls$/i.test(path)
        ? `${path} ${XLS_ADVICE}`
        : `${path}: unknown file type (expected .ndjson, .jsonl, .csv or .xlsx; .gz for the first three)`,
    );
  }
  return f;
}

export function fileInput(feed: string, path: string): Input {
  const { format, gzip } = fileFormat(feed, path);
  return {
    name: path,
    kind: 'file',
    open: () => openFile(feed, path, format, gzip),
  };
}

function openFile(feed: string, path: string, format: Format, gzip: boolean): Promise<Opened> {
  return new Promise((resolveOpen, reject) => {
    const stream = createReadStream(path, { highWaterMark: 1 << 20 });
    stream.once('error', (err) =>
      reject(unreadable(feed, `cannot read ${path}: ${err.message}`, err)),
    );
    stream.once('open', (fd: number) =>
      resolveOpen({ stream, format, gzip, size: fstatSync(fd).size, path }),
    );
  });
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Files of a drop folder not ingested before (by content), in name order. `seen` holds
 * `fileName\u001fsha256` of files already taken.
 */
export async function folderInputs(
  feed: string,
  folder: string,
  seen: Set<string>,
): Promise<Input[]> {
  const abs = resolve(folder);
  const names = (await readdir(abs, { withFileTypes: true }))
    .filter((d) => d.isFile() && !d.name.startsWith('.') && formatFromName(d.name) !== undefined)
    .map((d) => d.name)
    .sort();
  const inputs: Input[] = [];
  for (const fileName of names) {
    const path = join(abs, fileName);
    const [sha256, st] = await Promise.all([sha256File(path), stat(path)]);
    if (seen.has(`${fileName}\u001f${sha256}`)) continue;
    const { format, gzip } = fileFormat(feed, path);
    inputs.push({
      name: path,
      kind: 'folder',
      open: () => openFile(feed, path, format, gzip),
      folderFile: { folder: abs, fileName, sha256, size: st.size },
    });
  }
  return inputs;
}

function formatFromContentType(type: string | null): Format | undefined {
  if (!type) return undefined;
  const t = type.toLowerCase();
  if (t.includes('csv')) return 'csv';
  if (t.includes('ndjson') || t.includes('jsonl') || t.includes('json')) return 'ndjson';
  return undefined;
}

export interface HttpInputOptions {
  since: string | null;
  now: Date;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Request headers (credentials from the config or the environment). */
  headers?: Record<string, string>;
  /** A larger body is refused (default 2 GiB). */
  maxBytes?: number;
}

/** Same-host redirects followed at most this many times. */
const MAX_REDIRECTS = 5;

/**
 * Fetches `target`, following redirects only within its origin (scheme, host and port): the
 * source's credentials are never sent to another host, and a redirect elsewhere is refused.
 */
async function fetchSameOrigin(
  feed: string,
  url: string,
  target: URL,
  options: HttpInputOptions,
): Promise<Response> {
  const doFetch = options.fetch ?? fetch;
  const signal = AbortSignal.timeout(options.timeoutMs ?? 300_000);
  let at = target;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await doFetch(at, { signal, redirect: 'manual', headers: options.headers ?? {} });
    } catch (err) {
      throw unreadable(feed, `cannot fetch ${url}: ${(err as Error).message}`, err);
    }
    if (res.status < 300 || res.status > 399) return res;
    await res.body?.cancel();
    const location = res.headers.get('location');
    if (!location) throw unreadable(feed, `HTTP ${res.status} without a Location from ${url}`);
    const next = new URL(location, at);
    if (next.origin !== target.origin) {
      throw unreadable(
        feed,
        `${url} redirects to another host (${next.origin}); refused, so that its credentials stay with ${target.origin}`,
      );
    }
    if (hop >= MAX_REDIRECTS)
      throw unreadable(feed, `${url}: more than ${MAX_REDIRECTS} redirects`);
    at = next;
  }
}

/** An HTTP(S) source; `since` is sent as a query parameter when known. */
export function httpInput(feed: string, url: string, options: HttpInputOptions): Input {
  const target = new URL(url);
  if (options.since) target.searchParams.set('since', options.since);
  const maxBytes = options.maxBytes ?? 2 ** 31;
  return {
    name: url,
    kind: 'http',
    http: { url, since: options.since, nextSince: options.now.toISOString() },
    async open() {
      const res = await fetchSameOrigin(feed, url, target, options);
      if (!res.ok || !res.body) {
        throw unreadable(feed, `HTTP ${res.status} ${res.statusText} from ${url}`);
      }
      const tooLarge = (max: number) =>
        `${url}: the response is larger than ${max} bytes (limits.http_max_bytes); refused`;
      const declared = Number(res.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > maxBytes) {
        await res.body.cancel();
        throw unreadable(feed, tooLarge(maxBytes));
      }
      const byName = formatFromName(basename(target.pathname));
      const format = formatFromContentType(res.headers.get('content-type')) ?? byName?.format;
      if (!format) {
        throw unreadable(
          feed,
          `${url}: cannot tell NDJSON from CSV (content-type ${res.headers.get('content-type')})`,
        );
      }
      const gzip = (byName?.gzip ?? false) || /gzip/i.test(res.headers.get('content-type') ?? '');
      const body = Readable.fromWeb(res.body as WebReadableStream);
      return {
        stream: Readable.from(capBytes(body, maxBytes, tooLarge)),
        format,
        gzip,
        ...(Number.isFinite(declared) && declared > 0 ? { size: declared } : {}),
      };
    },
  };
}
