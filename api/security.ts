/**
 * Security headers on every response (helmet: CSP that lets the bundled UI work, nosniff,
 * frame-ancestors none, referrer policy, HSTS when serving HTTPS, ...), `Cache-Control: no-store` on everything that is data,
 * and CORS closed unless CORS_ORIGINS names the origins allowed.
 */
import type Koa from 'koa';
import helmet from 'koa-helmet';
import cors from '@koa/cors';
import compose from 'koa-compose';
import type { Config } from '../core/config.js';

export function securityHeaders(cfg: Config): Koa.Middleware {
  const allowed = new Set(cfg.corsOrigins);
  const layers: Koa.Middleware[] = [
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'", "'unsafe-inline'"], // Lit's adopted stylesheets fall back to <style> tags
          imgSrc: ["'self'", 'data:', 'blob:'],
          connectSrc: ["'self'"],
          fontSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'no-referrer' },
      // HSTS only means something over HTTPS: sent when this process serves TLS itself (behind a
      // TLS-terminating proxy, the proxy sends it).
      strictTransportSecurity: cfg.tls ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      crossOriginEmbedderPolicy: false,
    }) as unknown as Koa.Middleware,
    async (ctx, next) => {
      // Static UI assets may be cached; every API answer is data and must not be — errors included,
      // so the header is set before the route runs (a throwing route never returns here).
      if (!ctx.path.startsWith('/assets/')) ctx.set('Cache-Control', 'no-store');
      await next();
    },
  ];
  if (allowed.size) {
    layers.unshift(
      cors({
        origin: (ctx) => (allowed.has(ctx.get('origin')) ? ctx.get('origin') : ''),
        allowHeaders: ['Authorization', 'Content-Type', 'X-API-Key'],
        exposeHeaders: ['Content-Disposition', 'Retry-After', 'X-Request-Id'],
        maxAge: 600,
      }) as unknown as Koa.Middleware,
    );
  }
  return compose(layers);
}
