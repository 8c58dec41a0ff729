/**
 * The notification jobs inside the scheduler: `notify` screens what the API wrote (a disposition
 * on a watched enterprise) and pushes; `digest` queues the day's e-mail (in the run ledger).
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { openMigratedDb } from '../db/index.ts';
import { tmpDir } from '../feeds/_fixtures.ts';
import { recordDisposition } from '../queries/dispositions.ts';
import { createScheduler } from '../scheduler.ts';
import { accounts, E, feed, inbox, registration } from './_fixtures.ts';
import { notifyJobs } from './jobs.ts';
import { setContact, subscribe } from './subscriptions.ts';
import { addEntry, createWatchlist } from './watchlists.ts';

describe('notification jobs in the scheduler', () => {
  it('screens a disposition recorded through the API and queues the digest', async () => {
    const db = await openMigratedDb(`${tmpDir()}/jobs.duckdb`);
    try {
      await accounts(db, { 'inv-a': 'investigator', 'reg-b': 'regulator' });
      await feed(db, 'registrations', [registration(E.xinsheng, '2026-03-01')]);
      const me = { name: 'inv-a', role: 'investigator', office: null };
      const l = await createWatchlist(db, me, { name: '案' });
      await addEntry(db, me, l.watchlist_id, {
        kind: 'enterprise',
        value: E.xinsheng,
        reason: '关注',
      });
      await setContact(db, 'inv-a', 'inv-a@example.gov.cn');
      await subscribe(db, me, { kind: 'watch_hits', email: true });
      // what the API does when a regulator records a disposition: nothing screens it at once
      await recordDisposition(db, {
        day: '2026-03-01',
        uscc: E.xinsheng,
        status: '核查中',
        actor: 'reg-b',
        role: 'regulator',
      });
      const s = createScheduler({
        db,
        config: loadConfig({}),
        extraJobs: notifyJobs(db, loadConfig({})),
        schedule: () => ({ stop() {} }),
        log: () => {},
      });
      expect(s.jobs).toEqual(expect.arrayContaining(['notify', 'digest']));
      await (
        await s.trigger('notify')
      ).done;
      expect((await inbox(db, 'inv-a')).map((n) => n.title)).toEqual([
        '珠海鑫盛财富管理有限公司：处置 核查中',
      ]);
      await (
        await s.trigger('digest')
      ).done;
      const d = await db.all<{ channel: string; status: string; last_error: string | null }>(
        `SELECT channel, status, last_error FROM deliveries`,
      );
      // no SMTP server configured: the digest waits for a retry, and says why
      expect(d).toEqual([
        {
          channel: 'email',
          status: 'pending',
          last_error: 'no SMTP server is configured (notifications.smtp)',
        },
      ]);
      const ledger = await db.all<{ job: string; status: string }>(
        `SELECT job, status FROM job_runs WHERE job IN ('notify', 'digest') ORDER BY run_id`,
      );
      // the minutely notify job is in the ledger only when it fails
      expect(ledger).toEqual([{ job: 'digest', status: 'ok' }]);
      await s.stop();
    } finally {
      db.close();
    }
  });
});
