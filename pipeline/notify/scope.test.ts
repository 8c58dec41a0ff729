/**
 * Nothing outside a subscriber's area, with issue 14's office model (pipeline/jurisdictions: the
 * sample city's tree; accounts placed in offices by their token's jurisdiction; an enterprise's
 * office from its register as of the event's day): new 红/橙 alerts and watchlist hits reach only
 * the accounts whose subtree holds the enterprise on the day of the event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../auth/index.ts';
import { openMigratedDb, type Db } from '../db/index.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import { DEFAULT_JURISDICTION_FILE, loadJurisdictionFile } from '../jurisdictions/index.ts';
import { runDay } from '../run-day.ts';
import { complaint, E, feed, inbox, registration } from './_fixtures.ts';
import { subscribe } from './subscriptions.ts';
import { addEntry, createWatchlist } from './watchlists.ts';

const ALL_RED = {
  model: { red: 0, orange: 0, yellow: 0 },
  rules: { red: 0, orange: 0, yellow: 0 },
};

describe('notifications stay inside the subscriber’s jurisdiction', () => {
  let db: Db;
  beforeAll(async () => {
    db = await openMigratedDb(`${tmpDir()}/scope.duckdb`);
    await loadJurisdictionFile(db, DEFAULT_JURISDICTION_FILE);
    for (const [name, role, jurisdiction] of [
      ['city', 'regulator', '4404'],
      ['xiangzhou', 'regulator', '440402'],
      ['doumen', 'investigator', '440403'],
      ['top', 'admin', null],
    ] as const)
      await createToken(db, { name, role, ...(jurisdiction ? { jurisdiction } : {}) });
    await feed(db, 'registrations', [
      registration(E.xinsheng, '2026-03-01'), // 香洲区
      registration(E.meiwei, '2026-03-01'), // 香洲区
      registration(E.hengtai, '2026-03-01'), // 斗门区
    ]);
    for (const who of ['city', 'xiangzhou', 'doumen', 'top'])
      await subscribe(
        db,
        { name: who, role: who === 'doumen' ? 'investigator' : 'regulator', office: null },
        { kind: 'new_alerts' },
      );
    // 斗门's investigator watches a 香洲 enterprise: the list says so, the area says no
    const l = await createWatchlist(
      db,
      { name: 'doumen', role: 'investigator', office: '440403' },
      { name: '跨区' },
    );
    const dm = { name: 'doumen', role: 'investigator', office: '440403' };
    await addEntry(db, dm, l.watchlist_id, {
      kind: 'enterprise',
      value: E.xinsheng,
      reason: '测试',
    });
    await addEntry(db, dm, l.watchlist_id, {
      kind: 'enterprise',
      value: E.hengtai,
      reason: '测试',
    });
    await subscribe(db, dm, { kind: 'watch_hits' });
  });
  afterAll(() => db.close());

  it('new 红/橙 alerts: each district its own, the city all of them', async () => {
    await runDay(db, '2026-03-01', { thresholds: ALL_RED });
    const alerts = async (who: string) =>
      (await inbox(db, who))
        .filter((n) => n.kind === 'alert')
        .map((n) => n.event_key.split(':')[2])
        .sort();
    expect(await alerts('city')).toEqual([E.xinsheng, E.meiwei, E.hengtai].sort());
    expect(await alerts('top')).toEqual([E.xinsheng, E.meiwei, E.hengtai].sort()); // no office: the whole tree
    expect(await alerts('xiangzhou')).toEqual([E.xinsheng, E.meiwei].sort());
    expect(await alerts('doumen')).toEqual([E.hengtai]);
  });

  it('watchlist hits outside the area are dropped; an enterprise that moved counts where it was that day', async () => {
    await db.run(
      `DELETE FROM notify_screened WHERE source LIKE 'batch:%' OR source LIKE 'resolve:%'`,
    );
    // 恒泰 moves to 香洲区 on 3 March; complaints of 2 and 4 March
    await db.run(`UPDATE subscriptions SET removed_at = now() WHERE kind = 'new_alerts'`);
    await feed(db, 'registrations', [
      registration(E.hengtai, '2026-03-03', { district: '香洲区' }),
    ]);
    await feed(db, 'complaints', [
      complaint('C-1', '2026-03-02', E.xinsheng),
      complaint('C-2', '2026-03-02', E.hengtai),
      complaint('C-3', '2026-03-04', E.hengtai),
    ]);
    const got = (await inbox(db, 'doumen'))
      .filter((n) => n.kind === 'complaint')
      .map((n) => n.event_key);
    expect(got).toEqual(['complaint:C-2']); // not 鑫盛 (香洲), not 恒泰 after its move
  });
});
