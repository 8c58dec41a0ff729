/**
 * The five feeds of the contract (../shared/FEEDS.md): fields, natural keys, and the column each
 * lands in. Tables are created by pipeline/sql/migrations; a test checks they agree with this file.
 */
import {
  date,
  id,
  nonNegative,
  oneOf,
  parseTimestamp,
  pattern,
  shareholders,
  text,
  uscc,
  type FieldSpec,
} from './fields.ts';

export const FEED_NAMES = [
  'registrations',
  'registration_changes',
  'ads',
  'complaints',
  'case_outcomes',
] as const;
export type FeedName = (typeof FEED_NAMES)[number];

export function isFeedName(s: string): s is FeedName {
  return (FEED_NAMES as readonly string[]).includes(s);
}

export interface FeedSpec {
  name: FeedName;
  fields: readonly FieldSpec[];
  /** Fields that form the natural key. */
  key: readonly string[];
  /** The record's own time, used for point-in-time queries. */
  timeField: string;
  /** A derived column: the Asia/Shanghai day of a timestamp field. */
  dayOf?: { field: string; column: string };
}

function timestamp(name: string, required = false): FieldSpec {
  return { name, required, sqlType: 'TIMESTAMPTZ', parse: (v) => parseTimestamp(name, v).iso };
}

export const REGISTRATION_STATUSES = ['存续', '在业', '吊销', '注销', '迁出', '停业'] as const;
export const CHANGE_FIELDS = [
  'name',
  'legal_rep',
  'address',
  'registered_capital',
  'business_scope',
  'shareholder',
  'industry',
  'status',
  'other',
] as const;
export const AD_CHANNELS = [
  'web',
  'app',
  'wechat',
  'weibo',
  'sms',
  'video',
  'offline',
  'other',
] as const;
export const COMPLAINT_CHANNELS = [
  'hotline_12345',
  'portal',
  'letter',
  'visit',
  'referral',
  'other',
] as const;
export const OUTCOMES = ['confirmed', 'cleared'] as const;

export const FEEDS: Record<FeedName, FeedSpec> = {
  registrations: {
    name: 'registrations',
    key: ['uscc', 'as_of'],
    timeField: 'as_of',
    fields: [
      uscc('uscc', true),
      id('name', true),
      date('as_of', true),
      date('established_on'),
      text('legal_rep'),
      nonNegative('registered_capital_wan'),
      nonNegative('paid_in_capital_wan'),
      oneOf('status', REGISTRATION_STATUSES),
      text('enterprise_type'),
      pattern('industry_code', /^[A-T]\d{0,4}$/, 'not a GB/T 4754 code (letter + up to 4 digits)'),
      text('business_scope'),
      text('address'),
      text('district'),
      text('phone'),
      text('website'),
      shareholders('shareholders'),
    ],
  },
  registration_changes: {
    name: 'registration_changes',
    key: ['uscc', 'changed_on', 'field', 'after'],
    timeField: 'changed_on',
    fields: [
      uscc('uscc', true),
      date('changed_on', true),
      oneOf('field', CHANGE_FIELDS, true),
      text('before'),
      text('after'),
    ],
  },
  ads: {
    name: 'ads',
    key: ['ad_id'],
    timeField: 'seen_day',
    dayOf: { field: 'seen_at', column: 'seen_day' },
    fields: [
      id('ad_id', true),
      timestamp('seen_at', true),
      oneOf('channel', AD_CHANNELS, true),
      text('advertiser_name'),
      uscc('advertiser_uscc'),
      text('phone'),
      text('url'),
      text('title'),
      text('text', true),
    ],
  },
  complaints: {
    name: 'complaints',
    key: ['complaint_id'],
    timeField: 'received_day',
    dayOf: { field: 'received_at', column: 'received_day' },
    fields: [
      id('complaint_id', true),
      timestamp('received_at', true),
      oneOf('channel', COMPLAINT_CHANNELS, true),
      text('target_name', true),
      uscc('target_uscc'),
      text('text', true),
      nonNegative('amount_cny'),
      text('complainant_ref'),
      text('district'),
    ],
  },
  case_outcomes: {
    name: 'case_outcomes',
    key: ['uscc', 'decided_on'],
    timeField: 'decided_on',
    fields: [
      uscc('uscc', true),
      date('decided_on', true),
      oneOf('outcome', OUTCOMES, true),
      text('case_ref'),
      text('note'),
    ],
  },
};

/** Columns of a feed's tables in order, without the meta columns (_key, _hash, _batch, _line). */
export function dataColumns(spec: FeedSpec): { name: string; sqlType: string }[] {
  const cols: { name: string; sqlType: string }[] = [];
  for (const f of spec.fields) {
    cols.push({ name: f.name, sqlType: f.sqlType });
    if (spec.dayOf?.field === f.name) cols.push({ name: spec.dayOf.column, sqlType: 'DATE' });
  }
  cols.push({ name: 'extra', sqlType: 'JSON' });
  return cols;
}

export const META_COLUMNS = ['_key', '_hash', '_batch', '_line'] as const;
