/**
 * The vocabulary of watchlists and notifications: what can be watched, what can be subscribed to,
 * and which roles may do each (api/README.md, "Watchlists and notifications").
 */
import type { Role } from '../auth/index.ts';

export const ENTRY_KINDS = [
  'enterprise',
  'person',
  'phone',
  'address',
  'domain',
  'keyword',
] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export const ENTRY_KIND_ZH: Readonly<Record<EntryKind, string>> = {
  enterprise: '企业',
  person: '人员',
  phone: '电话',
  address: '地址',
  domain: '网站域名',
  keyword: '品牌关键词',
};

export const SUBSCRIPTION_KINDS = [
  'watch_hits',
  'new_alerts',
  'my_cases',
  'office_queue',
  'feed_problems',
] as const;
export type SubscriptionKind = (typeof SUBSCRIPTION_KINDS)[number];

export const SUBSCRIPTION_KIND_ZH: Readonly<Record<SubscriptionKind, string>> = {
  watch_hits: '关注名单命中',
  new_alerts: '本辖区新增红/橙色预警',
  my_cases: '分配给我的案件有变化',
  office_queue: '待本单位处理的移交和审批',
  feed_problems: '数据批次失败或挂起',
};

/** Who may subscribe to what (checked again whenever a notification is made). */
export const SUBSCRIPTION_ROLES: Readonly<Record<SubscriptionKind, readonly Role[]>> = {
  watch_hits: ['regulator', 'investigator', 'admin'],
  new_alerts: ['regulator', 'investigator', 'data_scientist', 'admin'],
  my_cases: ['regulator', 'investigator', 'admin'],
  office_queue: ['regulator', 'admin'],
  feed_problems: ['data_scientist', 'admin'],
};

/** Who may keep watchlists: the roles that may search the register (a watched person is a lookup of personal data). */
export const WATCHLIST_ROLES: readonly Role[] = ['regulator', 'investigator', 'admin'];

/** Event kinds (notification_events.kind). */
export const EVENT_KIND_ZH: Readonly<Record<string, string>> = {
  complaint: '新投诉',
  ad: '新广告',
  new_enterprise: '新设企业',
  register: '登记信息变更',
  change: '变更登记',
  outcome: '核查结论',
  level: '预警等级变化',
  alert: '新增预警',
  disposition: '处置',
  batch: '数据批次',
  referral: '移交待接收',
  approval: '待审批',
};

export const LEVEL_ZH: Readonly<Record<string, string>> = { red: '红', orange: '橙', yellow: '黄' };

/** Default life of a watch entry when none is given. */
export const DEFAULT_ENTRY_DAYS = 180;
/** Longest life of a watch entry: it must be looked at again at least this often. */
export const MAX_ENTRY_DAYS = 730;
