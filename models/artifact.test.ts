import { describe, expect, it } from 'vitest';
import { makeClassification } from './_synthetic.ts';
import { loadArtifact, parseArtifact, saveArtifact, saveArtifactBuffer } from './artifact.ts';
import { ModelError } from './errors.ts';
import { HistogramForest } from './forest.ts';

describe('artefact', () => {
  const { x, y } = makeClassification({ rows: 1500, cols: 10, seed: 4, missing: 0.05 });
  const forest = new HistogramForest({ nEstimators: 20, seed: 3, minSamplesLeaf: 2 }).fit(x, y);

  it('round trip (string and Buffer) gives identical predictions and contributions', () => {
    const p = forest.predictProba(x);
    for (const saved of [saveArtifact(forest), saveArtifactBuffer(forest)]) {
      const again = loadArtifact(saved);
      expect(again.kind).toBe('dafei-forest');
      expect(again.columns).toEqual(x.columns);
      const q = again.predictProba(x);
      expect(q.every((v, i) => v === p[i])).toBe(true);
      const a = forest.contributions(x, 7);
      const b = again.contributions(x, 7);
      expect(Array.from(b.values)).toEqual(Array.from(a.values));
      expect(b.bias).toBe(a.bias);
    }
    // Re-saving the loaded model gives the same bytes.
    expect(saveArtifact(loadArtifact(saveArtifact(forest))) === saveArtifact(forest)).toBe(true);
  });

  it('carries metadata and the envelope fields', () => {
    const a = parseArtifact(saveArtifact(forest, { trainedUntil: '2026-01-31' }));
    expect(a.format).toBe('dafei-forest');
    expect(a.version).toBe(1);
    expect(a.metadata).toEqual({ trainedUntil: '2026-01-31' });
  });

  it('rejects a wrong version, a wrong format and corrupt trees with clear errors', () => {
    const good = JSON.parse(saveArtifact(forest)) as Record<string, unknown>;
    const wrongVersion = JSON.stringify({ ...good, version: 2 });
    expect(() => loadArtifact(wrongVersion)).toThrow(ModelError);
    expect(() => loadArtifact(wrongVersion)).toThrow(
      '[artifact] unsupported dafei-forest version 2; this build reads version 1',
    );
    expect(() => loadArtifact(JSON.stringify({ ...good, format: 'sklearn-pickle' }))).toThrow(
      /unknown format "sklearn-pickle"/,
    );
    expect(() => loadArtifact('{not json')).toThrow(/not valid JSON/);
    const trees = good['trees'] as Record<string, unknown>;
    expect(() => loadArtifact(JSON.stringify({ ...good, trees: { ...trees, nodes: 5 } }))).toThrow(
      /expected 5/,
    );
    try {
      loadArtifact(wrongVersion);
    } catch (e) {
      expect((e as ModelError).code).toBe('artifact_invalid');
    }
  });
});
