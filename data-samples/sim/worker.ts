/** Worker thread: generates enterprise chunks and days on request (see run.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import type { SimOptions } from './config.ts';
import { createContext, generateDay, generateEnterprises } from './generate.ts';

export type Task =
  | { type: 'enterprises'; from: number; to: number }
  | { type: 'day'; di: number; adKeys: Float64Array; cKeys: Float64Array };

const ctx = createContext(workerData as SimOptions);
const port = parentPort;
if (port === null) throw new Error('sim/worker.ts must run in a worker thread');

port.on('message', (task: Task) => {
  if (task.type === 'enterprises') {
    const r = generateEnterprises(ctx, task.from, task.to);
    port.postMessage(r, [
      r.registrations.bytes.buffer,
      r.changes.bytes.buffer,
      r.truth.bytes.buffer,
      r.adDays.buffer,
      r.adKeys.buffer,
      r.cDays.buffer,
      r.cKeys.buffer,
    ] as ArrayBuffer[]);
  } else {
    const r = generateDay(ctx, task.di, task.adKeys, task.cKeys);
    port.postMessage(r, [
      r.ads.bytes.buffer,
      r.complaints.bytes.buffer,
      r.links.bytes.buffer,
      r.complaintIdx.buffer,
    ] as ArrayBuffer[]);
  }
});
