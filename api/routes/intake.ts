/**
 * Intake of office exports (数据导入): mapping templates, uploads (streamed to disk up to
 * intake.max_upload_mb), a mapping inferred from an upload, a preview (dry run), and the ingest
 * itself in the background with its progress. Data scientists and admins only; every step that
 * reads or writes an upload is audited.
 *
 *   GET  /v1/intake/templates            GET /v1/intake/templates/{id}
 *   POST /v1/intake/uploads?name=        GET /v1/intake/uploads       GET /v1/intake/uploads/{id}
 *   POST /v1/intake/uploads/{id}/infer   POST /v1/intake/uploads/{id}/preview
 *   POST /v1/intake/uploads/{id}/ingest
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { z } from 'zod';
import type { Context } from 'hono';
import type { Role } from '../../pipeline/auth/index.ts';
import {
  checkMapping,
  CheckReport,
  FEED_NAMES,
  Inference,
  inferMapping,
  isTemplateId,
  listTemplates,
  loadTemplate,
  MappingSchema,
  parseMapping,
  peekRows,
  TemplateInfo,
  type FeedName,
  type Mapping,
} from '../../pipeline/feeds/index.ts';
import {
  getUpload,
  ingestUpload,
  listUploads,
  saveUpload,
  UploadError,
  UploadRow,
} from '../../pipeline/intake/index.ts';
import type { AppDeps, AppEnv } from '../context.ts';
import { audit } from '../audit.ts';
import { redact } from '../redact.ts';
import { ApiError } from '../errors.ts';
import type { Router } from '../route.ts';
import { Problem } from '../schemas.ts';

const ROLES: readonly Role[] = ['data_scientist', 'admin'];

/** The upload route streams its body itself (the API's 16 KB body limit does not apply). */
export const UPLOAD_PATH = '/v1/intake/uploads';

/** An upload as the API shows it: where the file is kept is the server's business. */
export const Upload = UploadRow.omit({ stored_path: true })
  .extend({
    status: z.enum(['uploaded', 'ingesting', 'done', 'failed']),
    progress: z
      .object({ rows: z.number().int(), fraction: z.number().nullable(), seconds: z.number() })
      .nullable()
      .meta({ description: 'while ingesting in this process' }),
  })
  .meta({ id: 'Upload' });
export type Upload = z.output<typeof Upload>;

const MappingFile = MappingSchema.meta({ id: 'MappingFile' });

/** A dry run, with the mapping it ran (a template's id, or null for a mapping given whole). */
export const IntakePreview = CheckReport.extend({
  template: z.string().nullable(),
  mapping_file: MappingSchema,
}).meta({ id: 'IntakePreview' });
export type IntakePreview = z.output<typeof IntakePreview>;

/** Progress of the ingests running in this process, by upload id. */
interface Running {
  rows: number;
  fraction: number | null;
  startedAt: number;
}
const running = new WeakMap<AppDeps, Map<number, Running>>();
function runningOf(deps: AppDeps): Map<number, Running> {
  let m = running.get(deps);
  if (!m) running.set(deps, (m = new Map<number, Running>()));
  return m;
}

const Id = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const Params = z.strictObject({ upload: Id });
const MappingRef = z
  .strictObject({
    template: z.string().max(100).optional().describe('a template id (GET /v1/intake/templates)'),
    mapping: z.looseObject({}).optional().describe('a whole mapping file (JSON)'),
  })
  .refine((b) => (b.template === undefined) !== (b.mapping === undefined), {
    message: 'give exactly one of template, mapping',
  });

function resolveMapping(b: { template?: string | undefined; mapping?: unknown }): {
  mapping: Mapping;
  template?: string;
} {
  if (b.template !== undefined) {
    if (!isTemplateId(b.template))
      throw new ApiError('bad_request', `no mapping template '${b.template}'`);
    return { mapping: loadTemplate(b.template), template: b.template };
  }
  return { mapping: parseMapping(b.mapping, 'the mapping') };
}

async function uploadOr404(c: Context<AppEnv>, id: number): Promise<UploadRow> {
  const u = await getUpload(c.get('deps').db, id);
  if (!u) throw new ApiError('not_found', `no upload ${id}`);
  return u;
}

function view(u: UploadRow, deps: AppDeps): Upload {
  // where the file is kept is the server's business
  const rest: Omit<UploadRow, 'stored_path'> & { stored_path?: string } = { ...u };
  delete rest.stored_path;
  const live = runningOf(deps).get(u.upload_id);
  const status =
    u.ingest === null
      ? 'uploaded'
      : u.ingest.status === 'running'
        ? 'ingesting'
        : u.ingest.status === 'ok'
          ? 'done'
          : 'failed';
  return {
    ...rest,
    status,
    progress:
      status === 'ingesting' && live
        ? {
            rows: live.rows,
            fraction: live.fraction,
            seconds: Math.round((Date.now() - live.startedAt) / 100) / 10,
          }
        : null,
  };
}

export function intakeRoutes(r: Router): void {
  r.add(
    {
      method: 'get',
      path: '/v1/intake/templates',
      operationId: 'listMappingTemplates',
      summary: 'List mapping templates',
      description:
        'The mapping files shipped for common office layouts (12345 hotline XLSX, register extract, ad-monitoring CSV).',
      tag: 'intake',
      roles: ROLES,
      wholeTree: true,
      responses: {
        200: {
          description: 'templates',
          schema: z.object({ items: z.array(TemplateInfo) }).meta({ id: 'MappingTemplateList' }),
        },
      },
    },
    (c) => c.json({ items: listTemplates() }),
  );

  r.add(
    {
      method: 'get',
      path: '/v1/intake/templates/:template',
      operationId: 'getMappingTemplate',
      summary: 'Get a mapping template',
      tag: 'intake',
      roles: ROLES,
      wholeTree: true,
      params: z.strictObject({ template: z.string().max(100) }),
      responses: {
        200: { description: 'the mapping file', schema: MappingFile },
        404: { description: 'no such template', schema: Problem },
      },
    },
    (c, { params }) => {
      if (!isTemplateId(params.template))
        throw new ApiError('not_found', `no mapping template '${params.template}'`);
      return c.json(loadTemplate(params.template));
    },
  );

  r.add(
    {
      method: 'post',
      path: UPLOAD_PATH,
      operationId: 'uploadIntakeFile',
      summary: 'Upload a file to import',
      description:
        'The body is the file itself (CSV, optionally gzipped, or XLSX), streamed to disk up to intake.max_upload_mb; `name` is its file name. An old .xls is refused (415) with what to do.',
      tag: 'intake',
      roles: ROLES,
      wholeTree: true,
      query: z.strictObject({ name: z.string().min(1).max(255) }),
      rawBody: {
        contentTypes: [
          'application/octet-stream',
          'text/csv',
          'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        ],
        description: 'the file',
      },
      responses: {
        201: { description: 'stored', schema: Upload },
        413: { description: 'larger than intake.max_upload_mb', schema: Problem },
        415: { description: 'not a CSV or XLSX file', schema: Problem },
      },
    },
    async (c, { query }) => {
      const deps = c.get('deps');
      const p = c.get('principal')!;
      const maxBytes = deps.config.intake.max_upload_mb * 1024 ** 2;
      const declared = Number(c.req.header('content-length'));
      if (Number.isFinite(declared) && declared > maxBytes) {
        await audit(c, 'intake.upload', query.name, { status: 413, bytes: declared });
        throw new ApiError(
          'payload_too_large',
          `the file is larger than the ${deps.config.intake.max_upload_mb} MB an upload may have`,
        );
      }
      const body = c.req.raw.body;
      if (!body) throw new ApiError('bad_request', 'the body is the file to upload; it is empty');
      try {
        const u = await saveUpload(deps.db, {
          dir: deps.config.intake.upload_dir,
          name: query.name,
          body: Readable.fromWeb(body as WebReadableStream),
          maxBytes,
          actor: p.name,
          now: deps.now(),
        });
        await audit(c, 'intake.upload', `upload:${u.upload_id}`, {
          status: 201,
          file: u.file_name,
          bytes: u.bytes,
          sha256: u.sha256,
        });
        return c.json(view(u, deps), 201);
      } catch (err) {
        if (err instanceof UploadError) {
          const status = err.kind === 'too_large' ? 413 : err.kind === 'unsupported' ? 415 : 400;
          await audit(c, 'intake.upload', query.name, { status, error: err.message });
          throw new ApiError(
            err.kind === 'too_large'
              ? 'payload_too_large'
              : err.kind === 'unsupported'
                ? 'unsupported_media_type'
                : 'bad_request',
            err.message,
          );
        }
        throw err;
      }
    },
  );

  r.add(
    {
      method: 'get',
      path: UPLOAD_PATH,
      operationId: 'listIntakeUploads',
      summary: 'List uploads',
      tag: 'intake',
      roles: ROLES,
      wholeTree: true,
      query: z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) }),
      responses: {
        200: {
          description: 'newest first',
          schema: z.object({ items: z.array(Upload) }).meta({ id: 'UploadList' }),
        },
      },
    },
    async (c, { query }) => {
      const deps = c.get('deps');
      return c.json({ items: (await listUploads(deps.db, query.limit)).map((u) => view(u, deps)) });
    },
  );

  r.add(
    {
      method: 'get',
      path: `${UPLOAD_PATH}/:upload`,
      operationId: 'getIntakeUpload',
      summary: 'An upload, its ingest and its progress',
      tag: 'intake',
      roles: ROLES,
      wholeTree: true,
      params: Params,
      responses: {
        200: { description: 'the upload', schema: Upload },
        404: { description: 'no such upload', schema: Problem },
      },
    },
    async (c, { params }) => c.json(view(await uploadOr404(c, params.upload), c.get('deps'))),
  );

  r.add(
    {
      method: 'post',
      path: `${UPLOAD_PATH}/:upload/infer`,
      operationId: 'inferIntakeMapping',
      summary: 'Propose a mapping for an upload',
      description:
        'From its headers (a dictionary of Chinese header synonyms) and a sample of its values.',
      tag: 'intake',
      roles: ROLES,
      wholeTree: true,
      params: Params,
      body: z.strictObject({ feed: z.enum(FEED_NAMES).optional() }),
      responses: {
        200: {
          description: '{ feed, mapping, columns, warnings }',
          schema: Inference,
        },
        404: { description: 'no such upload', schema: Problem },
        422: { description: 'the file cannot be read', schema: Problem },
      },
    },
    async (c, { params, body }) => {
      const u = await uploadOr404(c, params.upload);
      const inf = inferMapping(await peekRows(u.stored_path, { label: u.file_name }), {
        ...(body.feed ? { feed: body.feed } : {}),
        fileName: u.file_name,
        today: c.get('deps').now().toISOString().slice(0, 10),
      });
      await audit(c, 'intake.infer', `upload:${u.upload_id}`, { feed: inf.feed });
      // headers and the guesses only, no values: nothing personal to mask
      return c.json(inf);
    },
  );

  r.add(
    {
      method: 'post',
      path: `${UPLOAD_PATH}/:upload/preview`,
      operationId: 'previewIntake',
      summary: 'Dry run of a mapping over an upload',
      description:
        'Rows read, rows that would land, what would be quarantined and why, and the first rows as they would land. `rows` stops after that many data rows (default 1000).',
      tag: 'intake',
      roles: ROLES,
      wholeTree: true,
      params: Params,
      body: z
        .strictObject({
          template: z.string().max(100).optional(),
          mapping: z.looseObject({}).optional(),
          rows: z.number().int().min(1).max(1_000_000).default(1000),
        })
        .refine((b) => (b.template === undefined) !== (b.mapping === undefined), {
          message: 'give exactly one of template, mapping',
        }),
      responses: {
        200: { description: 'the dry run', schema: IntakePreview },
        404: { description: 'no such upload', schema: Problem },
        422: { description: 'the mapping does not fit the file', schema: Problem },
      },
    },
    async (c, { params, body }) => {
      const u = await uploadOr404(c, params.upload);
      const { mapping, template } = resolveMapping(body);
      const report = await checkMapping(u.stored_path, mapping, {
        maxRows: body.rows,
        sampleRows: 20,
        label: u.file_name,
      });
      await audit(c, 'intake.preview', `upload:${u.upload_id}`, {
        feed: mapping.feed,
        ...(template ? { template } : {}),
        read: report.read,
      });
      // the first rows as they would land and the quarantined raw lines are the office's raw
      // data: personal data by the catalogue, as everywhere (a data scientist may map a 12345
      // export, not read its callers). The mapping and the field lists are not data: left whole.
      const role = c.get('principal')!.role;
      const names = await c.get('deps').privacy.names();
      return c.json({
        ...report,
        sample: redact(report.sample, role, names),
        reasons: redact(report.reasons, role, names),
        template: template ?? null,
        mapping_file: mapping,
      });
    },
  );

  r.add(
    {
      method: 'post',
      path: `${UPLOAD_PATH}/:upload/ingest`,
      operationId: 'ingestIntakeUpload',
      summary: 'Ingest an upload through a mapping',
      description:
        'Starts the ingest in the background (202); follow it with GET /v1/intake/uploads/{id} (progress, then counts and the ingest batch, whose quarantine is GET /v1/quarantine?batch=).',
      tag: 'intake',
      roles: ROLES,
      wholeTree: true,
      params: Params,
      body: MappingRef,
      responses: {
        202: { description: 'started', schema: Upload },
        404: { description: 'no such upload', schema: Problem },
        409: { description: 'already being ingested', schema: Problem },
      },
    },
    async (c, { params, body }) => {
      const deps = c.get('deps');
      const p = c.get('principal')!;
      const u = await uploadOr404(c, params.upload);
      const live = runningOf(deps);
      if (live.has(u.upload_id) || u.ingest?.status === 'running')
        throw new ApiError('conflict', `upload ${u.upload_id} is being ingested`);
      const { mapping, template } = resolveMapping(body);
      const feed: FeedName = mapping.feed;
      const progress: Running = { rows: 0, fraction: 0, startedAt: Date.now() };
      live.set(u.upload_id, progress);
      await audit(c, 'intake.ingest', `upload:${u.upload_id}`, {
        status: 202,
        feed,
        file: u.file_name,
        ...(template ? { template } : {}),
      });
      let started!: () => void;
      const runRecorded = new Promise<void>((res) => (started = res));
      ingestUpload(deps.db, u, {
        feed,
        mapping,
        ...(template ? { template } : {}),
        actor: p.name,
        now: deps.now,
        onStart: () => started(),
        onProgress: (x) => {
          progress.rows = x.rows;
          progress.fraction = x.fraction;
        },
      })
        .then((r) =>
          deps.audit.write({
            actor: p.name,
            role: p.role,
            action: 'intake.ingested',
            target: `upload:${u.upload_id}`,
            status: 200,
            detail: {
              feed,
              read: r.read,
              accepted: r.accepted,
              quarantined: r.quarantined,
              batches: r.batches.map((b) => b.batchId),
            },
            at: deps.now(),
          }),
        )
        .catch(async (err: unknown) => {
          started();
          deps.log(`intake of upload ${u.upload_id} failed`, err);
          await deps.audit
            .write({
              actor: p.name,
              role: p.role,
              action: 'intake.ingested',
              target: `upload:${u.upload_id}`,
              status: 422,
              detail: { feed, error: (err as Error).message },
              at: deps.now(),
            })
            .catch(() => undefined);
        })
        .finally(() => live.delete(u.upload_id));
      // answer once the run is on record, so that a GET right after sees it
      await runRecorded;
      return c.json(view((await getUpload(deps.db, u.upload_id))!, deps), 202);
    },
  );
}
