/**
 * Text with marked spans: red-flag phrases and promised yields become <mark> elements. Spans may
 * overlap (a yield inside a red-flag phrase): the text is cut at every span boundary and each piece
 * is marked with every span that covers it. Offsets are UTF-16 code units, end exclusive (API).
 */
import type { Child } from 'hono/jsx';

export interface MarkSpan {
  start: number;
  end: number;
  /** 'red_flag' | 'yield' (others are drawn as yields) */
  kind: string;
  label: string;
  term: string;
}

export interface Piece {
  text: string;
  spans: MarkSpan[];
}

export function cutPieces(text: string, spans: readonly MarkSpan[]): Piece[] {
  const valid = spans.filter(
    (s) =>
      Number.isInteger(s.start) &&
      Number.isInteger(s.end) &&
      s.start >= 0 &&
      s.end <= text.length &&
      s.start < s.end,
  );
  const cuts = new Set<number>([0, text.length]);
  for (const s of valid) {
    cuts.add(s.start);
    cuts.add(s.end);
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out: Piece[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    const covering = valid.filter((s) => s.start <= a && s.end >= b);
    const prev = out[out.length - 1];
    if (prev && sameSpans(prev.spans, covering)) prev.text += text.slice(a, b);
    else out.push({ text: text.slice(a, b), spans: covering });
  }
  return out;
}

function sameSpans(a: readonly MarkSpan[], b: readonly MarkSpan[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function Highlighted(props: { text: string; spans: readonly MarkSpan[] }): Child {
  return (
    <>
      {cutPieces(props.text, props.spans).map((p) => {
        if (p.spans.length === 0) return p.text;
        const flag = p.spans.some((s) => s.kind === 'red_flag');
        const yld = p.spans.some((s) => s.kind === 'yield');
        const cls = flag && yld ? 'rf yield' : flag ? 'rf' : 'yield';
        const title = [
          ...new Set(p.spans.map((s) => (s.kind === 'yield' ? s.label : `${s.label}：${s.term}`))),
        ].join('；');
        return (
          <mark class={cls} title={title} data-kind={p.spans.map((s) => s.kind).join(' ')}>
            {p.text}
          </mark>
        );
      })}
    </>
  );
}
