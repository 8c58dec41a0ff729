/**
 * The simulation: phase 1 walks the enterprises (register snapshots, changes, truth, outcomes)
 * and schedules ads and complaints into per-day buckets of compact numeric keys; phase 2 walks
 * the days, regenerates each event from its own seeded stream and writes it. Memory holds the
 * keys (8 bytes per event) and a small plan cache, never the rows.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { makeAd } from './ads.ts';
import { computeBaseline, type BaselineReport, type SchemeDates } from './baseline.ts';
import { makeComplaint, makeStrayComplaint } from './complaints.ts';
import type { SimContext, SimOptions } from './config.ts';
import { parseDay, timestamp, ymd } from './dates.ts';
import { basics, phaseOn, plan, stateOn, type Plan, type State } from './enterprise.ts';
import { DISTRICTS } from './lexicon.ts';
import { breakRecord, type Feed } from './malform.ts';
import { mobile, personName } from './people.ts';
import { hash4, Rng, streamId } from './rng.ts';
import { csvRow, LineWriter } from './writer.ts';

export interface FileSummary {
  file: string;
  rows: number;
  bytes: number;
}

export interface SimSummary {
  files: FileSummary[];
  elapsedMs: number;
  baseline: BaselineReport;
  counts: Record<string, number>;
}

const S_SCHED = streamId('schedule');
const S_AD = streamId('ad');
const S_COMPLAINT = streamId('complaint');
const S_STRAY = streamId('stray');
const S_MAL = streamId('malformed');
const S_ROW = streamId('row');
const S_DUP = streamId('duplicate');

const K_BITS = 14;
const K_MUL = 2 ** K_BITS;
const DUP_FLAG = 1 << 11;
const MAX_ORIGINAL = DUP_FLAG - 1;

export const COMPLAINT_COLUMNS = [
  'complaint_id',
  'received_at',
  'channel',
  'target_name',
  'target_uscc',
  'text',
  'amount_cny',
  'complainant_ref',
  'district',
] as const;
export const OUTCOME_COLUMNS = ['uscc', 'decided_on', 'outcome', 'case_ref', 'note'] as const;

const AD_HOURS: readonly (readonly [number, number])[] = [
  [7, 2],
  [8, 4],
  [9, 5],
  [10, 6],
  [11, 6],
  [12, 7],
  [13, 5],
  [14, 5],
  [15, 5],
  [16, 5],
  [17, 5],
  [18, 6],
  [19, 7],
  [20, 8],
  [21, 8],
  [22, 5],
  [23, 2],
  [0, 1],
  [6, 1],
];
const COMPLAINT_HOURS: readonly (readonly [number, number])[] = [
  [8, 4],
  [9, 8],
  [10, 9],
  [11, 8],
  [12, 4],
  [13, 5],
  [14, 8],
  [15, 8],
  [16, 7],
  [17, 5],
  [18, 3],
  [19, 2],
  [20, 2],
  [21, 1],
  [22, 1],
  [23, 0.5],
  [1, 0.3],
];

export function createContext(opts: SimOptions): SimContext {
  const start = parseDay(opts.start);
  const n = opts.enterprises;
  return {
    opts,
    seed: opts.seed >>> 0,
    start,
    end: start + opts.days - 1,
    n,
    personPool: Math.max(30, Math.floor(n / 60)),
    operatorPool: Math.max(5, Math.floor(n / 1500)),
  };
}

class Buckets {
  readonly days: number[][];
  constructor(n: number) {
    this.days = Array.from({ length: n }, () => []);
  }
}

function outcomeNote(rng: Rng, outcome: 'confirmed' | 'cleared'): string {
  return outcome === 'confirmed'
    ? rng.pick([
        '经核查，该公司以高额回报为诱饵向社会公众吸收资金，涉嫌非法吸收公众存款',
        '认定为非法集资，已移送公安机关',
        '涉嫌集资诈骗，已立案侦查',
        '以养老服务为名非法吸收公众存款',
        '以消费返利为名变相吸收公众资金',
        '以发售原始股为名非法集资',
      ])
    : rng.pick([
        '经核查，未发现非法集资行为',
        '持牌金融机构，宣传内容合规',
        '属消费纠纷，已转市场监管部门处理',
        '经营正常，予以排除',
        '预付式消费纠纷，不属于非法集资',
      ]);
}

function registrationRecord(p: Plan, s: State, asOf: number, rng: Rng): Record<string, unknown> {
  const rec: Record<string, unknown> = {
    uscc: p.uscc,
    name: s.name,
    as_of: ymd(asOf),
    established_on: ymd(p.established),
    legal_rep: s.legalRep,
    registered_capital_wan: s.capital,
    paid_in_capital_wan: s.paidIn,
    status: s.status,
    enterprise_type: s.etype,
    industry_code: s.industryCode,
    business_scope: s.scope,
    address: s.address,
    district: p.district.name,
    phone: rng.chance(0.85) ? s.phone : null,
    website: s.website,
  };
  if (s.shareholders.length > 0) rec['shareholders'] = s.shareholders;
  if (rec['paid_in_capital_wan'] === null) delete rec['paid_in_capital_wan'];
  if (rec['website'] === null) delete rec['website'];
  if (rec['phone'] === null) delete rec['phone'];
  return rec;
}

/** Writes records to a feed, breaking a share of them and duplicating a few. */
class FeedOut {
  readonly w: LineWriter;
  readonly feed: Feed;
  readonly csv: boolean;
  private readonly columns: readonly string[];
  private readonly ctx: SimContext;
  private readonly mal: LineWriter;
  private readonly redeliver: boolean;
  private readonly feedId: number;
  rows = 0;
  malformed = 0;
  duplicates = 0;

  constructor(
    ctx: SimContext,
    feed: Feed,
    w: LineWriter,
    mal: LineWriter,
    columns: readonly string[] | null,
    redeliver: boolean,
  ) {
    this.ctx = ctx;
    this.feed = feed;
    this.feedId = streamId(feed);
    this.w = w;
    this.mal = mal;
    this.csv = columns !== null;
    this.columns = columns ?? [];
    this.redeliver = redeliver;
    if (columns) this.w.line(columns.join(','));
  }

  render = (r: Record<string, unknown>): string => {
    if (!this.csv) return JSON.stringify(r);
    return csvRow(
      this.columns.map((c) => {
        const v = r[c];
        return v === undefined || v === null
          ? null
          : typeof v === 'number'
            ? v
            : typeof v === 'string'
              ? v
              : JSON.stringify(v);
      }),
    );
  };

  /** Writes one record; returns the line number of the good copy, or null if only a broken one was written. */
  write(rec: Record<string, unknown>, id: string): number | null {
    const n = this.w.lines + 1;
    const feedId = this.feedId;
    if (hash4(this.ctx.seed, S_MAL, feedId, n) / 4294967296 < this.ctx.opts.malformedRate) {
      const rng = new Rng(this.ctx.seed, S_MAL, feedId, n);
      const b = breakRecord(rng, this.feed, rec, this.render, this.csv);
      const line = this.w.line(b.line);
      this.malformed++;
      this.rows++;
      this.mal.line(
        JSON.stringify({
          feed: this.feed,
          file: this.w.path.split('/').pop(),
          line,
          id,
          kind: b.kind,
          detail: b.detail,
          redelivered: this.redeliver,
        }),
      );
      if (!this.redeliver) return null;
    }
    const text = this.render(rec);
    const line = this.w.line(text);
    this.rows++;
    if (hash4(this.ctx.seed, S_DUP, feedId, n) / 4294967296 < this.ctx.opts.duplicateRate) {
      this.w.line(text);
      this.rows++;
      this.duplicates++;
    }
    return line;
  }
}

function fileName(base: string, gzip: boolean): string {
  return gzip ? `${base}.gz` : base;
}

export async function simulate(opts: SimOptions): Promise<SimSummary> {
  const t0 = performance.now();
  const ctx = createContext(opts);
  if (ctx.n + Math.ceil(ctx.n * 0.2) + 16 >= 2 ** 22)
    throw new Error('--enterprises must be at most 3,000,000');
  const days = opts.days;
  const out = opts.out;
  await mkdir(join(out, 'truth'), { recursive: true });
  const gz = opts.gzip;
  const open = (name: string, encoding: 'utf8' | 'gb18030' = 'utf8'): LineWriter =>
    new LineWriter(join(out, fileName(name, gz)), { gzip: gz, encoding });

  const malW = open('truth/malformed.ndjson');
  const regs = new FeedOut(ctx, 'registrations', open('registrations.ndjson'), malW, null, true);
  const chg = new FeedOut(
    ctx,
    'registration_changes',
    open('registration_changes.ndjson'),
    malW,
    null,
    false,
  );
  const truthW = open('truth/enterprises.ndjson');

  const idxBits = 22;
  const IDX_MUL = 2 ** idxBits;
  const adB = new Buckets(days);
  const cB = new Buckets(days);
  const push = (b: Buckets, day: number, sec: number, idx: number, k: number): void => {
    b.days[day - ctx.start]!.push((sec * IDX_MUL + idx) * K_MUL + k);
  };
  const schemes: SchemeDates[] = [];
  const outcomes: { uscc: string; day: number; outcome: 'confirmed' | 'cleared'; idx: number }[] =
    [];
  const counts: Record<string, number> = {};

  // ---- phase 1: enterprises --------------------------------------------------------------
  for (let idx = 0; idx < ctx.n; idx++) {
    const p = plan(ctx, idx);
    counts[`role:${p.role}`] = (counts[`role:${p.role}`] ?? 0) + 1;
    const rng = new Rng(ctx.seed, S_SCHED, idx);
    const first = Math.max(ctx.start, p.established);
    const exists = first <= ctx.end;
    if (exists) {
      const rowRng = new Rng(ctx.seed, S_ROW, idx);
      regs.write(registrationRecord(p, stateOn(p, first), first, rowRng), p.uscc);
      for (const s of p.states) {
        if (s.from > first && s.from <= ctx.end)
          regs.write(registrationRecord(p, s, s.from, rowRng), p.uscc);
      }
      for (const c of p.changes) {
        if (c.day <= ctx.end && c.day >= p.established) {
          chg.write(
            {
              uscc: p.uscc,
              changed_on: ymd(c.day),
              field: c.field,
              before: c.before,
              after: c.after,
            },
            p.uscc,
          );
        }
      }
      await regs.w.maybeFlush();
      await chg.w.maybeFlush();
      await malW.maybeFlush();
      schedule(ctx, p, rng, adB, cB, push);
    }
    const life = p.life;
    if (p.outcome && p.outcome.day <= ctx.end && exists)
      outcomes.push({ uscc: p.uscc, day: p.outcome.day, outcome: p.outcome.outcome, idx });
    if (life && exists)
      schemes.push({
        idx,
        promo: life.promo,
        trouble: life.trouble,
        collapse: life.collapse,
        decided: life.decided,
      });
    const last = stateOn(p, ctx.end);
    truthW.line(
      JSON.stringify({
        uscc: p.uscc,
        role: p.role,
        template: p.template,
        name: last.name,
        in_register: exists,
        established_on: ymd(p.established),
        origin: life?.origin ?? null,
        promotion_start: life ? ymd(life.promo) : null,
        trouble_start: life ? ymd(life.trouble) : null,
        collapse_on: life ? ymd(life.collapse) : p.closure !== null ? ymd(p.closure) : null,
        decided_on: p.outcome ? ymd(p.outcome.day) : null,
        outcome: p.outcome?.outcome ?? null,
        outcome_in_feed: p.outcome !== null && p.outcome.day <= ctx.end && exists,
        complaint_style: life?.complaintStyle ?? null,
        yield_style: life?.yieldStyle ?? null,
        promised_annual_yield: life?.annual ?? null,
      }),
    );
    await truthW.maybeFlush();
  }
  // Complaints and ads about people and shops that are not in the register.
  const strays = Math.max(1, Math.round((ctx.n * 0.12 * days) / 365));
  for (let j = 0; j < strays; j++) {
    const idx = ctx.n + j;
    const rng = new Rng(ctx.seed, S_SCHED, idx);
    const nC = rng.chance(0.8) ? 1 : rng.range(2, 4);
    for (let k = 0; k < nC; k++)
      push(cB, ctx.start + rng.int(days), secOf(rng, COMPLAINT_HOURS), idx, k);
    if (rng.chance(0.35)) {
      const nA = rng.range(1, 6);
      for (let k = 0; k < nA; k++)
        push(adB, ctx.start + rng.int(days), secOf(rng, AD_HOURS), idx, k);
    }
  }

  // ---- case outcomes ---------------------------------------------------------------------
  const co = new FeedOut(
    ctx,
    'case_outcomes',
    open('case_outcomes.csv'),
    malW,
    OUTCOME_COLUMNS,
    true,
  );
  outcomes.sort((a, b) => a.day - b.day || (a.uscc < b.uscc ? -1 : 1));
  let caseNo = 0;
  for (const o of outcomes) {
    const rng = new Rng(ctx.seed, streamId('outcome'), o.idx);
    caseNo++;
    co.write(
      {
        uscc: o.uscc,
        decided_on: ymd(o.day),
        outcome: o.outcome,
        case_ref: rng.chance(0.9)
          ? `珠${rng.pick(['打非', '金监', '市监'])}${o.outcome === 'confirmed' ? '认' : '核'}〔${ymd(o.day).slice(0, 4)}〕${caseNo}号`
          : null,
        note: rng.chance(0.8) ? outcomeNote(rng, o.outcome) : null,
      },
      o.uscc,
    );
  }

  // ---- phase 2: days -----------------------------------------------------------------------
  const ads = new FeedOut(ctx, 'ads', open('ads.ndjson'), malW, null, false);
  const cps = new FeedOut(
    ctx,
    'complaints',
    open('complaints.csv', 'gb18030'),
    malW,
    COMPLAINT_COLUMNS,
    false,
  );
  const links = open('truth/links.ndjson');
  const cache = new Map<number, Plan>();
  const planOf = (idx: number): Plan => {
    let p = cache.get(idx);
    if (p === undefined) {
      if (cache.size >= 10_000) cache.clear();
      p = plan(ctx, idx);
      cache.set(idx, p);
    }
    return p;
  };
  const complaintIdx: Int32Array[] = [];
  for (let di = 0; di < days; di++) {
    const day = ctx.start + di;
    const date = ymd(day).replace(/-/g, '');
    const adKeys = Float64Array.from(adB.days[di]!).sort();
    adB.days[di] = [];
    let seq = 0;
    for (const key of adKeys) {
      const k = key % K_MUL;
      const rest = (key - k) / K_MUL;
      const idx = rest % IDX_MUL;
      const sec = (rest - idx) / IDX_MUL;
      const adId = `AD${date}${String(++seq).padStart(6, '0')}`;
      let rec: Record<string, unknown>;
      let truth: string | null;
      let namedAs: string;
      let wrongUscc = false;
      if (idx >= ctx.n) {
        const rng = new Rng(ctx.seed, S_STRAY, idx, k);
        const who = personName(rng);
        rec = {
          ad_id: adId,
          seen_at: timestamp(day, sec),
          channel: rng.pick(['wechat', 'sms', 'web', 'other', 'offline']),
          advertiser_name: rng.chance(0.5) ? who : null,
          phone: mobile(rng),
          text: rng.pick([
            `${rng.pick(['低息贷款', '无抵押信用贷', '急用钱找我'])}，当天放款，${rng.pick(['不看征信', '手续简单', '额度高'])}，联系${who}`,
            `私人理财顾问${who}，带你稳健理财，月收益${rng.range(3, 10)}%`,
            `${who}：代办营业执照、代理记账，价格优惠`,
            `回收购物卡、加油卡，高价回收，联系${who}`,
          ]),
        };
        truth = null;
        namedAs = 'individual';
      } else {
        const original = k & MAX_ORIGINAL;
        const isDup = (k & DUP_FLAG) !== 0;
        const delta = isDup ? k >> 12 : 0;
        const adDay = day - delta;
        const p = planOf(idx);
        const s = stateOn(p, adDay);
        const rng = new Rng(ctx.seed, S_AD, idx, original);
        const ad = makeAd(rng, p, s, p.life ? phaseOn(p.life, adDay) : null, isDup);
        rec = {
          ad_id: adId,
          seen_at: timestamp(day, sec),
          channel: ad.channel,
          advertiser_name: ad.advertiserName,
        };
        if (rng.chance(0.18)) {
          if (rng.chance(0.06)) {
            rec['advertiser_uscc'] = basics(ctx, rng.int(ctx.n)).uscc;
            wrongUscc = rec['advertiser_uscc'] !== p.uscc;
          } else rec['advertiser_uscc'] = rng.chance(0.04) ? p.uscc.toLowerCase() : p.uscc;
        }
        rec['phone'] = ad.phone;
        rec['url'] = ad.url;
        rec['title'] = ad.title;
        rec['text'] = ad.text;
        truth = p.uscc;
        namedAs = ad.namedAs;
      }
      for (const f of ['advertiser_name', 'phone', 'url', 'title'])
        if (rec[f] === null) delete rec[f];
      const line = ads.write(rec, adId);
      links.line(
        JSON.stringify({
          feed: 'ads',
          id: adId,
          line: line ?? ads.w.lines,
          uscc: truth,
          named_as: namedAs,
          wrong_uscc: wrongUscc,
        }),
      );
      if (ads.w.pending) await ads.w.flush();
      if (links.pending) await links.flush();
      if (malW.pending) await malW.flush();
    }
    const cKeys = Float64Array.from(cB.days[di]!).sort();
    cB.days[di] = [];
    const dayIdx = new Int32Array(cKeys.length);
    seq = 0;
    for (const key of cKeys) {
      const k = key % K_MUL;
      const rest = (key - k) / K_MUL;
      const idx = rest % IDX_MUL;
      const sec = (rest - idx) / IDX_MUL;
      const id = `TS${date}${String(++seq).padStart(5, '0')}`;
      dayIdx[seq - 1] = idx < ctx.n ? idx : -1;
      const rng = new Rng(ctx.seed, S_COMPLAINT, idx, k);
      let c;
      let truth: string | null = null;
      let uscc: string | null = null;
      let district: string | null;
      let ref: string;
      if (idx >= ctx.n) {
        c = makeStrayComplaint(rng);
        district = rng.pick(DISTRICTS).name;
        ref = `C${hash4(ctx.seed, S_STRAY, idx, rng.int(3)).toString(16).padStart(8, '0')}`;
      } else {
        const p = planOf(idx);
        const s = stateOn(p, day);
        const closed = p.closure !== null && day >= p.closure;
        c = makeComplaint(rng, p, s, p.life ? phaseOn(p.life, day) : null, closed);
        truth = p.uscc;
        if (c.namedAs === 'registered' ? rng.chance(0.2) : rng.chance(0.03)) uscc = p.uscc;
        district = rng.chance(0.6)
          ? p.district.name
          : rng.chance(0.6)
            ? rng.pick(DISTRICTS).name
            : null;
        const pool = p.life ? p.life.victims : 50;
        ref = `C${hash4(ctx.seed, S_COMPLAINT, idx, rng.int(pool)).toString(16).padStart(8, '0')}`;
      }
      const rec: Record<string, unknown> = {
        complaint_id: id,
        received_at: timestamp(day, sec),
        channel: c.channel,
        target_name: c.targetName,
        target_uscc: uscc,
        text: c.text,
        amount_cny: c.amount,
        complainant_ref: rng.chance(0.9) ? ref : null,
        district,
      };
      const line = cps.write(rec, id);
      links.line(
        JSON.stringify({
          feed: 'complaints',
          id,
          line: line ?? cps.w.lines,
          uscc: truth,
          named_as: c.namedAs,
        }),
      );
      if (cps.w.pending) await cps.w.flush();
      if (links.pending) await links.flush();
    }
    complaintIdx.push(dayIdx);
  }
  counts['stray_targets'] = strays;
  for (const f of [regs, chg, co, ads, cps]) {
    counts[`malformed:${f.feed}`] = f.malformed;
    counts[`duplicates:${f.feed}`] = f.duplicates;
  }
  const baseline = computeBaseline(complaintIdx, schemes, ctx.start, 30, 50);
  const manifest = open('truth/manifest.json');
  manifest.line(
    JSON.stringify({ options: { ...opts, out: undefined }, counts, baseline }, null, 2),
  );
  const files: FileSummary[] = [];
  for (const w of [regs.w, chg.w, ads.w, cps.w, co.w, truthW, links, malW, manifest]) {
    const lines = w.lines;
    const bytes = await w.close();
    files.push({ file: w.path, rows: lines, bytes });
  }
  return { files, elapsedMs: performance.now() - t0, baseline, counts };
}

function secOf(rng: Rng, hours: readonly (readonly [number, number])[]): number {
  return rng.weighted(hours) * 3600 + rng.int(3600);
}

/** Schedules the ads and complaints of one enterprise into the day buckets. */
function schedule(
  ctx: SimContext,
  p: Plan,
  rng: Rng,
  adB: Buckets,
  cB: Buckets,
  push: (b: Buckets, day: number, sec: number, idx: number, k: number) => void,
): void {
  let kAd = 0;
  let kC = 0;
  const recapture = ctx.opts.recaptureRate * (p.role === 'scheme' ? 1.5 : 1);
  const ad = (day: number): void => {
    if (kAd > MAX_ORIGINAL) return;
    const k = kAd++;
    push(adB, day, secOf(rng, AD_HOURS), p.idx, k);
    if (rng.chance(recapture)) {
      const delta = rng.range(0, 3);
      if (day + delta <= ctx.end)
        push(adB, day + delta, secOf(rng, AD_HOURS), p.idx, k | DUP_FLAG | (delta << 12));
    }
  };
  const complaint = (day: number): void => {
    if (kC >= K_MUL) return;
    push(cB, day, secOf(rng, COMPLAINT_HOURS), p.idx, kC++);
  };
  const first = Math.max(ctx.start, p.established);
  // The enterprise stops trading when it is deregistered, revoked or closed.
  let stop = ctx.end;
  for (const s of p.states) {
    if (s.from >= first && (s.status === '注销' || s.status === '吊销' || s.status === '停业')) {
      stop = Math.min(stop, s.from);
      break;
    }
  }
  if (stateOn(p, first).status === '注销' || stateOn(p, first).status === '吊销') stop = first - 1;
  const constant = (rate: number, from: number, to: number, fn: (d: number) => void): void => {
    if (rate <= 0) return;
    let t = from + rng.exp(1 / rate);
    while (t < to + 1) {
      fn(Math.floor(t));
      t += rng.exp(1 / rate);
    }
  };
  const life = p.life;
  if (life) {
    const from = Math.max(first, life.promo);
    for (let d = from; d <= Math.min(ctx.end, life.collapse - 1); d++) {
      const ramp = Math.min(1, 0.3 + (0.7 * (d - life.promo)) / 30);
      const growth =
        d < life.trouble ? 1 + (d - life.promo) / Math.max(1, life.trouble - life.promo) : 0.8;
      const n = rng.poisson(life.adRate * ramp * growth);
      for (let i = 0; i < n; i++) ad(d);
    }
    const last = Math.min(ctx.end, life.decided + 45);
    for (let d = from; d <= last; d++) {
      let rate: number;
      if (d < life.trouble) rate = life.pre * Math.min(1, (d - life.promo) / 60);
      else if (d < life.collapse) {
        const x = (d - life.trouble) / Math.max(1, life.collapse - life.trouble);
        rate = life.pre + (life.peak * 0.5 - life.pre) * x * x;
      } else rate = life.peak * Math.exp(-(d - life.collapse) / life.tau);
      const n = rng.poisson(Math.max(0, rate));
      for (let i = 0; i < n; i++) complaint(d);
    }
    return;
  }
  const adStop = p.closure !== null ? Math.min(stop, p.closure - 1) : stop;
  constant(p.adRate, first, adStop, ad);
  constant(
    p.complaintRate,
    first,
    p.closure !== null ? Math.min(stop, p.closure - 1) : stop,
    complaint,
  );
  if (p.closure !== null && p.closure <= ctx.end) {
    const burst = rng.real(0.3, 2.5);
    const tau = rng.real(5, 20);
    for (let d = p.closure; d <= Math.min(ctx.end, p.closure + 60); d++) {
      const n = rng.poisson(burst * Math.exp(-(d - p.closure) / tau));
      for (let i = 0; i < n; i++) complaint(d);
    }
  }
  if (p.role === 'decoy_complaints' && rng.chance(0.5)) {
    // A group grievance (延期交房, 物业费): a short burst.
    const d0 = first + rng.int(Math.max(1, stop - first + 1));
    const n = rng.range(5, 25);
    for (let i = 0; i < n; i++) {
      const d = d0 + Math.floor(rng.exp(3));
      if (d <= stop) complaint(d);
    }
  }
}
