/**
 * Offices and their areas: the tree (tree.ts), loading the deployment's file (load.ts), and which
 * office an enterprise belongs to as of a day (offices.ts) — the one place scoping asks.
 */
export * from './tree.ts';
export * from './load.ts';
export * from './offices.ts';
