/**
 * 数据导入: upload a CSV or XLSX an office received, pick a mapping template or let one be inferred
 * from the headers, preview what would land and what would be quarantined (the mapping can be
 * edited and previewed again), confirm, follow the progress, and see the counts and the quarantine.
 * Everything goes through the API's intake routes with the session's token (roles, audit).
 *
 * `mountIntakePage(app, deps)` adds the routes; the upload itself is streamed from the browser
 * (XMLHttpRequest, for its progress) through INTAKE_UPLOAD_PAGE_PATH to POST /v1/intake/uploads.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import { raw } from 'hono/html';
import { FEED_NAMES, FEEDS } from '../../../pipeline/feeds/index.ts';
import type { AppEnv } from '../../context.ts';
import { ApiClient, withQuery, type ApiResult } from '../api-call.ts';
import { BASE, Flash, Problem, Shell } from '../layout.tsx';
import { FEED_ZH, fmtInt, fmtTime, zh } from '../labels.ts';
import { permissionsFor, type Can, type RouteRoles } from '../permissions.ts';
import { problemText, type DashboardKit } from '../kit.tsx';
import { checkCsrf, readSession, type Session } from '../session.ts';

export const INTAKE_UPLOAD_PAGE_PATH = `${BASE}/intake/upload`;

const ORIGIN = 'http://dashboard.internal';

/** What the API says about an upload (GET /v1/intake/uploads/{id}). */
export interface UploadView {
  upload_id: number;
  file_name: string;
  format: string;
  bytes: number;
  sha256: string;
  uploaded_by: string;
  uploaded_at: string;
  status: 'uploaded' | 'ingesting' | 'done' | 'failed';
  progress: { rows: number; fraction: number | null; seconds: number } | null;
  ingest: {
    run_id: number;
    feed: string;
    template: string | null;
    status: string;
    counts: {
      read: number;
      accepted: number;
      duplicate: number;
      corrected: number;
      quarantined: number;
      batch_ids?: number[];
    } | null;
    error: string | null;
    actor: string;
    started_at: string;
    finished_at: string | null;
  } | null;
}

interface TemplateInfo {
  id: string;
  name: string;
  feed: string;
  description: string;
}

interface CheckReport {
  feed: string;
  mapping: string;
  read: number;
  mapped: number;
  quarantined: number;
  reasons: {
    reason: string;
    count: number;
    examples: { line: number; reason: string; raw: string }[];
  }[];
  sample: Record<string, unknown>[];
  tables: {
    sheet: string | null;
    header_row: number;
    header: string[];
    fields: Record<string, string[]>;
    unmapped: string[];
  }[];
  skipped: { sheet: string; reason: string }[];
  truncated: boolean;
  mapping_file: Record<string, unknown>;
}

interface ColumnGuess {
  header: string;
  field: string | null;
  score: number;
  why: string;
}

interface QuarantineItem {
  id: string;
  line_no: number;
  raw: string;
  reason: string;
}

/** The contract's fields in Chinese (preview tables). */
const CONTRACT_FIELD_ZH: Readonly<Record<string, string>> = {
  uscc: '统一社会信用代码',
  name: '企业名称',
  as_of: '快照日期',
  established_on: '成立日期',
  legal_rep: '法定代表人',
  registered_capital_wan: '注册资本（万元）',
  paid_in_capital_wan: '实缴资本（万元）',
  status: '登记状态',
  enterprise_type: '企业类型',
  industry_code: '行业代码',
  business_scope: '经营范围',
  address: '住所',
  district: '区县',
  phone: '电话',
  website: '网址',
  shareholders: '股东',
  changed_on: '变更日期',
  field: '变更事项',
  before: '变更前',
  after: '变更后',
  ad_id: '广告编号',
  seen_at: '发现时间',
  seen_day: '发现日',
  channel: '渠道',
  advertiser_name: '广告主',
  advertiser_uscc: '广告主信用代码',
  url: '链接',
  title: '标题',
  text: '内容',
  complaint_id: '投诉编号',
  received_at: '受理时间',
  received_day: '受理日',
  target_name: '被投诉对象',
  target_uscc: '被投诉对象信用代码',
  amount_cny: '涉及金额（元）',
  complainant_ref: '投诉人编号',
  decided_on: '认定日期',
  outcome: '结论',
  case_ref: '案号',
  note: '备注',
  extra: '其他列',
};

const STATUS_ZH: Record<UploadView['status'], string> = {
  uploaded: '待导入',
  ingesting: '导入中',
  done: '已导入',
  failed: '失败',
};

function fmtBytes(n: number): string {
  return n >= 1024 ** 2
    ? `${(n / 1024 ** 2).toFixed(1)} MB`
    : `${Math.max(1, Math.round(n / 1024))} KB`;
}

function StatusBadge(p: { status: UploadView['status'] }): Child {
  const cls = p.status === 'done' ? 'ok' : p.status === 'failed' ? 'fail' : 'run';
  return <span class={`badge ${cls}`}>{STATUS_ZH[p.status]}</span>;
}

function Counts(p: { c: NonNullable<NonNullable<UploadView['ingest']>['counts']> }): Child {
  const items: [string, number, string][] = [
    ['读取', p.c.read, ''],
    ['接收', p.c.accepted, 'ok'],
    ['重复', p.c.duplicate, ''],
    ['更正', p.c.corrected, ''],
    ['隔离', p.c.quarantined, p.c.quarantined > 0 ? 'fail' : ''],
  ];
  return (
    <div class="chips" id="intake-counts">
      {items.map(([label, n, cls]) => (
        <span class={`chip ${cls}`} data-count={label}>
          {label} <b>{fmtInt(n)}</b>
        </span>
      ))}
    </div>
  );
}

// ---- pages ---------------------------------------------------------------------------------------

function HomePage(p: {
  templates: TemplateInfo[];
  uploads: UploadView[];
  csrf: string;
  maxMb: number;
  flashErr?: string | undefined;
}): Child {
  return (
    <>
      <h1>数据导入</h1>
      <Flash err={p.flashErr} />
      <div class="card">
        <h2>
          上传文件{' '}
          <span class="muted small">
            12345 工单、企业登记信息、广告监测线索等导出的 CSV 或 Excel（.xlsx）
          </span>
        </h2>
        <form
          id="intake-upload"
          class="filters"
          data-csrf={p.csrf}
          data-action={INTAKE_UPLOAD_PAGE_PATH}
        >
          <label>
            文件
            <input type="file" name="file" accept=".csv,.xlsx,.gz,.txt" required />
          </label>
          <label>
            映射
            <select name="mapping">
              <option value="infer">自动推断（按表头与数据）</option>
              {p.templates.map((t) => (
                <option value={t.id}>
                  模板：{t.name}（{zh(FEED_ZH, t.feed)}）
                </option>
              ))}
            </select>
          </label>
          <label>
            数据类别
            <select name="feed">
              <option value="">自动判断</option>
              {FEED_NAMES.map((f) => (
                <option value={f}>{zh(FEED_ZH, f)}</option>
              ))}
            </select>
          </label>
          <button type="submit">上传并预览</button>
        </form>
        <div class="row" style="margin-top:8px">
          <progress id="upload-progress" max="100" value="0" style="width:320px" hidden></progress>
          <span id="upload-status" class="muted small"></span>
        </div>
        <p class="muted small">
          单个文件不超过 {p.maxMb} MB。Excel 97-2003 格式（.xls）请先另存为 .xlsx 或“CSV UTF-8”。GBK
          编码的 CSV 可直接上传。
        </p>
      </div>
      <div class="card" id="uploads">
        <h2>最近上传</h2>
        {p.uploads.length === 0 ? (
          <div class="empty">还没有上传过文件。</div>
        ) : (
          <table class="small">
            <thead>
              <tr>
                <th class="num">#</th>
                <th>文件</th>
                <th class="num">大小</th>
                <th>上传</th>
                <th>状态</th>
                <th>数据类别</th>
                <th>结果</th>
              </tr>
            </thead>
            <tbody>
              {p.uploads.map((u) => (
                <tr>
                  <td class="num">{u.upload_id}</td>
                  <td>
                    <a href={`${BASE}/intake/${u.upload_id}`}>{u.file_name}</a>
                  </td>
                  <td class="num">{fmtBytes(u.bytes)}</td>
                  <td class="nowrap">
                    {u.uploaded_by.replace(/^user:/, '')} · {fmtTime(u.uploaded_at)}
                  </td>
                  <td>
                    <StatusBadge status={u.status} />
                  </td>
                  <td>{u.ingest ? zh(FEED_ZH, u.ingest.feed) : '—'}</td>
                  <td class="muted">
                    {u.ingest?.counts
                      ? `读取 ${fmtInt(u.ingest.counts.read)} · 接收 ${fmtInt(u.ingest.counts.accepted)} · 隔离 ${fmtInt(u.ingest.counts.quarantined)}`
                      : (u.ingest?.error ?? '')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </>
  );
}

function FileLine(p: { u: UploadView }): Child {
  return (
    <p class="muted small">
      #{p.u.upload_id} · {p.u.file_name} · {fmtBytes(p.u.bytes)} ·{' '}
      {p.u.uploaded_by.replace(/^user:/, '')} 上传于 {fmtTime(p.u.uploaded_at)} · SHA-256{' '}
      {p.u.sha256.slice(0, 12)}…
    </p>
  );
}

function PreviewPage(p: {
  u: UploadView;
  /** The template the mapping came from, if it is one unchanged. */
  template?: string | undefined;
  report: CheckReport | null;
  error?: string | undefined;
  mappingText: string;
  source: string;
  guesses: ColumnGuess[] | null;
  warnings: string[];
  templates: TemplateInfo[];
  csrf: string;
}): Child {
  const r = p.report;
  const fields = r ? FEEDS[r.feed as keyof typeof FEEDS].fields.map((f) => f.name) : [];
  const dayCol = r?.feed === 'ads' ? 'seen_day' : r?.feed === 'complaints' ? 'received_day' : null;
  const sampleCols = r
    ? [...fields, ...(dayCol ? [dayCol] : []), 'extra'].filter((c) =>
        r.sample.some((s) => s[c] !== undefined),
      )
    : [];
  const guessOf = new Map((p.guesses ?? []).map((g) => [g.header, g]));
  return (
    <>
      <div class="row" style="justify-content:space-between">
        <h1>导入预览：{p.u.file_name}</h1>
        <a class="btn ghost" href={`${BASE}/intake`}>
          ← 数据导入
        </a>
      </div>
      <FileLine u={p.u} />
      {p.warnings.map((w) => (
        <div class="flash err">{w}</div>
      ))}
      {p.error ? (
        <div class="flash err" id="preview-error">
          {p.error}
        </div>
      ) : null}
      {r ? (
        <div class="card" id="preview-summary">
          <h2>
            {zh(FEED_ZH, r.feed)} · 映射「{r.mapping}」 <span class="muted small">{p.source}</span>
          </h2>
          <p>
            预览{r.truncated ? `前 ${fmtInt(r.read)} 行` : `全部 ${fmtInt(r.read)} 行`}：可导入{' '}
            <b id="preview-mapped">{fmtInt(r.mapped)}</b> 行，将隔离{' '}
            <b id="preview-quarantined" style={r.quarantined > 0 ? 'color:#b42318' : ''}>
              {fmtInt(r.quarantined)}
            </b>{' '}
            行。
          </p>
          {r.skipped.map((s) => (
            <p class="muted small">
              跳过工作表「{s.sheet}」：{s.reason}
            </p>
          ))}
          {r.reasons.length ? (
            <table class="small" id="preview-reasons">
              <thead>
                <tr>
                  <th class="num">行数</th>
                  <th>隔离原因</th>
                  <th>例</th>
                </tr>
              </thead>
              <tbody>
                {r.reasons.map((g) => (
                  <tr>
                    <td class="num">{fmtInt(g.count)}</td>
                    <td>{g.reason}</td>
                    <td class="small">
                      {g.examples.map((e) => (
                        <div>
                          第 {e.line} 行：{e.reason}
                        </div>
                      ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      ) : null}
      {r ? (
        <div class="grid2">
          <div class="card">
            <h2>列的对应</h2>
            {r.tables.slice(0, 1).map((t) => (
              <table class="small" id="preview-columns">
                <thead>
                  <tr>
                    <th>
                      源文件的列{t.sheet ? `（工作表「${t.sheet}」，第 ${t.header_row} 行起）` : ''}
                    </th>
                    <th>导入为</th>
                  </tr>
                </thead>
                <tbody>
                  {t.header.map((h) => {
                    const field = Object.entries(t.fields).find(([, cols]) =>
                      cols.includes(h),
                    )?.[0];
                    const g = guessOf.get(h);
                    return (
                      <tr>
                        <td>{h}</td>
                        <td>
                          {field ? (
                            <>
                              {CONTRACT_FIELD_ZH[field] ?? field}{' '}
                              <span class="muted mono">{field}</span>
                            </>
                          ) : (
                            <span class="muted">保留在“其他列”</span>
                          )}
                          {g && g.field ? <div class="muted small">{g.why}</div> : null}
                        </td>
                      </tr>
                    );
                  })}
                  {Object.entries(t.fields)
                    .filter(([, cols]) => cols.length === 0)
                    .map(([field]) => (
                      <tr>
                        <td class="muted">（常量）</td>
                        <td>
                          {CONTRACT_FIELD_ZH[field] ?? field}{' '}
                          <span class="muted mono">{field}</span>
                        </td>
                      </tr>
                    ))}
                </tbody>
              </table>
            ))}
          </div>
          <div class="card">
            <h2>映射文件</h2>
            <MappingForm
              u={p.u}
              csrf={p.csrf}
              text={p.mappingText}
              canIngest={true}
              template={p.template}
            />
          </div>
        </div>
      ) : (
        <div class="card">
          <h2>映射文件</h2>
          <MappingForm u={p.u} csrf={p.csrf} text={p.mappingText} canIngest={false} />
          <form
            class="filters"
            method="get"
            action={`${BASE}/intake/${p.u.upload_id}`}
            style="margin-top:8px"
          >
            <label>
              或换一个映射
              <select name="mapping" data-autosubmit>
                <option value="">—</option>
                <option value="infer">自动推断</option>
                {p.templates.map((t) => (
                  <option value={t.id}>{t.name}</option>
                ))}
              </select>
            </label>
          </form>
        </div>
      )}
      {r && r.sample.length ? (
        <div class="card">
          <h2>
            导入后的前 {r.sample.length} 行 <span class="muted small">按数据规范转换后的值</span>
          </h2>
          <div class="scroll" style="max-height:360px">
            <table class="small" id="preview-sample">
              <thead>
                <tr>
                  <th class="num">行</th>
                  {sampleCols.map((c) => (
                    <th>{CONTRACT_FIELD_ZH[c] ?? c}</th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {r.sample.map((s) => (
                  <tr>
                    <td class="num">{String(s['_line'])}</td>
                    {sampleCols.map((c) => {
                      const v = s[c];
                      const t =
                        v === undefined || v === null
                          ? ''
                          : typeof v === 'string'
                            ? v
                            : JSON.stringify(v);
                      return (
                        <td style="max-width:260px;overflow:hidden;text-overflow:ellipsis">
                          {[...t].slice(0, 80).join('')}
                        </td>
                      );
                    })}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}
    </>
  );
}

function MappingForm(p: {
  u: UploadView;
  csrf: string;
  text: string;
  canIngest: boolean;
  template?: string | undefined;
}): Child {
  return (
    <form
      method="post"
      action={`${BASE}/intake/${p.u.upload_id}/preview`}
      class="stack"
      id="mapping-form"
    >
      <input type="hidden" name="_csrf" value={p.csrf} />
      {p.template ? <input type="hidden" name="template" value={p.template} /> : null}
      <textarea name="mapping" class="mono" rows={18} spellcheck={false}>
        {p.text}
      </textarea>
      <div class="row">
        <button type="submit" class="ghost">
          按修改后的映射重新预览
        </button>
        {p.canIngest ? (
          <button
            type="submit"
            id="confirm-ingest"
            formaction={`${BASE}/intake/${p.u.upload_id}/ingest`}
          >
            确认导入
          </button>
        ) : null}
      </div>
    </form>
  );
}

function StatusPage(p: {
  u: UploadView;
  quarantine: QuarantineItem[] | null;
  quarantineError?: string | undefined;
}): Child {
  const i = p.u.ingest;
  const prog = p.u.progress;
  return (
    <>
      <div class="row" style="justify-content:space-between">
        <h1>
          导入：{p.u.file_name} <StatusBadge status={p.u.status} />
        </h1>
        <a class="btn ghost" href={`${BASE}/intake`}>
          ← 数据导入
        </a>
      </div>
      <FileLine u={p.u} />
      {i ? (
        <p class="muted small">
          {zh(FEED_ZH, i.feed)} · {i.template ? `模板 ${i.template}` : '自定义映射'} ·{' '}
          {i.actor.replace(/^user:/, '')} 于 {fmtTime(i.started_at)} 开始
          {i.finished_at ? `，${fmtTime(i.finished_at)} 结束` : ''}
        </p>
      ) : null}
      {p.u.status === 'ingesting' ? (
        <div
          class="card"
          id="intake-progress"
          data-status-url={`${BASE}/intake/${p.u.upload_id}/status`}
        >
          <h2>正在导入…</h2>
          <progress
            max="100"
            value={
              prog?.fraction !== null && prog?.fraction !== undefined
                ? String(Math.round(prog.fraction * 100))
                : undefined
            }
            style="width:100%"
          ></progress>
          <p class="muted" id="intake-progress-text">
            已读取 {fmtInt(prog?.rows ?? 0)} 行
          </p>
        </div>
      ) : null}
      {p.u.status === 'failed' ? (
        <div class="flash err" id="intake-error">
          导入失败：{i?.error ?? '未知错误'}
        </div>
      ) : null}
      {p.u.status === 'done' && i?.counts ? (
        <div class="card">
          <h2>导入完成</h2>
          <Counts c={i.counts} />
          <p class="muted small">
            读取 = 接收 + 重复 + 更正 + 隔离。批次 {(i.counts.batch_ids ?? []).join('、')}。
          </p>
        </div>
      ) : null}
      {p.u.status === 'done' ? (
        <div class="card" id="intake-quarantine">
          <h2>
            隔离的记录 <span class="muted small">不符合数据规范、未入库，原因注明源文件的列</span>
          </h2>
          {p.quarantine === null ? (
            <p class="muted">{p.quarantineError}</p>
          ) : p.quarantine.length === 0 ? (
            <div class="empty">没有隔离的记录。</div>
          ) : (
            <table class="small">
              <thead>
                <tr>
                  <th class="num">行</th>
                  <th>原因</th>
                  <th>原始内容</th>
                </tr>
              </thead>
              <tbody>
                {p.quarantine.map((q) => (
                  <tr>
                    <td class="num">{q.line_no}</td>
                    <td style="max-width:420px">{q.reason}</td>
                    <td>
                      <details>
                        <summary>
                          {[...q.raw].slice(0, 40).join('')}
                          {[...q.raw].length > 40 ? '…' : ''}
                        </summary>
                        <pre class="raw">{q.raw}</pre>
                      </details>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ) : null}
      {p.u.status !== 'ingesting' ? (
        <p>
          <a href={`${BASE}/intake/${p.u.upload_id}?preview=1`}>用其他映射再次预览 / 导入</a>
        </p>
      ) : null}
    </>
  );
}

/** The page's own script: the upload with its progress, and polling while an ingest runs. */
const SCRIPT = `
(function(){
  var f=document.getElementById('intake-upload');
  if(f){f.addEventListener('submit',function(e){
    e.preventDefault();
    var file=f.elements.file.files[0];if(!file)return;
    var bar=document.getElementById('upload-progress'),st=document.getElementById('upload-status');
    bar.hidden=false;bar.value=0;st.textContent='上传中…';
    var x=new XMLHttpRequest();
    x.open('POST',f.getAttribute('data-action')+'?name='+encodeURIComponent(file.name));
    x.setRequestHeader('x-csrf-token',f.getAttribute('data-csrf'));
    x.setRequestHeader('content-type','application/octet-stream');
    x.upload.onprogress=function(ev){if(ev.lengthComputable){bar.value=Math.round(ev.loaded*100/ev.total);st.textContent='上传中… '+bar.value+'%';}};
    x.onload=function(){
      var b={};try{b=JSON.parse(x.responseText);}catch(err){}
      if(x.status===201){st.textContent='已上传，正在生成预览…';
        var q='?mapping='+encodeURIComponent(f.elements.mapping.value)+(f.elements.feed.value?'&feed='+encodeURIComponent(f.elements.feed.value):'');
        location.href='${BASE}/intake/'+b.upload_id+q;}
      else{bar.hidden=true;st.textContent='上传失败：'+(b.detail||x.status);st.style.color='#b42318';}
    };
    x.onerror=function(){bar.hidden=true;st.textContent='上传失败：网络错误';st.style.color='#b42318';};
    x.send(file);
  });}
  var p=document.getElementById('intake-progress');
  if(p){var url=p.getAttribute('data-status-url');var tick=function(){
    fetch(url,{credentials:'same-origin'}).then(function(r){return r.json();}).then(function(u){
      if(u.status!=='ingesting'){location.reload();return;}
      var bar=p.querySelector('progress');
      if(u.progress&&u.progress.fraction!==null){bar.value=Math.round(u.progress.fraction*100);}
      document.getElementById('intake-progress-text').textContent='已读取 '+(u.progress?u.progress.rows:0).toLocaleString('zh-CN')+' 行';
      setTimeout(tick,500);
    }).catch(function(){setTimeout(tick,2000);});};setTimeout(tick,300);}
})();
`;

// ---- routes --------------------------------------------------------------------------------------

interface Ctx {
  c: Context<AppEnv>;
  session: Session;
  api: ApiClient;
  can: Can;
}

/** The kit's policy (kit.tsx), with this page's own script allowed by the same nonce. */
const csp = (nonce: string) =>
  `default-src 'self'; style-src 'unsafe-inline'; script-src 'nonce-${nonce}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

/**
 * Adds the 数据导入 routes. Its own `page` wrapper (not the kit's): the upload must reach the API
 * unread (the kit parses every POST body), and the page carries its own script.
 */
export function mountIntake(kit: DashboardKit): void {
  const { app, db } = kit;
  const deps = {
    db,
    now: kit.now,
    routes: (): readonly RouteRoles[] | undefined =>
      (app as unknown as { dafei?: { routes?: RouteRoles[] } }).dafei?.routes,
  };
  const render = (x: Ctx, title: string, body: Child, status = 200) => {
    const nonce = randomBytes(16).toString('base64');
    x.c.header('content-security-policy', csp(nonce));
    x.c.header('x-frame-options', 'DENY');
    x.c.header('referrer-policy', 'same-origin');
    return x.c.html(
      <Shell title={title} nav="intake" session={x.session} can={x.can} nonce={nonce}>
        {body}
        <script nonce={nonce}>{raw(SCRIPT)}</script>
      </Shell>,
      status as 200,
    );
  };

  /** Signed-in callers of a role that may import; others get the login page or a 403 page. */
  const page =
    (fn: (x: Ctx) => Promise<Response>) =>
    async (c: Context<AppEnv>): Promise<Response> => {
      const session = await readSession(c, deps.db, deps.now());
      if (!session) {
        if (c.req.method === 'GET') {
          const u = new URL(c.req.url);
          return c.redirect(`${BASE}/login?next=${encodeURIComponent(u.pathname + u.search)}`, 303);
        }
        return c.json({ detail: '请先登录' }, 401);
      }
      const x: Ctx = {
        c,
        session,
        api: new ApiClient(app, session.token),
        can: permissionsFor(session.principal.role, deps.routes()),
      };
      if (!x.can('uploadIntakeFile'))
        return render(
          x,
          '数据导入',
          <Problem status={403} detail="数据导入仅对数据分析人员和管理员开放。" />,
          403,
        );
      return fn(x);
    };

  const formOf = async (x: Ctx): Promise<Record<string, unknown> | undefined> => {
    const form = await x.c.req.parseBody();
    return checkCsrf(x.session, form['_csrf']) ? form : undefined;
  };
  const csrfFailed = (x: Ctx) =>
    render(
      x,
      '请求无效',
      <Problem status={400} detail="表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。" />,
      400,
    );

  const templatesOf = async (x: Ctx): Promise<TemplateInfo[]> => {
    const t = await x.api.get<{ items: TemplateInfo[] }>('/v1/intake/templates');
    return t.ok ? t.data.items : [];
  };

  app.get(
    `${BASE}/intake`,
    page(async (x) => {
      const [templates, uploads] = await Promise.all([
        templatesOf(x),
        x.api.get<{ items: UploadView[] }>('/v1/intake/uploads', { limit: 30 }),
      ]);
      const cfg = x.c.get('deps') as
        { config?: { intake?: { max_upload_mb?: number } } } | undefined;
      return render(
        x,
        '数据导入',
        <HomePage
          templates={templates}
          uploads={uploads.ok ? uploads.data.items : []}
          csrf={x.session.csrf}
          maxMb={cfg?.config?.intake?.max_upload_mb ?? 200}
          flashErr={uploads.ok ? undefined : problemText(uploads)}
        />,
      );
    }),
  );

  // the browser streams the file here; it goes on to the API unread
  app.post(
    INTAKE_UPLOAD_PAGE_PATH,
    page(async (x) => {
      if (!checkCsrf(x.session, x.c.req.header('x-csrf-token')))
        return x.c.json(
          { detail: '表单已过期或来源不明（CSRF 校验失败），请刷新页面后重试。' },
          400,
        );
      const headers: Record<string, string> = {
        authorization: `Bearer ${x.session.token}`,
        'content-type': x.c.req.header('content-type') ?? 'application/octet-stream',
      };
      const length = x.c.req.header('content-length');
      if (length) headers['content-length'] = length;
      const init: RequestInit & { duplex: 'half' } = {
        method: 'POST',
        headers,
        body: x.c.req.raw.body,
        duplex: 'half',
      };
      return app.fetch(
        new Request(
          `${ORIGIN}${withQuery('/v1/intake/uploads', { name: x.c.req.query('name') ?? '' })}`,
          init,
        ),
      );
    }),
  );

  const renderPreview = async (
    x: Ctx,
    u: UploadView,
    choice: {
      mapping?: Record<string, unknown>;
      template?: string;
      infer?: boolean;
      feed?: string;
    },
    status = 200,
    failure?: string,
  ) => {
    let mapping = choice.mapping;
    let fromTemplate: string | undefined;
    let source = choice.template
      ? `模板 ${choice.template}`
      : choice.infer
        ? '按表头自动推断'
        : '已编辑的映射';
    let guesses: ColumnGuess[] | null = null;
    const warnings: string[] = [];
    if (choice.infer) {
      const inf: ApiResult<{
        mapping: Record<string, unknown>;
        columns: ColumnGuess[];
        warnings: string[];
      }> = await x.api.post(
        `/v1/intake/uploads/${u.upload_id}/infer`,
        choice.feed ? { feed: choice.feed } : {},
      );
      if (!inf.ok)
        return render(
          x,
          '导入预览',
          <PreviewPage
            u={u}
            report={null}
            error={problemText(inf)}
            mappingText=""
            source={source}
            guesses={null}
            warnings={[]}
            templates={await templatesOf(x)}
            csrf={x.session.csrf}
          />,
          422,
        );
      mapping = inf.data.mapping;
      guesses = inf.data.columns;
      warnings.push(...inf.data.warnings.map((w) => `自动推断：${w}`));
    }
    if (choice.template) {
      const t = await x.api.get<Record<string, unknown>>(
        `/v1/intake/templates/${encodeURIComponent(choice.template)}`,
      );
      if (t.ok) {
        mapping = t.data;
        fromTemplate = choice.template;
      } else source = `模板 ${choice.template} 不存在`;
    }
    const text = JSON.stringify(mapping ?? {}, null, 2);
    const r = await x.api.post<CheckReport>(`/v1/intake/uploads/${u.upload_id}/preview`, {
      mapping: mapping ?? {},
      rows: 2000,
    });
    return render(
      x,
      `导入预览 · ${u.file_name}`,
      <PreviewPage
        u={u}
        template={fromTemplate}
        report={r.ok ? r.data : null}
        error={failure ?? (r.ok ? undefined : `映射无法用于此文件：${problemText(r)}`)}
        mappingText={text}
        source={source}
        guesses={guesses}
        warnings={warnings}
        templates={await templatesOf(x)}
        csrf={x.session.csrf}
      />,
      r.ok ? status : 422,
    );
  };

  const uploadOf = async (x: Ctx, id: string): Promise<ApiResult<UploadView>> =>
    x.api.get<UploadView>(`/v1/intake/uploads/${encodeURIComponent(id)}`);

  app.get(
    `${BASE}/intake/:id{[0-9]+}`,
    page(async (x) => {
      const got = await uploadOf(x, x.c.req.param('id') ?? '');
      if (!got.ok)
        return render(
          x,
          '数据导入',
          <Problem status={got.status} detail={problemText(got)} />,
          got.status,
        );
      const u = got.data;
      const q = x.c.req.query();
      if (u.status === 'uploaded' || q['preview'] === '1' || q['mapping']) {
        const m = q['mapping'] ?? 'infer';
        const feed = FEED_NAMES.find((f) => f === q['feed']);
        return renderPreview(
          x,
          u,
          m === 'infer' || m === '' ? { infer: true, ...(feed ? { feed } : {}) } : { template: m },
        );
      }
      let quarantine: QuarantineItem[] | null = null;
      let quarantineError: string | undefined;
      for (const batch of u.ingest?.counts?.batch_ids ?? []) {
        const qr = await x.api.get<{ items: QuarantineItem[] }>('/v1/quarantine', {
          batch,
          limit: 100,
        });
        if (qr.ok) quarantine = [...(quarantine ?? []), ...qr.data.items];
        else quarantineError = problemText(qr);
      }
      if (u.status === 'done' && quarantine === null && !quarantineError) quarantine = [];
      return render(
        x,
        `导入 · ${u.file_name}`,
        <StatusPage u={u} quarantine={quarantine} quarantineError={quarantineError} />,
      );
    }),
  );

  app.get(
    `${BASE}/intake/:id{[0-9]+}/status`,
    page(async (x) => {
      const got = await uploadOf(x, x.c.req.param('id') ?? '');
      return got.ok
        ? x.c.json(got.data)
        : x.c.json({ detail: got.problem.detail }, got.status as 404);
    }),
  );

  const mappingFromForm = (
    form: Record<string, unknown>,
  ): { mapping?: Record<string, unknown>; error?: string } => {
    const text = typeof form['mapping'] === 'string' ? form['mapping'] : '';
    try {
      const m = JSON.parse(text) as unknown;
      if (typeof m !== 'object' || m === null || Array.isArray(m))
        return { error: '映射文件应是一个 JSON 对象。' };
      return { mapping: m as Record<string, unknown> };
    } catch (err) {
      return { error: `映射文件不是有效的 JSON：${(err as Error).message}` };
    }
  };

  /** The template a form's mapping came from, when the mapping is still that template's. */
  const unchangedTemplate = async (
    x: Ctx,
    form: Record<string, unknown>,
    mapping: Record<string, unknown>,
  ): Promise<string | undefined> => {
    const id = typeof form['template'] === 'string' ? form['template'] : '';
    if (!id) return undefined;
    const t = await x.api.get<Record<string, unknown>>(
      `/v1/intake/templates/${encodeURIComponent(id)}`,
    );
    return t.ok && JSON.stringify(t.data) === JSON.stringify(mapping) ? id : undefined;
  };

  app.post(
    `${BASE}/intake/:id{[0-9]+}/preview`,
    page(async (x) => {
      const form = await formOf(x);
      if (!form) return csrfFailed(x);
      const got = await uploadOf(x, x.c.req.param('id') ?? '');
      if (!got.ok)
        return render(
          x,
          '数据导入',
          <Problem status={got.status} detail={problemText(got)} />,
          got.status,
        );
      const m = mappingFromForm(form);
      if (!m.mapping)
        return render(
          x,
          '导入预览',
          <PreviewPage
            u={got.data}
            report={null}
            error={m.error}
            mappingText={typeof form['mapping'] === 'string' ? form['mapping'] : ''}
            source="已编辑的映射"
            guesses={null}
            warnings={[]}
            templates={await templatesOf(x)}
            csrf={x.session.csrf}
          />,
          400,
        );
      const template = await unchangedTemplate(x, form, m.mapping);
      return renderPreview(x, got.data, template ? { template } : { mapping: m.mapping });
    }),
  );

  app.post(
    `${BASE}/intake/:id{[0-9]+}/ingest`,
    page(async (x) => {
      const form = await formOf(x);
      if (!form) return csrfFailed(x);
      const id = x.c.req.param('id') ?? '';
      const got = await uploadOf(x, id);
      if (!got.ok)
        return render(
          x,
          '数据导入',
          <Problem status={got.status} detail={problemText(got)} />,
          got.status,
        );
      const m = mappingFromForm(form);
      if (!m.mapping)
        return render(
          x,
          '导入预览',
          <PreviewPage
            u={got.data}
            report={null}
            error={m.error}
            mappingText={typeof form['mapping'] === 'string' ? form['mapping'] : ''}
            source="已编辑的映射"
            guesses={null}
            warnings={[]}
            templates={await templatesOf(x)}
            csrf={x.session.csrf}
          />,
          400,
        );
      const template = await unchangedTemplate(x, form, m.mapping);
      const r = await x.api.post<UploadView>(
        `/v1/intake/uploads/${encodeURIComponent(id)}/ingest`,
        template ? { template } : { mapping: m.mapping },
      );
      if (!r.ok)
        return renderPreview(
          x,
          got.data,
          template ? { template } : { mapping: m.mapping },
          r.status,
          `未能开始导入：${problemText(r)}`,
        );
      return x.c.redirect(`${BASE}/intake/${id}`, 303);
    }),
  );
}
