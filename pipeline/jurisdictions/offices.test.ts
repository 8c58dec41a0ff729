import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedDb, type Db } from '../db/index.ts';
import { withUsccCheckChar } from '../feeds/index.ts';
import {
  DEFAULT_JURISDICTION_FILE,
  ensureJurisdictions,
  ensureOffices,
  officesFresh,
  inSubtree,
  loadJurisdictionFile,
  officeOf,
  officesOf,
  placementOf,
  readTree,
  treeFromFile,
} from './index.ts';

let db: Db;
let dir: string;
let line = 0;

const uscc = (division: string, n: number) =>
  withUsccCheckChar(`91${division}MA${String(n).padStart(7, '0')}`);

async function snapshot(
  u: string,
  asOf: string,
  district: string | null,
  address: string | null,
): Promise<void> {
  line++;
  await db.run(
    `INSERT INTO registrations_history (uscc, name, as_of, district, address, _key, _hash, _batch, _line)
     VALUES ($u, '某公司', $d::DATE, $dist, $addr, $k, 'h', 1, $l)`,
    { u, d: asOf, dist: district, addr: address, k: `${u}\u001f${asOf}`, l: line },
  );
}

async function addressChange(u: string, on: string, after: string): Promise<void> {
  line++;
  await db.run(
    `INSERT INTO registration_changes_history VALUES ($u, $d::DATE, 'address', '旧址', $a, NULL, $k, 'h', 2, $l)`,
    { u, d: on, a: after, k: `${u}|${on}|address|${after}`, l: line },
  );
}

beforeAll(async () => {
  db = await openMigratedDb(':memory:');
  dir = mkdtempSync(join(tmpdir(), 'dafei-offices-'));
  await loadJurisdictionFile(db, DEFAULT_JURISDICTION_FILE);
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the office of an enterprise, as of a day', () => {
  it('comes from the district, else the address, else the USCC division, else the root', async () => {
    const a = uscc('440400', 1);
    const b = uscc('440400', 2);
    const c = uscc('440404', 3);
    const d = uscc('440400', 4);
    const e = uscc('110105', 5);
    const f = uscc('440400', 6);
    await snapshot(a, '2026-01-01', '香洲区', '珠海市香洲区情侣中路1号');
    await snapshot(b, '2026-01-01', null, '珠海市斗门区井岸镇港霞东路2号');
    await snapshot(c, '2026-01-01', '外地区', '某地某路3号');
    await snapshot(d, '2026-01-01', null, null);
    await snapshot(e, '2026-01-01', null, '北京市朝阳区');
    await snapshot(f, '2026-01-01', null, '珠海市横琴新区环岛东路5号');
    expect(await officesFresh(db)).toBe(false);
    await ensureOffices(db);
    expect(await officesFresh(db)).toBe(true);
    const got = await officesOf(db, [a, b, c, d, e, f, uscc('440402', 99)], '2026-02-01');
    expect(Object.fromEntries(got)).toEqual({
      [a]: '440402',
      [b]: '440403',
      [c]: '440404',
      [d]: '4404',
      [e]: '44',
      [f]: '440471',
    });
    // before its first snapshot, the USCC's division places it
    expect(await officeOf(db, a, '2025-12-31')).toBe('4404');
    expect(await officeOf(db, uscc('440402', 99), '2026-02-01')).toBeUndefined();
  });

  it('follows moves: a new snapshot, an address change, an accepted referral', async () => {
    const m = uscc('440400', 10);
    await snapshot(m, '2026-01-01', '香洲区', '珠海市香洲区吉大景山路10号');
    await snapshot(m, '2026-02-01', '金湾区', '珠海市金湾区三灶镇海澄路10号');
    await addressChange(m, '2026-03-01', '珠海市斗门区白蕉镇新马墩路10号');
    await addressChange(m, '2026-03-05', '某大厦10楼'); // names no office: no move
    await ensureOffices(db);
    expect(await officeOf(db, m, '2026-01-31')).toBe('440402');
    expect(await officeOf(db, m, '2026-02-01')).toBe('440404');
    expect(await officeOf(db, m, '2026-03-01')).toBe('440403');
    expect(await officeOf(db, m, '2026-03-06')).toBe('440403');
    // a referral to 高新区, accepted on 2026-03-10
    await db.run(
      `INSERT INTO referrals (referral_id, uscc, alert_day, from_office, target_kind, target, actor, role, created_at, disposition_id)
       VALUES (1, $u, DATE '2026-03-09', '440403', 'office', '440472', 'a', 'regulator', now(), 1)`,
      { u: m },
    );
    expect(await officeOf(db, m, '2026-03-10')).toBe('440403'); // not yet answered
    // and one to 金湾区, returned: it neither moves it nor waits
    await db.run(
      `INSERT INTO referrals (referral_id, uscc, alert_day, from_office, target_kind, target, actor, role, created_at, disposition_id)
       VALUES (2, $u, DATE '2026-03-08', '440403', 'office', '440404', 'a', 'regulator', now(), 3)`,
      { u: m },
    );
    await db.run(
      `INSERT INTO referral_answers VALUES (2, 'returned', '不属本辖区', 'c', 'regulator', '440404', now(), DATE '2026-03-08', 4)`,
    );
    expect(await placementOf(db, m, '2026-03-10', '2026-03-10')).toEqual({
      atDay: '440403',
      today: '440403',
      referredTo: ['440472'],
    });
    await db.run(
      `INSERT INTO referral_answers VALUES (1, 'accepted', NULL, 'b', 'regulator', '440472', now(), DATE '2026-03-10', 2)`,
    );
    expect(await officeOf(db, m, '2026-03-09')).toBe('440403');
    expect(await officeOf(db, m, '2026-03-10')).toBe('440472');
    expect(await placementOf(db, m, '2026-03-09', '2026-03-10')).toEqual({
      atDay: '440403',
      today: '440472',
      referredTo: [],
    });
    expect(await placementOf(db, uscc('440402', 98), '2026-03-10', '2026-03-10')).toBeUndefined();
    // a later register move wins over the referral
    await snapshot(m, '2026-04-01', '香洲区', '珠海市香洲区情侣中路10号');
    await ensureOffices(db);
    expect(await officeOf(db, m, '2026-04-01')).toBe('440402');
    expect(await inSubtree(db, m, '4404', '2026-04-01')).toBe(true);
    expect(await inSubtree(db, m, '440404', '2026-04-01')).toBe(false);
    expect(await inSubtree(db, m, '440404', '2026-02-15')).toBe(true);
  });
});

describe('ambiguous names', () => {
  it('are decided by the USCC division code', async () => {
    const other = await openMigratedDb(':memory:');
    try {
      const file = join(dir, 'two-cities.json');
      writeFileSync(
        file,
        JSON.stringify({
          version: 1,
          nodes: [
            { code: '86', name: '全国', kind: 'province' },
            { code: '3501', name: '福州市', kind: 'city', parent: '86' },
            { code: '350102', name: '鼓楼区', kind: 'district', parent: '3501' },
            { code: '3201', name: '南京市', kind: 'city', parent: '86' },
            { code: '320106', name: '鼓楼区', kind: 'district', parent: '3201' },
          ],
        }),
      );
      await loadJurisdictionFile(other, file);
      const [nj, fz] = [uscc('320100', 1), uscc('350100', 2)];
      for (const u of [nj, fz]) {
        await other.run(
          `INSERT INTO registrations_history (uscc, name, as_of, district, _key, _hash, _batch, _line)
           VALUES ($u, 'x', DATE '2026-01-01', '鼓楼区', $u, 'h', 1, 1)`,
          { u },
        );
      }
      await ensureOffices(other);
      expect(Object.fromEntries(await officesOf(other, [nj, fz], '2026-01-02'))).toEqual({
        [nj]: '320106',
        [fz]: '350102',
      });
    } finally {
      other.close();
    }
  });
});

describe('the jurisdiction file', () => {
  it('loads once, reloads when it changes, refuses one that drops an office in use', async () => {
    const t = await readTree(db);
    expect(t.root?.code).toBe('44');
    expect(t.label('440402')).toBe('广东省 / 珠海市 / 香洲区');
    expect([...t.subtree('4404')].sort()).toContain('440471');
    expect(t.contains('4404', '440402')).toBe(true);
    expect(t.contains('440402', '4404')).toBe(false);
    expect((await loadJurisdictionFile(db, DEFAULT_JURISDICTION_FILE)).changed).toBe(false);
    expect(await ensureJurisdictions(db, null)).toBeUndefined();
    await db.run(
      `INSERT INTO api_users (username, password_hash, role, created_at, jurisdiction) VALUES ('x', 'h', 'regulator', now(), '440403')`,
    );
    const smaller = join(dir, 'smaller.json');
    writeFileSync(
      smaller,
      JSON.stringify({
        version: 1,
        nodes: [{ code: '4404', name: '珠海市', kind: 'city' }],
      }),
    );
    await expect(loadJurisdictionFile(db, smaller)).rejects.toThrow(/account x → 440403/);
    expect((await readTree(db)).nodes.length).toBe(t.nodes.length);
  });

  it('is validated: one root, known parents, no cycles, no duplicate codes', () => {
    const bad = (nodes: unknown[]) => () => treeFromFile({ version: 1, nodes });
    expect(bad([{ code: '44', name: 'a', kind: 'province', parent: '45' }])).toThrow(/root/);
    expect(
      bad([
        { code: '44', name: 'a', kind: 'province' },
        { code: '4401', name: 'b', kind: 'city', parent: '4499' },
      ]),
    ).toThrow(/parent 4499/);
    expect(
      bad([
        { code: '44', name: 'a', kind: 'province' },
        { code: '44', name: 'b', kind: 'city', parent: '44' },
      ]),
    ).toThrow(/twice/);
    expect(
      bad([
        { code: '44', name: 'a', kind: 'province' },
        { code: '4401', name: 'b', kind: 'city', parent: '4402' },
        { code: '4402', name: 'c', kind: 'city', parent: '4401' },
      ]),
    ).toThrow(/cycle/);
    expect(bad([{ code: 'x', name: 'a', kind: 'province' }])).toThrow(/division code/);
  });
});
