/**
 * What a role may do, read from the API's own route declarations (so the dashboard never shows a
 * button the API would refuse). FALLBACK mirrors api/routes/* for when the routes are not known.
 */
import type { Role } from '../../pipeline/auth/index.ts';

export type Operation =
  | 'listAlerts'
  | 'getAlert'
  | 'createDisposition'
  | 'searchEntities'
  | 'getEntity'
  | 'getEntityHistory'
  | 'getEntityNetwork'
  | 'listModels'
  | 'activateModel'
  | 'rollbackModel'
  | 'listRuns'
  | 'listQuarantine'
  | 'triggerRun'
  | 'exportAlertsCsv'
  | 'exportAlertsXlsx'
  | 'uploadIntakeFile';

const ALL: readonly Role[] = ['regulator', 'investigator', 'data_scientist', 'admin'];
const REVIEWERS: readonly Role[] = ['regulator', 'investigator', 'admin'];
const SCIENCE: readonly Role[] = ['data_scientist', 'admin'];

export const FALLBACK: Readonly<Record<Operation, readonly Role[]>> = {
  listAlerts: ALL,
  getAlert: ALL,
  createDisposition: REVIEWERS,
  searchEntities: REVIEWERS,
  getEntity: REVIEWERS,
  getEntityHistory: REVIEWERS,
  getEntityNetwork: REVIEWERS,
  listModels: ALL,
  activateModel: SCIENCE,
  rollbackModel: SCIENCE,
  listRuns: ALL,
  listQuarantine: SCIENCE,
  triggerRun: SCIENCE,
  exportAlertsCsv: REVIEWERS,
  exportAlertsXlsx: REVIEWERS,
  uploadIntakeFile: SCIENCE,
};

export interface RouteRoles {
  operationId: string;
  roles: readonly string[] | 'public';
}

export type Can = (op: Operation) => boolean;

export function permissionsFor(role: Role, routes: readonly RouteRoles[] | undefined): Can {
  const byOp = new Map<string, readonly string[] | 'public'>();
  for (const r of routes ?? []) byOp.set(r.operationId, r.roles);
  return (op) => {
    const roles = byOp.get(op) ?? FALLBACK[op];
    return roles === 'public' || roles.includes(role);
  };
}
