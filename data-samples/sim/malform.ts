/** Deliberately broken rows for the quarantine path. Each returns the broken line and a reason. */
import { USCC_ALPHABET, withUsccCheckChar } from '../../pipeline/feeds/uscc.ts';
import type { Rng } from './rng.ts';

export type Feed =
  'registrations' | 'registration_changes' | 'ads' | 'complaints' | 'case_outcomes';

export interface Broken {
  line: string;
  kind: string;
  detail: string;
}

type Obj = Record<string, unknown>;

const BAD_DATES = [
  '2026-02-30',
  '2026-13-01',
  '2026/3/15',
  '20260315',
  '2026-06-31',
  '15-03-2026',
  '2026年3月5日',
];
const BAD_TS = [
  '2026-03-01 25:10:00+08:00',
  '2026-02-30T10:00:00+08:00',
  '03/01/2026 09:30',
  '2026-03-01T09:60:00+08:00',
  '昨天下午',
];

export function badUscc(rng: Rng, u: string): string {
  if (rng.chance(0.25)) {
    // A letter that never occurs (O for 0, I for 1).
    const i = u.indexOf('0') >= 0 ? u.indexOf('0') : u.indexOf('1');
    if (i >= 0) return u.slice(0, i) + (u[i] === '0' ? 'O' : 'I') + u.slice(i + 1);
  }
  let c = u[17]!;
  while (c === u[17]) c = USCC_ALPHABET[rng.int(31)]!;
  return u.slice(0, 17) + c;
}

interface FeedSpec {
  uscc: string | null;
  date: string | null;
  timestamp: string | null;
  required: readonly string[];
  enums: readonly (readonly [string, readonly string[]])[];
  amount: string | null;
}

const SPECS: Record<Feed, FeedSpec> = {
  registrations: {
    uscc: 'uscc',
    date: 'as_of',
    timestamp: null,
    required: ['name', 'as_of'],
    enums: [['status', ['正常', 'active', '开业']]],
    amount: 'registered_capital_wan',
  },
  registration_changes: {
    uscc: 'uscc',
    date: 'changed_on',
    timestamp: null,
    required: ['changed_on', 'field'],
    enums: [['field', ['名称', 'capital', 'manager']]],
    amount: null,
  },
  ads: {
    uscc: 'advertiser_uscc',
    date: null,
    timestamp: 'seen_at',
    required: ['ad_id', 'text', 'channel'],
    enums: [['channel', ['douyin', 'tiktok', 'tv', '微信']]],
    amount: null,
  },
  complaints: {
    uscc: 'target_uscc',
    date: null,
    timestamp: 'received_at',
    required: ['complaint_id', 'target_name', 'text'],
    enums: [['channel', ['12345', 'phone', 'email']]],
    amount: 'amount_cny',
  },
  case_outcomes: {
    uscc: 'uscc',
    date: 'decided_on',
    timestamp: null,
    required: ['outcome', 'decided_on'],
    enums: [['outcome', ['pending', '认定', 'closed']]],
    amount: null,
  },
};

/** Breaks a record. `render` turns the (modified) record into its line in the file's format. */
export function breakRecord(
  rng: Rng,
  feed: Feed,
  rec: Obj,
  render: (r: Obj) => string,
  csv: boolean,
): Broken {
  const spec = SPECS[feed];
  const kinds: string[] = ['broken_line', 'missing_required', 'unknown_enum'];
  if (
    spec.uscc !== null &&
    (typeof rec[spec.uscc] === 'string' ||
      spec.uscc === 'advertiser_uscc' ||
      spec.uscc === 'target_uscc')
  )
    kinds.push('bad_check_digit', 'bad_check_digit');
  if (spec.date !== null) kinds.push('bad_date', 'bad_date');
  if (spec.timestamp !== null) kinds.push('bad_timestamp', 'bad_timestamp');
  if (spec.amount !== null) kinds.push('negative_amount');
  const kind = rng.pick(kinds);
  const r: Obj = { ...rec };
  switch (kind) {
    case 'missing_required': {
      const f = rng.pick(spec.required);
      if (csv) r[f] = null;
      else delete r[f];
      return { line: render(r), kind, detail: `${f} missing` };
    }
    case 'unknown_enum': {
      const [f, values] = rng.pick(spec.enums);
      r[f] = rng.pick(values);
      return { line: render(r), kind, detail: `${f} = ${String(r[f])}` };
    }
    case 'bad_check_digit': {
      const f = spec.uscc!;
      const u = typeof rec[f] === 'string' ? rec[f] : null;
      if (u === null) {
        // Optional USCC not present: give one that is broken.
        r[f] = badUscc(rng, withUsccCheckChar('91440400MA4W0LQX5'));
      } else r[f] = badUscc(rng, u);
      return { line: render(r), kind, detail: `${f} = ${String(r[f])}` };
    }
    case 'bad_date':
      r[spec.date!] = rng.pick(BAD_DATES);
      return { line: render(r), kind, detail: `${spec.date!} = ${String(r[spec.date!])}` };
    case 'bad_timestamp':
      r[spec.timestamp!] = rng.pick(BAD_TS);
      return {
        line: render(r),
        kind,
        detail: `${spec.timestamp!} = ${String(r[spec.timestamp!])}`,
      };
    case 'negative_amount': {
      const f = spec.amount!;
      const v = typeof rec[f] === 'number' ? rec[f] : rng.range(100, 50000);
      r[f] = -Math.max(1, v);
      return { line: render(r), kind, detail: `${f} = ${String(r[f])}` };
    }
    default: {
      const full = render(r);
      if (csv) {
        // A row cut short: fewer cells than the header.
        const cells = full.split(',');
        const keep = Math.max(1, Math.min(cells.length - 2, Math.floor(cells.length / 2)));
        const line = cells.slice(0, keep).join(',');
        // Cutting inside a quoted cell would leave an open quote that swallows later lines.
        const safe = (line.match(/"/g) ?? []).length % 2 === 0 ? line : line.replace(/"/g, '');
        return { line: safe, kind, detail: 'row cut short (too few cells)' };
      }
      const cut = Math.max(1, Math.floor(full.length * rng.real(0.2, 0.9)));
      return { line: full.slice(0, cut), kind, detail: 'truncated JSON line' };
    }
  }
}
