/**
 * Routes are declared once — method, path, roles, zod schemas for query / path / body, responses —
 * and that declaration drives validation, authorisation and the OpenAPI document.
 * Unknown query fields and repeated query fields are rejected (400), bodies are JSON only.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { Role, TokenScope } from '../pipeline/auth/index.ts';
import { ApiError } from './errors.ts';
import type { AppEnv } from './context.ts';
import { authenticate } from './auth.ts';
import { audit } from './audit.ts';

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Content types other than JSON (exports). */
  contentTypes?: string[];
}

export interface RouteSpec<Q extends z.ZodType, P extends z.ZodType, B extends z.ZodType> {
  method: 'get' | 'post';
  /** Hono path, e.g. /v1/alerts/:id */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Roles allowed; 'public' needs no token. */
  roles: readonly Role[] | 'public';
  /**
   * Deployment-wide actions (models, runs, the quarantine, the audit log): only accounts of the
   * whole tree (no jurisdiction, or its root) may call it; others get 403.
   */
  wholeTree?: true;
  /**
   * Token scopes allowed (default full only): a session that must first change its password or
   * enrol TOTP reaches only the routes naming that scope.
   */
  scopes?: readonly TokenScope[];
  query?: Q;
  params?: P;
  body?: B;
  /** A body that is not JSON (uploads): left unread for the handler to stream; documented only. */
  rawBody?: { contentTypes: string[]; description: string };
  responses: Record<number, ResponseSpec>;
}

export interface Input<Q extends z.ZodType, P extends z.ZodType, B extends z.ZodType> {
  query: z.output<Q>;
  params: z.output<P>;
  body: z.output<B>;
}

export type AnyRouteSpec = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

export const EMPTY = z.strictObject({});

function issues(err: z.ZodError): { path: string; message: string }[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const list = issues(r.error);
    throw new ApiError(
      'bad_request',
      `invalid ${where}: ${list.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
      {
        extra: { issues: list },
      },
    );
  }
  return r.data;
}

export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]+)(\{[^}]*\})?/g, '{$1}');
}

export class Router {
  readonly routes: AnyRouteSpec[] = [];
  readonly #app: Hono<AppEnv>;
  constructor(app: Hono<AppEnv>) {
    this.#app = app;
  }

  add<
    Q extends z.ZodType = typeof EMPTY,
    P extends z.ZodType = typeof EMPTY,
    B extends z.ZodType = z.ZodUndefined,
  >(
    spec: RouteSpec<Q, P, B>,
    handler: (c: Context<AppEnv>, input: Input<Q, P, B>) => Response | Promise<Response>,
  ): void {
    this.routes.push(spec);
    const template = openApiPath(spec.path);
    this.#app.on(spec.method.toUpperCase(), spec.path, async (c) => {
      c.set('route', template);
      if (spec.roles !== 'public') {
        const p = await authenticate(c);
        if (p.scope !== 'full' && !(spec.scopes ?? ['full']).includes(p.scope)) {
          throw new ApiError(
            'forbidden',
            p.scope === 'change_password'
              ? 'this session may only change its one-time password first: POST /v1/me/password'
              : 'this account must enrol TOTP first: POST /v1/me/totp/setup, then /v1/me/totp/confirm',
            { extra: { scope: p.scope } },
          );
        }
        if (!spec.roles.includes(p.role)) {
          await audit(c, 'auth.denied', `${spec.method.toUpperCase()} ${template}`, {
            status: 403,
          });
          throw new ApiError('forbidden', `role ${p.role} may not ${spec.summary.toLowerCase()}`);
        }
        if (spec.wholeTree && p.jurisdiction !== null) {
          const root = (await c.get('deps').jurisdictions.tree()).root;
          if (p.jurisdiction !== root?.code) {
            await audit(c, 'auth.denied', `${spec.method.toUpperCase()} ${template}`, {
              status: 403,
              jurisdiction: p.jurisdiction,
            });
            throw new ApiError(
              'forbidden',
              `${spec.summary.toLowerCase()} concerns the whole deployment: it needs an account of the whole tree, not of ${p.jurisdiction}`,
            );
          }
        }
      }
      const url = new URL(c.req.url);
      const q: Record<string, string> = {};
      for (const [k, v] of url.searchParams) {
        if (Object.hasOwn(q, k))
          throw new ApiError('bad_request', `query field ${k} is given more than once`);
        q[k] = v;
      }
      const query = parseOrThrow(spec.query ?? EMPTY, q, 'query');
      const params = parseOrThrow(spec.params ?? EMPTY, c.req.param(), 'path');
      let body: unknown = undefined;
      if (spec.body) {
        const ct = c.req.header('content-type') ?? '';
        if (!/^application\/json\b/i.test(ct)) {
          throw new ApiError('unsupported_media_type', 'the body must be application/json');
        }
        let raw: unknown;
        try {
          raw = await c.req.json();
        } catch (err) {
          if (err instanceof Error && err.name === 'BodyLimitError') throw err;
          throw new ApiError('bad_request', 'the body is not valid JSON', { cause: err });
        }
        body = parseOrThrow(spec.body, raw, 'body');
      }
      return handler(c, { query, params, body } as Input<Q, P, B>);
    });
  }
}
