import type { Classifier } from './classifier.ts';
import { ModelError } from './errors.ts';
import { HistogramForest } from './forest.ts';
import type { ResolvedForestOptions } from './forest.ts';
import { ReferenceForest } from './reference-forest.ts';
import type { ReferenceForestOptions } from './reference-forest.ts';
import type { EncodedArray } from './typed-codec.ts';

/**
 * Model artefacts: versioned, self-describing JSON. Typed arrays are stored as little-endian
 * base64 (`EncodedArray`), so a 100-tree forest is a few MB and loads in milliseconds.
 * The bytes depend only on the model (no timestamps): the same seed gives the same artefact.
 * Put provenance (training window, data fingerprint, metrics) in `metadata`.
 */
export const ARTIFACT_VERSION = 1;

export interface HistogramForestArtifact {
  format: 'dafei-forest';
  version: 1;
  columns: string[];
  params: Omit<ResolvedForestOptions, 'oobScore' | 'maxDepth'> & { maxDepth: number | null };
  trees: {
    nTrees: number;
    nodes: number;
    offsets: EncodedArray;
    feature: EncodedArray;
    threshold: EncodedArray;
    child: EncodedArray;
    value: EncodedArray;
    weight: EncodedArray;
  };
  metadata?: Record<string, unknown>;
}

export interface ReferenceForestArtifact {
  format: 'dafei-reference-forest';
  version: 1;
  columns: string[];
  params: ReferenceForestOptions;
  /** `RandomForestClassifier#toJSON()` from ml-random-forest. */
  model: unknown;
  /** Per tree, node values (share of training rows voted 1) in pre-order (node, left, right). */
  nodeValues: number[][];
  metadata?: Record<string, unknown>;
}

export type ModelArtifact = HistogramForestArtifact | ReferenceForestArtifact;

const FORMATS: readonly ModelArtifact['format'][] = ['dafei-forest', 'dafei-reference-forest'];

/** Serialise an artefact (or a fitted classifier) to a JSON string. */
export function saveArtifact(
  model: ModelArtifact | Classifier,
  metadata?: Record<string, unknown>,
): string {
  const a = 'toArtifact' in model ? model.toArtifact() : model;
  return JSON.stringify(metadata ? { ...a, metadata } : a);
}

/** Same as saveArtifact, as UTF-8 bytes. */
export function saveArtifactBuffer(
  model: ModelArtifact | Classifier,
  metadata?: Record<string, unknown>,
): Buffer {
  return Buffer.from(saveArtifact(model, metadata), 'utf8');
}

/** Parse and validate the envelope (format, version, columns) without building a model. */
export function parseArtifact(input: string | Uint8Array): ModelArtifact {
  const text =
    typeof input === 'string'
      ? input
      : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ModelError('artifact_invalid', '[artifact] not valid JSON', { cause });
  }
  return validateArtifact(raw);
}

/** Validate an already-parsed artefact object's envelope. */
export function validateArtifact(raw: unknown): ModelArtifact {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ModelError('artifact_invalid', '[artifact] expected a JSON object');
  }
  const o = raw as Record<string, unknown>;
  const format = o['format'];
  if (typeof format !== 'string' || !FORMATS.includes(format as ModelArtifact['format'])) {
    throw new ModelError(
      'artifact_invalid',
      `[artifact] unknown format ${JSON.stringify(format)}; expected one of ${FORMATS.join(', ')}`,
    );
  }
  const version = o['version'];
  if (version !== ARTIFACT_VERSION) {
    throw new ModelError(
      'artifact_invalid',
      `[artifact] unsupported ${format} version ${JSON.stringify(version)}; this build reads version ${ARTIFACT_VERSION}`,
    );
  }
  const columns = o['columns'];
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string')) {
    throw new ModelError('artifact_invalid', '[artifact] columns must be an array of strings');
  }
  if (format === 'dafei-forest') {
    const trees = o['trees'] as Record<string, unknown> | undefined;
    if (
      typeof trees !== 'object' ||
      trees === null ||
      typeof trees['nTrees'] !== 'number' ||
      typeof trees['nodes'] !== 'number'
    ) {
      throw new ModelError('artifact_invalid', '[artifact] dafei-forest without trees');
    }
    if (typeof o['params'] !== 'object' || o['params'] === null) {
      throw new ModelError('artifact_invalid', '[artifact] dafei-forest without params');
    }
  } else if (!Array.isArray(o['nodeValues']) || typeof o['model'] !== 'object') {
    throw new ModelError(
      'artifact_invalid',
      '[artifact] dafei-reference-forest without model or nodeValues',
    );
  }
  return raw as ModelArtifact;
}

/** Build a classifier from an artefact (string, Buffer or already-parsed object). */
export function loadArtifact(input: string | Uint8Array | ModelArtifact): Classifier {
  const a =
    typeof input === 'string' || input instanceof Uint8Array
      ? parseArtifact(input)
      : validateArtifact(input);
  return a.format === 'dafei-forest'
    ? HistogramForest.fromArtifact(a)
    : ReferenceForest.fromArtifact(a);
}
