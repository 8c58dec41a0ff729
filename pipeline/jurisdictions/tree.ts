/**
 * The tree of offices (jurisdictions): GB/T 2260 divisions — province `44`, city `4404`, district
 * `440402` — and functional zones, each with a parent. An account of an office sees the office's
 * subtree. This module is pure: the file format, its validation, and questions about the tree.
 */
import { z } from 'zod';
import { AppError } from '../errors.ts';

export const JURISDICTION_KINDS = ['province', 'city', 'district', 'zone'] as const;
export type JurisdictionKind = (typeof JURISDICTION_KINDS)[number];

export interface JurisdictionNode {
  code: string;
  name: string;
  parent: string | null;
  kind: JurisdictionKind;
  aliases: readonly string[];
  depth: number;
}

export interface Agency {
  id: string;
  name: string;
}

const Code = z.string().regex(/^\d{2,12}$/, 'a division code of 2–12 digits');
const Name = z.string().trim().min(1).max(50);

/** The deployment's file (see data-samples/jurisdictions.json). */
export const JurisdictionFileSchema = z
  .object({
    version: z.literal(1),
    name: z.string().max(100).optional(),
    note: z.string().max(2000).optional(),
    nodes: z
      .array(
        z
          .object({
            code: Code,
            name: Name,
            kind: z.enum(JURISDICTION_KINDS),
            parent: Code.optional(),
            aliases: z.array(Name).max(20).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(10_000),
    agencies: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits, -'),
            name: Name,
          })
          .strict(),
      )
      .max(50)
      .default([]),
  })
  .strict();

export type JurisdictionFile = z.infer<typeof JurisdictionFileSchema>;

/** An immutable, validated tree with the questions scoping asks of it. */
export class JurisdictionTree {
  readonly nodes: readonly JurisdictionNode[];
  readonly agencies: readonly Agency[];
  readonly root: JurisdictionNode | undefined;
  readonly #byCode: Map<string, JurisdictionNode>;
  readonly #children: Map<string, JurisdictionNode[]>;
  readonly #subtrees = new Map<string, ReadonlySet<string>>();

  constructor(nodes: readonly JurisdictionNode[], agencies: readonly Agency[] = []) {
    this.nodes = nodes;
    this.agencies = agencies;
    this.#byCode = new Map(nodes.map((n) => [n.code, n]));
    this.#children = new Map();
    for (const n of nodes) {
      if (n.parent === null) continue;
      const list = this.#children.get(n.parent) ?? [];
      list.push(n);
      this.#children.set(n.parent, list);
    }
    this.root = nodes.find((n) => n.parent === null);
  }

  /** A tree with no offices: every account sees everything (a database without a loaded file). */
  static empty(): JurisdictionTree {
    return new JurisdictionTree([]);
  }

  get isEmpty(): boolean {
    return this.nodes.length === 0;
  }

  get(code: string): JurisdictionNode | undefined {
    return this.#byCode.get(code);
  }

  has(code: string): boolean {
    return this.#byCode.has(code);
  }

  children(code: string): readonly JurisdictionNode[] {
    return this.#children.get(code) ?? [];
  }

  /** The codes of `code` and everything below it (empty when `code` is unknown). */
  subtree(code: string): ReadonlySet<string> {
    let s = this.#subtrees.get(code);
    if (s) return s;
    const out = new Set<string>();
    if (this.#byCode.has(code)) {
      const stack = [code];
      while (stack.length > 0) {
        const c = stack.pop()!;
        out.add(c);
        for (const k of this.children(c)) stack.push(k.code);
      }
    }
    s = out;
    this.#subtrees.set(code, s);
    return s;
  }

  /** Every office, depth first (each office before those below it), siblings by code. */
  ordered(): JurisdictionNode[] {
    const out: JurisdictionNode[] = [];
    const visit = (n: JurisdictionNode) => {
      out.push(n);
      for (const k of [...this.children(n.code)].sort((a, b) => a.code.localeCompare(b.code)))
        visit(k);
    };
    if (this.root) visit(this.root);
    return out;
  }

  /** Whether `code` is `ancestor` or below it. */
  contains(ancestor: string, code: string): boolean {
    for (let n = this.get(code); n; n = n.parent === null ? undefined : this.get(n.parent))
      if (n.code === ancestor) return true;
    return false;
  }

  /** `code` and its ancestors, nearest first. */
  path(code: string): JurisdictionNode[] {
    const out: JurisdictionNode[] = [];
    for (let n = this.get(code); n; n = n.parent === null ? undefined : this.get(n.parent))
      out.push(n);
    return out;
  }

  /** Full name, root first: 广东省 / 珠海市 / 香洲区. */
  label(code: string | null): string {
    if (code === null) return '全部辖区';
    const p = this.path(code);
    return p.length === 0
      ? code
      : p
          .reverse()
          .map((n) => n.name)
          .join(' / ');
  }

  agency(id: string): Agency | undefined {
    return this.agencies.find((a) => a.id === id);
  }
}

/** Validates a parsed file: unique codes, one root, known parents, no cycles, unique names. */
export function treeFromFile(file: unknown, source = 'jurisdiction file'): JurisdictionTree {
  const parsed = JurisdictionFileSchema.safeParse(file);
  if (!parsed.success) {
    throw new AppError(
      'config_invalid',
      `${source}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`,
    );
  }
  const f = parsed.data;
  const problems: string[] = [];
  const byCode = new Map<string, (typeof f.nodes)[number]>();
  for (const n of f.nodes) {
    if (byCode.has(n.code)) problems.push(`code ${n.code} appears twice`);
    byCode.set(n.code, n);
  }
  const roots = f.nodes.filter((n) => n.parent === undefined);
  if (roots.length !== 1)
    problems.push(
      `the tree needs exactly one root (a node without parent), found ${roots.length}: ${roots.map((r) => r.code).join(', ')}`,
    );
  for (const n of f.nodes)
    if (n.parent !== undefined && !byCode.has(n.parent))
      problems.push(`${n.code} ${n.name}: parent ${n.parent} is not in the file`);
  const depth = new Map<string, number>();
  const depthOf = (code: string, seen: Set<string>): number => {
    const known = depth.get(code);
    if (known !== undefined) return known;
    const n = byCode.get(code);
    if (!n || n.parent === undefined) return 0;
    if (seen.has(code)) {
      problems.push(`${code}: the parents form a cycle`);
      return 0;
    }
    seen.add(code);
    const d = depthOf(n.parent, seen) + 1;
    depth.set(code, d);
    return d;
  };
  for (const n of f.nodes) depthOf(n.code, new Set());
  // a name or alias may name one office only within the same parent; across cities (鼓楼区) the
  // USCC's division code decides (pipeline/jurisdictions/offices.ts)
  const names = new Map<string, string>();
  for (const n of f.nodes)
    for (const nm of [n.name, ...(n.aliases ?? [])]) {
      const key = `${n.parent ?? ''}\u001f${nm}`;
      const other = names.get(key);
      if (other !== undefined && other !== n.code)
        problems.push(`the name ${nm} is given to both ${other} and ${n.code} under one parent`);
      names.set(key, n.code);
    }
  const ids = new Set<string>();
  for (const a of f.agencies) {
    if (ids.has(a.id)) problems.push(`agency ${a.id} appears twice`);
    if (byCode.has(a.id)) problems.push(`agency id ${a.id} is also an office code`);
    ids.add(a.id);
  }
  if (problems.length > 0)
    throw new AppError('config_invalid', `${source}: ${problems.join('; ')}`);
  return new JurisdictionTree(
    f.nodes.map((n) => ({
      code: n.code,
      name: n.name,
      parent: n.parent ?? null,
      kind: n.kind,
      aliases: n.aliases ?? [],
      depth: depth.get(n.code) ?? 0,
    })),
    f.agencies,
  );
}
