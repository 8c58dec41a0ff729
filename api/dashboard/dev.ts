/**
 * Local development: serves the API with the dashboard mounted, and makes a user per role
 * (password: dafei-dev-pass). A database without lists is first filled from the sample city
 * (fixture.ts: ingest, 14 days of lists, a trained model).
 *   node --import tsx api/dashboard/dev.ts [var/dashboard-dev.duckdb] [port]
 */
import { serve } from '@hono/node-server';
import { createApp } from '../app.ts';
import { createUser } from '../../pipeline/auth/index.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { openMigratedDb } from '../../pipeline/db/index.ts';
import { mountDashboard } from './index.ts';
import { isMounted } from './mount-check.ts';
import { buildSampleDb } from './fixture.ts';

const path = process.argv[2] ?? 'var/dashboard-dev.duckdb';
const port = Number(process.argv[3] ?? 8788);
const db = await openMigratedDb(path);
if (!(await db.one(`SELECT 1 AS x FROM list_revisions LIMIT 1`))) {
  process.stdout.write(
    `${path} holds no lists: building it from the sample city (a few minutes)\n`,
  );
  await buildSampleDb(db, { log: (l) => process.stdout.write(`  ${l}\n`) });
}
for (const role of ['regulator', 'investigator', 'data_scientist', 'admin']) {
  try {
    await createUser(db, { username: role, password: 'dafei-dev-pass', role });
  } catch {
    /* exists */
  }
}
const app = createApp({ db, config: loadConfig() });
if (!isMounted(app)) mountDashboard(app, app.dafei.deps);
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(
    `dashboard on http://127.0.0.1:${info.port}/ui/ (users: regulator, investigator, data_scientist, admin; password dafei-dev-pass)\n`,
  );
});
