/**
 * Type-checks the notebooks' code cells with the project's strict tsconfig (the Deno kernel
 * strips types without checking them). Each notebook's code cells are concatenated, in order, into
 * one module under notebooks/_cells/ (git-ignored), then `tsc -p notebooks/tsconfig.check.json`
 * runs over them and the helpers (the folder is kept only when tsc reports errors). Exit code = tsc's.
 *
 *   node --import tsx notebooks/lib/check-cells.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('..', import.meta.url));
const out = join(dir, '_cells');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

interface Notebook {
  cells: { cell_type: string; source: string | string[] }[];
}

for (const name of readdirSync(dir).filter((f) => /^\d.*\.ipynb$/.test(f))) {
  const nb = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Notebook;
  const code = nb.cells
    .filter((c) => c.cell_type === 'code')
    .map((c, i) => `// ── cell ${i + 1}\n${Array.isArray(c.source) ? c.source.join('') : c.source}`)
    .join('\n\n')
    // the generated file sits one folder deeper than the notebook
    .replace(/from '\.\.\//g, "from '../../")
    .replace(/from '\.\/lib\//g, "from '../lib/");
  writeFileSync(join(out, name.replace(/\.ipynb$/, '.ts')), `${code}\nexport {};\n`);
}

const tsc = join(dir, '..', 'node_modules', 'typescript', 'bin', 'tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.check.json'), '--noEmit'], {
  stdio: 'inherit',
});
// Keep the extracted files only when there are errors to look at.
if (r.status === 0) rmSync(out, { recursive: true, force: true });
process.exit(r.status ?? 1);
