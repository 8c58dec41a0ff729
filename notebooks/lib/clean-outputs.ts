/**
 * After `run-all.sh --update`: drops per-run noise (execution timing metadata, ANSI colour codes)
 * from the executed notebooks so their diffs show only real changes, and reports each file's size
 * (the bar for review: under 1 MB).
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import process from 'node:process';

interface Output {
  output_type: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
}
interface Cell {
  metadata: Record<string, unknown>;
  outputs?: Output[];
}

const ANSI = /\u001b\[[0-9;]*m/g;
const strip = (v: string | string[]) =>
  Array.isArray(v) ? v.map((s) => s.replace(ANSI, '')) : v.replace(ANSI, '');

let failed = false;
for (const path of process.argv.slice(2)) {
  const nb = JSON.parse(readFileSync(path, 'utf8')) as { cells: Cell[] };
  for (const cell of nb.cells) {
    delete cell.metadata['execution'];
    for (const o of cell.outputs ?? []) {
      if (o.text !== undefined) o.text = strip(o.text);
      if (o.data?.['text/plain'] !== undefined) o.data['text/plain'] = strip(o.data['text/plain']);
    }
  }
  writeFileSync(path, `${JSON.stringify(nb, null, 1)}\n`);
  const kb = statSync(path).size / 1024;
  console.log(`${path}: ${kb.toFixed(0)} KiB`);
  if (kb > 1024) {
    console.error(`${path} is over 1 MB: make its charts smaller`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
