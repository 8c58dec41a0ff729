/**
 * The review workflow beyond single events: referrals between offices (移交), two-person decisions
 * (认定 / 排除), reopening, all serialised per enterprise (serial.ts); and the approval queue and
 * referral inbox (lists.ts).
 */
export * from './serial.ts';
export * from './actions.ts';
export * from './lists.ts';
