/**
 * Benchmark of .xlsx intake: a 12345-style workbook of N rows (shared strings, as Excel writes it)
 * read by Dafei's reader beside exceljs's streaming reader, then ingested through the template
 * mapping into DuckDB; and two zip bombs (a sheet that inflates to 1 GiB, declared honestly, and
 * one whose header declares 1 KiB). Each run is its own child process, so its peak RSS is its own.
 *
 *   node --import tsx bench/xlsx-intake.ts [--rows 100000,1000000,1000000i]
 *
 * (N: a sheet of N rows whose text is in shared strings, as Excel writes it; Ni: inline strings.)
 *
 * Workbooks are built once into $TMPDIR/dafei-xlsx-bench/ (exceljs's streaming writer).
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { createDeflateRaw, crc32 } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';

const SELF = fileURLToPath(import.meta.url);
const DIR = join(tmpdir(), 'dafei-xlsx-bench');

interface Result {
  what: string;
  rows?: number;
  seconds: number;
  peakRssMb: number;
  replacementChars?: number;
  error?: string;
  counts?: string;
}

const DISTRICTS = ['香洲区', '金湾区', '斗门区', '横琴粤澳深度合作区', '高新区'];
const CHANNELS = ['12345热线', '网站', '来信', '来访', '上级交办'];

async function buildWorkbook(rows: number, path: string, sharedStrings: boolean): Promise<void> {
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({
    filename: path,
    useSharedStrings: sharedStrings,
    useStyles: true,
  });
  const ws = wb.addWorksheet('工单明细');
  ws.addRow(['12345热线工单导出']);
  ws.addRow([
    '工单编号',
    '来电信息',
    null,
    '被反映对象',
    '诉求内容',
    '涉及金额（万元）',
    '所属区县',
  ]);
  ws.addRow([null, '来电时间', '来源渠道', null, null, null, null]);
  ws.mergeCells('A1:G1');
  ws.mergeCells('A2:A3');
  ws.mergeCells('B2:C2');
  for (const c of ['D', 'E', 'F', 'G']) ws.mergeCells(`${c}2:${c}3`);
  ws.getRow(3).commit();
  const t0 = Date.UTC(2024, 0, 1);
  for (let i = 0; i < rows; i++) {
    const row = ws.addRow([
      `GD${String(i).padStart(10, '0')}`,
      new Date(t0 + i * 31_000),
      CHANNELS[i % CHANNELS.length],
      `珠海某某${i % 1000}财富管理有限公司`,
      `市民反映第${i}号：在该公司投资${(i % 50) + 1}万元，承诺年化收益${(i % 20) + 8}%，保本保息，现无法提现，请求依法查处。`,
      (i % 97) / 10,
      DISTRICTS[i % DISTRICTS.length],
    ]);
    row.getCell(2).numFmt = 'yyyy/m/d h:mm:ss';
    row.commit();
  }
  ws.commit();
  await wb.commit();
}

/** A minimal workbook whose one sheet inflates to `inflate` bytes; its headers declare `declared`. */
async function buildBomb(
  path: string,
  inflate: number,
  declared: number | undefined,
): Promise<void> {
  const entries: {
    name: string;
    data?: Buffer;
    stream?: { body: Buffer; crc: number; size: number };
  }[] = [
    {
      name: 'xl/workbook.xml',
      data: Buffer.from(
        '<workbook xmlns:r="r"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
      ),
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      data: Buffer.from(
        '<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>',
      ),
    },
  ];
  // the sheet: an opening tag and `inflate` bytes of spaces, deflated as a stream
  const deflate = createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (b: Buffer) => parts.push(b));
  const head = Buffer.from('<worksheet><sheetData>');
  let crc = crc32(head);
  deflate.write(head);
  const block = Buffer.alloc(1 << 20, 0x20);
  for (let done = head.length; done < inflate; done += block.length) {
    const b = done + block.length > inflate ? block.subarray(0, inflate - done) : block;
    crc = crc32(b, crc);
    if (!deflate.write(b)) await once(deflate, 'drain');
  }
  deflate.end();
  await once(deflate, 'end');
  entries.push({
    name: 'xl/worksheets/sheet1.xml',
    stream: { body: Buffer.concat(parts), crc, size: inflate },
  });
  const out = createWriteStream(path);
  const central: Buffer[] = [];
  let offset = 0;
  const write = (b: Buffer) => {
    out.write(b);
    offset += b.length;
  };
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const body = e.data ? (await import('node:zlib')).deflateRawSync(e.data) : e.stream!.body;
    const c = e.data ? crc32(e.data) : e.stream!.crc;
    const size = e.data ? e.data.length : (declared ?? e.stream!.size);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(c, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(c, 16);
    cd.writeUInt32LE(body.length, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    write(local);
    write(name);
    write(body);
  }
  const cdBuf = Buffer.concat(central);
  const cdAt = offset;
  write(cdBuf);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(cdAt, 16);
  out.end(end);
  await once(out, 'close');
}

// ---- child runs ------------------------------------------------------------------------------

/**
 * This process's own peak RSS: VmHWM of /proc/self/status. (getrusage's maxrss is not used: on
 * Linux it carries over the parent's resident size at fork across exec.)
 */
function peakRssMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : process.resourceUsage().maxRSS / 1024;
}

async function child(mode: string, file: string): Promise<void> {
  const t0 = performance.now();
  const r: Result = { what: mode, seconds: 0, peakRssMb: 0 };
  try {
    if (mode === 'dafei-read' || mode === 'bomb') {
      const { inspectXlsx, readXlsxRows } = await import('../pipeline/feeds/xlsx.ts');
      const info = await inspectXlsx(file);
      let rows = 0;
      let bad = 0;
      await readXlsxRows(file, info.sheets, ({ cells }) => {
        rows++;
        for (const c of cells) if (c !== null && c.includes('\uFFFD')) bad++;
      });
      r.rows = rows;
      r.replacementChars = bad;
    } else if (mode === 'exceljs-read') {
      const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, {
        sharedStrings: 'cache',
        styles: 'cache',
        worksheets: 'emit',
        hyperlinks: 'ignore',
        entries: 'ignore',
      });
      let rows = 0;
      let bad = 0;
      for await (const ws of reader)
        for await (const row of ws) {
          rows++;
          for (const v of row.values as unknown[])
            if (typeof v === 'string' && v.includes('\uFFFD')) bad++;
        }
      r.rows = rows;
      r.replacementChars = bad;
    } else if (mode === 'ingest') {
      const { openMigratedDb } = await import('../pipeline/db/index.ts');
      const { ingest, formatCounts } = await import('../pipeline/feeds/index.ts');
      const { parseMapping } = await import('../pipeline/feeds/mapping/index.ts');
      const dbPath = join(DIR, `ingest-${process.pid}.duckdb`);
      const db = await openMigratedDb(dbPath);
      try {
        // the template's layout less the columns this workbook leaves out
        const mapping = parseMapping({
          name: 'bench 12345',
          feed: 'complaints',
          source: { format: 'xlsx', header_row: 2, header_rows: 2 },
          fields: {
            complaint_id: { column: '工单编号' },
            received_at: { column: '来电信息/来电时间', transforms: [{ datetime: {} }] },
            channel: {
              column: '来电信息/来源渠道',
              transforms: [
                {
                  map: {
                    values: {
                      '12345热线': 'hotline_12345',
                      网站: 'portal',
                      来信: 'letter',
                      来访: 'visit',
                      上级交办: 'referral',
                    },
                  },
                },
              ],
            },
            target_name: { column: '被反映对象' },
            text: { column: '诉求内容' },
            amount_cny: {
              column: '涉及金额（万元）',
              transforms: [{ unit: { from: '万元', to: '元' } }],
            },
            district: { column: '所属区县' },
          },
        });
        const res = await ingest(db, { feed: 'complaints', source: file, mapping });
        r.rows = res.read;
        r.counts = formatCounts(res);
      } finally {
        db.close();
        rmSync(dbPath, { force: true });
        rmSync(`${dbPath}.wal`, { force: true });
      }
    }
  } catch (err) {
    r.error = (err as Error).message.slice(0, 160);
  }
  r.seconds = (performance.now() - t0) / 1000;
  r.peakRssMb = peakRssMb();
  process.stdout.write(`${JSON.stringify(r)}\n`);
}

function runChild(mode: string, file: string): Result {
  const out = execFileSync(process.execPath, ['--import', 'tsx', SELF, '--child', mode, file], {
    encoding: 'utf8',
    env: { ...process.env, DOTENV_CONFIG_QUIET: 'true' },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Result;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1]!, args[2]!);
  if (args[0] === '--build') {
    // in its own process, so that the runs forked after it start small
    const [kind, n, path] = [args[1]!, Number(args[2]), args[3]!];
    if (kind === 'sheet') await buildWorkbook(n, path, true);
    else if (kind === 'inline') await buildWorkbook(n, path, false);
    else await buildBomb(path, 1024 ** 3, kind === 'liar' ? 1024 : undefined);
    return;
  }
  const at = args.indexOf('--rows');
  const sizes = (at >= 0 ? args[at + 1]! : '100000,1000000,1000000i').split(',');
  mkdirSync(DIR, { recursive: true });
  const [l1] = loadavg();
  process.stdout.write(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 1024 ** 3).toFixed(0)} GiB, Node ${process.version}; load average at start ${l1!.toFixed(2)}\n`,
  );
  const lines: string[] = [];
  const report = (file: string, r: Result) => {
    const line = `${r.what.padEnd(13)} ${String(r.rows ?? '').padStart(8)} rows  ${r.seconds.toFixed(2).padStart(7)} s  peak RSS ${r.peakRssMb.toFixed(0).padStart(5)} MB${r.replacementChars === undefined ? '' : `  U+FFFD in ${r.replacementChars} cells`}${r.counts ? `  ${r.counts}` : ''}${r.error ? `  refused: ${r.error}` : ''}  [${file}]`;
    lines.push(line);
    process.stdout.write(`${line}\n`);
  };
  const build = (kind: string, n: number, path: string) => {
    if (existsSync(path)) return;
    process.stdout.write(`building ${path} …\n`);
    const t0 = performance.now();
    execFileSync(
      process.execPath,
      ['--import', 'tsx', SELF, '--build', kind, String(n), `${path}.tmp`],
      {
        stdio: 'inherit',
      },
    );
    execFileSync('mv', [`${path}.tmp`, path]);
    process.stdout.write(`  built in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  };
  for (const spec of sizes) {
    // N: shared strings (as Excel writes text); Ni: inline strings (no table held in memory)
    const n = Number(spec.replace(/i$/, ''));
    const inline = spec.endsWith('i');
    const file = join(DIR, `hotline-${n}${inline ? '-inline' : ''}.xlsx`);
    build(inline ? 'inline' : 'sheet', n, file);
    const label = `${n} rows${inline ? ', inline strings' : ', shared strings'}`;
    process.stdout.write(`${label}: ${(statSync(file).size / 1024 ** 2).toFixed(1)} MB on disk\n`);
    for (const mode of ['dafei-read', 'exceljs-read', 'ingest'])
      report(label, runChild(mode, file));
  }
  const bomb = join(DIR, 'bomb-1GiB.xlsx');
  const liar = join(DIR, 'bomb-1GiB-declared-1KiB.xlsx');
  build('bomb', 0, bomb);
  build('liar', 0, liar);
  process.stdout.write(
    `zip bombs: ${(statSync(bomb).size / 1024).toFixed(0)} KB on disk, each inflating to 1 GiB\n`,
  );
  report('bomb, honest sizes', runChild('bomb', bomb));
  report('bomb, lying sizes', runChild('bomb', liar));
  const [l1e] = loadavg();
  process.stdout.write(`load average at end ${l1e!.toFixed(2)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
