/**
 * A synthetic city written straight into the tables (feeds, links, features, published lists,
 * models, runs, quarantine), deterministic for a seed. Used by the API tests (small) and by
 * bench/api-load.ts (city size). Values are realistic in shape: valid USCCs, Chinese names,
 * red-flag ads with promised yields for the schemes, complaints with trouble phrases.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { literal, type Db } from '../pipeline/db/index.ts';
import { withUsccCheckChar } from '../pipeline/feeds/index.ts';
import { FEATURE_NAMES, featureByName } from '../pipeline/features/index.ts';
import { createToken, type Role } from '../pipeline/auth/index.ts';
import { addDays } from '../pipeline/modeling/index.ts';
import { createRng } from '../models/index.ts';

export interface CityOptions {
  enterprises: number;
  /** Days with a published list, ending at lastDay. */
  days: number;
  lastDay?: string;
  seed?: number;
  /** Share of enterprises that are schemes. */
  schemeRate?: number;
}

export interface FixtureEnterprise {
  uscc: string;
  name: string;
  legal_rep: string;
  phone: string;
  address: string;
  district: string;
  scheme: boolean;
}

export interface City {
  firstDay: string;
  lastDay: string;
  days: string[];
  enterprises: FixtureEnterprise[];
  schemes: FixtureEnterprise[];
  /** Two enterprises sharing the first scheme's legal representative and phone. */
  linked: FixtureEnterprise[];
}

const DISTRICTS = ['香洲区', '斗门区', '金湾区', '横琴粤澳深度合作区', '高新区'];
const SURNAMES = [
  ...'王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈',
];
const GIVEN = [...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红梅兰金玉'];
const BRANDS = [...'汇富鑫盛恒泰金源瑞丰宏达隆兴德安华信合嘉禾众诚天润博远中融昌裕康宁'];
const SCHEME_INDUSTRY = [
  '投资管理',
  '财富管理',
  '资产管理',
  '供应链管理',
  '科技',
  '养老服务',
  '数字科技',
];
const NORMAL_INDUSTRY = [
  '商贸',
  '餐饮管理',
  '建材',
  '教育咨询',
  '物流',
  '家居',
  '电子科技',
  '装饰工程',
  '食品',
];
const STREETS = [
  '情侣中路',
  '拱北迎宾南路',
  '吉大景山路',
  '前山明珠北路',
  '井岸镇港霞东路',
  '三灶镇海澄路',
  '唐家湾镇大学路',
];

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';

function writeNdjson(dir: string, name: string, rows: unknown[]): string {
  const path = join(dir, `${name}.ndjson`);
  writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return path;
}

async function load(db: Db, table: string, path: string): Promise<void> {
  await db.run(
    `INSERT INTO ${table} BY NAME SELECT * FROM read_json_auto(${literal(path)}, format = 'newline_delimited', maximum_object_size = 268435456)`,
  );
}

export async function seedCity(db: Db, o: CityOptions): Promise<City> {
  const rng = createRng(o.seed ?? 7);
  const r = (): number => rng.next();
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const lastDay = o.lastDay ?? '2026-03-31';
  const firstDay = addDays(lastDay, -(o.days - 1));
  const days = Array.from({ length: o.days }, (_, i) => addDays(firstDay, i));
  const schemeRate = o.schemeRate ?? 0.04;
  const ents: FixtureEnterprise[] = [];
  const seenUscc = new Set<string>();
  for (let i = 0; i < o.enterprises; i++) {
    let uscc: string;
    do {
      let body = '91440400';
      for (let k = 0; k < 9; k++) body += USCC_CHARS[Math.floor(r() * USCC_CHARS.length)];
      uscc = withUsccCheckChar(body);
    } while (seenUscc.has(uscc));
    seenUscc.add(uscc);
    const scheme = i < 3 || r() < schemeRate;
    const brand = pick(BRANDS) + pick(BRANDS);
    const district = pick(DISTRICTS);
    ents.push({
      uscc,
      name: `珠海${brand}${pick(scheme ? SCHEME_INDUSTRY : NORMAL_INDUSTRY)}有限公司${i >= 3 && r() < 0.02 ? `第${i}分公司` : ''}`,
      legal_rep: pick(SURNAMES) + pick(GIVEN) + (r() < 0.5 ? pick(GIVEN) : ''),
      phone: `0756-${String(2000000 + Math.floor(r() * 7999999))}`,
      address: `珠海市${district}${pick(STREETS)}${1 + Math.floor(r() * 300)}号${1 + Math.floor(r() * 30)}楼`,
      district,
      scheme,
    });
  }
  // a small network around the first scheme: same legal rep + phone, and a shared shareholder
  const linked = ents.slice(3, 5);
  for (const e of linked) {
    e.legal_rep = ents[0]!.legal_rep;
    e.phone = ents[0]!.phone;
  }
  const schemes = ents.filter((e) => e.scheme);
  const dir = mkdtempSync(join(tmpdir(), 'dafei-fixture-'));
  try {
    let line = 0;
    const meta = (key: string, batch: number) => ({
      _key: key,
      _hash: `h${line}`,
      _batch: batch,
      _line: ++line,
    });
    // ingest ledger: one batch per feed
    const batches = [
      'registrations',
      'registration_changes',
      'ads',
      'complaints',
      'case_outcomes',
    ].map((feed, i) => ({
      batch_id: i + 1,
      feed,
      source: `fixture/${feed}.ndjson`,
      source_kind: 'file',
      started_at: `${firstDay}T06:00:00+08:00`,
      finished_at: `${firstDay}T06:01:00+08:00`,
      status: 'ok',
      read: 0,
      accepted: 0,
      duplicate: 0,
      corrected: 0,
      quarantined: 0,
      bytes: 1000,
      error: null,
    }));
    const regs: unknown[] = [];
    const changes: unknown[] = [];
    ents.forEach((e, i) => {
      const established = addDays(firstDay, -30 - Math.floor(r() * (e.scheme ? 400 : 3000)));
      const base = {
        uscc: e.uscc,
        established_on: established,
        legal_rep: e.legal_rep,
        registered_capital_wan: e.scheme
          ? 5000 + Math.floor(r() * 5000)
          : 50 + Math.floor(r() * 500),
        paid_in_capital_wan: e.scheme ? 0 : 10 + Math.floor(r() * 50),
        status: '存续',
        enterprise_type: '有限责任公司(自然人投资或控股)',
        industry_code: e.scheme ? 'L7212' : 'F5123',
        business_scope: e.scheme
          ? '投资管理；资产管理；投资咨询（不含金融业务）'
          : '销售：日用百货、五金交电',
        address: e.address,
        district: e.district,
        phone: e.phone,
        website: null,
        shareholders: JSON.stringify([
          {
            name: i < 5 ? '珠海鑫源控股有限公司' : e.legal_rep,
            kind: i < 5 ? 'company' : 'person',
            share_pct: 100,
          },
        ]),
      };
      if (e.scheme && i % 2 === 0) {
        const old = e.name.replace(
          /(投资管理|财富管理|资产管理|供应链管理|科技|养老服务|数字科技)/,
          '商贸',
        );
        regs.push({
          ...base,
          name: old,
          as_of: established,
          ...meta(`${e.uscc}\u001f${established}`, 1),
        });
        const on = addDays(firstDay, -60);
        regs.push({ ...base, name: e.name, as_of: on, ...meta(`${e.uscc}\u001f${on}`, 1) });
        changes.push({
          uscc: e.uscc,
          changed_on: on,
          field: 'name',
          before: old,
          after: e.name,
          ...meta(`${e.uscc}|${on}|name`, 2),
        });
        changes.push({
          uscc: e.uscc,
          changed_on: on,
          field: 'business_scope',
          before: '销售：日用百货',
          after: base.business_scope,
          ...meta(`${e.uscc}|${on}|scope`, 2),
        });
      } else {
        regs.push({
          ...base,
          name: e.name,
          as_of: established,
          ...meta(`${e.uscc}\u001f${established}`, 1),
        });
      }
    });
    const ads: Record<string, unknown>[] = [];
    const complaints: Record<string, unknown>[] = [];
    const links: unknown[] = [];
    let adN = 0;
    let cN = 0;
    for (const e of ents) {
      const nAds = e.scheme ? 4 + Math.floor(r() * 6) : r() < 0.3 ? 1 : 0;
      for (let k = 0; k < nAds; k++) {
        const day = addDays(lastDay, -Math.floor(r() * Math.min(80, o.days + 30)));
        const y = 12 + Math.floor(r() * 20);
        const text = e.scheme
          ? pick([
              `${e.name.slice(2, 6)}财富新品上线！年化收益${y}%，保本保息，稳赚不赔，推荐好友再返佣金，咨询${e.phone}`,
              `养老项目认购：投资1万元每月返息${(y / 12).toFixed(1)}%，政府支持，国资背景，名额有限，免费旅游答谢会`,
              `原始股限时认购，即将上市，上市后翻倍，月息2分，${e.legal_rep}总亲自讲解`,
            ])
          : pick([
              `新店开业，全场八折，欢迎选购`,
              `暑期班招生，小班教学，名师授课`,
              `专业装修，十年质保，免费上门量房`,
            ]);
        const id = `AD${String(++adN).padStart(7, '0')}`;
        const linkedById = r() < 0.7;
        ads.push({
          ad_id: id,
          seen_at: `${day}T${String(8 + (adN % 12)).padStart(2, '0')}:15:00`,
          seen_day: day,
          channel: pick(['web', 'wechat', 'sms', 'app', 'weibo']),
          advertiser_name: e.name.slice(2, 8),
          advertiser_uscc: linkedById ? e.uscc : null,
          phone: e.phone,
          url: null,
          title: e.scheme ? '高收益理财' : '优惠活动',
          text,
          ...meta(id, 3),
        });
        if (!linkedById) links.push(link('ad', id, day, e.uscc, 'phone'));
      }
      const nC = e.scheme ? 2 + Math.floor(r() * 5) : r() < 0.05 ? 1 : 0;
      for (let k = 0; k < nC; k++) {
        const day = addDays(lastDay, -Math.floor(r() * Math.min(60, o.days + 20)));
        const id = `C${String(++cN).padStart(7, '0')}`;
        const amount = e.scheme ? 10000 * (1 + Math.floor(r() * 30)) : null;
        complaints.push({
          complaint_id: id,
          received_at: `${day}T${String(9 + (cN % 8)).padStart(2, '0')}:40:00`,
          received_day: day,
          channel: pick(['hotline_12345', 'portal', 'letter']),
          target_name: e.name,
          target_uscc: k % 2 === 0 ? e.uscc : null,
          text: e.scheme
            ? `我在${e.name}投资了${amount}元，说好年化${12 + k}%，现在无法提现，客服失联，怀疑老板跑路了`
            : `${e.name}售后服务差，退货不退款`,
          amount_cny: amount,
          complainant_ref: `P${String(100000 + Math.floor(r() * 900000))}`,
          district: e.district,
          ...meta(id, 4),
        });
        if (k % 2 === 1) links.push(link('complaint', id, day, e.uscc, 'name'));
      }
    }
    // one confirmed case in the network of the first scheme (an older scheme)
    const outcomes = [
      {
        uscc: linked[0]!.uscc,
        decided_on: addDays(firstDay, -20),
        outcome: 'confirmed',
        case_ref: '珠金打非〔2026〕3号',
        note: null,
        ...meta('o1', 5),
      },
    ];
    batches[0]!.read = batches[0]!.accepted = regs.length;
    batches[1]!.read = batches[1]!.accepted = changes.length;
    batches[2]!.read = batches[2]!.accepted = ads.length;
    batches[3]!.read = batches[3]!.accepted = complaints.length;
    batches[4]!.read = batches[4]!.accepted = outcomes.length;
    // advance the batch sequence past the fixture's batch ids (DuckDB has no setval)
    await db.run(`SELECT max(nextval('ingest_batch_seq')) FROM range(10)`);
    await load(db, 'ingest_batches', writeNdjson(dir, 'batches', batches));
    await load(db, 'registrations_history', writeNdjson(dir, 'regs', regs));
    if (changes.length)
      await load(db, 'registration_changes_history', writeNdjson(dir, 'changes', changes));
    if (ads.length) await load(db, 'ads_history', writeNdjson(dir, 'ads', ads));
    if (complaints.length)
      await load(db, 'complaints_history', writeNdjson(dir, 'complaints', complaints));
    if (links.length) await load(db, 'entity_links', writeNdjson(dir, 'links', links));
    await load(db, 'case_outcomes_history', writeNdjson(dir, 'outcomes', outcomes));

    // per-enterprise reasons and features, as the scorer would have issued them
    const entRows = ents.map((e, i) => {
      const f: Record<string, number | null> = {};
      for (const name of FEATURE_NAMES) f[name] = 0;
      if (e.scheme) {
        Object.assign(f, {
          ad_flag_guaranteed_90d: 3 + (i % 5),
          ad_flag_high_yield_90d: 4,
          ad_flag_referral_90d: 2,
          ad_max_yield_90d: 18 + (i % 10),
          ad_yield_ratio_90d: 5.2,
          complaints_30d: 2 + (i % 4),
          complaint_trouble_90d: 3,
          paid_in_ratio: 0,
          finance_words_unlicensed: 1,
          changes_name_180d: i % 2 === 0 ? 1 : 0,
          renamed_to_finance_180d: i % 2 === 0 ? 1 : 0,
          shared_legal_rep: i === 0 ? 2 : 0,
          confirmed_distance: i === 0 ? 1 : 3,
        });
      } else {
        Object.assign(f, { ads_30d: i % 3, paid_in_ratio: 0.4, confirmed_distance: 3 });
      }
      const contributions: Record<string, number> = {};
      for (const [k, v] of Object.entries(f)) {
        const def = featureByName(k);
        if (v && def && def.direction === 1) contributions[k] = Math.round(v * 0.013 * 1000) / 1000;
      }
      contributions['paid_in_ratio'] = e.scheme ? 0.05 : -0.01;
      const reasons = Object.entries(contributions)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([k, c]) => {
          const def = featureByName(k)!;
          const value = f[k] ?? 0;
          return {
            feature: k,
            label: def.label_zh,
            value,
            contribution: c,
            text: def.describe(value),
          };
        });
      return {
        uscc: e.uscc,
        scheme: e.scheme,
        reasons: JSON.stringify(reasons),
        contributions: JSON.stringify(contributions),
        features: JSON.stringify(f),
      };
    });
    await db.run(`DROP TABLE IF EXISTS _fx_ent`);
    await db.run(
      `CREATE TEMP TABLE _fx_ent (uscc VARCHAR, scheme BOOLEAN, reasons VARCHAR, contributions VARCHAR, features VARCHAR)`,
    );
    await load(db, '_fx_ent', writeNdjson(dir, 'ent', entRows));
    const n = ents.length;
    const red = Math.ceil(n * 0.01) + 2;
    const orange = red + Math.ceil(n * 0.02) + 3;
    const yellow = orange + Math.ceil(n * 0.04) + 5;
    const seed = String(o.seed ?? 7);
    await db.run(
      `INSERT INTO list_entries
       WITH s AS (
         SELECT d.day, e.uscc, e.reasons, e.contributions, e.features,
                CASE WHEN e.scheme THEN 0.55 + 0.44 * ((hash(e.uscc || $seed || d.day::VARCHAR) % 1000000) / 1e6)
                     ELSE 0.5 * pow((hash(e.uscc || $seed || d.day::VARCHAR) % 1000000) / 1e6, 3) END AS score
         FROM _fx_ent e CROSS JOIN (SELECT unnest(range($first::DATE, $last::DATE + 1, INTERVAL 1 DAY))::DATE AS day) d
       ),
       ranked AS (SELECT *, row_number() OVER (PARTITION BY day ORDER BY score DESC, uscc) AS rank FROM s)
       SELECT day, 1, uscc, rank, round(score, 6), 
              CASE WHEN rank <= $red THEN 'red' WHEN rank <= $orange THEN 'orange' WHEN rank <= $yellow THEN 'yellow' END,
              round(score * 0.9, 6),
              CASE WHEN rank <= $yellow THEN reasons::JSON END,
              CASE WHEN rank <= $yellow THEN contributions::JSON END,
              CASE WHEN rank <= $yellow THEN features::JSON END
       FROM ranked ORDER BY day, rank`,
      { seed, first: firstDay, last: lastDay, red, orange, yellow },
    );
    await db.run(
      `INSERT INTO list_revisions
       SELECT day, 1, (day::TIMESTAMP + INTERVAL 7 HOUR)::TIMESTAMPTZ, 'model', 1, md5(day::VARCHAR), count(*), count(level),
              count(*) FILTER (WHERE level = 'red'), count(*) FILTER (WHERE level = 'orange'), count(*) FILTER (WHERE level = 'yellow')
       FROM list_entries GROUP BY day ORDER BY day`,
    );
    await db.run(
      `INSERT INTO list_changes
       WITH x AS (
         SELECT day, uscc, level, lag(level) OVER (PARTITION BY uscc ORDER BY day) AS prev, day = $first::DATE AS first
         FROM list_entries
       )
       SELECT day, 1, uscc,
              CASE WHEN prev IS NULL THEN 'new' WHEN level IS NULL THEN 'dropped'
                   WHEN (CASE level WHEN 'red' THEN 3 WHEN 'orange' THEN 2 ELSE 1 END) > (CASE prev WHEN 'red' THEN 3 WHEN 'orange' THEN 2 ELSE 1 END) THEN 'level_up'
                   ELSE 'level_down' END, prev, level
       FROM x WHERE NOT first AND (level IS DISTINCT FROM prev)`,
      { first: firstDay },
    );
    // features of the last day, for the feature exports
    const cols = FEATURE_NAMES.map(
      (c) => `coalesce(json_extract(e.features, '$.${c}')::DOUBLE, 0) AS "${c}"`,
    ).join(', ');
    await db.run(
      `INSERT INTO feature_values SELECT $last::DATE AS as_of, e.uscc, ${cols} FROM _fx_ent e`,
      { last: lastDay },
    );
    await db.run(`INSERT INTO feature_days VALUES ($last::DATE, now(), $n, 'fixture')`, {
      last: lastDay,
      n,
    });
    await db.run(`DROP TABLE _fx_ent`);
    // two model versions, the second active
    for (const v of [1, 2]) {
      await db.run(
        `INSERT INTO model_versions VALUES ($v, now(), 'forest', $until::DATE, $from::DATE, $to::DATE, 90, 'fp', $features::JSON,
           '{"trees":100}'::JSON, $metrics::JSON, '{}', $note)`,
        {
          v,
          until: addDays(firstDay, -1 - 30 * (2 - v)),
          from: addDays(firstDay, -400),
          to: addDays(firstDay, -91),
          features: JSON.stringify(FEATURE_NAMES),
          metrics: JSON.stringify({ precision_at_50: 0.4 + v / 10, lead_time_days: 20 + v }),
          note: `fixture v${v}`,
        },
      );
      await db.run(
        `INSERT INTO model_activations VALUES ($v, $v, 'activate', now(), 'fixture', NULL)`,
        { v },
      );
    }
    for (const [i, day] of days.entries()) {
      await db.run(
        `INSERT INTO job_runs VALUES (nextval('job_run_seq'), 'run', $d, $at::TIMESTAMPTZ, $at::TIMESTAMPTZ + INTERVAL 3 MINUTE, $st, $counts::JSON, $err)`,
        {
          d: day,
          at: `${day}T06:30:00+08:00`,
          st: i === 1 ? 'failed' : 'ok',
          counts: JSON.stringify({ listed: yellow }),
          err: i === 1 ? 'features: timeout' : null,
        },
      );
    }
    await db.run(
      `INSERT INTO quarantine VALUES (4, 'complaints', 'fixture/complaints.csv', 17, 'C9,2026-02-30 10:00,portal,某公司,,text', 'received_at 2026-02-30 10:00: not a date', now()),
              (3, 'ads', 'fixture/ads.ndjson', 5, '{"ad_id":"A1"', 'line 5: malformed JSON', now())`,
    );
    return { firstDay, lastDay, days, enterprises: ents, schemes, linked };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function link(kind: string, id: string, day: string, uscc: string, method: string) {
  return {
    kind,
    record_id: id,
    record_day: day,
    record_hash: 'h',
    uscc,
    method,
    confidence: 0.9,
    status: 'linked',
    candidates: JSON.stringify([{ uscc, score: 0.9, methods: [method] }]),
    evidence_from: day,
    resolved_at: `${day}T07:00:00+08:00`,
    run_id: 1,
  };
}

/** One token per role: `tokens.admin` etc. */
export async function roleTokens(db: Db): Promise<Record<Role, string>> {
  const out = {} as Record<Role, string>;
  for (const role of ['regulator', 'investigator', 'data_scientist', 'admin'] as const) {
    out[role] = (await createToken(db, { name: `test-${role}`, role })).token;
  }
  return out;
}
