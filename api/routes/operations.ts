/** POST /v1/held/{batch}/release, POST /v1/held/{batch}/discard, POST /v1/notices/{id}/resolve */
import { z } from 'zod';
import { ingestPolicy } from '../../pipeline/config.ts';
import { discardHeld, formatCounts, releaseHeld } from '../../pipeline/feeds/index.ts';
import { resolveNotice } from '../../pipeline/ops/index.ts';
import type { Router } from '../route.ts';
import { audit } from '../audit.ts';
import { ApiError } from '../errors.ts';
import { Problem } from '../schemas.ts';

const BatchParam = z.strictObject({
  batch: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});

export function operationsRoutes(r: Router): void {
  r.add(
    {
      method: 'post',
      path: '/v1/held/:batch/release',
      operationId: 'releaseHeldBatch',
      summary: 'Release a held batch',
      description:
        'Applies a batch that was held back (over the quarantine threshold, or a required field missing on every line) as it is: its good lines land, the others are quarantined; the drop-folder file is marked taken and the HTTP cursor moves. Runs between scheduled jobs.',
      tag: 'runs',
      roles: ['admin'],
      // a batch is not placed in an office, nor is a notice: for accounts of the whole tree
      wholeTree: true,
      params: BatchParam,
      responses: {
        200: {
          description: 'applied',
          schema: z
            .object({
              batch: z.number().int(),
              applied_batch: z.number().int().meta({ description: 'the batch that applied it' }),
              counts: z
                .string()
                .meta({ description: 'read, accepted, duplicate, corrected, quarantined' }),
            })
            .meta({ id: 'HeldReleased' }),
        },
        404: { description: 'no such held batch', schema: Problem },
        409: { description: 'no longer held', schema: Problem },
      },
    },
    async (c, { params }) => {
      const { db, config, exclusive } = c.get('deps');
      const actor = c.get('principal')!.name;
      const policy = ingestPolicy(config, db.path);
      const run = () =>
        releaseHeld(db, params.batch, { actor, limits: policy.limits, filesDir: policy.filesDir });
      const applied = exclusive ? await exclusive('held', run) : await run();
      await audit(c, 'held.release', String(params.batch), {
        status: 200,
        applied_batch: applied.batchId,
      });
      return c.json({
        batch: params.batch,
        applied_batch: applied.batchId,
        counts: formatCounts(applied),
      });
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/held/:batch/discard',
      operationId: 'discardHeldBatch',
      summary: 'Discard a held batch',
      description:
        'Applies nothing of a held batch; its drop-folder file is marked taken and the HTTP cursor moves past it, so the source goes on.',
      tag: 'runs',
      roles: ['admin'],
      wholeTree: true,
      params: BatchParam,
      responses: {
        200: {
          description: 'discarded',
          schema: z.object({ batch: z.number().int() }).meta({ id: 'HeldDiscarded' }),
        },
        404: { description: 'no such held batch', schema: Problem },
        409: { description: 'no longer held', schema: Problem },
      },
    },
    async (c, { params }) => {
      const { db, exclusive } = c.get('deps');
      const actor = c.get('principal')!.name;
      const run = () => discardHeld(db, params.batch, { actor });
      if (exclusive) await exclusive('held', run);
      else await run();
      await audit(c, 'held.discard', String(params.batch), { status: 200 });
      return c.json({ batch: params.batch });
    },
  );

  r.add(
    {
      method: 'post',
      path: '/v1/notices/:id/resolve',
      operationId: 'resolveNotice',
      summary: 'Resolve a notice',
      description: 'An admin acknowledges an operations notice; it leaves the 运行 page.',
      tag: 'runs',
      roles: ['admin'],
      wholeTree: true,
      params: z.strictObject({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }),
      responses: {
        200: {
          description: 'resolved',
          schema: z.object({ id: z.number().int() }).meta({ id: 'NoticeResolved' }),
        },
        404: { description: 'no open notice with this id', schema: Problem },
      },
    },
    async (c, { params }) => {
      const { db } = c.get('deps');
      const done = await resolveNotice(db, params.id, c.get('principal')!.name);
      if (!done) throw new ApiError('not_found', `no open notice ${params.id}`);
      await audit(c, 'notice.resolve', String(params.id), { status: 200 });
      return c.json({ id: params.id });
    },
  );
}
