/**
 * The caller's own API keys: create (the key is in this one answer and never again), list (no key,
 * no hash), revoke. A key acts as its owner within its scopes until it expires; every route here
 * needs a signed-in session, so a key can neither mint keys (which could outlive its revocation) nor
 * widen its own scopes (there is no route to change a key's scopes at all: make a new key).
 */
import { audit } from '../audit.js';
import { currentUser } from '../context.js';
import {
  ApiKeyCreateSchema,
  ApiKeyCreatedSchema,
  ApiKeyIdParams,
  ApiKeyListSchema,
  DEFAULT_API_SCOPES,
  MAX_API_KEY_DAYS,
  type ApiKey,
  type ApiKeyCreated,
  type ApiKeyList,
} from '../contract/api-keys.js';
import { ApiError, notFound } from '../errors.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../auth/api-keys.js';
import { RouteGroup } from '../route.js';

const DAY_MS = 86_400_000;

const toApi = (k: ApiKeyInfo, now: Date): ApiKey => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  scopes: k.scopes,
  createdAt: k.createdAt.toISOString(),
  expiresAt: k.expiresAt?.toISOString() ?? null,
  expired: k.expiresAt !== null && k.expiresAt <= now,
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
});

export const apiKeyRoutes = new RouteGroup('signed-in');

apiKeyRoutes.route(
  {
    method: 'post',
    path: '/me/api-keys',
    tag: 'api-keys',
    operationId: 'createApiKey',
    summary: 'Create an API key',
    description:
      'The key is shown once, in this answer; only a hash is kept. It acts as its owner, limited to its `scopes`: ' +
      '`jobs:read` (list jobs, status, results, page views and images, downloads), `jobs:write` (upload, cancel, delete), ' +
      '`review` (correcting results, approving and reopening them), `metrics` (`GET /metrics`; administrators only). ' +
      'With no `scopes` a key gets `jobs:read` and `jobs:write`. It expires after `expiresInDays` days or at `expiresAt` ' +
      `(at most ${MAX_API_KEY_DAYS} days ahead), by default after API_KEY_DEFAULT_DAYS (90) days. ` +
      "A key's scopes never change: to widen or narrow them, create a new key and revoke the old one. " +
      'A key is revoked when its owner changes their password, is reset by an administrator, or is disabled.',
    body: ApiKeyCreateSchema,
    answers: { 201: { description: 'the new key', json: ApiKeyCreatedSchema } },
    errors: {
      403: 'sent with an API key instead of a session token (code SessionRequired), or the scope `metrics` asked by a non-administrator (code ScopeNotAllowed)',
    },
  },
  async (ctx, { body }) => {
    const me = currentUser(ctx);
    const scopes = body.scopes ?? DEFAULT_API_SCOPES;
    // A metrics key reads installation-wide counts: only an administrator may hold one.
    if (scopes.includes('metrics') && me.role !== 'admin') {
      throw new ApiError(403, 'ScopeNotAllowed', 'only an administrator may create a key with the scope metrics');
    }
    const now = ctx.deps.now();
    let expiresAt: Date;
    if (body.expiresAt !== undefined) {
      expiresAt = new Date(body.expiresAt);
      if (expiresAt <= now) throw new ApiError(400, 'InvalidRequest', 'expiresAt: must be in the future');
      if (expiresAt.getTime() > now.getTime() + MAX_API_KEY_DAYS * DAY_MS) {
        throw new ApiError(400, 'InvalidRequest', `expiresAt: must be at most ${MAX_API_KEY_DAYS} days from now`);
      }
    } else {
      expiresAt = new Date(now.getTime() + (body.expiresInDays ?? ctx.deps.cfg.apiKeyDefaultDays) * DAY_MS);
    }
    const { key, info } = await createApiKey(me.id, { name: body.name, scopes, expiresAt });
    await audit(ctx, {
      action: 'apikey.create',
      targetType: 'api_key',
      targetId: info.id,
      detail: { prefix: info.prefix, scopes: info.scopes.join(' '), expiresAt: expiresAt.toISOString() },
    });
    ctx.status = 201;
    ctx.body = {
      id: info.id,
      name: info.name,
      key,
      prefix: info.prefix,
      scopes: info.scopes,
      createdAt: info.createdAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
    } satisfies ApiKeyCreated;
  },
);

apiKeyRoutes.route(
  {
    method: 'get',
    path: '/me/api-keys',
    tag: 'api-keys',
    operationId: 'listApiKeys',
    summary: 'Your API keys (without the keys themselves)',
    description: 'Unrevoked keys, expired ones included (marked `expired`), with their scopes, expiry and last use.',
    answers: { 200: { description: 'your keys', json: ApiKeyListSchema } },
  },
  async (ctx) => {
    const me = currentUser(ctx);
    const now = ctx.deps.now();
    ctx.body = { apiKeys: (await listApiKeys(me.id)).map((k) => toApi(k, now)) } satisfies ApiKeyList;
  },
);

apiKeyRoutes.route(
  {
    method: 'delete',
    path: '/me/api-keys/:id',
    tag: 'api-keys',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key',
    params: ApiKeyIdParams,
    answers: { 204: { description: 'revoked' } },
    errors: { 404: 'no such key of yours' },
  },
  async (ctx, { params: { id } }) => {
    const me = currentUser(ctx);
    if (!(await revokeApiKey(me.id, id))) throw notFound('the API key');
    await audit(ctx, { action: 'apikey.revoke', targetType: 'api_key', targetId: id });
    ctx.status = 204;
  },
);
