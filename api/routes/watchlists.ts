/** Watchlists (重点关注名单): /v1/watchlists … (api/README.md, "Watchlists and notifications") */
import { z } from 'zod';
import {
  addEntry,
  archiveWatchlist,
  checkEntryValue,
  createWatchlist,
  ENTRY_KINDS,
  getWatchlist,
  listEntries,
  listWatchlists,
  removeEntry,
  WatchEntry,
  Watchlist,
  WATCHLIST_ROLES,
} from '../../pipeline/notify/index.ts';
import { shanghaiDay } from '../../pipeline/modeling/index.ts';
import { audit } from '../audit.ts';
import type { Router } from '../route.ts';
import { actorOf, requireVisible } from '../scope.ts';
import { Day, Uscc } from '../schemas.ts';

const Id = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const WatchlistList = z.object({ items: z.array(Watchlist) }).meta({ id: 'WatchlistList' });
const WatchlistDetail = z
  .object({ watchlist: Watchlist, entries: z.array(WatchEntry) })
  .meta({ id: 'WatchlistDetail' });
/** The id of what a POST …/remove ended. */
export const Removed = z.object({ removed: z.number().int() }).meta({ id: 'Removed' });

export function watchlistRoutes(r: Router): void {
  r.add(
    {
      method: 'get',
      path: '/v1/watchlists',
      operationId: 'listWatchlists',
      summary: 'List my watchlists and my office’s',
      tag: 'watchlists',
      roles: WATCHLIST_ROLES,
      query: z.strictObject({ archived: z.enum(['true', 'false']).default('false') }),
      responses: { 200: { description: 'lists', schema: WatchlistList } },
    },
    async (c, { query }) => {
      const { db, now } = c.get('deps');
      const items = await listWatchlists(db, actorOf(c), {
        archived: query.archived === 'true',
        today: shanghaiDay(now()),
      });
      return c.json({ items });
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/watchlists',
      operationId: 'createWatchlist',
      summary: 'Create a watchlist',
      description: 'Personal, or `shared` by the caller’s office (its jurisdiction).',
      tag: 'watchlists',
      roles: WATCHLIST_ROLES,
      body: z
        .strictObject({ name: z.string().min(1).max(60), shared: z.boolean().optional() })
        .meta({ id: 'WatchlistInput' }),
      responses: { 201: { description: 'created', schema: Watchlist } },
    },
    async (c, { body }) => {
      const w = await createWatchlist(c.get('deps').db, actorOf(c), {
        name: body.name,
        ...(body.shared === undefined ? {} : { shared: body.shared }),
        now: c.get('deps').now(),
      });
      await audit(c, 'watchlist.create', `watchlist:${w.watchlist_id}`, {
        status: 201,
        shared: w.shared,
      });
      return c.json(w, 201);
    },
  );

  r.add(
    {
      method: 'get',
      path: '/v1/watchlists/:watchlist',
      operationId: 'getWatchlist',
      summary: 'A watchlist with its entries',
      description: 'Active entries; `all=true` adds removed and expired ones.',
      tag: 'watchlists',
      roles: WATCHLIST_ROLES,
      params: z.strictObject({ watchlist: Id }),
      query: z.strictObject({ all: z.enum(['true', 'false']).default('false') }),
      responses: {
        200: { description: 'the list', schema: WatchlistDetail },
      },
    },
    async (c, { params, query }) => {
      const { db, now } = c.get('deps');
      const actor = actorOf(c);
      const today = shanghaiDay(now());
      const watchlist = await getWatchlist(db, actor, params.watchlist, today);
      const entries = await listEntries(db, actor, params.watchlist, {
        all: query.all === 'true',
        today,
      });
      await audit(c, 'watchlist.read', `watchlist:${params.watchlist}`, {
        entries: entries.length,
      });
      return c.json({ watchlist, entries });
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/watchlists/:watchlist/archive',
      operationId: 'archiveWatchlist',
      summary: 'Archive a watchlist (it stops matching)',
      tag: 'watchlists',
      roles: WATCHLIST_ROLES,
      params: z.strictObject({ watchlist: Id }),
      responses: { 200: { description: 'archived', schema: Watchlist } },
    },
    async (c, { params }) => {
      const w = await archiveWatchlist(
        c.get('deps').db,
        actorOf(c),
        params.watchlist,
        c.get('deps').now(),
      );
      await audit(c, 'watchlist.archive', `watchlist:${params.watchlist}`, { status: 200 });
      return c.json(w);
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/watchlists/:watchlist/entries',
      operationId: 'addWatchEntry',
      summary: 'Watch an enterprise, person, phone, address, domain or keyword',
      description:
        'A person is a legal representative’s name; `companies` (USCCs of the companies they represent) disambiguate it: then only enterprises tied to one of them (same phone, address, website or shareholder) match. `expires_on` defaults to 180 days, at most 730.',
      tag: 'watchlists',
      roles: WATCHLIST_ROLES,
      params: z.strictObject({ watchlist: Id }),
      body: z
        .strictObject({
          kind: z.enum(ENTRY_KINDS),
          value: z.string().min(1).max(200),
          companies: z.array(Uscc).max(20).optional(),
          reason: z.string().min(2).max(500),
          expires_on: Day.optional(),
        })
        .meta({ id: 'WatchEntryInput' }),
      responses: { 201: { description: 'added', schema: WatchEntry } },
    },
    async (c, { params, body }) => {
      // an enterprise outside the caller's area does not exist for it (404), as everywhere
      const checked = checkEntryValue(body.kind, body.value, body.companies);
      const named = [
        ...(checked.kind === 'enterprise' ? [checked.value] : []),
        ...(checked.companies ?? []),
      ];
      for (const u of named) await requireVisible(c, u, { notFound: `no enterprise ${u}` });
      const e = await addEntry(c.get('deps').db, actorOf(c), params.watchlist, {
        kind: body.kind,
        value: body.value,
        companies: body.companies,
        reason: body.reason,
        expiresOn: body.expires_on,
        now: c.get('deps').now(),
      });
      // the value may be a person's name or phone: the audit says what kind, and which entry
      await audit(c, 'watchlist.entry_add', `watchlist:${params.watchlist}`, {
        status: 201,
        entry_id: e.entry_id,
        kind: e.kind,
      });
      return c.json(e, 201);
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/watchlists/:watchlist/entries/:entry/remove',
      operationId: 'removeWatchEntry',
      summary: 'Stop watching an entry',
      tag: 'watchlists',
      roles: WATCHLIST_ROLES,
      params: z.strictObject({ watchlist: Id, entry: Id }),
      responses: { 200: { description: 'removed', schema: Removed } },
    },
    async (c, { params }) => {
      await removeEntry(
        c.get('deps').db,
        actorOf(c),
        params.watchlist,
        params.entry,
        c.get('deps').now(),
      );
      await audit(c, 'watchlist.entry_remove', `watchlist:${params.watchlist}`, {
        status: 200,
        entry_id: params.entry,
      });
      return c.json({ removed: params.entry });
    },
  );
}
