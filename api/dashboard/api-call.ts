/**
 * The dashboard reads and writes through the API itself, in process (`app.fetch`), with the
 * session's bearer token: one set of role rules, redaction, validation and audit for both.
 */
import type { Context, Hono } from 'hono';
import type { AppEnv } from '../context.ts';
import { INNER_CLIENT } from '../client-info.ts';

export interface ApiProblem {
  code: string;
  detail: string;
}

export type ApiResult<T> =
  { ok: true; status: number; data: T } | { ok: false; status: number; problem: ApiProblem };

const ORIGIN = 'http://dashboard.internal';

export class ApiClient {
  readonly #app: Hono<AppEnv>;
  readonly #token: string;
  /** The outer request's env, carrying its client (address, user agent, request id) inward. */
  readonly #env: Record<symbol, unknown> | undefined;
  /** Time spent in each API call (for the Server-Timing header). */
  readonly timings: { name: string; ms: number }[] = [];
  constructor(app: Hono<AppEnv>, token: string, outer?: Context<AppEnv>) {
    this.#app = app;
    this.#token = token;
    const client = outer?.get('client');
    this.#env = client ? { [INNER_CLIENT]: client } : undefined;
  }

  /** The raw response (exports are streamed through unchanged). */
  async raw(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.#token}` };
    const init: RequestInit = { method, headers };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const t0 = performance.now();
    const res = await this.#app.fetch(new Request(`${ORIGIN}${path}`, init), this.#env);
    this.timings.push({ name: `${method} ${path.split('?')[0]}`, ms: performance.now() - t0 });
    return res;
  }

  /** `Server-Timing` header value: one entry per API call, in order. */
  serverTiming(): string {
    return this.timings
      .map(
        (t, i) => `api${i};dur=${t.ms.toFixed(1)};desc="${t.name.replace(/[^\x20-\x7e]|"/g, '')}"`,
      )
      .join(', ');
  }

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiResult<T>> {
    const res = await this.raw(method, path, body);
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    if (res.ok) return { ok: true, status: res.status, data: json as T };
    const p = (json ?? {}) as { code?: unknown; detail?: unknown };
    return {
      ok: false,
      status: res.status,
      problem: {
        code: typeof p.code === 'string' ? p.code : `http_${res.status}`,
        detail: typeof p.detail === 'string' ? p.detail : text.slice(0, 300),
      },
    };
  }

  get<T>(
    path: string,
    query?: Record<string, string | number | undefined | null>,
  ): Promise<ApiResult<T>> {
    return this.call<T>('GET', withQuery(path, query));
  }

  post<T>(path: string, body: unknown): Promise<ApiResult<T>> {
    return this.call<T>('POST', path, body);
  }
}

export function withQuery(
  path: string,
  query?: Record<string, string | number | undefined | null>,
): string {
  if (!query) return path;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}
