/**
 * A small scene for the inbox and watchlist pages (browser test and screenshots): the API's
 * synthetic city (80 enterprises), plus a few enterprises, complaints, ads and a new company fed
 * through the real ingest; an investigator with a watchlist of every kind of entry and
 * subscriptions; the notifications the re-screening made of it. Served on 127.0.0.1.
 */
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { createUser } from '../../pipeline/auth/index.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { openMigratedDb, type Db } from '../../pipeline/db/index.ts';
import {
  addEntry,
  createWatchlist,
  markRead,
  subscribe,
  type Actor,
} from '../../pipeline/notify/index.ts';
import {
  ad,
  complaint,
  E,
  feed,
  registration,
  XINSHENG_PHONE,
} from '../../pipeline/notify/_fixtures.ts';
import { seedCity } from '../_fixtures.ts';
import { createApp } from '../app.ts';
import { mountDashboard } from './index.ts';
import { isMounted } from './mount-check.ts';

export const SCENE_PASSWORD = 'scene-password-2026';
export const SCENE_USER = 'li.na';

export interface NotifyScene {
  base: string;
  db: Db;
  close(): Promise<void>;
}

export async function startNotifyScene(dir: string): Promise<NotifyScene> {
  const db = await openMigratedDb(join(dir, 'scene.duckdb'));
  await seedCity(db, { enterprises: 80, days: 3 });
  await createUser(db, { username: SCENE_USER, password: SCENE_PASSWORD, role: 'investigator' });
  await createUser(db, { username: 'wang.qiang', password: SCENE_PASSWORD, role: 'regulator' });
  const me: Actor = { name: `user:${SCENE_USER}`, role: 'investigator', office: null };
  const boss: Actor = { name: 'user:wang.qiang', role: 'regulator', office: null };
  await feed(db, 'registrations', [
    registration(E.xinsheng, '2026-03-01'),
    registration(E.meiwei, '2026-03-01'),
    registration(E.hengtai, '2026-03-01'),
  ]);
  const list = await createWatchlist(db, me, { name: '鑫盛系列案' });
  const add = (kind: string, value: string, reason: string, companies?: string[]) =>
    addEntry(db, me, list.watchlist_id, {
      kind,
      value,
      reason,
      ...(companies ? { companies } : {}),
    });
  await add('enterprise', E.xinsheng, '投诉集中，宣传保本保息年化18%');
  await add('person', '张伟', '鑫盛法定代表人，名下可能新设企业', [E.xinsheng]);
  await add('phone', '13800138000', '广告中的咨询热线');
  await add('domain', 'xinsheng-wealth.cn', '官网');
  await add('address', '珠海市香洲区情侣中路88号1201室', '注册地址，疑似集中注册');
  await add('keyword', '鑫盛', '品牌');
  await subscribe(db, me, { kind: 'watch_hits' });
  await subscribe(db, me, { kind: 'new_alerts' });
  const office = await createWatchlist(db, boss, { name: '香洲区重点关注', shared: true });
  await addEntry(db, boss, office.watchlist_id, {
    kind: 'enterprise',
    value: E.hengtai,
    reason: '区办重点关注',
  });
  // what happens next is screened as it is ingested
  await feed(db, 'complaints', [
    complaint('C-101', '2026-03-02', E.xinsheng),
    complaint('C-102', '2026-03-02', null, {
      target_name: '鑫盛理财',
      text: '鑫盛理财的业务员说每月返息2分，现在联系不上。',
    }),
    complaint('C-103', '2026-03-02', E.hengtai),
  ]);
  await feed(db, 'ads', [ad('AD-7', '2026-03-02', { url: 'https://m.xinsheng-wealth.cn/p/1' })]);
  await feed(db, 'registrations', [
    registration(E.newco, '2026-03-03'),
    registration(E.otherZhang, '2026-03-03'),
    registration(E.meiwei, '2026-03-03', { phone: XINSHENG_PHONE }),
  ]);
  // the first complaint has been read already
  const first = await db.one<{ id: number }>(
    `SELECT notification_id::INTEGER AS id FROM notifications WHERE recipient = $r AND event_key = 'complaint:C-101'`,
    { r: me.name },
  );
  if (first) await markRead(db, me.name, [first.id]);

  const app = createApp({ db, config: loadConfig({}), log: () => {} });
  if (!isMounted(app)) mountDashboard(app, app.dafei.deps);
  let server: ServerType | undefined;
  const port = await new Promise<number>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve(info.port),
    );
    server.once('error', reject);
  });
  return {
    base: `http://127.0.0.1:${port}`,
    db,
    close: async () => {
      if (server) {
        if ('closeAllConnections' in server) server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      db.close();
    },
  };
}
