/**
 * Test fixtures built once and shared by test files running in parallel processes: the builder
 * writes into a private temporary folder under a lock, and the result appears at its final path
 * by an atomic rename, so a reader sees either nothing or the whole fixture. Keys name what the
 * fixture was built from (e.g. a hash of the sources that make it, `hashSources`), so a changed
 * builder never serves a stale copy. Not a runtime module: tests and dev scripts only.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How long a builder may hold the lock before waiters give up (a 20,000-enterprise build). */
const LOCK_TIMEOUT_MS = 15 * 60_000;
const POLL_MS = 100;
const ROOT = fileURLToPath(new URL('../', import.meta.url));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `${target}.lock` (exclusive create); false if another live process holds it. */
function tryLock(lock: string): boolean {
  try {
    const fd = openSync(lock, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // a lock left by a killed process is stale: remove it and let the next try take it
    let holder: number;
    try {
      holder = Number(readFileSync(lock, 'utf8'));
    } catch {
      return false; // released meanwhile
    }
    if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) rmSync(lock, { force: true });
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function tmpFor(target: string): string {
  return `${target}.tmp-${process.pid}-${Date.now()}`;
}

function publish(tmp: string, target: string): void {
  rmSync(target, { recursive: true, force: true });
  renameSync(tmp, target);
}

function timeoutError(target: string): Error {
  return new Error(
    `[fixture] gave up waiting for ${target}.lock after ${LOCK_TIMEOUT_MS / 60_000} min`,
  );
}

/**
 * `target` built by `build(tmp)` (which writes a file or folder at `tmp`) unless it exists. One
 * process builds; the others wait for the lock and then find it built.
 */
export function buildOnceSync(target: string, build: (tmp: string) => void): string {
  if (existsSync(target)) return target;
  const lock = `${target}.lock`;
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  while (!tryLock(lock)) {
    if (Date.now() > deadline) throw timeoutError(target);
    sleepSync(POLL_MS);
  }
  try {
    if (!existsSync(target)) {
      const tmp = tmpFor(target);
      try {
        build(tmp);
        publish(tmp, target);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(lock, { force: true });
  }
  return target;
}

/** The asynchronous form of `buildOnceSync`, for builders that await (a database). */
export async function buildOnce(
  target: string,
  build: (tmp: string) => Promise<void>,
): Promise<string> {
  if (existsSync(target)) return target;
  const lock = `${target}.lock`;
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  while (!tryLock(lock)) {
    if (Date.now() > deadline) throw timeoutError(target);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  try {
    if (!existsSync(target)) {
      const tmp = tmpFor(target);
      try {
        await build(tmp);
        publish(tmp, target);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  } finally {
    rmSync(lock, { force: true });
  }
  return target;
}

const IMPORT_RE = /(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g;

/**
 * A short hash of the source files reachable by relative imports from `entries` (tests
 * excluded), plus any `extra` files or folders: the key of a fixture those sources build.
 */
export function hashSources(entries: readonly string[], extra: readonly string[] = []): string {
  const seen = new Set<string>();
  const todo = entries.map((e) => resolve(e));
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f) || !existsSync(f)) continue;
    seen.add(f);
    for (const m of readFileSync(f, 'utf8').matchAll(IMPORT_RE)) {
      const dep = resolve(dirname(f), m[1]!);
      if (/\.tsx?$/.test(dep) && !/\.test\.tsx?$/.test(dep)) todo.push(dep);
    }
  }
  const files = [...seen];
  for (const x of extra) {
    const p = resolve(x);
    if (!existsSync(p)) continue;
    if (statSync(p).isDirectory())
      for (const n of readdirSync(p).sort()) {
        if (statSync(join(p, n)).isFile()) files.push(join(p, n));
      }
    else files.push(p);
  }
  const h = createHash('sha256');
  for (const f of files.sort()) h.update(relative(ROOT, f)).update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}
