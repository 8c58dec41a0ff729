/** GET /v1/models, POST /v1/models/{version}/activate, POST /v1/models/rollback */
import { z } from 'zod';
import {
  activateModel,
  activeVersion,
  listModels,
  ModelVersionInfo,
  rollbackModel,
} from '../../pipeline/modeling/index.ts';
import type { Router } from '../route.ts';
import { audit } from '../audit.ts';
import { Problem } from '../schemas.ts';

const NoteBody = z
  .strictObject({ note: z.string().max(500).optional() })
  .meta({ id: 'ActivationInput' });

const ModelList = z
  .object({
    active_version: z
      .number()
      .int()
      .nullable()
      .meta({ description: 'null: the rule index ranks alone' }),
    items: z.array(ModelVersionInfo),
  })
  .meta({ id: 'ModelList' });

/** The champion after an activation or a rollback (null: the rule index). */
const Activation = z
  .object({ active_version: z.number().int().nullable() })
  .meta({ id: 'Activation' });

export function modelRoutes(r: Router): void {
  r.add(
    {
      method: 'get',
      path: '/v1/models',
      operationId: 'listModels',
      summary: 'List model versions',
      description:
        'Every trained version with its window, metrics and whether it is active (the champion). `active_version` null = the rule index ranks alone.',
      tag: 'models',
      roles: ['regulator', 'investigator', 'data_scientist', 'admin'],
      responses: {
        200: { description: 'versions', schema: ModelList },
      },
    },
    async (c) => {
      const { db } = c.get('deps');
      const items = await db.exclusive(async (inner) => listModels(inner));
      return c.json({ active_version: items.find((m) => m.active)?.version ?? null, items });
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/models/:version/activate',
      operationId: 'activateModel',
      summary: 'Activate a model version',
      tag: 'models',
      roles: ['data_scientist', 'admin'],
      wholeTree: true,
      params: z.strictObject({ version: z.coerce.number().int().min(1).max(1_000_000) }),
      body: NoteBody,
      responses: {
        200: { description: 'now active', schema: Activation },
        404: { description: 'unknown version', schema: Problem },
      },
    },
    async (c, { params, body }) => {
      const { db } = c.get('deps');
      const p = c.get('principal')!;
      const active = await db.exclusive(async (inner) => {
        await activateModel(inner, params.version, p.name, body.note);
        return activeVersion(inner);
      });
      await audit(c, 'model.activate', String(params.version), { status: 200 });
      return c.json({ active_version: active });
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/models/rollback',
      operationId: 'rollbackModel',
      summary: 'Roll back to the previous model',
      description: 'Goes back to the model active before the current one (null = the rule index).',
      tag: 'models',
      roles: ['data_scientist', 'admin'],
      wholeTree: true,
      body: NoteBody,
      responses: {
        200: { description: 'now active', schema: Activation },
        404: { description: 'nothing to roll back', schema: Problem },
      },
    },
    async (c, { body }) => {
      const { db } = c.get('deps');
      const p = c.get('principal')!;
      const active = await db.exclusive((inner) => rollbackModel(inner, p.name, body.note));
      await audit(c, 'model.rollback', active === null ? 'rules' : String(active), { status: 200 });
      return c.json({ active_version: active });
    },
  );
}
