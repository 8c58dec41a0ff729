/**
 * Test fixture: serves a database file on 127.0.0.1 (a port of the system's choice) in its own
 * process, and prints {"url": …} on stdout when it listens. For tests that kill a server.
 *
 *   node --import tsx api/_serve-file.ts DB_PATH [AUDIT_JOURNAL_MS]
 */
import { openMigratedDb } from '../pipeline/db/index.ts';
import { startServer } from './index.ts';

const [path, journalMs] = process.argv.slice(2);
const db = await openMigratedDb(path!);
const server = await startServer({
  db,
  port: 0,
  host: '127.0.0.1',
  warm: false,
  ...(journalMs === undefined ? {} : { auditJournal: { intervalMs: Number(journalMs) } }),
  log: (m, e) => process.stderr.write(`${m} ${String(e)}\n`),
});
process.stdout.write(JSON.stringify({ url: server.url }) + '\n');
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
