/**
 * A narrow, hand-written type shim for `natural@8` (its shipped typings pull in a .ts file that
 * fails our compiler flags). tsconfig maps the module name `natural` here. Only what
 * pipeline/features/text.ts uses, and what was measured for it, is declared; extend as needed.
 * Runtime note: natural runs `require('dotenv').config()` on import — set
 * DOTENV_CONFIG_QUIET=true first (text.ts does).
 */

export interface NGramsApi {
  /** n-grams of a token list (or of a string, split by natural's English word tokenizer). */
  ngrams(
    sequence: string | readonly string[],
    n: number,
    startSymbol?: string | null,
    endSymbol?: string | null,
  ): string[][];
  bigrams(
    sequence: string | readonly string[],
    startSymbol?: string | null,
    endSymbol?: string | null,
  ): string[][];
  trigrams(
    sequence: string | readonly string[],
    startSymbol?: string | null,
    endSymbol?: string | null,
  ): string[][];
}

/** Word n-grams. */
export declare const NGrams: NGramsApi;
/** Character n-grams for Chinese (strings are split into characters). */
export declare const NGramsZH: NGramsApi;

/** natural's TF-IDF. idf() scans every document: O(documents) per new term. */
export declare class TfIdf {
  constructor();
  addDocument(
    document: string | readonly string[],
    key?: string | number,
    restoreCache?: boolean,
  ): void;
  idf(term: string, force?: boolean): number;
  tfidf(terms: string | readonly string[], documentIndex: number): number;
}

/** Naive Bayes over presence features of the whole vocabulary (apparatus). */
export declare class BayesClassifier {
  constructor(stemmer?: unknown, smoothing?: number);
  addDocument(text: string | readonly string[], classification: string): void;
  train(): void;
  classify(observation: string | readonly string[]): string;
  getClassifications(observation: string | readonly string[]): { label: string; value: number }[];
}
