/**
 * The mapping templates shipped in templates/: one per common layout (12345 hotline XLSX, market
 * register extract, ad-monitoring CSV). A config source or the upload page names one by its file
 * name without `.json`; a path to any mapping file works too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { MappingError, parseMapping } from './compile.ts';
import { z } from 'zod';
import type { Mapping } from './schema.ts';

export const TEMPLATES_DIR = fileURLToPath(new URL('./templates/', import.meta.url));

export const TemplateInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    feed: z.string(),
    description: z.string(),
    format: z.enum(['csv', 'xlsx']).optional(),
  })
  .meta({ id: 'MappingTemplate' });
export type TemplateInfo = z.output<typeof TemplateInfo>;

export function listTemplates(): TemplateInfo[] {
  return readdirSync(TEMPLATES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const m = loadTemplate(f.slice(0, -5));
      return {
        id: f.slice(0, -5),
        name: m.name,
        feed: m.feed,
        description: m.description ?? '',
        format: m.source.format,
      };
    });
}

export function isTemplateId(s: string): boolean {
  return /^[a-z0-9][a-z0-9-]*$/.test(s) && existsSync(join(TEMPLATES_DIR, `${s}.json`));
}

export function loadTemplate(id: string): Mapping {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(id) || !existsSync(join(TEMPLATES_DIR, `${id}.json`))) {
    const known = readdirSync(TEMPLATES_DIR)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5));
    throw new MappingError(`no mapping template '${id}' (templates: ${known.join(', ')})`);
  }
  return parseMapping(readFileSync(join(TEMPLATES_DIR, `${id}.json`), 'utf8'), `template ${id}`);
}

/** A template id, or a path to a mapping file. */
export function loadMapping(ref: string): Mapping {
  if (isTemplateId(ref)) return loadTemplate(ref);
  let text: string;
  try {
    text = readFileSync(ref, 'utf8');
  } catch (err) {
    throw new MappingError(
      `cannot read mapping ${ref}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (nor a template of that name)' : (err as Error).message}`,
      { cause: err },
    );
  }
  return parseMapping(text, ref);
}
