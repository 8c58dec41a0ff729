/** 模型: versions with their evaluation beside the baselines, the lead-time histogram, activation. */
import type { Child } from 'hono/jsx';
import type { ModelVersionInfo } from '../../../pipeline/modeling/index.ts';
import { Histogram } from '../charts.tsx';
import { BASE, Flash } from '../layout.tsx';
import { fmtPct, fmtTime, SCORER_ZH, zh } from '../labels.ts';
import type { ApiResult } from '../api-call.ts';
import { problemText, type DashboardKit, type PageCtx } from '../kit.tsx';

interface LeadTime {
  count: number;
  early: number;
  median: number;
  q1: number;
  q3: number;
  mean: number;
  histogram: { label: string; from: number | null; to: number | null; count: number }[];
}

interface ScorerEvaluation {
  precisionAt20: number;
  precisionAt50: number;
  precisionAt100: number;
  prAuc: number;
  flagged: number;
  schemes: number;
  recall: number;
  /** Every scheme, a missed one counting 0 days (absent in evaluations stored before it existed). */
  leadAllSchemes?: LeadTime;
  leadVsDecision: LeadTime;
  leadVsSurge: LeadTime;
}

interface Evaluation {
  trainedUntil: string;
  testFrom: string;
  testTo: string;
  testDays: number;
  horizonDays: number;
  trainingExamples: number;
  trainingPositives: number;
  scorers: Record<string, ScorerEvaluation>;
}

/** A version as GET /v1/models returns it: the registry's row, its metrics as the page reads them. */
export type ModelVersion = Omit<ModelVersionInfo, 'metrics'> & {
  metrics: {
    evaluation?: Evaluation | null;
    examples?: number;
    positives?: number;
    /** The held-out choice to fuse the rule index (absent before it was recorded). */
    fusion?: { fused: boolean; fusedPrecisionAtK: number; forestPrecisionAtK: number } | null;
  } | null;
};

/** Bucket labels of models/metrics leadTimeSummary ("[0, 7)", "< 0", …) in words. */
export function bucketLabel(b: { label: string; from: number | null; to: number | null }): string {
  const from = b.from;
  const to = b.to;
  const finite = (x: number | null): x is number => x !== null && Number.isFinite(x);
  if (!finite(from) && finite(to)) return to === 0 ? '滞后' : `<${to}天`;
  if (finite(from) && !finite(to)) return `≥${from}天`;
  if (finite(from) && finite(to)) return `${from}–${to}天`;
  return b.label;
}

/** How a version scores: the forest, fused with the rule index or not, and why. */
function scoringOf(m: ModelVersion): string {
  const f = m.metrics?.fusion;
  if (!f) return '森林';
  return `${f.fused ? '森林＋规则指数' : '森林（不融合）'}；留出期 P@50 融合 ${fmtPct(f.fusedPrecisionAtK)} / 森林 ${fmtPct(f.forestPrecisionAtK)}`;
}

const num = (x: number | undefined, d = 1) =>
  x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d);

function EvalTable(p: { e: Evaluation }): Child {
  const order = ['model', 'rules', 'complaints'].filter((k) => p.e.scorers[k]);
  return (
    <table class="small">
      <thead>
        <tr>
          <th>排序方法</th>
          <th class="num">P@20</th>
          <th class="num">P@50</th>
          <th class="num">P@100</th>
          <th class="num">PR-AUC</th>
          <th class="num">召回（前 50）</th>
          <th class="num">提前期中位数（对结论，漏报计 0）</th>
          <th class="num">提前期中位数（对投诉激增）</th>
        </tr>
      </thead>
      <tbody>
        {order.map((k) => {
          const s = p.e.scorers[k]!;
          return (
            <tr>
              <td>{zh(SCORER_ZH, k)}</td>
              <td class="num">{fmtPct(s.precisionAt20)}</td>
              <td class="num">{fmtPct(s.precisionAt50)}</td>
              <td class="num">{fmtPct(s.precisionAt100)}</td>
              <td class="num">{num(s.prAuc, 3)}</td>
              <td class="num">
                {fmtPct(s.recall)}（{s.flagged}/{s.schemes}）
              </td>
              <td class="num">
                {s.leadAllSchemes?.count ? `${num(s.leadAllSchemes.median, 0)} 天` : '—'}
              </td>
              <td class="num">
                {s.leadVsSurge.count ? `${num(s.leadVsSurge.median, 0)} 天` : '—'}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function ModelsPage(p: {
  activeVersion: number | null;
  items: ModelVersion[];
  canActivate: boolean;
  csrf: string;
  flashOk?: string | undefined;
  flashErr?: string | undefined;
}): Child {
  const items = [...p.items].sort((a, b) => b.version - a.version);
  const focus = items.find((m) => m.active) ?? items[0];
  const ev = focus?.metrics?.evaluation ?? null;
  const model = ev?.scorers['model'];
  return (
    <>
      <div class="row" style="justify-content:space-between">
        <h1>模型</h1>
        <div class="row">
          <span class="chip">
            当前使用：
            {p.activeVersion === null ? '规则指数（无启用模型）' : `模型 v${p.activeVersion}`}
          </span>
          {p.canActivate && p.activeVersion !== null ? (
            <form
              method="post"
              action={`${BASE}/models/rollback`}
              data-confirm="确定回滚到上一个启用的模型吗？"
            >
              <input type="hidden" name="_csrf" value={p.csrf} />
              <button type="submit" class="ghost" id="rollback">
                回滚
              </button>
            </form>
          ) : null}
        </div>
      </div>
      <Flash ok={p.flashOk} err={p.flashErr} />
      <div class="card" style="padding:0">
        {items.length === 0 ? (
          <div class="empty">尚未训练模型：名单由规则指数单独排序。</div>
        ) : (
          <table id="models">
            <thead>
              <tr>
                <th>版本</th>
                <th>状态</th>
                <th>训练截至</th>
                <th>训练窗口</th>
                <th>评分方式</th>
                <th class="num">样本 / 正例</th>
                <th class="num">P@50（模型 / 规则 / 投诉）</th>
                <th>创建时间</th>
                <th>备注</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {items.map((m) => {
                const e = m.metrics?.evaluation;
                return (
                  <tr>
                    <td>v{m.version}</td>
                    <td>
                      {m.active ? (
                        <span class="badge active-badge">启用中</span>
                      ) : (
                        <span class="muted">备选</span>
                      )}
                    </td>
                    <td>{m.trained_until}</td>
                    <td class="small">
                      {m.window_from} – {m.window_to}（预测 {m.horizon_days} 天）
                    </td>
                    <td class="small">{scoringOf(m)}</td>
                    <td class="num">
                      {m.metrics?.examples ?? '—'} / {m.metrics?.positives ?? '—'}
                    </td>
                    <td class="num">
                      {e
                        ? `${fmtPct(e.scorers['model']?.precisionAt50)} / ${fmtPct(e.scorers['rules']?.precisionAt50)} / ${fmtPct(e.scorers['complaints']?.precisionAt50)}`
                        : '未评估'}
                    </td>
                    <td class="small nowrap">{fmtTime(m.created_at)}</td>
                    <td class="small">{m.note ?? ''}</td>
                    <td>
                      {p.canActivate && !m.active ? (
                        <form
                          method="post"
                          action={`${BASE}/models/${m.version}/activate`}
                          data-confirm={`确定启用模型 v${m.version} 吗？次日名单将由它评分。`}
                        >
                          <input type="hidden" name="_csrf" value={p.csrf} />
                          <button type="submit" class="ghost">
                            启用
                          </button>
                        </form>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
      {focus ? (
        <div class="card">
          <h2>
            v{focus.version} 的时间外评估{' '}
            {ev ? (
              <span class="muted small">
                用 {ev.trainedUntil} 前的结论训练，检验 {ev.testFrom} – {ev.testTo}（{ev.testDays}{' '}
                天），训练样本 {ev.trainingExamples}（正例 {ev.trainingPositives}）
              </span>
            ) : null}
          </h2>
          {ev ? (
            <div class="grid-detail">
              <div>
                <EvalTable e={ev} />
                <p class="muted small">
                  P@k：每天名单前 k 名中，在其后 {ev.horizonDays}{' '}
                  天内被认定的比例（各天平均）。召回：检验期内被认定的案件中，在认定前曾进入前 50
                  名的比例。提前期：首次进入前 50
                  名到认定（或到首次投诉激增）的天数；对结论的提前期中位数把未进入前 50 名的案件计为
                  0 天。
                </p>
              </div>
              <div>
                <h3>提前期分布（模型，首次进入前 50 名 → 认定）</h3>
                {model && model.leadVsDecision.count > 0 ? (
                  <Histogram
                    buckets={model.leadVsDecision.histogram.map((b) => ({
                      label: bucketLabel(b),
                      count: b.count,
                    }))}
                    unit="提前天数（认定日 − 首次预警日）"
                  />
                ) : (
                  <div class="empty">检验期内没有可计算提前期的案件。</div>
                )}
                {model ? (
                  <p class="small muted">
                    检验期内认定 {model.schemes} 案，其中 {model.flagged} 案在认定前进入前 50
                    名，其提前期中位数 {num(model.leadVsDecision.median, 0)} 天（四分位{' '}
                    {num(model.leadVsDecision.q1, 0)}–{num(model.leadVsDecision.q3, 0)} 天）
                    {model.leadAllSchemes?.count
                      ? `；漏报计 0 天时中位数 ${num(model.leadAllSchemes.median, 0)} 天`
                      : ''}
                    。
                  </p>
                ) : null}
              </div>
            </div>
          ) : (
            <p class="muted">该版本训练时数据不足，未做时间外评估。</p>
          )}
        </div>
      ) : null}
    </>
  );
}

/** GET /ui/models and the activate / roll back buttons (POST, through the API). */
export function mountModels(kit: DashboardKit): void {
  const { app, render, page, fail } = kit;

  app.get(
    `${BASE}/models`,
    page(async (x) => {
      const r = await x.api.get<{ active_version: number | null; items: ModelVersion[] }>(
        '/v1/models',
      );
      if (!r.ok) return fail(x, '模型', 'models', r);
      const ok = x.c.req.query('ok');
      const err = x.c.req.query('err');
      return render(
        x.c,
        '模型',
        'models',
        <ModelsPage
          activeVersion={r.data.active_version}
          items={r.data.items}
          canActivate={x.can('activateModel')}
          csrf={x.session.csrf}
          flashOk={
            ok === undefined
              ? undefined
              : ok === 'rules'
                ? '已回滚：名单改由规则指数排序。'
                : `已启用模型 v${ok}。`
          }
          flashErr={err}
        />,
        x,
      );
    }),
  );

  const modelAction = (x: PageCtx, r: ApiResult<{ active_version: number | null }>) =>
    r.ok
      ? x.c.redirect(`${BASE}/models?ok=${r.data.active_version ?? 'rules'}`, 303)
      : x.c.redirect(
          `${BASE}/models?err=${encodeURIComponent(r.status === 403 ? '您的角色无权启用或回滚模型。' : problemText(r))}`,
          303,
        );

  app.post(
    `${BASE}/models/:version{[0-9]+}/activate`,
    page(async (x) =>
      modelAction(
        x,
        await x.api.post(`/v1/models/${x.c.req.param('version') ?? ''}/activate`, {
          note: '通过看板启用',
        }),
      ),
    ),
  );
  app.post(
    `${BASE}/models/rollback`,
    page(async (x) =>
      modelAction(x, await x.api.post('/v1/models/rollback', { note: '通过看板回滚' })),
    ),
  );
}
