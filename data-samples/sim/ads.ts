/** Advertisement text: slots × fillers × noise, by role, template and phase. */
import type { Phase, Plan, State } from './enterprise.ts';
import { INDUSTRY_BY_KEY } from './lexicon.ts';
import { applyNoise, fullWidth, misspell } from './noise.ts';
import { mobile } from './people.ts';
import type { Rng } from './rng.ts';
import { BANK_DISCLOSURES, bankLikeLine, SOFT_PROMISES } from './traits.ts';
import { modestYield, yieldPhrase } from './yields.ts';

export interface AdOut {
  title: string | null;
  text: string;
  channel: string;
  advertiserName: string | null;
  /** How the ad names its advertiser. */
  namedAs: 'registered' | 'brand' | 'abbreviation' | 'misspelt' | 'product' | 'none';
  phone: string | null;
  url: string | null;
}

const j = (parts: (string | null | false | undefined)[], sep = '，'): string =>
  parts.filter((x): x is string => typeof x === 'string' && x !== '').join(sep);

const GIFTS = [
  '鸡蛋一盒',
  '大米5斤',
  '食用油一桶',
  '保温杯',
  '按摩仪',
  '精美礼品',
  '不粘锅',
  '红包',
  '洗衣液',
  '电饭煲',
  '面条两包',
  '老花镜',
  '血压计',
  '鸡蛋两盒',
  '购物卡',
  '景区门票',
];
const PLACES = [
  '酒店三楼会议厅',
  '公司会议室',
  '社区活动中心',
  '体验馆',
  '养生馆',
  '星级酒店宴会厅',
  '总部路演厅',
  '老年活动室',
  '茶楼包间',
  '社区广场',
  '商场中庭',
  '公司展厅',
];
const HOOKS = [
  '银行利息太低？',
  '闲钱别再存银行了！',
  '让您的钱动起来',
  '财富新机遇',
  '错过再等一年',
  '抓住风口',
  '告别死工资',
  '稳稳的幸福',
  '新春特惠',
  '限时开放',
  '好消息！',
  '重磅！',
  '内部名额',
  '钱放银行不如放这里',
  '给自己加份被动收入',
  '躺赚时代来了',
  '现在入场正当时',
  '工资之外的第二份收入',
  '别让通胀吃掉你的存款',
  '春节红包别乱花',
  '一次投入长期回报',
  '老朋友都在做',
  '今天不了解明天就晚了',
  '宝妈在家也能赚',
];
const SAFETY = [
  '保本保息',
  '本金安全有保障',
  '稳赚不赔',
  '国资背景',
  '银行级风控',
  '第三方担保',
  '政府扶持项目',
  '随存随取',
  '100%按时兑付',
  '已在相关部门备案',
  '央企合作项目',
  '资金银行存管',
  '零风险',
  '专业团队全程托管',
  '合同公证',
  '律师全程见证',
  '上市公司担保',
  '保险公司承保',
  '实体项目抵押',
  '随时可赎回',
  '风险准备金保障',
  '先息后本',
  '到期还本付息',
  '国家政策支持',
];
const MILD = [
  '稳健增值',
  '专业团队为您打理财富',
  '让财富稳步增长',
  '资产配置好选择',
  '安心之选',
  '财富传承新方式',
  '为家人多一份保障',
  '与实体经济共成长',
  '陪伴您的每一笔积累',
  '专业的事交给专业的人',
  '稳稳的小目标',
  '给家人一份安心',
  '做时间的朋友',
  '用心守护您的财富',
];
const REFERRAL = [
  (n: number) => `推荐好友额外奖励${n}%`,
  (n: number) => `邀请一位好友返现${n * 50}元`,
  (n: number) => `团队奖励上不封顶，直推奖${n}%`,
  (n: number) => `分享即得${n * 10}元红包`,
  (n: number) => `介绍亲友参与，奖励${n}个点`,
];
const CTA = ['详情咨询', '咨询热线', '预约电话', '联系', '速来电', '报名电话', '热线'];

function contact(rng: Rng, phone: string | null, s: State): string {
  const r = rng.next();
  if (r < 0.4 && phone) return `${rng.pick(CTA)}：${phone}`;
  if (r < 0.6) return `加微信${s.pinyin}${rng.range(1, 999)}了解`;
  if (r < 0.75 && s.website) return `官网：${s.website}`;
  if (r < 0.85) return `地址：${s.address.replace(/^珠海市/, '')}`;
  return rng.pick(['扫码入群', '点击下方链接了解', '私信了解', '名额有限，先到先得']);
}

/**
 * How a scheme known by its product is reached: its WeChat ID or app most of the time, the
 * company's own phone or website only in some ads (what ties the product to the company).
 */
function productContact(
  rng: Rng,
  phone: string | null,
  s: State,
  keys: { wechat: string; domain: string },
): string {
  const own =
    phone !== null
      ? `${rng.pick(CTA)}：${phone}`
      : s.website && rng.chance(0.5)
        ? `官网：${s.website}`
        : null;
  const product = rng.pick([
    `加微信${keys.wechat}了解`,
    `微信：${keys.wechat}`,
    `下载APP：${keys.domain}`,
    `官网：www.${keys.domain}`,
    '应用商店搜索下载',
    '扫码入群',
  ]);
  return own !== null && rng.chance(0.5) ? j([product, own]) : (own ?? product);
}

function schemeAd(
  rng: Rng,
  p: Plan,
  s: State,
  phase: Phase,
  phone: string | null,
): { title: string | null; text: string } {
  const life = p.life!;
  const traits = life.traits ?? [];
  const quiet = traits.includes('vague') || traits.includes('bank_like');
  // a scheme known by its product never prints its company's name or brand
  const brand = p.productKeys ? p.product : s.brand;
  const company = p.productKeys ? p.product : s.name.replace(/有限公司$/, '');
  const product = p.product;
  const yieldText =
    !quiet && (life.yieldStyle === 'high' || (life.yieldStyle === 'mild' && rng.chance(0.3)))
      ? yieldPhrase(rng, life.annual * (phase === 'trouble' ? rng.real(1.1, 1.5) : 1))
      : null;
  const safe = traits.includes('vague')
    ? rng.chance(0.8)
      ? rng.pick(SOFT_PROMISES)
      : null
    : traits.includes('bank_like')
      ? rng.pick(BANK_DISCLOSURES)
      : life.yieldStyle === 'high'
        ? rng.chance(0.6)
          ? rng.pick(SAFETY)
          : null
        : rng.chance(0.5)
          ? rng.pick(MILD)
          : null;
  const referral = quiet
    ? rng.chance(0.15)
      ? rng.pick(['推荐亲友有惊喜', '老带新有礼', '介绍朋友一起来还有好礼'])
      : null
    : life.yieldStyle !== 'none' && rng.chance(0.35)
      ? rng.pick(REFERRAL)(rng.range(1, 10))
      : null;
  const seminar = rng.chance(p.template === 'pension' ? 0.6 : 0.2)
    ? `${rng.range(1, 28)}日${rng.pick(['上午9点', '下午2点半', '上午10点', '晚上7点'])}在${rng.pick(PLACES)}举办${rng.pick(['投资说明会', '健康讲座', '财富沙龙', '项目推介会', '答谢会', '政策解读会'])}${rng.chance(0.6) ? `，到场即送${rng.pick(GIFTS)}` : ''}`
    : null;
  const trouble =
    phase === 'trouble' && rng.chance(0.6)
      ? rng.pick([
          quiet ? '限时加息' : `限时加息${rng.range(1, 5)}%`,
          '新项目上线，老客户复投再送好礼',
          '系统升级期间暂停提现，升级后收益上调',
          '感恩回馈，年终追加分红',
          '复投享双倍积分',
          '本月认购额外赠送收益',
        ])
      : null;
  let body: string;
  switch (p.template) {
    case 'pension':
      body = j([
        rng.pick([
          `${brand}${rng.pick(['养老公寓', '康养中心', '颐养社区'])}床位认购火热进行中`,
          `预存养老金，尊享${product}终身服务`,
          `加入${product}会员，旅居养老全国通住`,
          `${brand}为长者打造幸福晚年`,
        ]),
        yieldText &&
          rng.pick([
            `预存费用每年返还${yieldText.replace(/^年化/, '')}`,
            `会员费享${yieldText}`,
            yieldText,
          ]),
        rng.chance(0.5)
          ? rng.pick(['免费体检', '免费一日游', '子女放心', '政府重点支持的养老产业'])
          : null,
      ]);
      break;
    case 'consumer_rebate':
      body = j([
        rng.pick([
          `消费多少返多少，${product}全额返还`,
          `在${product}消费满${rng.pick([1000, 3000, 5000, 10000])}元，分${rng.pick([12, 24, 36, 100])}期全额返还`,
          `商家让利，消费者${rng.range(20, 100)}%返现`,
          `${product}：购物就是投资`,
          `消费即股东，${product}合伙人招募`,
        ]),
        yieldText,
        rng.chance(0.4)
          ? `成为${rng.pick(['合伙人', '区域代理', '联创', 'VIP会员'])}享${rng.pick(['分红', '永久返利', '团队收益'])}`
          : null,
      ]);
      break;
    case 'equity':
      body = j([
        rng.pick([
          `${brand}原始股内部认购`,
          `${company}即将在${rng.pick(['新三板', '港交所', '纳斯达克', '上交所科创板', '区域股权交易中心'])}挂牌`,
          `${product}限量开放`,
          `上市前最后一轮认购`,
        ]),
        rng.chance(0.6) ? `认购价${rng.range(1, 8)}元/股` : null,
        yieldText ?? rng.pick(['上市后价值翻番', '股权增值空间巨大', '分享企业成长红利']),
        rng.chance(0.5) ? '名额有限' : null,
      ]);
      break;
    case 'crypto':
      body = j([
        rng.pick([
          `${product}数字资产全球首发`,
          `区块链矿机托管，${brand}算力云`,
          `${brand}链上线，挖矿即收益`,
          `${product}：数字经济新风口`,
          `元宇宙+区块链，${brand}生态`,
        ]),
        yieldText && (rng.chance(0.5) ? `静态收益${yieldText}` : yieldText),
        rng.chance(0.5)
          ? `动态收益：${rng.pick(['直推奖', '见点奖', '层级奖', '社区奖'])}${rng.range(3, 20)}%`
          : null,
      ]);
      break;
    case 'supply_chain':
      body = j([
        rng.pick([
          `${product}：核心企业应收账款确权`,
          `${brand}供应链金融产品，底层资产真实透明`,
          `央企上游应收账款转让，${rng.pick([3, 6, 12])}个月期`,
          `${brand}保理资产收益权转让`,
        ]),
        yieldText ?? rng.pick(['收益稳健', '期限灵活', '优质资产']),
        rng.chance(0.4) ? `起投${rng.pick([5, 10, 20, 50])}万` : null,
      ]);
      break;
    case 'agri_coop':
      body = j([
        rng.pick([
          `认养一头${rng.pick(['牛', '羊', '黑猪', '梅花鹿'])}，${product}托管养殖`,
          `${brand}生态${rng.pick(['果园', '茶园', '牧场', '渔场'])}托管认购`,
          `加入${product}，当农场主`,
        ]),
        yieldText ?? '合同期满返还本金',
        rng.chance(0.4) ? '政府扶持乡村振兴项目' : null,
      ]);
      break;
    default:
      body = j([
        rng.pick([
          `${product}${rng.pick(['新手标', '稳盈计划', '月月盈', '季季红', '安心宝'])}火热发售`,
          `${brand}财富${rng.pick([30, 90, 180, 365])}天期理财计划`,
          `${product}：专业的${rng.pick(['资产配置', '财富管理', '家族信托', '私募'])}平台`,
          `${company}诚邀您体验${product}`,
        ]),
        yieldText,
        rng.chance(0.3) ? `起投${rng.pick([1000, 5000, 10000, 50000])}元` : null,
      ]);
  }
  // vague schemes print no rate at all (the templates' own percentages are left out)
  if (traits.includes('vague'))
    body = body
      .split('，')
      .filter((c) => !/[%％]|翻/.test(c))
      .join('，');
  // bank-like schemes dress the product as a licensed wealth product
  if (traits.includes('bank_like')) body = j([bankLikeLine(rng, product), body]);
  const hook = rng.chance(0.5) ? rng.pick(HOOKS) : null;
  const reach = p.productKeys
    ? productContact(rng, phone, s, p.productKeys)
    : contact(rng, phone, s);
  const text =
    j([hook, body, safe, referral, trouble, seminar, reach]) +
    rng.pick(['。', '！', '', '!!', '~']);
  const title = rng.chance(0.7)
    ? rng.pick([
        product,
        `${brand}${rng.pick(['财富', '会员', '项目', ''])}`,
        hook ?? product,
        body.slice(0, rng.range(6, 14)),
      ])
    : null;
  return { title, text };
}

const NORMAL_TEXT: Record<string, (rng: Rng, s: State, p: Plan) => string> = {
  food: (rng, s) =>
    j([
      rng.pick([
        `${s.brand}${rng.pick(['新店开业', '周年庆', '春季新品'])}`,
        `${s.brand}招牌${rng.pick(['烧鹅', '猪肚鸡', '海鲜粥', '肠粉', '煲仔饭', '椰子鸡', '牛腩'])}`,
        '正宗粤菜',
        '老字号',
      ]),
      rng.pick([
        `全场${rng.range(6, 9)}折`,
        `满${rng.pick([100, 200, 300])}减${rng.pick([20, 30, 50])}`,
        '到店送饮品',
        '充值500送100',
        '团购套餐低至68元',
        '外卖满30免配送费',
      ]),
      rng.pick([
        '欢迎预订',
        '地址：' + s.address.replace(/^珠海市/, ''),
        '美团/大众点评搜索' + s.brand,
      ]),
    ]),
  retail: (rng, s) =>
    j([
      rng.pick([
        `${s.brand}${rng.pick(['超市', '百货', '生活馆'])}`,
        '清仓大甩卖',
        '年货节',
        '会员日',
      ]),
      rng.pick([
        `满${rng.pick([99, 199, 300])}减${rng.pick([10, 20, 50])}`,
        `第二件半价`,
        `积分兑换好礼`,
        `会员价低至${rng.range(5, 9)}折`,
      ]),
      rng.pick(['厂家直销', '品质保证', '支持七天无理由退货']),
    ]),
  education: (rng, s) =>
    j([
      rng.pick([
        `${s.brand}${rng.pick(['教育', '艺术', '编程', '英语', '舞蹈', '美术'])}${rng.pick(['春季班', '暑期班', '寒假班'])}招生`,
        `${s.brand}少儿${rng.pick(['口才', '书法', '钢琴', '跆拳道'])}免费试听`,
      ]),
      rng.pick([
        `报名立减${rng.pick([200, 300, 500, 800])}元`,
        '一次报名全年课程享优惠',
        `小班教学，${rng.pick(['名师', '资深老师', '外教'])}授课`,
        '两人同行一人半价',
      ]),
      rng.pick(['名额有限', '预约试听', '咨询：' + s.phone]),
    ]),
  fitness: (rng, s) =>
    j([
      rng.pick([
        `${s.brand}健身${rng.pick(['年卡', '季卡', '私教课'])}限时特惠`,
        `${s.brand}健身馆开业预售`,
        `${s.brand}瑜伽`,
      ]),
      rng.pick([
        `年卡仅需${rng.range(888, 2999)}元`,
        `预存${rng.pick([2000, 5000, 10000])}元送${rng.pick([500, 1000, 3000])}元`,
        '前100名送私教课',
        '办卡送运动大礼包',
      ]),
      rng.pick(['恒温泳池', '24小时营业', '专业教练团队']),
    ]),
  beauty: (rng, s) =>
    j([
      rng.pick([`${s.brand}美容`, `${s.brand}美发沙龙`, `${s.brand}皮肤管理`]),
      rng.pick([
        `充值${rng.pick([1000, 3000, 5000])}送${rng.pick([300, 1000, 2000])}`,
        '新客体验价99元',
        '会员卡享终身8折',
        '办卡送面部护理',
      ]),
    ]),
  realestate: (rng, s) =>
    j([
      rng.pick([
        `${s.brand}${rng.pick(['花园', '华府', '湾', '御景', '壹号'])}${rng.pick(['火爆认筹', '清盘特惠', '准现房发售', '样板间开放'])}`,
        `珠海${rng.pick(['香洲', '横琴', '金湾', '斗门', '唐家'])}二手好房`,
        '急售！业主诚心出售',
      ]),
      rng.pick([
        `首付${rng.range(15, 60)}万起`,
        `单价${rng.range(12000, 60000)}元/㎡`,
        `${rng.range(70, 140)}㎡三房`,
        '近地铁学校',
        '拎包入住',
      ]),
      rng.pick(['看房热线：' + s.phone, '来电预约看房']),
    ]),
  tech: (rng, s) =>
    j([
      rng.pick([
        `${s.brand}科技：小程序/APP定制开发`,
        '企业数字化转型解决方案',
        '网站建设 SEO推广',
        'ERP系统上门演示',
      ]),
      rng.pick(['十年开发经验', '免费出方案', '签约即享9折']),
    ]),
  b2b: (rng, s) =>
    j([
      rng.pick([
        `${s.name}`,
        `${s.brand}专业${rng.pick(['物流', '装修', '设备', '五金', '包装', '代账', '注册公司'])}服务`,
      ]),
      rng.pick(['价格实惠', '诚信经营', '欢迎来电洽谈', '批发零售']),
    ]),
  ecommerce: (rng, s, p) =>
    j([
      rng.pick([`${p.product}年货节`, `${p.product}会员日`, `下载${p.product}APP`]),
      rng.pick([
        `新人注册领${rng.pick([10, 20, 50])}元红包`,
        `购物返${rng.range(1, 8)}%积分，积分抵现金`,
        `邀请好友下单各得${rng.pick([5, 10, 20])}元`,
        `会员消费返现${rng.range(1, 5)}%`,
        '签到领金币，金币换好礼',
      ]),
      rng.pick(['正品保障', '次日达', '7天无理由退货']),
    ]),
  travel: (rng, s) =>
    j([
      rng.pick([
        `${s.brand}旅行：${rng.pick(['云南', '桂林', '日本', '泰国', '新疆', '港澳'])}${rng.range(3, 8)}日游`,
        '夕阳红专列',
      ]),
      rng.pick([`${rng.range(999, 6999)}元/人起`, '纯玩无购物', '早鸟立减300']),
    ]),
  health: (rng, s) =>
    j([
      rng.pick([
        `${s.brand}${rng.pick(['养生馆', '大药房', '健康驿站'])}`,
        `${s.brand}${rng.pick(['益生菌', '钙片', '蛋白粉'])}`,
      ]),
      rng.pick(['会员日全场8折', '免费测血压血糖', '满200送100元券', '老年人凭卡享折扣']),
    ]),
  franchise: (rng, s) =>
    j([
      rng.pick([
        `${s.brand}${rng.pick(['奶茶', '炸鸡', '火锅', '烘焙', '洗车', '便利店'])}加盟`,
        `${s.brand}品牌全国招商`,
        '小本创业好项目',
      ]),
      rng.pick([
        '投资小回报高',
        '月入过万不是梦',
        `${rng.range(3, 12)}个月回本`,
        '总部全程扶持',
        '年赚百万',
        `加盟费仅需${rng.range(2, 20)}万`,
      ]),
      rng.pick(['招商热线：' + s.phone, '欢迎实地考察']),
    ]),
  property: (rng, s) =>
    j([`${s.name}提示：`, rng.pick(['小区停水通知', '物业费线上缴纳享优惠', '春节安全提示'])]),
};

/** Loud decoys (traits on): legal businesses promising high returns on something other than a deposit. */
function loudDecoyAd(rng: Rng, s: State, p: Plan): string | null {
  if (p.role === 'decoy_lender')
    return j([
      `${s.brand}小额贷款：${rng.pick(['个人消费贷', '小微企业经营贷', '车主贷', '工薪贷'])}`,
      `贷款年化利率${rng.pick(['7.2', '8.6', '10.8', '12', '15.4', '18'])}%起`,
      `最高额度${rng.pick([5, 10, 20, 50])}万`,
      rng.pick(['当天放款', '随借随还', '线上审批', '持牌经营，放心借']),
      rng.chance(0.5) ? `咨询：${s.phone}` : null,
    ]);
  if (p.role === 'decoy_shop_rental')
    return j([
      `${s.brand}${rng.pick(['广场', '商业街', '中心'])}临街旺铺${rng.pick(['出租', '出售', '招租'])}`,
      `${rng.range(30, 160)}㎡`,
      rng.pick([
        `租金回报率${rng.range(5, 9)}%`,
        `年租金收益${rng.range(4, 8)}万`,
        `投资回报率高达${rng.range(6, 10)}%`,
      ]),
      rng.pick(['业主直租', '成熟商圈', '人流量大', '可办证照']),
      `看铺热线：${s.phone}`,
    ]);
  if (p.loud && p.industry.ad === 'franchise')
    return j([
      `${s.brand}${rng.pick(['奶茶', '火锅', '烘焙', '炸鸡'])}加盟`,
      `投资${rng.range(5, 20)}万，年回报率${rng.range(80, 300)}%`,
      `${rng.range(3, 10)}个月回本`,
      rng.pick(['总部全程扶持', '包装修包培训', '零经验可加盟']),
      `招商热线：${s.phone}`,
    ]);
  if (p.loud && p.role === 'decoy_rebate')
    return j([
      `${p.product}${rng.pick(['年货节', '会员日', '双十一'])}`,
      `购物返现${rng.range(10, 30)}%`,
      `邀请好友下单再返${rng.range(5, 10)}%`,
      rng.pick(['返现秒到账', '积分可提现', '正品保障']),
    ]);
  return null;
}

function financeAd(rng: Rng, s: State, kind: 'bank' | 'fund' | 'insurance'): string {
  const disclaimer = rng.pick([
    '理财非存款，产品有风险，投资须谨慎',
    '基金有风险，投资需谨慎',
    '过往业绩不代表未来表现',
    '本产品由持牌机构发行',
    '具体以合同条款为准',
  ]);
  const head =
    kind === 'bank'
      ? rng.pick([
          `${s.brand}银行${rng.pick(['大额存单', '新客理财', '养老储蓄', '信用卡'])}`,
          `${s.brand}银行珠海分行：${rng.pick(['财富季', '养老金融服务月', '存款特惠'])}`,
        ])
      : kind === 'fund'
        ? rng.pick([`${s.brand}基金定投`, `${s.brand}稳健理财`, `${s.brand}养老目标基金`])
        : rng.pick([
            `${s.brand}人寿${rng.pick(['年金险', '增额终身寿', '重疾险', '养老年金'])}`,
            `${s.brand}保险开门红`,
          ]);
  return j([
    head,
    modestYield(rng, kind),
    rng.chance(0.3) ? `客服热线${s.phone}` : null,
    disclaimer,
  ]);
}

const CHANNELS_SCHEME: readonly (readonly [string, number])[] = [
  ['wechat', 5],
  ['app', 2],
  ['web', 2],
  ['sms', 2],
  ['video', 2],
  ['offline', 2],
  ['weibo', 1],
  ['other', 0.5],
];
const CHANNELS_NORMAL: readonly (readonly [string, number])[] = [
  ['web', 4],
  ['wechat', 4],
  ['app', 2],
  ['video', 2],
  ['offline', 1.5],
  ['weibo', 1],
  ['sms', 1],
  ['other', 0.3],
];

export function makeAd(
  rng: Rng,
  p: Plan,
  s: State,
  phase: Phase | null,
  recapture: boolean,
): AdOut {
  let channel = rng.weighted(p.role === 'scheme' ? CHANNELS_SCHEME : CHANNELS_NORMAL);
  if (p.template === 'pension' && rng.chance(0.4)) channel = 'offline';
  // a scheme known by its product prints the company's phone in a few ads only
  const printedPhone = rng.chance(p.productKeys ? 0.3 : 0.55)
    ? rng.chance(p.productKeys ? 0.5 : 0.7)
      ? s.phone
      : mobile(rng)
    : null;
  let body: { title: string | null; text: string };
  if (p.role === 'scheme') body = schemeAd(rng, p, s, phase ?? 'promo', printedPhone);
  else if (p.role === 'decoy_bank') body = { title: null, text: financeAd(rng, s, 'bank') };
  else if (p.role === 'decoy_fund') body = { title: null, text: financeAd(rng, s, 'fund') };
  else if (p.role === 'decoy_insurance')
    body = { title: null, text: financeAd(rng, s, 'insurance') };
  else if (
    (p.loud || p.role === 'decoy_lender' || p.role === 'decoy_shop_rental') &&
    rng.chance(0.8)
  )
    body = { title: null, text: loudDecoyAd(rng, s, p) ?? s.name };
  else {
    const kind =
      p.role === 'decoy_rebate' ? 'ecommerce' : (INDUSTRY_BY_KEY.get(p.industry.key)?.ad ?? 'b2b');
    const f = NORMAL_TEXT[kind] ?? NORMAL_TEXT['b2b']!;
    body = { title: null, text: f(rng, s, p) + rng.pick(['。', '！', '', '~']) };
    if (rng.chance(0.4)) body.title = body.text.slice(0, rng.range(4, 12));
  }
  const noise =
    p.role === 'scheme'
      ? { fullWidth: 0.12, evasion: 0.3, decor: 0.35, typo: 0.05 }
      : { fullWidth: 0.08, evasion: 0.05, decor: 0.25, typo: 0.03 };
  let text = applyNoise(body.text, rng, noise);
  if (channel === 'sms')
    text = `【${rng.chance(0.5) && !p.productKeys ? s.brand : p.product}】${text}${rng.chance(0.6) ? '拒收请回复R' : ''}`;
  // How the ad names the advertiser (a scheme known by its product: by the product, or not at all).
  const r = p.productKeys ? (rng.chance(0.75) ? 0.8 : 0.95) : rng.next();
  let namedAs: AdOut['namedAs'];
  let advertiserName: string | null;
  if (r < 0.28) {
    namedAs = 'registered';
    advertiserName = s.name;
  } else if (r < 0.55) {
    namedAs = 'brand';
    advertiserName = s.brand + (rng.chance(0.5) ? s.word.slice(0, 2) : '');
  } else if (r < 0.68) {
    namedAs = 'abbreviation';
    advertiserName = rng.pick([
      `${s.brand}集团`,
      `${s.pinyin.toUpperCase().slice(0, rng.range(2, 4))}${s.word.slice(0, 2)}`,
      s.name.replace(/^(珠海市|珠海|广东)/, '').replace(/（.*?）|有限(责任)?公司|股份/g, ''),
    ]);
  } else if (r < 0.76) {
    namedAs = 'misspelt';
    advertiserName = misspell(rng.chance(0.5) ? s.name : s.brand + s.word, rng);
  } else if (r < 0.88 && p.product !== s.brand) {
    namedAs = 'product';
    advertiserName = p.product;
  } else {
    namedAs = 'none';
    advertiserName = null;
  }
  if (advertiserName !== null && rng.chance(0.05))
    advertiserName = fullWidth(advertiserName.replace('（', '(').replace('）', ')'));
  const url = p.productKeys
    ? rng.chance(0.35)
      ? `https://${rng.chance(0.3) && s.website ? s.website : `m.${p.productKeys.domain}`}/${rng.pick(['', 'download', 'reg'])}`
      : null
    : s.website && rng.chance(0.4)
      ? `${rng.chance(0.5) ? 'https' : 'http'}://${s.website.replace(/^www\./, rng.chance(0.5) ? 'www.' : 'm.')}/${rng.pick(['', 'index.html', `a/${rng.range(100, 9999)}`, 'download', `?from=${rng.pick(['wx', 'sms', 'dy'])}`])}`
      : null;
  void recapture;
  return { title: body.title, text, channel, advertiserName, namedAs, phone: printedPhone, url };
}
