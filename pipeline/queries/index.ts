export * from './alerts.ts';
export * from './audit.ts';
export * from './dispositions.ts';
export * from './entities.ts';
export * from './evidence.ts';
export * from './exports.ts';
export * from './ops.ts';
export * from './score-history.ts';
