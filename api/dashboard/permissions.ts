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
  | 'releaseHeldBatch'
  | 'exportAlertsCsv'
  | 'exportAlertsXlsx'
  | 'listWatchlists'
  | 'listApprovals'
  | 'decideApproval'
  | 'listReferrals'
  | 'answerReferral'
  | 'reopenEnterprise'
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
  releaseHeldBatch: ['admin'],
  exportAlertsCsv: REVIEWERS,
  exportAlertsXlsx: REVIEWERS,
  listWatchlists: REVIEWERS,
  listApprovals: REVIEWERS,
  decideApproval: REVIEWERS,
  listReferrals: REVIEWERS,
  answerReferral: ['regulator', 'admin'],
  reopenEnterprise: ['regulator', 'admin'],
  uploadIntakeFile: SCIENCE,
};

/** Deployment-wide operations: an account of one office (not the whole tree) may not call them. */
const WHOLE_TREE_FALLBACK: ReadonlySet<string> = new Set([
  'activateModel',
  'rollbackModel',
  'listQuarantine',
  'triggerRun',
  'releaseHeldBatch',
  'uploadIntakeFile',
]);

export interface RouteRoles {
  operationId: string;
  roles: readonly string[] | 'public';
  wholeTree?: true;
}

export type Can = (op: Operation) => boolean;

/**
 * What `role` may do. `office`: true when the account belongs to one office rather than the whole
 * tree, which rules out the deployment-wide operations (models, runs, the quarantine).
 */
export function permissionsFor(
  role: Role,
  routes: readonly RouteRoles[] | undefined,
  office = false,
): Can {
  const byOp = new Map<string, RouteRoles>();
  for (const r of routes ?? []) byOp.set(r.operationId, r);
  return (op) => {
    const route = byOp.get(op);
    const roles = route?.roles ?? FALLBACK[op];
    const wholeTree = route ? route.wholeTree === true : WHOLE_TREE_FALLBACK.has(op);
    if (office && wholeTree) return false;
    return roles === 'public' || roles.includes(role);
  };
}
