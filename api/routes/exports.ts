/**
 * Exports, streamed (no cap on size): DuckDB writes a temporary file (pipeline/queries/exports.ts),
 * which is streamed to the client and removed afterwards.
 *   alerts.csv     UTF-8 with BOM (Excel opens it as UTF-8), header row; text cells that would
 *                  start a formula (= + - @ tab CR) get a leading apostrophe (also in XLSX)
 *   alerts.xlsx    one sheet, streamed by exceljs' WorkbookWriter
 *   alerts.ndjson  one object per line
 *   features.arrow Arrow IPC stream (apache-arrow), batches of 8,192 rows
 *   features.parquet  DuckDB COPY … (FORMAT parquet, zstd)
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { z } from 'zod';
import ExcelJS from 'exceljs';
import {
  Float64,
  RecordBatchStreamWriter,
  Utf8,
  vectorFromArray,
  Table,
  type Vector,
} from 'apache-arrow';
import {
  ALERT_EXPORT_COLUMNS,
  exportAlerts,
  exportFeatures,
  type TempExport,
} from '../../pipeline/queries/index.ts';
import { FEATURE_NAMES } from '../../pipeline/features/index.ts';
import type { Router } from '../route.ts';
import { audit } from '../audit.ts';
import { maySee } from '../../pipeline/privacy/index.ts';
import { neutraliseCell } from '../../pipeline/format.ts';
import { Day, JurisdictionCode, Problem } from '../schemas.ts';
import { callerScope, officeList } from '../scope.ts';

const DayQuery = z.strictObject({ date: Day, jurisdiction: JurisdictionCode.optional() });
const BOM = new Uint8Array([0xef, 0xbb, 0xbf]);

/** A web stream of `prefix` then the file, removing the export when done or cancelled. */
function fileStream(exp: TempExport, prefix?: Uint8Array): ReadableStream<Uint8Array> {
  const file = createReadStream(exp.path);
  let cleaned = false;
  const cleanup = () => {
    if (!cleaned) {
      cleaned = true;
      exp.cleanup();
    }
  };
  file.on('close', cleanup);
  file.on('error', cleanup);
  const web = Readable.toWeb(file) as ReadableStream<Uint8Array>;
  if (!prefix) return web;
  const reader = web.getReader();
  let sentPrefix = false;
  return new ReadableStream<Uint8Array>({
    async pull(ctl) {
      if (!sentPrefix) {
        sentPrefix = true;
        ctl.enqueue(prefix);
        return;
      }
      const r = await reader.read();
      if (r.done) ctl.close();
      else ctl.enqueue(r.value);
    },
    async cancel(reason) {
      await reader.cancel(reason);
      file.destroy();
      cleanup();
    },
  });
}

async function* ndjsonLines(path: string): AsyncGenerator<Record<string, unknown>> {
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl)
    if (line.length > 0) yield JSON.parse(line) as Record<string, unknown>;
}

function xlsxStream(
  exp: TempExport,
  day: string,
  onError: (err: unknown) => void,
): ReadableStream<Uint8Array> {
  const out = new PassThrough();
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  void (async () => {
    try {
      const ws = wb.addWorksheet(`预警名单 ${day}`);
      ws.columns = ALERT_EXPORT_COLUMNS.map((k) => ({
        header: k,
        key: k,
        width: k === 'reasons' ? 80 : k === 'name' ? 36 : k === 'uscc' ? 22 : 12,
      }));
      ws.getRow(1).font = { bold: true };
      ws.getRow(1).commit();
      for await (const row of ndjsonLines(exp.path)) {
        const reasons = row['reasons'];
        const cells: Record<string, unknown> = {
          ...row,
          reasons: Array.isArray(reasons) ? reasons.join('；') : (reasons ?? ''),
        };
        // text cells stay text, never formulas (exceljs writes strings as strings; the prefix
        // keeps them inert when the sheet is copied or saved as CSV)
        for (const [k, v] of Object.entries(cells))
          if (typeof v === 'string') cells[k] = neutraliseCell(v);
        ws.addRow(cells).commit();
      }
      ws.commit();
      await wb.commit();
    } catch (err) {
      onError(err);
      out.destroy(err as Error);
    } finally {
      exp.cleanup();
    }
  })();
  return Readable.toWeb(out) as ReadableStream<Uint8Array>;
}

const ARROW_BATCH = 8192;

function arrowStream(exp: TempExport, onError: (err: unknown) => void): ReadableStream<Uint8Array> {
  const writer = new RecordBatchStreamWriter();
  const cols = ['as_of', 'uscc', ...FEATURE_NAMES];
  const flush = (rows: Record<string, unknown>[]) => {
    const vectors: Record<string, Vector> = {};
    for (const c of cols) {
      vectors[c] =
        c === 'as_of' || c === 'uscc'
          ? vectorFromArray(
              rows.map((r) => (r[c] as string | null) ?? null),
              new Utf8(),
            )
          : vectorFromArray(
              rows.map((r) => (r[c] as number | null) ?? null),
              new Float64(),
            );
    }
    for (const batch of new Table(vectors).batches) writer.write(batch);
  };
  void (async () => {
    try {
      let rows: Record<string, unknown>[] = [];
      for await (const row of ndjsonLines(exp.path)) {
        rows.push(row);
        if (rows.length === ARROW_BATCH) {
          flush(rows);
          rows = [];
          await new Promise((r) => setImmediate(r));
        }
      }
      if (rows.length > 0) flush(rows);
      writer.finish();
    } catch (err) {
      onError(err);
      writer.abort(err);
    } finally {
      exp.cleanup();
    }
  })();
  return Readable.toWeb(writer.toNodeStream()) as ReadableStream<Uint8Array>;
}

export function exportRoutes(r: Router): void {
  const alertRoles = ['regulator', 'investigator', 'admin'] as const;
  const formats = [
    { ext: 'csv', type: 'text/csv; charset=utf-8' },
    { ext: 'xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
    { ext: 'ndjson', type: 'application/x-ndjson; charset=utf-8' },
  ] as const;
  for (const f of formats) {
    r.add(
      {
        method: 'get',
        path: `/v1/exports/alerts.${f.ext}`,
        operationId: `exportAlerts${f.ext[0]!.toUpperCase()}${f.ext.slice(1)}`,
        summary: `Export a day's alerts as ${f.ext.toUpperCase()}`,
        description: `The current revision of the list of \`date\`, listed entries of the caller's area (as of that day; narrowed by \`jurisdiction\`) in rank order, \`rank\` within the area; columns: ${ALERT_EXPORT_COLUMNS.join(', ')}. Streamed. Audited.`,
        tag: 'exports',
        roles: alertRoles,
        query: DayQuery,
        responses: {
          200: { description: `the list as ${f.ext}`, contentTypes: [f.type] },
          404: { description: 'no list that day', schema: Problem },
        },
      },
      async (c, { query }) => {
        const { db, log } = c.get('deps');
        const scope = await callerScope(c, query.jurisdiction);
        const exp = await exportAlerts(db, query.date, f.ext === 'csv' ? 'csv' : 'ndjson', {
          personal: maySee(c.get('principal')!.role, 'person_name'),
          offices: officeList(scope),
        });
        await audit(c, `export.alerts.${f.ext}`, query.date, {
          rows: exp.rows,
          revision: exp.revision,
        });
        const body =
          f.ext === 'csv'
            ? fileStream(exp, BOM)
            : f.ext === 'ndjson'
              ? fileStream(exp)
              : xlsxStream(exp, query.date, (err) => log('xlsx export failed', err));
        return new Response(body, {
          headers: {
            'content-type': f.type,
            'content-disposition': `attachment; filename="alerts-${query.date}.${f.ext}"`,
            'x-revision': String(exp.revision),
            'x-rows': String(exp.rows),
          },
        });
      },
    );
  }

  const featureFormats = [
    { ext: 'arrow', type: 'application/vnd.apache.arrow.stream' },
    { ext: 'parquet', type: 'application/vnd.apache.parquet' },
  ] as const;
  for (const f of featureFormats) {
    r.add(
      {
        method: 'get',
        path: `/v1/exports/features.${f.ext}`,
        operationId: `exportFeatures${f.ext[0]!.toUpperCase()}${f.ext.slice(1)}`,
        summary: `Export a day's feature table as ${f.ext === 'arrow' ? 'an Arrow IPC stream' : 'Parquet'}`,
        description:
          "Every enterprise's features as of `date` (as_of, uscc, one DOUBLE column per registry feature), for the enterprises of the caller's area that day (narrowed by `jurisdiction`); the feature table holds no personal fields. Streamed. Audited.",
        tag: 'exports',
        roles: ['data_scientist', 'admin'],
        query: DayQuery,
        responses: {
          200: { description: `features as ${f.ext}`, contentTypes: [f.type] },
          404: { description: 'no features that day', schema: Problem },
        },
      },
      async (c, { query }) => {
        const { db, log } = c.get('deps');
        const scope = await callerScope(c, query.jurisdiction);
        const exp = await exportFeatures(
          db,
          query.date,
          f.ext === 'parquet' ? 'parquet' : 'ndjson',
          {
            offices: officeList(scope),
          },
        );
        await audit(c, `export.features.${f.ext}`, query.date, { rows: exp.rows });
        const body =
          f.ext === 'parquet'
            ? fileStream(exp)
            : arrowStream(exp, (err) => log('arrow export failed', err));
        return new Response(body, {
          headers: {
            'content-type': f.type,
            'content-disposition': `attachment; filename="features-${query.date}.${f.ext}"`,
            'x-rows': String(exp.rows),
          },
        });
      },
    );
  }
}
