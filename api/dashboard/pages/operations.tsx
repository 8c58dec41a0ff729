/**
 * 运行 page, the part that needs an admin: notices (a list ranked by the rule index because the
 * model failed, a day that failed every retry, a failed backup), held batches (release / discard)
 * and drop-folder files moved aside with their reason. Data from GET /v1/runs.
 */
import type { Child } from 'hono/jsx';
import { BASE } from '../layout.tsx';
import { FEED_ZH, zh } from '../labels.ts';

export interface HeldItem {
  batch_id: number;
  feed: string;
  source: string;
  reason: string;
  read: number;
  quarantined: number;
  held_at: string;
}

export interface RejectedItem {
  folder: string;
  file_name: string;
  moved_to: string | null;
  reason: string;
  rejected_at: string;
}

export interface NoticeItem {
  notice_id: number;
  raised_at: string;
  level: string;
  kind: string;
  subject: string | null;
  message: string;
}

export interface OperationsData {
  held_batches: HeldItem[];
  rejected_files: RejectedItem[];
  notices: NoticeItem[];
}

const NOTICE_ZH: Readonly<Record<string, string>> = {
  model_fallback: '模型故障，名单改由规则指数排序',
  run_failed: '每日运行多次重试仍失败',
  backup_failed: '备份失败',
  retention_failed: '数据保留任务失败',
};

const when = (s: string) => s.replace(/\.\d+/, '').slice(0, 19);

/** A one-button form posting to the dashboard's operations action. */
function Action(p: { csrf: string; action: string; id: number; label: string; confirm: string }) {
  return (
    <form method="post" action={`${BASE}/runs/ops`} style="display:inline" data-confirm={p.confirm}>
      <input type="hidden" name="_csrf" value={p.csrf} />
      <input type="hidden" name="action" value={p.action} />
      <input type="hidden" name="id" value={String(p.id)} />
      <button type="submit" class="btn ghost">
        {p.label}
      </button>
    </form>
  );
}

export function OperationsPanel(p: {
  data: OperationsData;
  /** The form token when the caller may act (admins). */
  csrf?: string | undefined;
}): Child {
  const { held_batches: held, rejected_files: rejected, notices } = p.data;
  if (held.length + rejected.length + notices.length === 0) return null;
  return (
    <div class="card" id="operations">
      <h2>
        需要处理 <span class="muted small">数据源与任务的异常，处理前不会自动消失</span>
      </h2>
      {notices.length > 0 ? (
        <table class="small" id="notices">
          <thead>
            <tr>
              <th>时间</th>
              <th>事项</th>
              <th>对象</th>
              <th>详情</th>
              {p.csrf ? <th /> : null}
            </tr>
          </thead>
          <tbody>
            {notices.map((n) => (
              <tr>
                <td class="nowrap">{when(n.raised_at)}</td>
                <td>
                  <span class={`badge ${n.level === 'error' ? 'fail' : 'run'}`}>
                    {zh(NOTICE_ZH, n.kind)}
                  </span>
                </td>
                <td class="nowrap">{n.subject ?? '—'}</td>
                <td>{n.message}</td>
                {p.csrf ? (
                  <td>
                    <Action
                      csrf={p.csrf}
                      action="resolve"
                      id={n.notice_id}
                      label="已处理"
                      confirm="确认该事项已处理？"
                    />
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {held.length > 0 ? (
        <>
          <h3>暂扣批次（未入库，等待管理员放行或丢弃）</h3>
          <table class="small" id="held">
            <thead>
              <tr>
                <th class="num">批次</th>
                <th>数据源</th>
                <th>来源</th>
                <th>原因</th>
                <th class="num">隔离 / 读取</th>
                <th>时间</th>
                {p.csrf ? <th /> : null}
              </tr>
            </thead>
            <tbody>
              {held.map((h) => (
                <tr>
                  <td class="num mono">{h.batch_id}</td>
                  <td class="nowrap">{zh(FEED_ZH, h.feed)}</td>
                  <td class="small mono" style="max-width:220px;word-break:break-all">
                    {h.source}
                  </td>
                  <td>{h.reason}</td>
                  <td class="num">
                    {h.quarantined} / {h.read}
                  </td>
                  <td class="nowrap">{when(h.held_at)}</td>
                  {p.csrf ? (
                    <td class="nowrap">
                      <Action
                        csrf={p.csrf}
                        action="release"
                        id={h.batch_id}
                        label="放行"
                        confirm="放行后该批次按原样入库（不合规的行进入隔离区）。确定？"
                      />{' '}
                      <Action
                        csrf={p.csrf}
                        action="discard"
                        id={h.batch_id}
                        label="丢弃"
                        confirm="丢弃后该批次不入库，数据源从其后继续。确定？"
                      />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {rejected.length > 0 ? (
        <>
          <h3>无法读取、已移出的文件</h3>
          <table class="small" id="rejected">
            <thead>
              <tr>
                <th>文件</th>
                <th>移至</th>
                <th>原因</th>
                <th>时间</th>
              </tr>
            </thead>
            <tbody>
              {rejected.map((r) => (
                <tr>
                  <td class="mono">{r.file_name}</td>
                  <td class="small mono" style="max-width:220px;word-break:break-all">
                    {r.moved_to ?? '（无法移动，已不再读取）'}
                  </td>
                  <td>{r.reason}</td>
                  <td class="nowrap">{when(r.rejected_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}
