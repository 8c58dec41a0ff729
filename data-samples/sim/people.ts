/** People, brands, names, addresses, phones and websites. */
import { Rng, streamId } from './rng.ts';
import { DISTRICTS, GIVEN, SURNAMES, SYLLABLES, type District } from './lexicon.ts';

const PERSON = streamId('person');

export function personName(rng: Rng): string {
  const surname = rng.weighted(SURNAMES);
  const given = rng.chance(0.72) ? rng.pick(GIVEN) + rng.pick(GIVEN) : rng.pick(GIVEN);
  return surname + given;
}

/** The k-th person of the city-wide pool of people who sit on many companies. */
export function pooledPerson(seed: number, k: number): string {
  return personName(new Rng(seed, PERSON, k));
}

export interface Brand {
  text: string;
  pinyin: string;
}

export function makeBrand(rng: Rng): Brand {
  const n = rng.chance(0.6) ? 2 : 3;
  let text = '';
  let pinyin = '';
  for (let i = 0; i < n; i++) {
    const [c, p] = rng.pick(SYLLABLES);
    if (text.includes(c)) continue;
    text += c;
    pinyin += p;
  }
  if (text.length < 2) {
    text += '达';
    pinyin += 'da';
  }
  return { text, pinyin };
}

const DISTRICT_WEIGHTS = DISTRICTS.map((d) => [d, d.weight] as const);

export function pickDistrict(rng: Rng): District {
  return rng.weighted(DISTRICT_WEIGHTS);
}

export type Suffix = '有限公司' | '有限责任公司' | '股份有限公司' | '合伙企业（有限合伙）';

const FORMS = new Map<District, readonly (readonly [number, number])[]>();

function nameForms(d: District): readonly (readonly [number, number])[] {
  let f = FORMS.get(d);
  if (f === undefined) {
    const hq = d.name === '横琴粤澳深度合作区';
    const rural = d.name === '斗门区' || d.name === '金湾区';
    f = [
      [0, 30],
      [1, 26],
      [2, 12],
      [3, 7],
      [4, hq ? 40 : 0],
      [5, hq ? 10 : 2],
      [6, rural ? 8 : 0],
    ];
    FORMS.set(d, f);
  }
  return f;
}

export function companyName(
  rng: Rng,
  brand: string,
  word: string,
  d: District,
  suffix: Suffix,
): string {
  const forms = nameForms(d);
  switch (rng.weighted(forms)) {
    case 0:
      return `珠海市${brand}${word}${suffix}`;
    case 1:
      return `珠海${brand}${word}${suffix}`;
    case 2:
      return `${brand}${word}（珠海）${suffix}`;
    case 3:
      return `广东${brand}${word}${suffix}`;
    case 4:
      return rng.chance(0.7) ? `珠海横琴${brand}${word}${suffix}` : `横琴${brand}${word}${suffix}`;
    case 5:
      return `${brand}（珠海横琴）${word}${suffix}`;
    default:
      return `珠海市${d.name}${brand}${word}${suffix}`;
  }
}

export function streetAddress(rng: Rng, d: District): string {
  const town = rng.chance(0.5) ? rng.pick(d.towns) : '';
  const road = rng.pick(d.roads);
  const no = rng.range(1, 399);
  const r = rng.next();
  let rest: string;
  if (r < 0.35)
    rest = `${rng.range(1, 12)}栋${rng.range(1, 32)}${String(rng.range(1, 20)).padStart(2, '0')}室`;
  else if (r < 0.6) rest = `${rng.range(1, 3)}层${rng.range(101, 120)}号商铺`;
  else if (r < 0.8) rest = `${rng.range(2, 28)}${String(rng.range(1, 12)).padStart(2, '0')}房`;
  else rest = `${rng.pick(['A', 'B', 'C'])}座${rng.range(3, 30)}层${rng.range(1, 12)}号`;
  return `珠海市${d.name}${town}${road}${no}号${rest}`;
}

/** A 集中注册地 / business-centre address; shared exactly when `unit` is false. */
export function centreAddress(rng: Rng, d: District, unit: boolean): string {
  const base = `珠海市${d.name === '横琴粤澳深度合作区' ? '横琴新区' : d.name}${rng.pick(d.centres)}`;
  if (!unit) return base;
  return d.name === '横琴粤澳深度合作区'
    ? `${base}-${rng.range(10000, 99999)}(集中办公区)`
    : `${base}-${rng.range(1, 999)}号(集群注册)`;
}

export function mobile(rng: Rng): string {
  const prefixes = [
    '135',
    '136',
    '137',
    '138',
    '139',
    '150',
    '151',
    '152',
    '158',
    '159',
    '186',
    '188',
    '189',
    '177',
    '176',
    '133',
    '153',
    '180',
    '181',
    '199',
    '166',
    '191',
    '155',
    '156',
    '130',
    '131',
    '132',
    '185',
  ];
  return rng.pick(prefixes) + String(rng.int(1e8)).padStart(8, '0');
}

export function landline(rng: Rng): string {
  return `0756-${rng.pick(['2', '3', '5', '6', '7', '8'])}${String(rng.int(1e6)).padStart(6, '0')}`;
}

export function phone(rng: Rng): string {
  const r = rng.next();
  if (r < 0.5) return mobile(rng);
  if (r < 0.95) return landline(rng);
  return `400-${rng.range(100, 999)}-${String(rng.int(1e4)).padStart(4, '0')}`;
}

export function website(rng: Rng, pinyin: string, kind: string): string {
  const tails = ['.com', '.cn', '.com.cn', '.net', '.top', '.vip', '.cc'];
  const stem =
    kind !== '' && rng.chance(0.5)
      ? `${pinyin}${rng.pick(['-', ''])}${kind}`
      : rng.chance(0.3)
        ? `${pinyin}${rng.range(1, 99)}`
        : pinyin;
  return `${rng.chance(0.7) ? 'www.' : ''}${stem}${rng.pick(tails)}`;
}
