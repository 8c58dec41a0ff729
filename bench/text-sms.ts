/**
 * Text pipeline on real Chinese SMS (spam vs ordinary): 5-fold stratified CV of the text model,
 * segmentation throughput, and red-flag lexicon hit rates per class.
 *
 *   node --import tsx bench/text-sms.ts [path/to/sms-10k-labeled.tsv]
 *
 * Reads ../shared/datasets/spam-sms-zh/sms-10k-labeled.tsv (`label<TAB>text`, digits masked as
 * x) in place — never copy it into the repository. Exits 0 with a message when it is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findRedFlags, RED_FLAG_FAMILIES } from '../pipeline/features/lexicon.ts';
import { getSegmenter, tokens } from '../pipeline/features/segment.ts';
import { crossValidateTextModel } from '../pipeline/features/text.ts';
import { extractYields } from '../pipeline/features/yield.ts';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_PATH = resolve(here, '../../shared/datasets/spam-sms-zh/sms-10k-labeled.tsv');
const path = process.argv[2] ?? DEFAULT_PATH;

if (!existsSync(path)) {
  console.log(`text-sms: dataset not found at ${path}; skipping.`);
  process.exit(0);
}

const texts: string[] = [];
const labels: number[] = [];
for (const line of readFileSync(path, 'utf8').split('\n')) {
  if (line.trim() === '') continue;
  const tab = line.indexOf('\t');
  if (tab < 0) continue;
  texts.push(line.slice(tab + 1));
  labels.push(line.slice(0, tab).trim() === '1' ? 1 : 0);
}
const nPos = labels.filter((l) => l === 1).length;
console.log(`dataset: ${path}`);
console.log(`messages: ${texts.length} (spam ${nPos}, ordinary ${texts.length - nPos})`);

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const f3 = (x: number): string => x.toFixed(3);

// Segmentation throughput.
const seg = getSegmenter();
let t0 = performance.now();
const toks = texts.map((t) => tokens(t, seg));
const segMs = performance.now() - t0;
const nTokens = toks.reduce((s, t) => s + t.length, 0);
const nChars = texts.reduce((s, t) => s + t.length, 0);
console.log(
  `segmentation (${seg.engine}): ${nTokens} tokens in ${segMs.toFixed(0)} ms = ` +
    `${Math.round(nTokens / (segMs / 1000))} tokens/s, ${Math.round(nChars / (segMs / 1000))} chars/s`,
);

// Cross-validation.
t0 = performance.now();
const cv = crossValidateTextModel(toks, labels, { folds: 5, seed: 42 });
const cvMs = performance.now() - t0;
console.log(
  '\n5-fold stratified CV (seed 42, threshold 0.5), text model = word uni+bigrams + char bigrams, logistic regression:',
);
console.log('fold  precision  recall  F1      tp   fp   fn');
cv.folds.forEach((m, i) => {
  console.log(
    `${String(i + 1).padEnd(4)}  ${f3(m.precision).padEnd(9)}  ${f3(m.recall).padEnd(6)}  ` +
      `${f3(m.f1).padEnd(6)}  ${String(m.tp).padStart(3)}  ${String(m.fp).padStart(3)}  ${String(m.fn).padStart(3)}`,
  );
});
console.log(
  `mean  ${f3(cv.mean.precision).padEnd(9)}  ${f3(cv.mean.recall).padEnd(6)}  ${f3(cv.mean.f1)}`,
);
const trainedTokens = (nTokens * 4 * 5) / 5; // each doc is in 4 training folds
console.log(
  `CV time ${(cvMs / 1000).toFixed(1)} s (5 × train+score; ~${Math.round(trainedTokens / (cvMs / 1000))} training tokens/s incl. scoring)`,
);

// Lexicon and yield hit rates per class.
t0 = performance.now();
const hits = texts.map((t) => findRedFlags(t));
const lexMs = performance.now() - t0;
const ys = texts.map((t) => extractYields(t));
console.log(
  `\nred-flag lexicon: ${Math.round(texts.length / (lexMs / 1000))} messages/s; share of messages with ≥1 hit:`,
);
const rate = (cls: number, pred: (i: number) => boolean): number => {
  let n = 0;
  let k = 0;
  labels.forEach((l, i) => {
    if (l !== cls) return;
    n++;
    if (pred(i)) k++;
  });
  return n === 0 ? 0 : k / n;
};
console.log(`family                 spam     ordinary`);
console.log(
  `${'any'.padEnd(22)} ${pct(rate(1, (i) => hits[i]!.length > 0)).padStart(6)}   ${pct(rate(0, (i) => hits[i]!.length > 0)).padStart(6)}`,
);
for (const f of RED_FLAG_FAMILIES) {
  const has = (i: number): boolean => hits[i]!.some((h) => h.family === f.id);
  console.log(
    `${`${f.id} ${f.label_zh}`.padEnd(22)} ${pct(rate(1, has)).padStart(6)}   ${pct(rate(0, has)).padStart(6)}`,
  );
}
console.log(
  `${'promised yield'.padEnd(22)} ${pct(rate(1, (i) => ys[i]!.length > 0)).padStart(6)}   ${pct(rate(0, (i) => ys[i]!.length > 0)).padStart(6)}`,
);
