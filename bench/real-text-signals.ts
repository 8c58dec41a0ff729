/**
 * The quiet-scheme text signals (issue 21) on real Chinese text nobody here wrote:
 *   - spam-sms-zh: how often each financial-language cue (pipeline/features/finance-language.ts)
 *     fires in real advertising SMS and in ordinary messages, with examples;
 *   - ccf2019-fintech-entities: real posts about internet-finance platforms — how often the cues
 *     fire, how often the anti-fraud guard silences a post, and what the platforms' names look
 *     like: a company form (有限公司) or a product / app name (the case for learned aliases).
 *
 *   node --import tsx bench/real-text-signals.ts
 *
 * Reads ../shared/datasets (or /work/shared/datasets) in place; skips what is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { financeCues, type FinanceCues } from '../pipeline/features/finance-language.ts';

const here = dirname(fileURLToPath(import.meta.url));
const find = (rel: string) =>
  [resolve(here, '../../shared/datasets', rel), resolve('/work/shared/datasets', rel)].find((p) =>
    existsSync(p),
  );
const CUES: (keyof FinanceCues)[] = [
  'depositLike',
  'lending',
  'bankWording',
  'softPromise',
  'giftOrSeminar',
  'softReferral',
];
const pct = (n: number, d: number) => `${((100 * n) / Math.max(1, d)).toFixed(2)} %`;

console.log(
  `machine: ${cpus().length} cores; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);

const sms = find('spam-sms-zh/sms-10k-labeled.tsv');
if (sms === undefined) console.log('spam-sms-zh: not found; skipped');
else {
  const rows = readFileSync(sms, 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => [l.slice(0, l.indexOf('\t')).trim(), l.slice(l.indexOf('\t') + 1)] as const);
  console.log(`spam-sms-zh: ${rows.length} messages`);
  for (const [label, name] of [
    ['1', 'advertising (spam)'],
    ['0', 'ordinary'],
  ] as const) {
    const sub = rows.filter(([y]) => y === label);
    const hits = CUES.map((c) => sub.filter(([, t]) => financeCues(t)[c]));
    console.log(
      `  ${name} (${sub.length}): ${CUES.map((c, i) => `${c} ${hits[i]!.length} (${pct(hits[i]!.length, sub.length)})`).join(', ')}`,
    );
    if (label === '1')
      for (const c of ['depositLike', 'lending'] as const)
        for (const [, t] of hits[CUES.indexOf(c)]!.slice(0, 3))
          console.log(`    e.g. ${c}: ${t.slice(0, 70)}`);
  }
}

const ccf = find('ccf2019-fintech-entities/train.csv');
if (ccf === undefined) console.log('ccf2019-fintech-entities: not found; skipped');
else {
  // id,text,unknownEntities — the text may hold commas; the entities are the last field
  const posts: { text: string; entities: string[] }[] = [];
  for (const line of readFileSync(ccf, 'utf8').split('\n').slice(1)) {
    const first = line.indexOf(',');
    const last = line.lastIndexOf(',');
    if (first < 0 || last <= first) continue;
    posts.push({
      text: line.slice(first + 1, last),
      entities: line
        .slice(last + 1)
        .split(';')
        .map((e) => e.trim())
        .filter((e) => e !== ''),
    });
  }
  const warned = posts.filter(
    (p) =>
      Object.values(financeCues(p.text)).every((v) => !v) &&
      /警惕|谨防|防范|揭秘|骗局|非法集资|举报/.test(p.text),
  );
  const open = posts.filter(
    (p) => !/警惕|谨防|防范|提防|识破|打击|揭露|非法集资|骗局|举报/.test(p.text),
  );
  console.log(
    `ccf2019-fintech-entities: ${posts.length} posts; ${warned.length} (${pct(warned.length, posts.length)}) read as warnings or exposés and counted nothing`,
  );
  console.log(
    `  other posts (${open.length}): ${CUES.map((c) => {
      const n = open.filter((p) => financeCues(p.text)[c]).length;
      return `${c} ${n} (${pct(n, open.length)})`;
    }).join(', ')}`,
  );
  const names = [...new Set(posts.flatMap((p) => p.entities))];
  const company = names.filter((n) => /有限公司|有限责任公司|集团|股份|合伙企业/.test(n));
  const product = names.filter((n) =>
    /宝$|贷$|金服$|钱包$|理财$|财富$|app$|APP$|网$|平台$|币$|链$|商城$/.test(n),
  );
  console.log(
    `  platform names in the posts: ${names.length} distinct; with a company form (有限公司, 集团 …) ${company.length} (${pct(company.length, names.length)}); product / app style (…宝, …贷, …金服, …APP, …网, …币) ${product.length} (${pct(product.length, names.length)})`,
  );
  console.log(`    e.g. ${product.slice(0, 12).join(', ')}`);
}
