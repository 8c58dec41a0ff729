/**
 * Local development: serves the API with the dashboard mounted over a database that holds lists
 * (build one with the e2e fixture), and makes a user per role (password: dafei-dev-pass).
 *   node --import tsx api/dashboard/dev.ts var/dashboard-dev.duckdb [port]
 */
import { serve } from '@hono/node-server';
import { createApp } from '../app.ts';
import { createUser } from '../../pipeline/auth/index.ts';
import { loadConfig } from '../../pipeline/config.ts';
import { openMigratedDb } from '../../pipeline/db/index.ts';
import { mountDashboard } from './index.ts';
import { isMounted } from './mount-check.ts';

const path = process.argv[2] ?? 'var/dashboard-dev.duckdb';
const port = Number(process.argv[3] ?? 8788);
const db = await openMigratedDb(path);
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
