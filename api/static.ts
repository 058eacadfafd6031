/**
 * The browser UI, served from the build output (web/dist, made by `node web/build.mjs`):
 *  - `GET /` (and `/index.html`): the page, never cached (it names the current hashed assets), with the
 *    server's per-file upload limit filled into its `mx-max-upload-bytes` meta tag (a limit, not a secret)
 *    and, when TEMPORAL_UI_URL is set, the Web UI's address (credentials stripped) and the Temporal
 *    namespace into `mx-temporal-ui-url` / `mx-temporal-namespace`;
 *  - `GET /assets/<name>`: a file directly in web/dist/assets, cached for a year as immutable when its
 *    name carries a content hash, with the right content type and `nosniff` (from securityHeaders).
 * Only plain file names are served: no sub-directories, dot files or `..`, so nothing outside
 * web/dist/assets can be reached. A missing asset answers 404 in the API's error shape. Everything
 * else passes through to the API routes.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type Koa from 'koa';
import { errorBody } from './errors.js';

export const WEB_DIST = path.resolve(import.meta.dirname, '../web/dist');

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** A plain file name: letters, digits, `.`, `_`, `-`, not starting with a dot. */
const SAFE_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
/** esbuild's `[name]-[hash]` names: an 8-character base32 hash before the extension(s). */
const HASHED = /-[A-Z0-9]{8}\.[a-z0-9.]+$/;
const META = /(<meta name="mx-max-upload-bytes" content=")[^"]*(")/;
const TEMPORAL_UI_META = /(<meta name="mx-temporal-ui-url" content=")[^"]*(")/;
const TEMPORAL_NS_META = /(<meta name="mx-temporal-namespace" content=")[^"]*(")/;

/** An attribute-safe value (the replacement string must not expand `$` patterns either). */
function attr(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/\$/g, '$$$$');
}

/** The Temporal Web UI's address without any user name, password, query or fragment; null if not http(s). */
export function publicUiUrl(raw: string | undefined): string | null {
  if (!raw) return null;
  try {
    const u = new URL(raw);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return null;
  }
}

export interface ServeWebOptions {
  /** The build output directory; web/dist by default. */
  dir?: string;
}

export function serveWeb(opts: ServeWebOptions = {}): Koa.Middleware {
  const dir = path.resolve(opts.dir ?? WEB_DIST);
  const assetsDir = path.join(dir, 'assets');
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();

    if (ctx.path === '/' || ctx.path === '/index.html') {
      let page: string;
      try {
        page = await fsp.readFile(path.join(dir, 'index.html'), 'utf8');
      } catch {
        ctx.status = 404;
        ctx.body = errorBody('NotFound', 'the web UI is not built; run `npm run build:web`');
        return;
      }
      const cfg = (ctx as { deps?: { cfg?: { maxUploadBytes?: number; temporalUiUrl?: string; temporalNamespace?: string } } }).deps?.cfg;
      const maxBytes = cfg?.maxUploadBytes;
      if (typeof maxBytes === 'number') page = page.replace(META, `$1${maxBytes}$2`);
      // Addresses only (no credentials): the admin view links each job to its workflow in the Temporal Web UI.
      const uiUrl = publicUiUrl(cfg?.temporalUiUrl);
      if (uiUrl) {
        page = page.replace(TEMPORAL_UI_META, `$1${attr(uiUrl)}$2`);
        page = page.replace(TEMPORAL_NS_META, `$1${attr(cfg?.temporalNamespace ?? 'default')}$2`);
      }
      ctx.set('Cache-Control', 'no-store');
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = page;
      return;
    }

    if (!ctx.path.startsWith('/assets/')) return next();
    const name = ctx.path.slice('/assets/'.length);
    const file = path.join(assetsDir, name);
    const type = TYPES[path.extname(name).toLowerCase()];
    // The name check already rules out separators and `..`; the prefix check is a second lock.
    const ok = SAFE_NAME.test(name) && !name.includes('..') && type !== undefined && file.startsWith(assetsDir + path.sep);
    const stat = ok ? await fsp.stat(file).catch(() => undefined) : undefined;
    if (!stat?.isFile()) {
      ctx.status = 404;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = errorBody('NotFound', `no asset ${JSON.stringify(name.slice(0, 200))}`);
      return;
    }
    ctx.set('Cache-Control', HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache');
    ctx.set('Last-Modified', stat.mtime.toUTCString());
    ctx.type = type!;
    if (ctx.method === 'HEAD') ctx.status = 200;
    else ctx.body = fs.createReadStream(file);
    ctx.length = stat.size;
  };
}
