/** Platform-name candidates from free text (examples written here, not taken from a dataset). */
import { describe, expect, it } from 'vitest';
import { extractPlatformNames } from './platform-names.ts';

describe('extractPlatformNames', () => {
  it('takes marked names: 【tag】, quotes and title marks', () => {
    expect(extractPlatformNames('【鑫盛财富】保本保息')).toContain('鑫盛财富');
    expect(extractPlatformNames('投资了一个叫“聚宝云”的项目')).toContain('聚宝云');
    expect(extractPlatformNames('《金牛理财》正式上线')).toContain('金牛理财');
  });
  it('takes the name before a word saying what it is, stopping at function words', () => {
    const names = extractPlatformNames('大家都在问在趣步app上赚钱可靠吗，趣步公司合法吗');
    expect(names).toEqual(expect.arrayContaining(['趣步', '趣步app', '趣步公司']));
    expect(names.some((n) => n.startsWith('在'))).toBe(false);
  });
  it('takes a registered name whole, not its tail after the company form', () => {
    const names = extractPlatformNames('珠海鑫盛财富管理有限公司承诺年化18%');
    expect(names).toContain('珠海鑫盛财富管理有限公司');
    expect(names).not.toContain('财富管理有限');
  });
  it('takes Latin brand words, not web or common words', () => {
    const names = extractPlatformNames('PlusToken钱包跑路，下载APP，访问http://www.example.com');
    expect(names).toEqual(expect.arrayContaining(['PlusToken', 'PlusToken钱包']));
    expect(names.map((n) => n.toLowerCase())).not.toEqual(expect.arrayContaining(['app']));
    expect(names).not.toContain('http');
  });
  it('drops generic words and bare numbers', () => {
    expect(extractPlatformNames('这家互联网金融平台年化12%，投资需谨慎')).not.toContain('互联网');
    expect(extractPlatformNames('2019平台')).toEqual([]);
  });
});
