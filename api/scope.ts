/**
 * The caller's area. Every account and token belongs to an office (null = the whole tree) and sees
 * that office's subtree, optionally narrowed by a `jurisdiction` filter below it. An enterprise
 * outside the area answers 404, as if it did not exist. Which office an enterprise belongs to is
 * pipeline/jurisdictions (one place, as of each day).
 */
import type { Context } from 'hono';
import { z } from 'zod';
import {
  ensureOffices,
  officesOf,
  placementOf,
  placementVisible,
  readTree,
  type JurisdictionTree,
  type Placement,
} from '../pipeline/jurisdictions/index.ts';
import { Network, Neighbour } from '../pipeline/queries/index.ts';
import { shanghaiDay } from '../pipeline/modeling/index.ts';
import { refreshAhead } from '../pipeline/refresh-ahead.ts';
import type { Actor } from '../pipeline/workflow/index.ts';
import type { Db } from '../pipeline/db/index.ts';
import type { AppEnv } from './context.ts';
import { ApiError } from './errors.ts';

export interface Scope {
  /** The office whose subtree is shown (the caller's, or the filter's); null = the whole tree. */
  code: string | null;
  /** Offices whose enterprises are shown; null = every enterprise. */
  offices: ReadonlySet<string> | null;
  tree: JurisdictionTree;
}

/** A register move shows in every answer within this time (enterprise_offices is checked). */
export const OFFICES_CHECK_MS = 1_000;

/**
 * The loaded tree, read once per app (a new file is loaded at start: `dafei serve`), and the
 * placement of enterprises kept current (pipeline/jurisdictions ensureOffices: an answer at most
 * OFFICES_CHECK_MS old, checked again in the background from ¾ of that age on).
 */
export interface JurisdictionKeeper {
  tree(): Promise<JurisdictionTree>;
  /** Makes sure enterprise_offices reflects the register and the tree. */
  offices(): Promise<void>;
  /** Read the tree again, check the offices again (tests; after loading a file). */
  invalidate(): void;
}

export function createJurisdictionKeeper(
  db: Db,
  log: (message: string, err?: unknown) => void = () => undefined,
): JurisdictionKeeper {
  let current: Promise<JurisdictionTree> | undefined;
  // checked again in the background from ¾ of that age on, so no request waits for the check
  const placed = refreshAhead(() => ensureOffices(db), {
    ttlMs: OFFICES_CHECK_MS,
    onError: (err) => log('checking where enterprises belong failed', err),
  });
  return {
    tree() {
      if (!current) {
        current = readTree(db);
        current.catch(() => (current = undefined));
      }
      return current;
    },
    offices: () => placed.get(),
    invalidate() {
      current = undefined;
      placed.invalidate();
    },
  };
}

/** The office an account's own area starts at; unknown offices see nothing (fail closed). */
function ownArea(tree: JurisdictionTree, code: string | null): Scope {
  if (code === null || (tree.root !== undefined && code === tree.root.code))
    return { code, offices: null, tree };
  return { code, offices: tree.subtree(code), tree };
}

/**
 * The caller's scope, narrowed to `filter` (a jurisdiction code) when given: 400 when the tree
 * has no such office, 403 when it lies outside the caller's area.
 */
export async function callerScope(c: Context<AppEnv>, filter?: string): Promise<Scope> {
  const p = c.get('principal');
  if (!p) throw new Error('callerScope needs an authenticated caller');
  const keeper = c.get('deps').jurisdictions;
  const tree = await keeper.tree();
  await keeper.offices();
  const own = ownArea(tree, p.jurisdiction);
  if (filter === undefined) return own;
  if (!tree.has(filter))
    throw new ApiError('bad_request', `jurisdiction ${filter} is not an office of the tree`);
  if (own.offices !== null && !own.offices.has(filter))
    throw new ApiError('forbidden', `jurisdiction ${filter} is outside your area`);
  return ownArea(tree, filter);
}

/** The Asia/Shanghai day of the app's clock: "today" for where an enterprise belongs now. */
export function today(c: Context<AppEnv>): string {
  return shanghaiDay(c.get('deps').now());
}

export function actorOf(c: Context<AppEnv>): Actor {
  const p = c.get('principal')!;
  return { name: p.name, role: p.role, office: p.jurisdiction };
}

/**
 * Answers 404 unless the caller may see enterprise `uscc`: it belongs to the caller's area today,
 * or on `day` when given (an alert of that day's list), or a pending referral asks the caller's
 * office to take it over.
 */
export async function requireVisible(
  c: Context<AppEnv>,
  uscc: string,
  o: { day?: string; notFound: string },
): Promise<{ scope: Scope; placement: Placement | undefined }> {
  const scope = await callerScope(c);
  const t = today(c);
  const placement = await placementOf(c.get('deps').db, uscc, o.day ?? t, t);
  assertVisible(scope, placement, { atDay: o.day !== undefined, notFound: o.notFound });
  return { scope, placement };
}

/**
 * requireVisible's rule, for a route that read the placement (as of today, or of an alert's day:
 * `atDay`) with its own data in one round trip: 404 unless a caller of `scope` may see it.
 */
export function assertVisible(
  scope: Scope,
  placement: Placement | undefined,
  o: { atDay: boolean; notFound: string },
): void {
  const visible =
    scope.offices === null ||
    (placement !== undefined && placementVisible(placement, scope.offices, { atDay: o.atDay }));
  if (!visible) throw new ApiError('not_found', o.notFound);
}

/** Offices as a sorted list for SQL (null = all). */
export function officeList(scope: Scope): string[] | null {
  return scope.offices === null ? null : [...scope.offices].sort();
}

/** A network neighbour outside the caller's area: that it exists and what kind of tie, nothing else. */
export const OtherJurisdiction = z
  .object({
    uscc: z.null(),
    name: z.null(),
    district: z.null(),
    other_jurisdiction: z.literal(true),
    jurisdiction: z.literal('另一辖区'),
    shared: z.strictObject({}).meta({ description: 'nothing: the shared values are not shown' }),
    kinds: Neighbour.shape.kinds,
    confirmed: z.boolean(),
    latest_level: z.null(),
  })
  .meta({ id: 'OtherJurisdiction' });
export type OtherJurisdiction = z.output<typeof OtherJurisdiction>;

/** A network as the caller may see it (what scopedNetwork returns). */
export const ScopedNetwork = Network.extend({
  neighbours: z.array(
    z.discriminatedUnion('other_jurisdiction', [
      Neighbour.extend({ other_jurisdiction: z.literal(false) }).meta({ id: 'NeighbourInArea' }),
      OtherJurisdiction,
    ]),
  ),
}).meta({ id: 'EntityNetwork' });
export type ScopedNetwork = z.output<typeof ScopedNetwork>;

/**
 * The network as the caller may see it: neighbours outside the caller's area (as of today) become
 * "another jurisdiction" — the kinds of tie and whether it is a confirmed case, no USCC, name,
 * district or shared value.
 */
export async function scopedNetwork(
  c: Context<AppEnv>,
  net: Network,
  scope: Scope,
): Promise<ScopedNetwork> {
  const offices =
    scope.offices === null
      ? undefined
      : await officesOf(
          c.get('deps').db,
          net.neighbours.map((n) => n.uscc),
          today(c),
        );
  return {
    ...net,
    neighbours: net.neighbours.map((n) => {
      const o = offices?.get(n.uscc);
      if (scope.offices === null || (o != null && scope.offices.has(o)))
        return { ...n, other_jurisdiction: false as const };
      return {
        uscc: null,
        name: null,
        district: null,
        other_jurisdiction: true,
        jurisdiction: '另一辖区',
        shared: {},
        kinds: n.kinds,
        confirmed: n.confirmed,
        latest_level: null,
      };
    }),
  };
}
