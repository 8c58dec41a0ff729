/**
 * Pure generation, shared by the main thread and the worker threads: a chunk of enterprises
 * (register rows, truth, scheduled events) or one day (ads, complaints, links) in, encoded
 * blocks of lines out. Every random decision is keyed by the identity of what it decides about
 * (enterprise, snapshot, day and sequence number), never by a position in a file, so chunks can be
 * generated anywhere and concatenated in order.
 */
import iconv from 'iconv-lite';
import { makeAd } from './ads.ts';
import type { SchemeDates } from './baseline.ts';
import { makeComplaint, makeStrayComplaint } from './complaints.ts';
import type { SimContext, SimOptions } from './config.ts';
import { parseDay, timestamp, ymd } from './dates.ts';
import { basics, phaseOn, plan, stateOn, type Plan, type State } from './enterprise.ts';
import { DISTRICTS } from './lexicon.ts';
import { breakRecord, type Feed } from './malform.ts';
import { mobile, personName } from './people.ts';
import { hash4, Rng, streamId } from './rng.ts';
import { csvRow } from './writer.ts';

export const S_SCHED = streamId('schedule');
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

export const AD_HOURS: readonly (readonly [number, number])[] = [
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
export const COMPLAINT_HOURS: readonly (readonly [number, number])[] = [
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

export function secOf(rng: Rng, hours: readonly (readonly [number, number])[]): number {
  return rng.weighted(hours) * 3600 + rng.int(3600);
}

/** Schedules the ads and complaints of one enterprise into the day buckets. */
export function schedule(ctx: SimContext, p: Plan, rng: Rng, sink: EventSink): void {
  let kAd = 0;
  let kC = 0;
  const recapture = ctx.opts.recaptureRate * (p.role === 'scheme' ? 1.5 : 1);
  const ad = (day: number): void => {
    if (kAd > MAX_ORIGINAL) return;
    const k = kAd++;
    sink.ad(day, eventKey(secOf(rng, AD_HOURS), p.idx, k));
    if (rng.chance(recapture)) {
      const delta = rng.range(0, 3);
      if (day + delta <= ctx.end)
        sink.ad(day + delta, eventKey(secOf(rng, AD_HOURS), p.idx, k | DUP_FLAG | (delta << 12)));
    }
  };
  const complaint = (day: number): void => {
    if (kC >= K_MUL) return;
    sink.complaint(day, eventKey(secOf(rng, COMPLAINT_HOURS), p.idx, kC++));
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
    // late_complaints: nothing until the last days before the collapse, then the rise
    const quietUntil = life.lateDays === undefined ? -Infinity : life.collapse - life.lateDays;
    for (let d = from; d <= last; d++) {
      let rate: number;
      if (d < quietUntil) rate = 0;
      else if (life.lateDays !== undefined && d < life.collapse)
        rate = life.peak * 0.5 * ((d - quietUntil + 1) / life.lateDays) ** 2;
      else if (d < life.trouble) rate = life.pre * Math.min(1, (d - life.promo) / 60);
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

/** Where scheduled events go: day number and sortable key (second of day, enterprise, k). */
export interface EventSink {
  ad(day: number, key: number): void;
  complaint(day: number, key: number): void;
}

export const IDX_BITS = 22;
const IDX_MUL = 2 ** IDX_BITS;

export function eventKey(sec: number, idx: number, k: number): number {
  return (sec * IDX_MUL + idx) * K_MUL + k;
}

function decodeKey(key: number): { sec: number; idx: number; k: number } {
  const k = key % K_MUL;
  const rest = (key - k) / K_MUL;
  const idx = rest % IDX_MUL;
  return { sec: (rest - idx) / IDX_MUL, idx, k };
}

export interface MalformedEntry {
  feed: Feed;
  /** Line number within the block (1-based); the writer adds the block's offset. */
  line: number;
  id: string;
  kind: string;
  detail: string;
  redelivered: boolean;
}

/** Lines of one feed generated for one chunk, with malformed rows and duplicates decided per record. */
export class FeedBlock {
  readonly feed: Feed;
  private readonly feedId: number;
  private readonly seed: number;
  private readonly malformedRate: number;
  private readonly duplicateRate: number;
  private readonly columns: readonly string[] | null;
  private readonly redeliver: boolean;
  private parts: string[] = [];
  lines = 0;
  malformed: MalformedEntry[] = [];
  duplicates = 0;

  constructor(opts: SimOptions, feed: Feed, columns: readonly string[] | null, redeliver: boolean) {
    this.feed = feed;
    this.feedId = streamId(feed);
    this.seed = opts.seed >>> 0;
    this.malformedRate = opts.malformedRate;
    this.duplicateRate = opts.duplicateRate;
    this.columns = columns;
    this.redeliver = redeliver;
  }

  private line(s: string): number {
    this.parts.push(s, '\n');
    return ++this.lines;
  }

  render = (r: Record<string, unknown>): string => {
    if (this.columns === null) return JSON.stringify(r);
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

  /** Writes one record identified by (a, b) for the random decisions. */
  write(rec: Record<string, unknown>, id: string, a: number, b: number): void {
    if (hash4(this.seed, S_MAL ^ this.feedId, a, b) / 4294967296 < this.malformedRate) {
      const rng = new Rng(this.seed, S_MAL ^ this.feedId, a, b);
      const broken = breakRecord(rng, this.feed, rec, this.render, this.columns !== null);
      const line = this.line(broken.line);
      this.malformed.push({
        feed: this.feed,
        line,
        id,
        kind: broken.kind,
        detail: broken.detail,
        redelivered: this.redeliver,
      });
      if (!this.redeliver) return;
    }
    const text = this.render(rec);
    this.line(text);
    if (hash4(this.seed, S_DUP ^ this.feedId, a, b) / 4294967296 < this.duplicateRate) {
      this.line(text);
      this.duplicates++;
    }
  }

  /** The block's bytes (UTF-8, or GB18030 for the complaints CSV). */
  take(encoding: 'utf8' | 'gb18030' = 'utf8'): Uint8Array {
    const text = this.parts.join('');
    this.parts = [];
    return encoding === 'utf8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'gb18030');
  }
}

/** Plain lines (truth files). */
export class TextBlock {
  private parts: string[] = [];
  lines = 0;
  line(s: string): void {
    this.parts.push(s, '\n');
    this.lines++;
  }
  take(): Uint8Array {
    const b = Buffer.from(this.parts.join(''), 'utf8');
    this.parts = [];
    return b;
  }
}

export interface OutcomeRow {
  uscc: string;
  day: number;
  outcome: 'confirmed' | 'cleared';
  idx: number;
}

export interface Block {
  bytes: Uint8Array;
  lines: number;
  malformed: MalformedEntry[];
  duplicates: number;
}

export interface EnterpriseChunk {
  registrations: Block;
  changes: Block;
  truth: Block;
  /** Scheduled events: parallel arrays of day index (from the first day) and key. */
  adDays: Int32Array;
  adKeys: Float64Array;
  cDays: Int32Array;
  cKeys: Float64Array;
  outcomes: OutcomeRow[];
  schemes: SchemeDates[];
  roles: Record<string, number>;
}

/** A view that owns its whole ArrayBuffer (small Buffers share a pool), so it can be transferred. */
function owned(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : new Uint8Array(bytes);
}

function block(b: FeedBlock | TextBlock, encoding: 'utf8' | 'gb18030' = 'utf8'): Block {
  if (b instanceof TextBlock)
    return { bytes: owned(b.take()), lines: b.lines, malformed: [], duplicates: 0 };
  return {
    bytes: owned(b.take(encoding)),
    lines: b.lines,
    malformed: b.malformed,
    duplicates: b.duplicates,
  };
}

/** Register rows, truth and scheduled events of enterprises [from, to). */
export function generateEnterprises(ctx: SimContext, from: number, to: number): EnterpriseChunk {
  const regs = new FeedBlock(ctx.opts, 'registrations', null, true);
  const chg = new FeedBlock(ctx.opts, 'registration_changes', null, false);
  const truth = new TextBlock();
  const adDays: number[] = [];
  const adKeys: number[] = [];
  const cDays: number[] = [];
  const cKeys: number[] = [];
  const sink: EventSink = {
    ad: (day, key) => {
      adDays.push(day - ctx.start);
      adKeys.push(key);
    },
    complaint: (day, key) => {
      cDays.push(day - ctx.start);
      cKeys.push(key);
    },
  };
  const outcomes: OutcomeRow[] = [];
  const schemes: SchemeDates[] = [];
  const roles: Record<string, number> = {};
  for (let idx = from; idx < to; idx++) {
    const p = plan(ctx, idx);
    roles[p.role] = (roles[p.role] ?? 0) + 1;
    for (const t of p.life?.traits ?? []) roles[`trait:${t}`] = (roles[`trait:${t}`] ?? 0) + 1;
    const first = Math.max(ctx.start, p.established);
    const exists = first <= ctx.end;
    if (exists) {
      const rowRng = new Rng(ctx.seed, S_ROW, idx);
      regs.write(registrationRecord(p, stateOn(p, first), first, rowRng), p.uscc, idx, 0);
      let snap = 0;
      for (const s of p.states) {
        if (s.from > first && s.from <= ctx.end)
          regs.write(registrationRecord(p, s, s.from, rowRng), p.uscc, idx, ++snap);
      }
      p.changes.forEach((c, i) => {
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
            idx,
            i,
          );
        }
      });
      schedule(ctx, p, new Rng(ctx.seed, S_SCHED, idx), sink);
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
    const t: Record<string, unknown> = {
      uscc: p.uscc,
      role: p.role,
      template: p.template,
      name: last.name,
      in_register: exists,
      established_on: ymd(p.established),
    };
    if (life) {
      t['origin'] = life.origin;
      t['promotion_start'] = ymd(life.promo);
      t['trouble_start'] = ymd(life.trouble);
      t['collapse_on'] = ymd(life.collapse);
      t['complaint_style'] = life.complaintStyle;
      t['yield_style'] = life.yieldStyle;
      t['promised_annual_yield'] = life.annual;
      if (life.traits !== undefined) t['traits'] = life.traits;
      if (p.productKeys !== undefined) t['product'] = p.product;
    } else if (p.closure !== null) t['collapse_on'] = ymd(p.closure);
    if (p.outcome) {
      t['decided_on'] = ymd(p.outcome.day);
      t['outcome'] = p.outcome.outcome;
      t['outcome_in_feed'] = p.outcome.day <= ctx.end && exists;
    }
    truth.line(JSON.stringify(t));
  }
  return {
    registrations: block(regs),
    changes: block(chg),
    truth: block(truth),
    adDays: Int32Array.from(adDays),
    adKeys: Float64Array.from(adKeys),
    cDays: Int32Array.from(cDays),
    cKeys: Float64Array.from(cKeys),
    outcomes,
    schemes,
    roles,
  };
}

/** Events about people and shops that are not in the register. */
export function scheduleStrays(ctx: SimContext, sink: EventSink): number {
  const days = ctx.end - ctx.start + 1;
  const strays = Math.max(1, Math.round((ctx.n * 0.12 * days) / 365));
  for (let j = 0; j < strays; j++) {
    const idx = ctx.n + j;
    const rng = new Rng(ctx.seed, S_SCHED, idx);
    const nC = rng.chance(0.8) ? 1 : rng.range(2, 4);
    for (let k = 0; k < nC; k++)
      sink.complaint(ctx.start + rng.int(days), eventKey(secOf(rng, COMPLAINT_HOURS), idx, k));
    if (rng.chance(0.35)) {
      const nA = rng.range(1, 6);
      for (let k = 0; k < nA; k++)
        sink.ad(ctx.start + rng.int(days), eventKey(secOf(rng, AD_HOURS), idx, k));
    }
  }
  return strays;
}

export interface DayChunk {
  ads: Block;
  complaints: Block;
  links: Block;
  /** Enterprise index of each complaint of the day (−1 = not in the register), for the baseline. */
  complaintIdx: Int32Array;
}

/** Two-generation cache of light plans (per thread): recent advertisers stay, old ones age out. */
let young = new Map<number, Plan>();
let old = new Map<number, Plan>();
let cacheSeed = -1;
const CACHE_GENERATION = 20_000;

function cachedPlan(ctx: SimContext, idx: number): Plan {
  if (cacheSeed !== ctx.seed) {
    young = new Map();
    old = new Map();
    cacheSeed = ctx.seed;
  }
  let p = young.get(idx);
  if (p !== undefined) return p;
  p = old.get(idx) ?? plan(ctx, idx, true);
  if (young.size >= CACHE_GENERATION) {
    old = young;
    young = new Map();
  }
  young.set(idx, p);
  return p;
}

/** Ads, complaints and truth links of day index `di`, from its scheduled event keys. */
export function generateDay(
  ctx: SimContext,
  di: number,
  adKeys: Float64Array,
  cKeys: Float64Array,
): DayChunk {
  const day = ctx.start + di;
  const date = ymd(day).replace(/-/g, '');
  const ads = new FeedBlock(ctx.opts, 'ads', null, false);
  const cps = new FeedBlock(ctx.opts, 'complaints', COMPLAINT_COLUMNS, false);
  const links = new TextBlock();
  adKeys.sort();
  cKeys.sort();
  let seq = 0;
  for (const key of adKeys) {
    const { sec, idx, k } = decodeKey(key);
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
      const adDay = day - (isDup ? k >> 12 : 0);
      const p = cachedPlan(ctx, idx);
      const s = stateOn(p, adDay);
      const rng = new Rng(ctx.seed, S_AD, idx, original);
      const ad = makeAd(rng, p, s, p.life ? phaseOn(p.life, adDay) : null, isDup);
      rec = {
        ad_id: adId,
        seen_at: timestamp(day, sec),
        channel: ad.channel,
        advertiser_name: ad.advertiserName,
      };
      // a scheme known by its product rarely prints its own USCC
      if (rng.chance(p.productKeys ? 0.02 : 0.18)) {
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
    ads.write(rec, adId, day, seq);
    links.line(
      `{"feed":"ads","id":"${adId}","uscc":${truth === null ? 'null' : `"${truth}"`},"named_as":"${namedAs}","wrong_uscc":${wrongUscc}}`,
    );
  }
  const complaintIdx = new Int32Array(cKeys.length);
  seq = 0;
  for (const key of cKeys) {
    const { sec, idx, k } = decodeKey(key);
    const id = `TS${date}${String(++seq).padStart(5, '0')}`;
    complaintIdx[seq - 1] = idx < ctx.n ? idx : -1;
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
      const p = cachedPlan(ctx, idx);
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
    cps.write(
      {
        complaint_id: id,
        received_at: timestamp(day, sec),
        channel: c.channel,
        target_name: c.targetName,
        target_uscc: uscc,
        text: c.text,
        amount_cny: c.amount,
        complainant_ref: rng.chance(0.9) ? ref : null,
        district,
      },
      id,
      day,
      seq,
    );
    links.line(
      `{"feed":"complaints","id":"${id}","uscc":${truth === null ? 'null' : `"${truth}"`},"named_as":"${c.namedAs}"}`,
    );
  }
  return { ads: block(ads), complaints: block(cps, 'gb18030'), links: block(links), complaintIdx };
}

/** Case outcome rows (few: written by the main thread). */
export function outcomeBlock(ctx: SimContext, outcomes: readonly OutcomeRow[]): Block {
  const co = new FeedBlock(ctx.opts, 'case_outcomes', OUTCOME_COLUMNS, true);
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
      o.idx,
      0,
    );
  }
  return block(co);
}
