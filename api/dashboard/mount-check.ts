/** Whether an app already has the dashboard's routes (createApp may mount it itself). */
import type { Hono } from 'hono';
import { BASE } from './layout.tsx';

export function isMounted(app: Pick<Hono, 'routes'>): boolean {
  return app.routes.some((r) => r.path === `${BASE}/`);
}
