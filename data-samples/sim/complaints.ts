/** Complaint text, target naming and amounts, by role and phase. */
import type { Phase, Plan, State } from './enterprise.ts';
import { PERSON_ROLES, SHOP_WORDS } from './lexicon.ts';
import { applyNoise, misspell } from './noise.ts';
import { personName } from './people.ts';
import type { Rng } from './rng.ts';
import { yieldPhrase } from './yields.ts';

export interface ComplaintOut {
  channel: string;
  targetName: string;
  namedAs:
    'registered' | 'brand' | 'misspelt' | 'product' | 'person' | 'address' | 'shop' | 'individual';
  text: string;
  amount: number | null;
}

const KIN = [
  '我母亲',
  '我父亲',
  '我家老人',
  '我岳母',
  '我',
  '我和几个同事',
  '我外婆',
  '我丈夫',
  '我妻子',
  '邻居',
  '我朋友',
];
const CHANNELS: readonly (readonly [string, number])[] = [
  ['hotline_12345', 6],
  ['portal', 3],
  ['letter', 0.5],
  ['visit', 0.7],
  ['referral', 0.4],
  ['other', 0.3],
];
const ASK = [
  '请政府部门尽快核查处理',
  '希望有关部门介入',
  '请求帮忙追回损失',
  '请相关部门依法查处',
  '希望给个说法',
  '请尽快处理',
  '要求退款',
  '',
  '麻烦领导重视',
  '希望政府为老百姓做主',
  '请求调查这家公司',
  '已经向派出所反映过',
  '不知道该找哪个部门',
  '这种公司为什么没人管',
  '希望尽快给答复',
];

function amountOf(rng: Rng, lo: number, hi: number): number {
  const v = Math.exp(rng.real(Math.log(lo), Math.log(hi)));
  return v > 10000 ? Math.round(v / 1000) * 1000 : Math.round(v / 10) * 10;
}

function days(rng: Rng): string {
  return rng.pick([`${rng.range(3, 60)}天`, `${rng.range(1, 6)}个月`, '一个多月', '半年', '很久']);
}

function schemeText(
  rng: Rng,
  p: Plan,
  s: State,
  phase: Phase,
  target: string,
  amount: number | null,
): string {
  const kin = rng.pick(KIN);
  const money =
    amount !== null ? `${amount}元` : rng.pick(['不少钱', '全部积蓄', '养老钱', '几万块']);
  const product = p.product;
  const life = p.life!;
  if (phase === 'promo' || phase === 'growth' || phase === 'pre') {
    return j([
      rng.pick([
        `${kin}被${target}的业务员拉去听${rng.pick(['讲座', '说明会', '沙龙'])}，每次都送${rng.pick(['鸡蛋', '大米', '小礼品'])}`,
        `${target}在小区${rng.pick(['派传单', '摆摊', '组织免费旅游'])}宣传${product}`,
        `有人在微信群推销${target}的${product}`,
        `${target}的工作人员多次打电话推销理财产品`,
      ]),
      rng.chance(0.6)
        ? `说${rng.chance(0.5) ? yieldPhrase(rng, life.annual) : '收益很高'}，还${rng.pick(['保本', '拉人头有奖励', '可以随时退出', '有政府背景'])}`
        : null,
      rng.pick(['怀疑是非法集资', '担心是骗局', '感觉不靠谱', '不知道是否合法', '家里人劝不住']),
      rng.pick(ASK),
    ]);
  }
  if (phase === 'trouble') {
    return j([
      rng.pick([
        `${kin}在${target}购买的${product}到期后无法提现`,
        `${target}的${product}${rng.pick(['延期兑付', '提现一直不到账', '只付利息不还本金', '要求续投才能提现'])}`,
        `${kin}投了${money}在${target}，现在提不出来`,
        `${target}说系统升级，已经${days(rng)}不能提现`,
      ]),
      rng.pick([
        '客服一直推脱',
        '业务员说再等等',
        '公司说资金周转困难',
        '让我们签延期协议',
        '电话经常打不通',
      ]),
      rng.pick(ASK),
    ]);
  }
  return j([
    rng.pick([
      `${target}${rng.pick(['已经人去楼空', '跑路了', '老板失联', '办公室关门了', '网站和APP都打不开了'])}`,
      `${kin}在${target}投资${money}，现在${rng.pick(['血本无归', '找不到人', '负责人失联', '全部被骗'])}`,
      `${target}负责人${s.legalRep}联系不上`,
      `${rng.range(1, 30) * 10}多名投资人的钱都在${target}，公司已关门`,
    ]),
    rng.chance(0.5) ? `涉及金额${money}` : null,
    rng.pick(['已经报警', '很多都是老年人', '大家都很着急', '怀疑是非法集资', '']),
    rng.pick(ASK),
  ]);
}

const j = (parts: (string | null | false | undefined)[], sep = '，'): string =>
  parts.filter((x): x is string => typeof x === 'string' && x !== '').join(sep) + '。';

function consumerText(
  rng: Rng,
  p: Plan,
  target: string,
  closed: boolean,
): { text: string; amount: number | null } {
  const k = p.industry.key;
  if (p.role === 'decoy_prepaid') {
    const card = rng.pick(['会员卡', '年卡', '课程包', '预付卡', '储值卡', '私教课']);
    const amount = amountOf(rng, 800, 30000);
    if (closed) {
      return {
        amount,
        text: j([
          `在${target}办了${card}${amount}元`,
          rng.pick([
            '现在门店突然关门',
            '老板跑路了',
            '店铺已经转让',
            '老板失联',
            '门店说要装修后一直没开',
          ]),
          rng.pick(['无法退费', '余额退不了', '还有十几节课没上', '很多会员都受骗了']),
          rng.pick(ASK),
        ]),
      };
    }
    return {
      amount: rng.chance(0.7) ? amount : null,
      text: j([
        `${target}${rng.pick(['退费难', '拒绝退还剩余课时费', '强制推销续卡', '承诺的服务没有兑现', '合同条款不合理'])}`,
        rng.chance(0.5) ? `预付了${amount}元` : null,
        rng.pick(ASK),
      ]),
    };
  }
  if (p.role === 'decoy_rebate') {
    return {
      amount: rng.chance(0.5) ? amountOf(rng, 50, 5000) : null,
      text: j([
        `${target}${rng.pick(['承诺的返现一直没到账', '积分无法提现', '退款迟迟不处理', '商品质量有问题拒不退货', '会员费不给退'])}`,
        rng.pick(ASK),
      ]),
    };
  }
  if (p.role === 'decoy_bank' || p.role === 'decoy_fund' || p.role === 'decoy_insurance') {
    return {
      amount: rng.chance(0.6) ? amountOf(rng, 10000, 500000) : null,
      text: j([
        `${target}${rng.pick(['工作人员把保险当存款推销', '理财产品亏损，购买时未充分提示风险', '信用卡违规收费', '退保损失大，销售时未说明', '营业网点服务态度差'])}`,
        rng.pick(ASK),
      ]),
    };
  }
  if (k === 'developer' || k === 'property') {
    return {
      amount: null,
      text: j([
        `${target}${rng.pick(['延期交房', '房屋漏水多次维修无果', '物业费上涨未经业主同意', '小区电梯经常故障', '停车费乱收费', '违规收取装修押金', '小区垃圾无人清理', '拖欠工人工资'])}`,
        rng.pick(ASK),
      ]),
    };
  }
  const issues: Record<string, string[]> = {
    restaurant: ['食物不新鲜，吃完拉肚子', '菜里有异物', '排油烟扰民', '价格欺诈'],
    fastfood: ['食品卫生差', '外卖有异物', '无证经营'],
    retail: ['销售过期食品', '价格标签与结算价不符', '假冒伪劣商品', '不给开发票'],
    training: ['退费难', '虚假宣传', '老师频繁更换'],
    fitness: ['退费难', '强制推销私教课'],
    beauty: ['办卡后强制消费', '美容后皮肤过敏', '虚假宣传'],
    construction: ['拖欠农民工工资', '施工噪音扰民', '装修质量差'],
    lender: ['暴力催收', '实际利率高于宣传', '收取砍头息', '提前还款收违约金'],
  };
  const list = issues[k] ?? [
    '服务态度差',
    '拖欠工资',
    '虚假宣传',
    '合同纠纷',
    '噪音扰民',
    '收费不合理',
  ];
  return {
    amount: rng.chance(0.3) ? amountOf(rng, 50, 20000) : null,
    text: j([`${target}${rng.pick(list)}`, rng.pick(ASK)]),
  };
}

/** A complaint about an enterprise. `phase` is set for schemes; `closed` for a prepaid business after closure. */
export function makeComplaint(
  rng: Rng,
  p: Plan,
  s: State,
  phase: Phase | null,
  closed: boolean,
): ComplaintOut {
  const channel = rng.weighted(CHANNELS);
  // victims of a scheme known by its product name the product, a person or an address
  const r = p.productKeys
    ? rng.pick([0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 0.9, 0.97])
    : rng.next();
  let namedAs: ComplaintOut['namedAs'];
  let targetName: string;
  if (r < 0.38) {
    namedAs = 'registered';
    targetName = s.name;
  } else if (r < 0.66) {
    namedAs = 'brand';
    targetName =
      s.brand + (rng.chance(0.6) ? s.word.slice(0, 2) : rng.pick(['公司', '', '那家店']));
  } else if (r < 0.74) {
    namedAs = 'misspelt';
    targetName = misspell(rng.chance(0.5) ? s.name : s.brand + s.word, rng);
  } else if (r < 0.84 && p.product !== s.brand) {
    namedAs = 'product';
    targetName = p.product;
  } else if (r < 0.94) {
    namedAs = 'person';
    targetName = rng.chance(0.5)
      ? s.legalRep
      : `${personName(rng).slice(0, 1)}${rng.pick(PERSON_ROLES)}`;
  } else {
    namedAs = 'address';
    targetName = `${s.address.replace(/^珠海市/, '').slice(0, rng.range(6, 14))}的公司`;
  }
  let text: string;
  let amount: number | null;
  if (p.role === 'scheme' && phase !== null) {
    const late = phase === 'trouble' || phase === 'collapsed';
    amount = late && rng.chance(0.75) ? amountOf(rng, 3000, 2_000_000) : null;
    text = schemeText(rng, p, s, phase, targetName, amount);
  } else {
    const c = consumerText(rng, p, targetName, closed);
    text = c.text;
    amount = c.amount;
  }
  text = applyNoise(text, rng, { fullWidth: 0.05, evasion: 0, decor: 0, typo: 0.03 });
  return { channel, targetName, namedAs, text, amount };
}

/** A complaint about someone not in the register: a person or an unregistered shop. */
export function makeStrayComplaint(rng: Rng): ComplaintOut {
  const channel = rng.weighted(CHANNELS);
  if (rng.chance(0.5)) {
    const shop = `${rng.pick(['老王', '阿强', '好又多', '新时代', '金牌', '街口', '平价', '惠民'])}${rng.pick(SHOP_WORDS)}`;
    return {
      channel,
      targetName: shop,
      namedAs: 'shop',
      amount: rng.chance(0.3) ? amountOf(rng, 20, 2000) : null,
      text: j([
        `${shop}${rng.pick(['卖过期食品', '占道经营', '噪音扰民', '缺斤短两', '无照经营', '拒绝退货'])}`,
        rng.pick(ASK),
      ]),
    };
  }
  const person = personName(rng);
  const amount = rng.chance(0.6) ? amountOf(rng, 2000, 500000) : null;
  return {
    channel,
    targetName: rng.chance(0.6) ? person : `${person.slice(0, 1)}某`,
    namedAs: 'individual',
    amount,
    text: j([
      rng.pick([
        `${person}以高息为诱饵向亲友借款${amount ?? ''}后失联`,
        `微信群里自称“老师”的${person}推荐炒股，交了会员费后被踢出群`,
        `${person}私下放贷，利息过高`,
        `${person}以帮忙办理入学为名收取费用`,
        `网友${person}冒充客服骗取转账`,
      ]),
      rng.pick(ASK),
    ]),
  };
}
