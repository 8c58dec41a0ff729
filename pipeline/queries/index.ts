export * from './alerts.ts';
export * from './audit.ts';
export * from './audit-journal.ts';
export * from './dispositions.ts';
export * from './entities.ts';
export * from './evidence.ts';
export * from './exports.ts';
export * from './ops.ts';
export * from './score-history.ts';
export * from './entity-events.ts';
export * from './read-model.ts';
export {
  hideUrls,
  HeldBatchRow,
  NoticeRow,
  OperationsState,
  operationsState,
  recentRejectedFiles,
  RejectedFileRow,
} from './operations.ts';
export * from './summary.ts';
