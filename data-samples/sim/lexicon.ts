/** Word lists for a Zhuhai-like city: districts, roads, people, brands, industries. */

export interface District {
  name: string;
  /** Administrative division code used in USCCs of companies registered there. */
  code: string;
  weight: number;
  towns: readonly string[];
  roads: readonly string[];
  /** 集中注册地 / business centres: many companies share these addresses. */
  centres: readonly string[];
}

export const DISTRICTS: readonly District[] = [
  {
    name: '香洲区',
    code: '440402',
    weight: 42,
    towns: ['拱北', '吉大', '香湾', '梅华', '前山', '翠香', '狮山', '湾仔', '凤山', '南屏', '湾仔'],
    roads: [
      '情侣中路',
      '凤凰北路',
      '迎宾南路',
      '九洲大道中',
      '人民东路',
      '梅华西路',
      '紫荆路',
      '前山路',
      '吉大路',
      '海滨南路',
      '昌盛路',
      '兴业路',
      '柠溪路',
      '银桦路',
      '敬业路',
      '红山路',
      '翠前南路',
      '明珠南路',
      '康宁路',
      '南屏北一路',
      '水湾路',
      '石花西路',
      '夏湾路',
      '新香洲长沙路',
    ],
    centres: [
      '九洲大道中1009号富华里写字楼A座1208室',
      '情侣南路288号华发商都写字楼B座2301室',
      '迎宾南路1111号珠海中心大厦3105室',
      '人民东路221号珠海商业银行大厦19层1902室',
      '吉大海滨南路47号光大国际贸易中心2208室',
      '兴业路213号创新创业基地B区303室',
    ],
  },
  {
    name: '横琴粤澳深度合作区',
    code: '440400',
    weight: 16,
    towns: ['横琴'],
    roads: [
      '环岛东路',
      '宝华路',
      '港澳大道',
      '天羽道',
      '琴海北路',
      '荣澳道',
      '汇通三路',
      '兴澳路',
      '富源道',
    ],
    centres: [
      '宝华路6号105室',
      '环岛东路3000号2103办公',
      '琴朗道88号1203办公',
      '环岛东路1889号17栋201室',
      '横琴港澳大道868号23层',
      '荣澳道153号4幢1802',
    ],
  },
  {
    name: '高新区',
    code: '440400',
    weight: 12,
    towns: ['唐家湾镇'],
    roads: [
      '港湾大道',
      '科技一路',
      '金唐路',
      '大学路',
      '软件园路',
      '哈工大路',
      '科技六路',
      '金凤路',
    ],
    centres: [
      '唐家湾镇大学路101号清华科技园创业大楼A座1201',
      '唐家湾镇港湾大道科技五路8号1栋3层',
      '唐家湾镇软件园路1号会展中心4#第三层',
    ],
  },
  {
    name: '金湾区',
    code: '440404',
    weight: 12,
    towns: ['三灶镇', '红旗镇', '平沙镇', '南水镇'],
    roads: [
      '金湖大道',
      '机场东路',
      '珠海大道',
      '金鑫路',
      '藤山一路',
      '湖东路',
      '金瑞路',
      '定湾三路',
    ],
    centres: ['三灶镇金海岸大道东288号金湾创客中心2层', '红旗镇藤山一路6号商务中心501'],
  },
  {
    name: '斗门区',
    code: '440403',
    weight: 11,
    towns: ['井岸镇', '白蕉镇', '斗门镇', '乾务镇', '莲洲镇'],
    roads: ['珠峰大道', '湖心路', '白藤一路', '尖峰前路', '新青一路', '港霞西路', '城东路'],
    centres: ['井岸镇珠峰大道北888号众创空间3楼', '白蕉镇新马墩路228号商务楼'],
  },
  {
    name: '高栏港经济区',
    code: '440404',
    weight: 5,
    towns: ['平沙镇', '南水镇'],
    roads: ['高栏港大道', '临港路', '港前路', '平沙大道'],
    centres: ['平沙镇平沙大道98号综合服务楼'],
  },
  {
    name: '万山海洋开发试验区',
    code: '440400',
    weight: 2,
    towns: ['万山镇', '桂山镇', '担杆镇'],
    roads: ['万山大道', '桂海路'],
    centres: ['桂山镇中心街1号'],
  },
];

export const SURNAMES: readonly (readonly [string, number])[] = [
  ['陈', 12],
  ['李', 9],
  ['黄', 9],
  ['张', 7],
  ['梁', 6],
  ['刘', 6],
  ['林', 6],
  ['王', 6],
  ['吴', 5],
  ['何', 4],
  ['罗', 4],
  ['郑', 4],
  ['杨', 4],
  ['周', 3],
  ['谢', 3],
  ['冯', 3],
  ['曾', 3],
  ['邓', 3],
  ['许', 3],
  ['钟', 3],
  ['赵', 2],
  ['蔡', 2],
  ['彭', 2],
  ['徐', 2],
  ['卢', 2],
  ['苏', 2],
  ['胡', 2],
  ['朱', 2],
  ['叶', 2],
  ['潘', 2],
  ['杜', 1],
  ['余', 1],
  ['邱', 1],
  ['莫', 1],
  ['马', 1],
  ['戴', 1],
  ['温', 1],
  ['袁', 1],
  ['范', 1],
  ['郭', 1],
  ['孙', 1],
  ['高', 1],
  ['廖', 1],
  ['方', 1],
  ['欧阳', 0.5],
  ['司徒', 0.3],
  ['区', 0.4],
  ['麦', 0.5],
  ['关', 0.6],
  ['甘', 0.4],
  ['江', 0.8],
  ['汤', 0.5],
  ['丁', 0.5],
  ['邝', 0.3],
  ['容', 0.3],
];

export const GIVEN = [
  ...'伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲志海文建国辉婷雪斌宇浩凯俊鹏晓燕嘉梓欣怡子豪轩泽锦健荣顺坤彬琳莹颖锋勤旭东亮峰卓诗惠珊柏铭豪宏佩慧妍晖丹翠萍彩凤坚权耀基汉坤耀永康炜',
];

/** Brand syllables with pinyin, for names and domains. */
export const SYLLABLES: readonly (readonly [string, string])[] = (
  '汇hui 鑫xin 盛sheng 泰tai 华hua 恒heng 富fu 嘉jia 宏hong 德de 裕yu 隆long 昌chang 瑞rui ' +
  '祥xiang 信xin 达da 通tong 和he 安an 康kang 乐le 美mei 佳jia 金jin 海hai 星xing 宇yu 天tian ' +
  '中zhong 博bo 创chuang 智zhi 领ling 优you 易yi 云yun 蓝lan 百bai 万wan 亿yi 东dong 南nan 新xin ' +
  '奥ao 粤yue 港gang 珠zhu 湾wan 景jing 明ming 晨chen 阳yang 光guang 丰feng 利li 源yuan 诚cheng ' +
  '惠hui 聚ju 融rong 宝bao 鼎ding 君jun 道dao 弘hong 卓zhuo 越yue 锦jin 航hang 峰feng 凯kai 腾teng ' +
  '龙long 麒qi 麟lin 骏jun 翔xiang 泓hong 润run 泽ze 澜lan 永yong 久jiu 长chang 青qing 松song ' +
  '竹zhu 兰lan 禾he 谷gu 岭ling 川chuan 林lin 森sen 壹yi 九jiu 赢ying 财cai 福fu 禄lu 喜xi 悦yue ' +
  '雅ya 尚shang 品pin 维wei 纳na 宸chen 熙xi 睿rui 远yuan 拓tuo 启qi 航hang 正zheng 方fang 元yuan ' +
  '合he 众zhong 一yi 力li 顺shun 成cheng 兴xing 旺wang 发fa 铭ming 臻zhen 誉yu 朗lang ' +
  '皓hao 昊hao 轩xuan 逸yi 辰chen 琦qi 璟jing 瑾jin 琪qi 璞pu 珑long 珀po 瀚han 潮chao 涛tao 浩hao 沐mu 溪xi ' +
  '泉quan 渊yuan 岚lan 霖lin 雨yu 雪xue 霞xia 虹hong 星xing 月yue 日ri 晟sheng 昇sheng 旭xu 曜yao 晖hui 煜yu ' +
  '焱yan 炎yan 坤kun 垚yao 磊lei 石shi 峻jun 嵘rong 巍wei 崇chong 仁ren 义yi 礼li 智zhi 勤qin 俭jian ' +
  '恩en 惟wei 思si 念nian 怡yi 欣xin 馨xin 芳fang 菲fei 蕾lei 萱xuan 芷zhi 蓉rong 莲lian 荷he 桂gui ' +
  '桐tong 楠nan 枫feng 柏bai 杉shan 橙cheng 梓zi 樱ying 棠tang 凌ling 飞fei 扬yang 展zhan 驰chi 奔ben 跃yue ' +
  '鸿hong 鹏peng 鹤he 燕yan 雁yan 鲲kun 麦mai 稻dao 粟su 米mi 乾qian 坤kun 艺yi 匠jiang 工gong 联lian 盟meng'
)
  .split(' ')
  .map((s) => [s[0]!, s.slice(1)] as const);

/** Homophone or look-alike substitutes used for misspellings. */
export const MISSPELL: Readonly<Record<string, string>> = {
  鑫: '欣',
  汇: '惠',
  盛: '胜',
  泰: '太',
  华: '化',
  恒: '衡',
  富: '福',
  嘉: '佳',
  宏: '鸿',
  德: '得',
  裕: '誉',
  隆: '龙',
  昌: '畅',
  瑞: '锐',
  祥: '翔',
  信: '鑫',
  达: '大',
  通: '同',
  安: '按',
  康: '慷',
  财: '才',
  融: '荣',
  宝: '保',
  鼎: '顶',
  睿: '瑞',
  赢: '盈',
  源: '元',
  诚: '成',
  惠: '汇',
  锦: '金',
  峰: '锋',
  凯: '恺',
  腾: '滕',
  润: '闰',
  泽: '择',
  澜: '兰',
  晨: '辰',
  熙: '喜',
  越: '粤',
  卓: '桌',
  投: '头',
  资: '姿',
  理: '里',
  科: '可',
  技: '计',
  管: '官',
  贸: '茂',
  易: '亦',
  商: '尚',
};

/** GB/T 4754-2017 industries used by the simulator. */
export interface Industry {
  key: string;
  code: string;
  /** Industry words that appear in names (行业表述). */
  words: readonly string[];
  scope: readonly string[];
  /** Serves consumers (gets ordinary consumer complaints). */
  consumer: number;
  /** Share of enterprises of this industry that advertise, and their mean ads per day. */
  adShare: number;
  adRate: number;
  weight: number;
  ad: AdKind;
}

export type AdKind =
  | 'food'
  | 'retail'
  | 'education'
  | 'fitness'
  | 'beauty'
  | 'realestate'
  | 'tech'
  | 'b2b'
  | 'finance_bank'
  | 'finance_fund'
  | 'finance_insurance'
  | 'ecommerce'
  | 'travel'
  | 'health'
  | 'franchise'
  | 'property';

const S = {
  trade: '日用百货、五金交电、电子产品、服装鞋帽、化妆品、工艺美术品的批发和零售',
  tech: '软件开发；信息技术咨询服务；信息系统集成服务；数据处理和存储支持服务；技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广',
  food: '餐饮服务；食品销售；酒类经营；餐饮管理；外卖递送服务',
};

export const INDUSTRIES: readonly Industry[] = [
  {
    key: 'restaurant',
    code: 'H6210',
    words: ['餐饮管理', '餐饮服务', '饮食', '酒家', '美食'],
    scope: [S.food, '预包装食品销售；烟草制品零售'],
    consumer: 1,
    adShare: 0.22,
    adRate: 0.05,
    weight: 9,
    ad: 'food',
  },
  {
    key: 'fastfood',
    code: 'H6220',
    words: ['餐饮', '食品', '茶饮'],
    scope: [S.food, '小吃服务；饮料及冷饮服务'],
    consumer: 1,
    adShare: 0.2,
    adRate: 0.04,
    weight: 5,
    ad: 'food',
  },
  {
    key: 'retail',
    code: 'F5212',
    words: ['商贸', '贸易', '百货', '超市', '商行'],
    scope: [S.trade, '食品销售；母婴用品销售'],
    consumer: 1,
    adShare: 0.15,
    adRate: 0.04,
    weight: 12,
    ad: 'retail',
  },
  {
    key: 'ecom',
    code: 'F5292',
    words: ['电子商务', '网络科技', '供应链', '电商'],
    scope: [
      '互联网销售（除销售需要许可的商品）；' + S.trade,
      '电子商务；网络技术服务；供应链管理服务',
    ],
    consumer: 0.6,
    adShare: 0.2,
    adRate: 0.06,
    weight: 6,
    ad: 'ecommerce',
  },
  {
    key: 'wholesale',
    code: 'F5181',
    words: ['贸易', '进出口', '实业', '国际贸易'],
    scope: ['货物进出口；技术进出口；' + S.trade, '贸易经纪；国内贸易代理'],
    consumer: 0.1,
    adShare: 0.03,
    adRate: 0.02,
    weight: 10,
    ad: 'b2b',
  },
  {
    key: 'software',
    code: 'I6513',
    words: ['科技', '网络科技', '信息技术', '软件', '智能科技', '数字科技'],
    scope: [S.tech, '网络技术服务；人工智能应用软件开发；互联网数据服务'],
    consumer: 0.1,
    adShare: 0.08,
    adRate: 0.03,
    weight: 8,
    ad: 'tech',
  },
  {
    key: 'itconsult',
    code: 'I6560',
    words: ['信息咨询', '科技', '数据科技'],
    scope: [S.tech, '信息咨询服务（不含许可类信息咨询服务）'],
    consumer: 0.1,
    adShare: 0.05,
    adRate: 0.02,
    weight: 4,
    ad: 'tech',
  },
  {
    key: 'training',
    code: 'P8393',
    words: ['教育科技', '文化传播', '培训中心', '教育咨询', '艺术培训'],
    scope: [
      '教育咨询服务（不含涉许可审批的教育培训活动）；文艺培训；组织文化艺术交流活动',
      '业余体育培训；文化艺术培训；教育咨询服务',
    ],
    consumer: 1,
    adShare: 0.35,
    adRate: 0.08,
    weight: 4,
    ad: 'education',
  },
  {
    key: 'fitness',
    code: 'R8930',
    words: ['健身管理', '体育发展', '运动科技', '健身'],
    scope: [
      '健身休闲活动；体育健康服务；体育用品及器材零售；会员制健身服务',
      '体育场地设施经营（不含高危险性体育运动）；健身休闲活动',
    ],
    consumer: 1,
    adShare: 0.35,
    adRate: 0.08,
    weight: 2,
    ad: 'fitness',
  },
  {
    key: 'beauty',
    code: 'O8040',
    words: ['美容', '美容美发', '美业', '生活美容'],
    scope: [
      '理发服务；生活美容服务；化妆品零售；养生保健服务（非医疗）',
      '美甲服务；美发饰品销售；个人卫生用品销售',
    ],
    consumer: 1,
    adShare: 0.3,
    adRate: 0.05,
    weight: 3,
    ad: 'beauty',
  },
  {
    key: 'realestate_agent',
    code: 'K7030',
    words: ['房地产经纪', '置业', '地产代理', '房产咨询'],
    scope: ['房地产经纪；房地产咨询；住房租赁；非居住房地产租赁'],
    consumer: 0.8,
    adShare: 0.35,
    adRate: 0.1,
    weight: 4,
    ad: 'realestate',
  },
  {
    key: 'developer',
    code: 'K7010',
    words: ['房地产开发', '置业', '地产'],
    scope: ['房地产开发经营；物业管理；停车场服务'],
    consumer: 0.5,
    adShare: 0.3,
    adRate: 0.08,
    weight: 1,
    ad: 'realestate',
  },
  {
    key: 'property',
    code: 'K7020',
    words: ['物业管理', '物业服务'],
    scope: ['物业管理；停车场服务；家政服务；城市绿化管理'],
    consumer: 0.8,
    adShare: 0.02,
    adRate: 0.01,
    weight: 2,
    ad: 'property',
  },
  {
    key: 'construction',
    code: 'E4710',
    words: ['建筑工程', '建设工程', '装饰工程', '建筑劳务'],
    scope: ['建设工程施工；住宅室内装饰装修；建筑劳务分包', '园林绿化工程施工；土石方工程施工'],
    consumer: 0.3,
    adShare: 0.05,
    adRate: 0.02,
    weight: 7,
    ad: 'b2b',
  },
  {
    key: 'manufacturing',
    code: 'C3990',
    words: ['电子', '电子科技', '智能装备', '精密制造', '实业'],
    scope: ['电子元器件制造；电子专用设备制造；通用设备制造（不含特种设备制造）'],
    consumer: 0.05,
    adShare: 0.03,
    adRate: 0.01,
    weight: 6,
    ad: 'b2b',
  },
  {
    key: 'logistics',
    code: 'G5431',
    words: ['物流', '货运', '运输', '供应链管理'],
    scope: ['普通货物仓储服务；道路货物运输（不含危险货物）；国内货物运输代理'],
    consumer: 0.2,
    adShare: 0.04,
    adRate: 0.02,
    weight: 5,
    ad: 'b2b',
  },
  {
    key: 'advertising',
    code: 'L7259',
    words: ['文化传播', '广告', '传媒', '文化传媒', '品牌管理'],
    scope: ['广告设计、代理；广告制作；广告发布；组织文化艺术交流活动；会议及展览服务'],
    consumer: 0.1,
    adShare: 0.1,
    adRate: 0.03,
    weight: 5,
    ad: 'b2b',
  },
  {
    key: 'consulting',
    code: 'L7243',
    words: ['企业管理', '商务咨询', '管理咨询', '企业服务'],
    scope: ['企业管理咨询；信息咨询服务（不含许可类信息咨询服务）；市场营销策划；会议及展览服务'],
    consumer: 0.1,
    adShare: 0.05,
    adRate: 0.02,
    weight: 7,
    ad: 'b2b',
  },
  {
    key: 'travel',
    code: 'L7271',
    words: ['旅行社', '国际旅行社', '旅游'],
    scope: ['旅游业务；旅行社服务网点旅游招徕、咨询服务；票务代理服务'],
    consumer: 1,
    adShare: 0.3,
    adRate: 0.06,
    weight: 1,
    ad: 'travel',
  },
  {
    key: 'health',
    code: 'F5251',
    words: ['健康科技', '生物科技', '保健品', '大药房'],
    scope: ['保健食品（预包装）销售；第一类医疗器械销售；健康咨询服务（不含诊疗服务）'],
    consumer: 0.8,
    adShare: 0.2,
    adRate: 0.05,
    weight: 3,
    ad: 'health',
  },
  {
    key: 'agri',
    code: 'A0141',
    words: ['农业发展', '农业科技', '生态农业', '种养'],
    scope: ['蔬菜种植；水果种植；农产品的生产、销售、加工、运输、贮藏及其他相关服务'],
    consumer: 0.2,
    adShare: 0.05,
    adRate: 0.02,
    weight: 2,
    ad: 'retail',
  },
  {
    key: 'eldercare',
    code: 'Q8514',
    words: ['养老服务', '健康养老', '康养', '颐养'],
    scope: ['养老服务；居家养老服务；健康咨询服务（不含诊疗服务）；护理机构服务（不含医疗服务）'],
    consumer: 0.8,
    adShare: 0.1,
    adRate: 0.03,
    weight: 0.6,
    ad: 'health',
  },
  {
    key: 'franchise',
    code: 'F5181',
    words: ['品牌管理', '餐饮管理', '连锁', '商业管理'],
    scope: ['品牌管理；餐饮管理；企业管理咨询；特许经营'],
    consumer: 0.3,
    adShare: 0.4,
    adRate: 0.1,
    weight: 1,
    ad: 'franchise',
  },
  {
    key: 'investment',
    code: 'L7212',
    words: ['投资', '投资管理', '资产管理', '股权投资', '投资咨询'],
    scope: [
      '以自有资金从事投资活动；企业管理咨询；财务咨询',
      '投资管理；资产管理；股权投资（不得从事吸收存款、集资收款、受托贷款、发放贷款等国家金融监管及财政信用业务）',
    ],
    consumer: 0.05,
    adShare: 0.05,
    adRate: 0.02,
    weight: 3,
    ad: 'b2b',
  },
  {
    key: 'supplychain',
    code: 'L7224',
    words: ['供应链管理', '供应链', '供应链服务'],
    scope: ['供应链管理服务；国内贸易代理；货物进出口；商务信息咨询'],
    consumer: 0.05,
    adShare: 0.04,
    adRate: 0.02,
    weight: 2,
    ad: 'b2b',
  },
];

export const INDUSTRY_BY_KEY: ReadonlyMap<string, Industry> = new Map(
  INDUSTRIES.map((i) => [i.key, i]),
);

export const ENTERPRISE_TYPES = {
  personSole: '有限责任公司(自然人独资)',
  personMany: '有限责任公司(自然人投资或控股)',
  corpSole: '有限责任公司(法人独资)',
  other: '其他有限责任公司',
  joint: '股份有限公司(非上市、自然人投资或控股)',
  hkmo: '有限责任公司(港澳台法人独资)',
  partnership: '有限合伙企业',
  branch: '有限责任公司分公司(自然人投资或控股)',
  bankBranch: '股份有限公司分公司(上市、国有控股)',
} as const;

/** Shops and persons that complaints name but that are not in the register. */
export const SHOP_WORDS = [
  '烧腊店',
  '便利店',
  '士多',
  '水果店',
  '茶餐厅',
  '理发店',
  '五金店',
  '手机店',
  '奶茶店',
  '足浴店',
  '药店',
  '面馆',
  '汽修店',
  '洗衣店',
];
export const PERSON_ROLES = [
  '业务员',
  '经理',
  '老师',
  '客户经理',
  '主管',
  '老板',
  '总监',
  '团队长',
];
