/**
 * The Koa application, composed in one visible place. Order matters:
 *   request id + access log → error shape → known methods only → security headers/CORS → metrics → routes
 * Public routes: the static UI, login, health, readiness, the OpenAPI document.
 * Everything else sits behind `authenticate`.
 */
import crypto from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import { logger } from '../core/logger.js';
import type { AppContextExtras, AppDeps, AppState } from './context.js';
import { ApiError, errorMiddleware } from './errors.js';
import { securityHeaders } from './security.js';
import { authenticate } from './auth/middleware.js';
import { loginRoutes, sessionRoutes } from './routes/auth.js';
import { userRoutes } from './routes/users.js';
import { apiKeyRoutes } from './routes/api-keys.js';
import { jobRoutes } from './routes/jobs.js';
import { jobPasswordRoutes } from './routes/job-password.js';
import { uploadRoutes } from './routes/upload.js';
import { resultRoutes } from './routes/results.js';
import { fhirRoutes } from './routes/fhir.js';
import { reviewRoutes } from './routes/review.js';
import { reviewFigureRoutes } from './routes/review-figures.js';
import { publicSystemRoutes, protectedSystemRoutes } from './routes/system.js';
import { loginLockRoutes } from './routes/login-locks.js';
import { auditRoutes } from './routes/audit.js';
import { httpMetrics } from './metrics.js';
import { serveWeb } from './static.js';

export type App = Koa<AppState, AppContextExtras>;

const ROUTE_GROUPS = [
  loginRoutes,
  publicSystemRoutes,
  sessionRoutes,
  userRoutes,
  apiKeyRoutes,
  uploadRoutes,
  jobRoutes,
  jobPasswordRoutes,
  resultRoutes,
  fhirRoutes,
  reviewRoutes,
  reviewFigureRoutes,
  protectedSystemRoutes,
  loginLockRoutes,
  auditRoutes,
];

const requestContext: Koa.Middleware<AppState, AppContextExtras> = async (ctx, next) => {
  const started = performance.now();
  ctx.state.requestId = crypto.randomUUID();
  ctx.set('X-Request-Id', ctx.state.requestId);
  try {
    await next();
  } finally {
    // Method, path, status and time only: never bodies, tokens or file names.
    logger.debug(
      {
        requestId: ctx.state.requestId,
        method: ctx.method,
        route: (ctx as { _matchedRoute?: string })._matchedRoute ?? null,
        status: ctx.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  }
};

/** The methods any route answers; anything else (TRACE, PUT, CONNECT, ...) is a 405, never the router's 501. */
const KNOWN_METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'];
const knownMethodsOnly: Koa.Middleware<AppState, AppContextExtras> = async (ctx, next) => {
  if (!KNOWN_METHODS.includes(ctx.method)) {
    throw new ApiError(405, 'MethodNotAllowed', `${ctx.method} is not a method of this API`, { Allow: KNOWN_METHODS.join(', ') });
  }
  await next();
};

export function createApp(deps: AppDeps): App {
  const app: App = new Koa<AppState, AppContextExtras>({
    proxy: deps.cfg.trustProxy,
    // Behind our one proxy only its own X-Forwarded-For entry is trusted (the left ones are client-supplied).
    maxIpsCount: 1,
  });
  app.context.deps = deps;
  app.use(requestContext);
  app.use(errorMiddleware);
  app.use(knownMethodsOnly);
  app.use(securityHeaders(deps.cfg));
  app.use(httpMetrics);
  app.use(serveWeb()); // the bundled UI at / and /assets/* (public; it holds no data)

  // Each group is mounted as it declares itself (and as the OpenAPI document describes it): public or behind `authenticate`.
  const open = new Router<AppState, AppContextExtras>();
  const secured = new Router<AppState, AppContextExtras>();
  secured.use(authenticate);
  for (const group of ROUTE_GROUPS) (group.access === 'public' ? open : secured).use(group.router.routes());

  app.use(open.routes()).use(open.allowedMethods());
  app.use(secured.routes()).use(secured.allowedMethods());
  return app;
}
