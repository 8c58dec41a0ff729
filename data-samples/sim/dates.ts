/** Day numbers (days since 1970-01-01) and their Asia/Shanghai renderings. */

const MS_DAY = 86_400_000;

export function parseDay(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) throw new Error(`not a date (YYYY-MM-DD): ${s}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const day = ms / MS_DAY;
  if (formatDay(day) !== s) throw new Error(`not a calendar date: ${s}`);
  return day;
}

export function formatDay(day: number): string {
  return new Date(day * MS_DAY).toISOString().slice(0, 10);
}

const cache = new Map<number, string>();

/** Cached YYYY-MM-DD (hot path). */
export function ymd(day: number): string {
  let s = cache.get(day);
  if (s === undefined) {
    s = formatDay(day);
    if (cache.size < 100_000) cache.set(day, s);
  }
  return s;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** ISO 8601 timestamp with +08:00 for a Shanghai day and a second of that day. */
export function timestamp(day: number, second: number): string {
  const h = Math.floor(second / 3600);
  const m = Math.floor((second % 3600) / 60);
  const s = second % 60;
  return `${ymd(day)}T${pad2(h)}:${pad2(m)}:${pad2(s)}+08:00`;
}
