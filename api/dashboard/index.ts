/**
 * The zh-CN dashboard (打非云): server-rendered Hono JSX pages under /ui, plain CSS and a little
 * script, charts as inline SVG. `mountDashboard(app, deps)` adds its routes to the API app; every
 * page reads and writes through the API in process with the session's token (api-call.ts), so the
 * API's roles, redaction, validation and audit apply to the dashboard unchanged.
 */
export { mountDashboard, type DashboardDeps } from './routes.ts';
export { BASE as DASHBOARD_BASE } from './layout.tsx';
