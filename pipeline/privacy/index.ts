/**
 * The personal-data catalogue: what is personal, by meaning, and which role may see which kind.
 * One catalogue, applied to every API response (api/privacy.ts), export and dashboard page:
 *
 *   person_name   names of natural persons: legal representatives, person shareholders, the
 *                 before / after of a legal-representative or shareholder change, and names in
 *                 free text (any name the register knows as a person's; names after cue words
 *                 such as 我叫 / 联系人 / 先生)
 *   phone         phone numbers: the register's and ads' phone fields, numbers in free text
 *   id_number     resident identity card numbers (18 or 15 digits) anywhere in text
 *   complainant   who complained: complainant_ref, and everything in a complaint's text that could
 *                 identify its author (names, phones, ID numbers in it are masked as this kind)
 *
 * Enterprise data (names, USCC, the registered address 住所, district, capital) is not personal.
 *
 * Structured fields are removed; free text keeps its length (masked with *), so the evidence spans
 * (UTF-16 offsets) stay valid. docs/security.md holds the table and its tests.
 */
import type { Role } from '../auth/index.ts';

export const PERSONAL_KINDS = ['person_name', 'phone', 'id_number', 'complainant'] as const;
export type PersonalKind = (typeof PERSONAL_KINDS)[number];

/** Which kinds each role may see. */
export const ROLE_SEES: Readonly<Record<Role, ReadonlySet<PersonalKind>>> = {
  admin: new Set(PERSONAL_KINDS),
  investigator: new Set(PERSONAL_KINDS),
  regulator: new Set(['person_name', 'phone']),
  data_scientist: new Set(),
};

/** Roles that may search by a person's name or phone (each such search is audited). */
export const PERSON_SEARCH_ROLES: readonly Role[] = ['investigator', 'admin'];

export function maySee(role: Role, kind: PersonalKind): boolean {
  return ROLE_SEES[role].has(kind);
}

/** Fields that always hold personal data of one kind, wherever they appear. */
export const PERSONAL_FIELDS: Readonly<Record<string, PersonalKind>> = {
  legal_rep: 'person_name',
  shareholder: 'person_name',
  phone: 'phone',
  complainant_ref: 'complainant',
  id_number: 'id_number',
};

/** Register change fields whose before / after are person names. */
export const PERSON_CHANGE_FIELDS: ReadonlySet<string> = new Set(['legal_rep', 'shareholder']);

/** Keys whose string values are identifiers, times or opaque cursors: never masked. */
const OPAQUE_KEYS = new Set([
  'id',
  'uscc',
  'advertiser_uscc',
  'target_uscc',
  'ad_id',
  'complaint_id',
  'next_cursor',
  'cursor',
  'key',
  'day',
  'date',
  'as_of',
  'at',
  'seen_at',
  'received_at',
  'changed_on',
  'decided_on',
  'published_at',
  'request_id',
]);

// ---- free text -----------------------------------------------------------------------------------

const NB = '(?<![0-9A-Za-z])';
const NA = '(?![0-9A-Za-z])';
/** Mainland mobiles (with +86, spaces or dashes) and landlines with an area code. */
const PHONE_RE = new RegExp(
  `${NB}(?:(?:\\+|00)?86[- ]?)?1[3-9]\\d(?:[- ]?\\d{4}){2}${NA}|${NB}0\\d{2,3}-?\\d{7,8}${NA}`,
  'g',
);
/** Resident identity card numbers: 18 characters (birth date inside) or the old 15 digits. */
const ID_RE = new RegExp(
  `${NB}[1-9]\\d{5}(?:18|19|20)\\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])\\d{3}[\\dXx]${NA}|${NB}[1-9]\\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\\d|3[01])\\d{3}${NA}`,
  'g',
);
const CJK = '[\\u3400-\\u9fff]';
/** A name after a cue word (我叫张三, 联系人：李四, 业务员王五). */
const CUE_NAME_RE = new RegExp(
  `(?:我叫|我是|本人|姓名|名叫|联系人|经办人|业务员|介绍人|推荐人|法人|法定代表人|负责人)[:：\\s]*(${CJK}{2,3})`,
  'gu',
);
/** 百家姓 (single-character surnames in common use) before a title: 王先生, 李女士, 张总. */
const SURNAMES =
  '赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜谢邹喻柏窦章苏潘葛奚范彭鲁韦昌马苗凤方俞任袁柳鲍史唐费廉岑薛雷贺倪汤滕殷罗毕郝邬安常乐于傅皮卞齐康伍余元卜顾孟黄穆萧尹姚邵湛汪祁毛禹狄米贝明臧计伏成戴谈宋茅庞熊纪舒屈项祝董梁杜阮蓝闵席季麻强贾路娄危江童颜郭梅盛林刁钟徐邱骆高夏蔡田樊胡凌霍虞万支柯管卢莫房裘缪解应宗丁宣邓郁单杭洪包诸左石崔吉龚程嵇邢裴陆荣翁荀惠甄曲封芮储靳焦牧车侯全班秋仲伊宫宁仇栾甘厉戎武符刘景詹束龙叶司黎薄印白蒲邰鄂赖卓蔺屠蒙池乔胥双闻党翟谭贡劳姬申冉郦雍桑桂濮牛寿边扈燕冀浦尚农温庄晏柴瞿阎慕连茹习艾鱼容向古易廖庾衡步耿满匡国文寇广东欧沃利蔚越隆师巩聂晁敖融冷辛阚简饶曾沙鞠丰关查荆游竺权盖桓';
const TITLE_NAME_RE = new RegExp(
  `([${SURNAMES}]${CJK}{0,2}?)(?=先生|女士|小姐|律师|老师|总(?:亲自|说|讲|表示|称|承诺|[，。！、\\s]|$))`,
  'gu',
);

/** Known person names (from the register): exact substrings of 2–4 characters are masked. */
export interface NameMatcher {
  readonly size: number;
  has(s: string): boolean;
}

export function nameMatcher(names: Iterable<string>): NameMatcher {
  const set = new Set<string>();
  for (const n of names) {
    const t = n.trim();
    const len = [...t].length;
    if (len >= 2 && len <= 4 && /^[\u3400-\u9fff·]+$/u.test(t)) set.add(t);
  }
  return { size: set.size, has: (s) => set.has(s) };
}

export const NO_NAMES: NameMatcher = nameMatcher([]);

const star = (m: string) => '*'.repeat(m.length);

export interface TextMask {
  phones: boolean;
  idNumbers: boolean;
  names: boolean;
}

/** Masks what `mask` says in `text`, keeping its length (UTF-16 units). */
export function maskText(text: string, mask: TextMask, names: NameMatcher): string {
  let t = text;
  if (mask.idNumbers) t = t.replace(ID_RE, star);
  if (mask.phones) t = t.replace(PHONE_RE, star);
  if (mask.names) {
    t = t.replace(
      CUE_NAME_RE,
      (m, name: string) => m.slice(0, m.length - name.length) + star(name),
    );
    t = t.replace(TITLE_NAME_RE, star);
    if (names.size > 0) t = maskKnownNames(t, names);
  }
  return t;
}

function maskKnownNames(text: string, names: NameMatcher): string {
  let out: string[] | undefined;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x3400 || c > 0x9fff) continue;
    for (let len = 4; len >= 2; len--) {
      if (i + len > text.length) continue;
      if (names.has(text.slice(i, i + len))) {
        out ??= [...text];
        for (let j = i; j < i + len; j++) out[j] = '*';
        i += len - 1;
        break;
      }
    }
  }
  return out ? out.join('') : text;
}

// ---- structured responses -----------------------------------------------------------------------

/** Whether `role` sees everything (then redaction is the identity). */
export function seesAll(role: Role): boolean {
  return ROLE_SEES[role].size === PERSONAL_KINDS.length;
}

/**
 * A copy of `value` fit for `role`: personal fields it may not see removed (however deeply
 * nested), and free text masked. Inside a complaint (an object with `complainant_ref`, or a
 * timeline event of kind `complaint`), names, phones and ID numbers are the complainant's.
 */
export function redactFor<T>(value: T, role: Role, names: NameMatcher = NO_NAMES): T {
  if (seesAll(role)) return value;
  return walk(value, '', false, ROLE_SEES[role], names) as T;
}

function walk(
  v: unknown,
  key: string,
  complaint: boolean,
  sees: ReadonlySet<PersonalKind>,
  names: NameMatcher,
): unknown {
  if (typeof v === 'string') {
    if (OPAQUE_KEYS.has(key) || v.length < 2) return v;
    const hideComplainant = complaint && !sees.has('complainant');
    return maskText(
      v,
      {
        phones: !sees.has('phone') || hideComplainant,
        idNumbers: !sees.has('id_number') || hideComplainant,
        names: !sees.has('person_name') || hideComplainant,
      },
      names,
    );
  }
  if (Array.isArray(v)) return v.map((x) => walk(x, key, complaint, sees, names));
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  const inComplaint = complaint || 'complainant_ref' in o || o['kind'] === 'complaint';
  const personChange = typeof o['field'] === 'string' && PERSON_CHANGE_FIELDS.has(o['field']);
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) {
    const kind: PersonalKind | undefined =
      PERSONAL_FIELDS[k] ??
      (personChange && (k === 'before' || k === 'after') ? 'person_name' : undefined);
    if (
      kind !== undefined &&
      (!sees.has(kind) || (inComplaint && kind !== 'complainant' && !sees.has('complainant')))
    )
      continue;
    if (k === 'shareholders' && Array.isArray(x) && !sees.has('person_name')) {
      out[k] = x.map((s: unknown) =>
        s && typeof s === 'object' && (s as { kind?: unknown }).kind !== 'company'
          ? { ...s, name: null }
          : walk(s, k, inComplaint, sees, names),
      );
      continue;
    }
    out[k] = walk(x, k, inComplaint, sees, names);
  }
  return out;
}
