/**
 * The dashboard's routes: one module per page under `pages/`, each exporting a small
 * `mount…(kit)` that adds its routes. A new page is a new module and one line here (README.md).
 */
import type { Hono } from 'hono';
import type { AppEnv } from '../context.ts';
import { createKit, type DashboardDeps } from './kit.tsx';
import { BASE } from './layout.tsx';
import { mountAlerts } from './pages/alerts.tsx';
import { mountDetail } from './pages/detail.tsx';
import { mountEntities } from './pages/entities.tsx';
import { mountLogin } from './pages/login.tsx';
import { mountModels } from './pages/models.tsx';
import { mountRuns } from './pages/runs.tsx';
import { mountWatchlists } from './pages/watchlists.tsx';
import { mountInbox } from './pages/inbox.tsx';
import { mountWorkflowPages } from './pages/workflow.tsx';
import { mountAccount } from './pages/account.tsx';
import { mountIntake } from './pages/intake.tsx';

export type { DashboardDeps } from './kit.tsx';

export function mountDashboard(app: Hono<AppEnv>, deps: DashboardDeps): void {
  app.get('/', (c) => c.redirect(`${BASE}/`, 302));
  app.get(BASE, (c) => c.redirect(`${BASE}/`, 302));
  const kit = createKit(app, deps);
  mountLogin(kit);
  mountAlerts(kit);
  mountDetail(kit);
  mountEntities(kit);
  mountModels(kit);
  mountRuns(kit);
  mountWatchlists(kit);
  mountInbox(kit);
  mountWorkflowPages(kit);
  mountAccount(kit);
  mountIntake(kit);
}
