/** zh-CN words for the codes the API returns. */

export const LEVEL_ZH: Readonly<Record<string, string>> = { red: '红', orange: '橙', yellow: '黄' };

export const CHANGE_ZH: Readonly<Record<string, string>> = {
  new: '新增',
  level_up: '升级',
  level_down: '降级',
  dropped: '移出',
};

export const HISTORY_KIND_ZH: Readonly<Record<string, string>> = {
  established: '成立',
  change: '工商变更',
  ad: '广告',
  complaint: '投诉',
  score: '评分',
  disposition: '处置',
  outcome: '结论',
  referral: '移交',
  approval: '审批',
};

export const CHANNEL_ZH: Readonly<Record<string, string>> = {
  web: '网站',
  wechat: '微信',
  weibo: '微博',
  sms: '短信',
  app: 'App',
  video: '短视频',
  outdoor: '户外',
  print: '平面',
  tv: '电视',
  radio: '广播',
  offline: '线下',
  douyin: '抖音',
  other: '其他',
  portal: '网上平台',
  hotline_12345: '12345 热线',
  letter: '来信',
  visit: '来访',
  referral: '部门移送',
  email: '邮件',
};

export const LINK_METHOD_ZH: Readonly<Record<string, string>> = {
  uscc: '信用代码',
  name: '名称',
  alias: '简称',
  fuzzy: '模糊匹配',
  phone: '电话',
  website: '网站',
  address: '地址',
};

export const SHARED_KIND_ZH: Readonly<Record<string, string>> = {
  legal_rep: '同一法定代表人',
  address: '同一地址',
  phone: '同一电话',
  shareholder: '共同股东',
};

export const ROLE_ZH: Readonly<Record<string, string>> = {
  regulator: '监管人员',
  investigator: '调查人员',
  data_scientist: '数据分析',
  admin: '管理员',
};

export const RUN_STATUS_ZH: Readonly<Record<string, string>> = {
  queued: '排队中',
  running: '运行中',
  ok: '成功',
  failed: '失败',
  held: '暂扣待处理',
  warning: '部分文件无法读取',
};

export const FEED_ZH: Readonly<Record<string, string>> = {
  registrations: '工商登记',
  registration_changes: '工商变更',
  ads: '广告监测',
  complaints: '投诉举报',
  case_outcomes: '案件结论',
};

export const FIELD_ZH: Readonly<Record<string, string>> = {
  name: '名称',
  legal_rep: '法定代表人',
  address: '地址',
  business_scope: '经营范围',
  registered_capital_wan: '注册资本',
  paid_in_capital_wan: '实缴资本',
  status: '登记状态',
  phone: '电话',
  website: '网站',
  shareholders: '股东',
  district: '区县',
  industry_code: '行业',
  enterprise_type: '企业类型',
};

export const SCORER_ZH: Readonly<Record<string, string>> = {
  model: '模型',
  rules: '规则指数',
  complaints: '基线：30 天投诉最多',
};

/** A JSON value as display text ('' for null, objects and arrays). */
export function text(v: unknown): string {
  return typeof v === 'string'
    ? v
    : typeof v === 'number' || typeof v === 'boolean'
      ? String(v)
      : '';
}

export function zh(
  map: Readonly<Record<string, string>>,
  key: string | null | undefined,
  dflt = '—',
): string {
  if (key === null || key === undefined || key === '') return dflt;
  return map[key] ?? key;
}

/** 0.8734 → "0.873" */
export function fmtScore(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(3);
}

export function fmtPct(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x)
    ? '—'
    : `${(x * 100).toFixed(digits)}%`;
}

/** '2026-03-01T09:12:00+08:00' → '2026-03-01 09:12' */
export function fmtTime(s: string | null | undefined): string {
  if (!s) return '—';
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2})/.exec(s);
  if (!m) return s;
  return m[2] === '00:00' && /T00:00:00/.test(s) ? m[1]! : `${m[1]} ${m[2]}`;
}

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('zh-CN');
}

export function fmtCny(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  return n >= 10_000
    ? `${(n / 10_000).toLocaleString('zh-CN', { maximumFractionDigits: 2 })} 万元`
    : `${n.toLocaleString('zh-CN')} 元`;
}
