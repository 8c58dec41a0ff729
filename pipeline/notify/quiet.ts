/**
 * Quiet periods: a subscriber's pushes (webhooks, the digest) that fall due in [from, to) —
 * wall-clock times in Asia/Shanghai, 'HH:MM', possibly across midnight (22:00–07:00) — wait until
 * the period ends. The inbox is never quiet.
 */

const SHANGHAI_MS = 8 * 3600_000;

export function isClock(s: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(s);
}

function minutes(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** The end of the quiet period `at` falls in, or undefined when `at` is not in it. */
export function quietUntil(at: Date, from: string, to: string): Date | undefined {
  if (!isClock(from) || !isClock(to) || from === to) return undefined;
  const local = at.getTime() + SHANGHAI_MS;
  const dayStart = Math.floor(local / 86_400_000) * 86_400_000;
  const m = Math.floor((local - dayStart) / 60_000);
  const f = minutes(from);
  const t = minutes(to);
  const inside = f < t ? m >= f && m < t : m >= f || m < t;
  if (!inside) return undefined;
  // the next wall-clock `to` after `at`
  let end = dayStart + t * 60_000;
  if (end <= local) end += 86_400_000;
  return new Date(end - SHANGHAI_MS);
}

/** When a push due at `at` may go, given the quiet periods of the subscriptions behind it (the latest end wins). */
export function nextPushTime(at: Date, periods: readonly (readonly [string, string])[]): Date {
  let t = at;
  for (const [from, to] of periods) {
    const until = quietUntil(at, from, to);
    if (until && until > t) t = until;
  }
  return t;
}
