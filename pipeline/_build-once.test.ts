/**
 * Fixtures built once under a lock: three processes asking at once build it exactly once, a lock
 * left by a dead process does not block, a failed build leaves neither the fixture nor the lock.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOnceSync, hashSources } from './_build-once.ts';

const dir = mkdtempSync(join(tmpdir(), 'dafei-build-once-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MODULE = fileURLToPath(new URL('./_build-once.ts', import.meta.url));

/**
 * A child process that marks itself started, then asks for the fixture; its builder waits until
 * all `n` children have started (so without the lock every one of them would build) and logs.
 */
const CHILD = `
import { appendFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
const { buildOnceSync } = await import(process.env.MODULE);
const [dir, n] = [process.env.DIR, Number(process.env.N)];
writeFileSync(join(dir, 'started-' + process.pid), '');
const target = buildOnceSync(join(dir, 'fixture'), (tmp) => {
  const deadline = Date.now() + 30000;
  while (readdirSync(dir).filter((f) => f.startsWith('started-')).length < n && Date.now() < deadline)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  appendFileSync(join(dir, 'builds.log'), process.pid + '\\n');
  writeFileSync(tmp, 'built by ' + process.pid);
});
process.stdout.write(existsSync(target) ? 'ok' : 'missing');
`;

describe('buildOnceSync', () => {
  it('builds once when three processes ask at the same time', async () => {
    const n = 3;
    const outs = await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<string>((resolve, reject) => {
            const p = spawn(
              process.execPath,
              ['--import', 'tsx', '--input-type=module', '-e', CHILD],
              { env: { ...process.env, MODULE, DIR: dir, N: String(n) } },
            );
            let out = '';
            p.stdout.on('data', (b: Buffer) => (out += b.toString()));
            p.stderr.on('data', (b: Buffer) => process.stderr.write(b));
            p.on('error', reject);
            p.on('close', () => resolve(out));
          }),
      ),
    );
    expect(outs).toEqual(['ok', 'ok', 'ok']);
    const builders = readFileSync(join(dir, 'builds.log'), 'utf8').trim().split('\n');
    expect(builders).toHaveLength(1);
    expect(readFileSync(join(dir, 'fixture'), 'utf8')).toBe(`built by ${builders[0]}`);
    expect(readdirSync(dir).filter((f) => f.includes('.lock') || f.includes('.tmp-'))).toEqual([]);
  }, 60_000);

  it('takes over a lock left by a process that died', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'])
      .stdout.toString()
      .trim();
    const target = join(dir, 'stale');
    writeFileSync(`${target}.lock`, dead);
    buildOnceSync(target, (tmp) => writeFileSync(tmp, 'x'));
    expect(readFileSync(target, 'utf8')).toBe('x');
    expect(existsSync(`${target}.lock`)).toBe(false);
  });

  it('leaves neither the fixture nor the lock when the build fails', () => {
    const target = join(dir, 'failing');
    expect(() =>
      buildOnceSync(target, (tmp) => {
        writeFileSync(tmp, 'half');
        throw new Error('builder broke');
      }),
    ).toThrow('builder broke');
    expect(readdirSync(dir).filter((f) => f.startsWith('failing'))).toEqual([]);
  });
});

describe('hashSources', () => {
  it('changes when a file reachable by import changes, not when an unrelated one does', () => {
    const src = mkdtempSync(join(dir, 'src-'));
    writeFileSync(join(src, 'a.ts'), `import { b } from './b.ts';\nexport const a = b;\n`);
    writeFileSync(join(src, 'b.ts'), `export const b = 1;\n`);
    writeFileSync(join(src, 'c.ts'), `export const c = 1;\n`);
    const h0 = hashSources([join(src, 'a.ts')]);
    writeFileSync(join(src, 'c.ts'), `export const c = 2;\n`);
    expect(hashSources([join(src, 'a.ts')])).toBe(h0);
    writeFileSync(join(src, 'b.ts'), `export const b = 2;\n`);
    expect(hashSources([join(src, 'a.ts')])).not.toBe(h0);
  });
});
