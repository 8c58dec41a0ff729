/** The config file: the committed example parses; credentials come from the environment. */
import { availableParallelism, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { duckdbSettings, FileConfigSchema, ingestPolicy, loadConfig } from './config.ts';

describe('config', () => {
  it('reads the example, with source headers from the environment', () => {
    const c = loadConfig({ DAFEI_ADS_TOKEN: 's3cret' }, 'dafei.config.example.json');
    expect(c.sources.find((s) => s.name === 'ad-monitor')!.headers).toEqual({
      Authorization: 'Bearer s3cret',
    });
    expect(duckdbSettings(c)).toEqual({ memoryLimit: '8GB', threads: 2 });
    expect(ingestPolicy(c, '/var/lib/dafei/dafei.duckdb')).toEqual({
      limits: {
        maxLineBytes: 1048576,
        maxGzipBytes: 21474836480,
        httpMaxBytes: 2147483648,
        httpTimeoutMs: 300_000,
      },
      hold: { fraction: 0.2, minLines: 20 },
      filesDir: '/var/lib/dafei/dafei.duckdb.files',
    });
  });

  it('names a missing environment variable instead of sending an empty credential', () => {
    expect(() => loadConfig({}, 'dafei.config.example.json')).toThrow(
      'invalid configuration: source ad-monitor: header Authorization needs the environment variable DAFEI_ADS_TOKEN',
    );
  });

  it('defaults DuckDB to half of this machine’s memory and all its cores', () => {
    expect(duckdbSettings(FileConfigSchema.parse({}))).toEqual({
      memoryLimit: `${Math.floor(totalmem() / 2 / 2 ** 20)}MB`,
      threads: availableParallelism(),
    });
  });
});
