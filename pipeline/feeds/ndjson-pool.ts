/**
 * NDJSON in parallel: the main thread cuts the decompressed bytes into chunks at line breaks and
 * counts their lines; worker threads decode, parse, validate and stage them; results come back in
 * order. (A line break byte never occurs inside a UTF-8 or GB18030 character, so a cut at 0x0A is
 * always a cut between lines.)
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ChunkTask } from './ndjson-worker.ts';
import type { Encoding } from './read.ts';
import type { FeedName } from './specs.ts';
import { stageNdjsonText } from './stage-lines.ts';

export interface ChunkResult {
  rows: string;
  nRows: number;
  bad: string;
  nBad: number;
  read: number;
}

const CHUNK_BYTES = 1 << 20;

/** Cuts a byte stream into chunks of whole lines, with the number of each chunk's first line. */
export async function* lineChunks(
  stream: AsyncIterable<Buffer>,
): AsyncGenerator<{ bytes: Uint8Array; firstLine: number }> {
  let pending: Buffer[] = [];
  let size = 0;
  let line = 1;
  const emit = (buf: Buffer) => {
    const firstLine = line;
    let i = -1;
    while ((i = buf.indexOf(10, i + 1)) !== -1) line++;
    return { bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), firstLine };
  };
  for await (const chunk of stream) {
    pending.push(chunk);
    size += chunk.length;
    if (size < CHUNK_BYTES) continue;
    const cut = chunk.lastIndexOf(10);
    if (cut === -1) continue;
    const all = Buffer.concat(pending, size);
    const end = size - (chunk.length - cut - 1);
    const head = all.subarray(0, end);
    const rest = Buffer.from(all.subarray(end));
    pending = rest.length ? [rest] : [];
    size = rest.length;
    yield emit(Buffer.from(head));
  }
  if (size > 0) yield emit(Buffer.concat(pending, size));
}

export class NdjsonPool {
  readonly #workers: Worker[] = [];
  readonly #queues: ((r: ChunkResult) => void)[][] = [];
  readonly #failures: ((e: unknown) => void)[][] = [];
  #next = 0;

  constructor(threads: number) {
    const require = createRequire(import.meta.url);
    const api = pathToFileURL(
      join(require.resolve('tsx/package.json'), '..', 'dist', 'esm', 'api', 'index.mjs'),
    ).href;
    const entry = new URL('./ndjson-worker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
    for (let i = 0; i < threads; i++) {
      const w = new Worker(boot, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 64 } });
      const queue: ((r: ChunkResult) => void)[] = [];
      const failures: ((e: unknown) => void)[] = [];
      w.on('message', (m: ChunkResult) => {
        failures.shift();
        queue.shift()?.(m);
      });
      w.on('error', (e) => {
        for (const f of failures.splice(0)) f(e);
        queue.splice(0);
      });
      this.#workers.push(w);
      this.#queues.push(queue);
      this.#failures.push(failures);
    }
  }

  run(task: ChunkTask): Promise<ChunkResult> {
    const i = this.#next++ % this.#workers.length;
    return new Promise((resolve, reject) => {
      this.#queues[i]!.push(resolve);
      this.#failures[i]!.push(reject);
      this.#workers[i]!.postMessage(task, [task.bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/** Stages a chunk in this thread (small inputs: no worker start-up). */
export function stageLocally(
  feed: FeedName,
  encoding: Encoding,
  bytes: Uint8Array,
  firstLine: number,
  first: boolean,
): ChunkResult {
  const text = new TextDecoder(encoding, { ignoreBOM: !first }).decode(bytes);
  const s = stageNdjsonText(feed, text, firstLine, encoding);
  return {
    rows: s.rows.join('\n'),
    nRows: s.rows.length,
    bad: s.bad.join('\n'),
    nBad: s.bad.length,
    read: s.read,
  };
}
