import { describe, expect, it } from 'vitest';
import { barsH, bucketChart, networkGraph, scoreChart } from './index.ts';

describe('shared SVG charts', () => {
  it('escape names and links: an enterprise name is text, never markup', () => {
    const svg = networkGraph({
      center: { label: '<script>x</script>', level: null },
      nodes: [
        {
          id: 'a',
          label: 'A"&<b>',
          href: '/ui/e/1?a=1&b="2"',
          kinds: ['phone'],
          confirmed: false,
          level: 'red',
        },
        { id: 'b', label: '外地企业', kinds: ['address'], confirmed: true, level: null },
      ],
    });
    expect(svg).not.toMatch(/<script|<b>/);
    expect(svg).toContain('<title>A&quot;&amp;&lt;b&gt;</title>');
    expect(svg).toContain('href="/ui/e/1?a=1&amp;b=&quot;2&quot;"');
    // a neighbour without a link is drawn apart, not as a link
    expect(svg.match(/<a /g)).toHaveLength(1);
    expect(svg.match(/<g class="other-jurisdiction">/g)).toHaveLength(1);
    expect(barsH({ title: 'T', items: [{ label: '<i>', value: 1 }] })).toContain('&lt;i&gt;');
  });

  it('draw nothing for an empty input', () => {
    expect(scoreChart({ points: [] })).toBe('');
    expect(bucketChart({ buckets: [] })).toBe('');
  });

  it('draw one bar per non-empty bucket with its count and label', () => {
    const svg = bucketChart({
      buckets: [
        { label: '滞后', count: 3 },
        { label: '0–7天', count: 0 },
      ],
      unit: '天',
    });
    expect(svg.startsWith('<svg class="chart" viewBox="0 0 440 190"')).toBe(true);
    expect(svg.match(/<rect [^>]*height="(?!0")/g)).toHaveLength(1);
    expect(svg).toContain('>滞后</text>');
  });
});
