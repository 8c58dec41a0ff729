/**
 * The real-text report on the CCF BDCI 2019 posts (bench/real-text.ts), kept honest: the posts go
 * through the mapping without loss, and the hand-checked sample of promised yields still matches
 * what the extraction finds (a change to yield.ts that moves a sampled value fails here, so the
 * verdicts are checked again). Skips when ../shared/datasets is absent; the data is read in place.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withDb } from '../db/index.ts';
import { ingest } from '../feeds/index.ts';
import { loadMapping } from '../feeds/mapping/index.ts';
import { DATASET, SAMPLE_SEED, SAMPLE_SIZE, sampleIds } from '../../bench/real-text.ts';
import { maxAnnualYield } from './yield.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HAVE = existsSync(DATASET);
if (!HAVE) process.stderr.write(`[real text] skipped: ${DATASET} is absent\n`);

describe.skipIf(!HAVE)('CCF BDCI 2019 posts (real text, read in place)', () => {
  it('land through the mapping file without loss, labels kept in extra; the yield sample matches its verdicts', async () => {
    await withDb(async (db) => {
      const r = await ingest(db, {
        feed: 'ads',
        source: DATASET,
        mapping: loadMapping(join(ROOT, 'bench', 'ccf2019-ads.mapping.json')),
      });
      expect(r).toMatchObject({ read: 5013, accepted: 5013, quarantined: 0 });
      const posts = await db.all<{ id: string; text: string; labels: string | null }>(
        `SELECT ad_id AS id, text, extra->>'unknownEntities' AS labels FROM ads`,
      );
      expect(posts.filter((p) => p.labels).length).toBe(4711);
      const withYield = posts
        .map((p) => ({ id: p.id, y: maxAnnualYield(p.text) }))
        .filter((p): p is { id: string; y: number } => p.y !== undefined);
      const sample = sampleIds(
        withYield.map((p) => p.id),
        SAMPLE_SIZE,
        SAMPLE_SEED,
      );
      const verdicts = readFileSync(join(ROOT, 'bench', 'real-text-yield-verdicts.tsv'), 'utf8')
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('#'))
        .slice(1)
        .map((l) => l.split('\t'));
      expect(verdicts.map((v) => v[0])).toEqual(sample);
      const y = new Map(withYield.map((p) => [p.id, p.y]));
      for (const v of verdicts) expect(Number(v[1]), v[0]).toBeCloseTo(y.get(v[0]!)!, 2);
    });
  }, 60_000);
});
