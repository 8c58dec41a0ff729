/** Operations: backups and restores, retention, database stats, notices for admins, the admin verbs. */
export {
  backupFromConfig,
  registerOpsVerbs,
  retentionPolicy,
  type AdminReply,
  type OpsVerbDeps,
} from './admin-ops.ts';
export {
  backup,
  formatBackup,
  listBackups,
  pruneBackups,
  BACKUP_FILE,
  MANIFEST,
  type BackupManifest,
  type BackupOptions,
  type BackupResult,
} from './backup.ts';
export {
  restore,
  formatRestore,
  pickBackup,
  type RestoreOptions,
  type RestoreResult,
} from './restore.ts';
export {
  compareFacts,
  databaseFacts,
  type DatabaseFacts,
  type ListFingerprint,
} from './fingerprint.ts';
export {
  applyRetention,
  formatRetention,
  PURGED_MARKER,
  type RetentionPolicy,
} from './retention.ts';
export { dbStats, formatStats, type DbStats } from './stats.ts';
export {
  openNotices,
  raiseNotice,
  resolveNotice,
  resolveNotices,
  type Notice,
  type NoticeKind,
} from './notices.ts';
