import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * An NDJSON staging file written in 4 MB pieces: how the pipeline hands many rows to DuckDB
 * (`read_json`), which is far faster than inserting them one by one.
 */
export class StageFile {
  readonly path: string;
  readonly #fd: number;
  #parts: string[] = [];
  #size = 0;
  rows = 0;

  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, 'w');
  }

  add(line: string): void {
    this.#parts.push(line);
    this.#size += line.length;
    this.rows++;
    if (this.#size > 4_000_000) this.flush();
  }

  /** Adds `n` lines given as one newline-separated text. */
  addLines(lines: string, n: number): void {
    if (n === 0) return;
    this.add(lines);
    this.rows += n - 1;
  }

  flush(): void {
    if (this.#parts.length === 0) return;
    writeSync(this.#fd, this.#parts.join('\n') + '\n');
    this.#parts = [];
    this.#size = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.#fd);
  }
}
