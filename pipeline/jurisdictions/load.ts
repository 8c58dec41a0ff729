/**
 * Loading the deployment's jurisdiction file into the database (whole, in one transaction) and
 * reading the tree back. The file is the deployment's (`DAFEI_JURISDICTIONS`, or `jurisdictions`
 * in dafei.config.json); without one, the sample city's (data-samples/jurisdictions.json).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { treeFromFile, JurisdictionTree, type JurisdictionNode } from './tree.ts';

/** The file shipped for the sample city. */
export const DEFAULT_JURISDICTION_FILE = fileURLToPath(
  new URL('../../data-samples/jurisdictions.json', import.meta.url),
);

export interface LoadResult {
  file: string;
  sha256: string;
  nodes: number;
  agencies: number;
  /** False when the database already held this exact file. */
  changed: boolean;
}

/**
 * Loads `file` unless the database already holds it. Refuses (and changes nothing) when an
 * account, a token or a referral names an office that the new file does not have.
 */
export async function loadJurisdictionFile(
  db: Db,
  file: string,
  now = new Date(),
): Promise<LoadResult> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('config_invalid', `cannot read the jurisdiction file ${file}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new AppError('config_invalid', `${file} is not valid JSON`, { cause: err });
  }
  const tree = treeFromFile(json, file);
  const sha256 = createHash('sha256').update(text).digest('hex');
  const result = { file, sha256, nodes: tree.nodes.length, agencies: tree.agencies.length };
  const held = await db.one<{ sha256: string }>(`SELECT sha256 FROM jurisdiction_source`);
  if (held?.sha256 === sha256) return { ...result, changed: false };
  return db.transaction(async (tx) => {
    const used = await tx.all<{ what: string; code: string }>(
      `SELECT 'account ' || username AS what, jurisdiction AS code FROM api_users WHERE jurisdiction IS NOT NULL
       UNION ALL SELECT 'token ' || name, jurisdiction FROM api_tokens WHERE jurisdiction IS NOT NULL AND revoked_at IS NULL
       UNION ALL SELECT 'referral ' || referral_id, target FROM referrals WHERE target_kind = 'office'
       UNION ALL SELECT 'referral ' || referral_id || ' (agency)', 'agency:' || target FROM referrals WHERE target_kind = 'agency'`,
    );
    const missing = used.filter((u) =>
      u.code.startsWith('agency:') ? !tree.agency(u.code.slice(7)) : !tree.has(u.code),
    );
    if (missing.length > 0) {
      throw new AppError(
        'config_invalid',
        `${file} lacks offices that are in use: ${missing
          .slice(0, 10)
          .map((m) => `${m.what} → ${m.code}`)
          .join(
            ', ',
          )}${missing.length > 10 ? ` and ${missing.length - 10} more` : ''}; keep them in the file`,
      );
    }
    await tx.run(`DELETE FROM jurisdictions`);
    await tx.run(`DELETE FROM referral_agencies`);
    await tx.run(`DELETE FROM jurisdiction_source`);
    await tx.run(
      `INSERT INTO jurisdictions
       SELECT n.code, n.name, n.parent, n.kind, n.aliases, n.depth
       FROM (SELECT unnest(from_json($nodes, '[{"code":"VARCHAR","name":"VARCHAR","parent":"VARCHAR","kind":"VARCHAR","aliases":["VARCHAR"],"depth":"INTEGER"}]')) AS n)`,
      { nodes: JSON.stringify(tree.nodes) },
    );
    if (tree.agencies.length > 0) {
      await tx.run(
        `INSERT INTO referral_agencies
         SELECT a.id, a.name FROM (SELECT unnest(from_json($a, '[{"id":"VARCHAR","name":"VARCHAR"}]')) AS a)`,
        { a: JSON.stringify(tree.agencies) },
      );
    }
    await tx.run(
      `INSERT INTO jurisdiction_source VALUES ($file, $sha, $now::TIMESTAMPTZ, $nodes, $agencies)`,
      {
        file,
        sha: sha256,
        now: now.toISOString(),
        nodes: tree.nodes.length,
        agencies: tree.agencies.length,
      },
    );
    return { ...result, changed: true };
  });
}

/**
 * Makes sure the database holds a tree: the configured file (reloaded when it changed), or, when
 * none is configured and the database has none yet, the sample city's default.
 */
export async function ensureJurisdictions(
  db: Db,
  configured: string | null,
): Promise<LoadResult | undefined> {
  if (configured !== null) return loadJurisdictionFile(db, configured);
  const held = await db.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM jurisdictions`);
  if (held && held.n > 0) return undefined;
  return loadJurisdictionFile(db, DEFAULT_JURISDICTION_FILE);
}

/** The tree the database holds (empty when no file was ever loaded). */
export async function readTree(db: Db): Promise<JurisdictionTree> {
  const nodes = await db.all<{
    code: string;
    name: string;
    parent: string | null;
    kind: JurisdictionNode['kind'];
    aliases: string;
    depth: number;
  }>(
    `SELECT code, name, parent, kind, to_json(aliases)::VARCHAR AS aliases, depth FROM jurisdictions ORDER BY depth, code`,
  );
  const agencies = await db.all<{ id: string; name: string }>(
    `SELECT id, name FROM referral_agencies ORDER BY id`,
  );
  return new JurisdictionTree(
    nodes.map((n) => ({ ...n, aliases: JSON.parse(n.aliases) as string[] })),
    agencies,
  );
}
