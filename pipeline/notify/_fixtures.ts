/**
 * Test fixtures for notifications: a tiny register of a few enterprises in two districts, fed
 * through the real ingest from real NDJSON files, and accounts of each role.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createToken, type Role } from '../auth/index.ts';
import type { Db } from '../db/index.ts';
import { ingest, withUsccCheckChar, type FeedName } from '../feeds/index.ts';
import { tmpDir } from '../feeds/_fixtures.ts';

export const E = {
  /** 鑫盛: a scheme in 香洲区, legal rep 张伟 */
  xinsheng: withUsccCheckChar('91440402MA4UXA001'),
  /** 美味: an ordinary restaurant in 香洲区 */
  meiwei: withUsccCheckChar('91440402MA4UMW002'),
  /** 恒泰: a scheme in 斗门区 */
  hengtai: withUsccCheckChar('91440403MA4UHT003'),
  /** registered later by 张伟 with 鑫盛's phone */
  newco: withUsccCheckChar('91440402MA4UNC004'),
  /** registered later by another 张伟, no tie to 鑫盛 */
  otherZhang: withUsccCheckChar('91440403MA4UQR005'),
} as const;

export const XINSHENG_PHONE = '0756-2288001';

type Rec = Record<string, unknown>;

export function registration(uscc: string, asOf: string, over: Rec = {}): Rec {
  const base: Record<string, Rec> = {
    [E.xinsheng]: {
      name: '珠海鑫盛财富管理有限公司',
      legal_rep: '张伟',
      address: '珠海市香洲区情侣中路88号1201室',
      district: '香洲区',
      phone: XINSHENG_PHONE,
      website: 'www.xinsheng-wealth.cn',
      established_on: '2025-11-20',
    },
    [E.meiwei]: {
      name: '珠海美味餐饮管理有限公司',
      legal_rep: '李娜',
      address: '珠海市香洲区吉大景山路12号',
      district: '香洲区',
      phone: '0756-3300112',
      established_on: '2019-05-01',
    },
    [E.hengtai]: {
      name: '珠海恒泰投资管理有限公司',
      legal_rep: '王强',
      address: '珠海市斗门区井岸镇港霞东路5号',
      district: '斗门区',
      phone: '0756-5500113',
      website: 'hengtai-invest.com',
      established_on: '2025-09-01',
    },
    [E.newco]: {
      name: '珠海鑫盛养老服务有限公司',
      legal_rep: '张伟',
      address: '珠海市香洲区前山明珠北路3号',
      district: '香洲区',
      phone: XINSHENG_PHONE,
      established_on: asOf,
    },
    [E.otherZhang]: {
      name: '珠海伟业建材有限公司',
      legal_rep: '张伟',
      address: '珠海市斗门区白蕉镇路9号',
      district: '斗门区',
      phone: '0756-5599887',
      established_on: asOf,
    },
  };
  return {
    uscc,
    as_of: asOf,
    status: '存续',
    registered_capital_wan: 1000,
    industry_code: 'L7212',
    ...base[uscc],
    ...over,
  };
}

export function complaint(id: string, day: string, uscc: string | null, over: Rec = {}): Rec {
  return {
    complaint_id: id,
    received_at: `${day}T10:00:00+08:00`,
    channel: 'hotline_12345',
    target_name: uscc === E.hengtai ? '恒泰投资' : '鑫盛财富',
    ...(uscc ? { target_uscc: uscc } : {}),
    text: '说好年化18%保本保息，现在提现困难，客服电话打不通。',
    amount_cny: 50000,
    complainant_ref: 'C-7781',
    district: uscc === E.hengtai ? '斗门区' : '香洲区',
    ...over,
  };
}

export function ad(id: string, day: string, over: Rec = {}): Rec {
  return {
    ad_id: id,
    seen_at: `${day}T09:00:00+08:00`,
    channel: 'wechat',
    advertiser_name: '鑫盛财富',
    text: '鑫盛财富，稳健理财，年化收益15%，保本保息，咨询热线13800138000',
    ...over,
  };
}

/** Writes records as an NDJSON file and ingests it (one batch). */
export async function feed(
  db: Db,
  name: FeedName,
  records: Rec[],
  now?: () => Date,
): Promise<number> {
  const path = join(tmpDir('dafei-notify-'), `${name}.ndjson`);
  writeFileSync(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const r = await ingest(db, { feed: name, source: path, ...(now ? { now } : {}) });
  return r.batches[0]!.batchId;
}

/** One API token per name, with the given role (subscribers are principal names). */
export async function accounts(
  db: Db,
  list: Record<string, Role>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [name, role] of Object.entries(list))
    out[name] = (await createToken(db, { name, role })).token;
  return out;
}

export async function inbox(
  db: Db,
  recipient: string,
): Promise<{ event_key: string; kind: string; title: string; reasons: string }[]> {
  return db.all(
    `SELECT n.event_key, e.kind, e.title, n.reasons::VARCHAR AS reasons
       FROM notifications n JOIN notification_events e USING (event_key)
      WHERE n.recipient = $r ORDER BY n.notification_id`,
    { r: recipient },
  );
}
