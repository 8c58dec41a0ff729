/** Worker thread: stages NDJSON chunks (see ndjson-pool.ts). */
import { parentPort } from 'node:worker_threads';
import type { Encoding } from './read.ts';
import type { FeedName } from './specs.ts';
import { stageNdjsonText } from './stage-lines.ts';

export interface ChunkTask {
  feed: FeedName;
  encoding: Encoding;
  bytes: Uint8Array;
  firstLine: number;
  first: boolean;
}

const decoders = new Map<string, TextDecoder>();

parentPort!.on('message', (t: ChunkTask) => {
  const key = `${t.encoding}:${t.first}`;
  let d = decoders.get(key);
  if (!d) decoders.set(key, (d = new TextDecoder(t.encoding, { ignoreBOM: !t.first })));
  const staged = stageNdjsonText(t.feed, d.decode(t.bytes), t.firstLine, t.encoding);
  parentPort!.postMessage({
    rows: staged.rows.join('\n'),
    nRows: staged.rows.length,
    bad: staged.bad.join('\n'),
    nBad: staged.bad.length,
    read: staged.read,
  });
});
