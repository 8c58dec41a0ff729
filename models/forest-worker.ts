/**
 * Worker thread of models/forest-parallel.ts: receives the shared training context once, then
 * grows the trees it is asked for, one message per tree, and sends each back (buffers moved,
 * not copied).
 */
import { parentPort } from 'node:worker_threads';
import { growTree, type TrainContext } from './forest.ts';

export type ToWorker = { kind: 'context'; ctx: TrainContext } | { kind: 'grow'; tree: number };

export interface FromWorker {
  tree: number;
  n: number;
  feature: Int16Array;
  thrBin: Uint8Array;
  threshold: Float32Array;
  child: Int32Array;
  value: Float32Array;
  weight: Float32Array;
}

let ctx: TrainContext | null = null;
parentPort!.on('message', (m: ToWorker) => {
  if (m.kind === 'context') {
    ctx = m.ctx;
    return;
  }
  const { nodes } = growTree(ctx!, m.tree);
  const n = nodes.n;
  const out: FromWorker = {
    tree: m.tree,
    n,
    feature: nodes.feature.slice(0, n),
    thrBin: nodes.thrBin.slice(0, n),
    threshold: nodes.threshold.slice(0, n),
    child: nodes.child.slice(0, n),
    value: nodes.value.slice(0, n),
    weight: nodes.weight.slice(0, n),
  };
  // slice() made fresh ArrayBuffers: move them
  const moved = [out.feature, out.thrBin, out.threshold, out.child, out.value, out.weight].map(
    (a) => a.buffer as ArrayBuffer,
  );
  parentPort!.postMessage(out, moved);
});
