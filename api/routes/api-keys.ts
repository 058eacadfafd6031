/**
 * The caller's own API keys: create (the key is in this one answer and never again), list (no key,
 * no hash), revoke. A key acts as its owner on every protected route (`X-API-Key`, or as a bearer token),
 * except creating further keys, which needs a signed-in session.
 */
import { audit } from '../audit.js';
import { currentUser } from '../context.js';
import {
  ApiKeyCreateSchema,
  ApiKeyCreatedSchema,
  ApiKeyIdParams,
  ApiKeyListSchema,
  type ApiKey,
  type ApiKeyCreated,
  type ApiKeyList,
} from '../contract/api-keys.js';
import { notFound } from '../errors.js';
import { requireSession } from '../auth/middleware.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../auth/api-keys.js';
import { RouteGroup } from '../route.js';

const toApi = (k: ApiKeyInfo): ApiKey => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
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
    description: 'The key is shown once, in this answer; only a hash is kept. It acts as its owner. Creating a key needs a signed-in session, not an API key.',
    // A leaked key must not be able to mint keys that outlive its own revocation: creating keys needs a login.
    before: [requireSession('creating an API key')],
    body: ApiKeyCreateSchema,
    answers: { 201: { description: 'the new key', json: ApiKeyCreatedSchema } },
    errors: { 403: 'sent with an API key instead of a session token (code SessionRequired)' },
  },
  async (ctx, { body: { name } }) => {
    const me = currentUser(ctx);
    const { key, info } = await createApiKey(me.id, name);
    await audit(ctx, { action: 'apikey.create', targetType: 'api_key', targetId: info.id, detail: { prefix: info.prefix } });
    ctx.status = 201;
    ctx.body = { id: info.id, name: info.name, key, prefix: info.prefix, createdAt: info.createdAt.toISOString() } satisfies ApiKeyCreated;
  },
);

apiKeyRoutes.route(
  {
    method: 'get',
    path: '/me/api-keys',
    tag: 'api-keys',
    operationId: 'listApiKeys',
    summary: 'Your API keys (without the keys themselves)',
    answers: { 200: { description: 'your keys', json: ApiKeyListSchema } },
  },
  async (ctx) => {
    const me = currentUser(ctx);
    ctx.body = { apiKeys: (await listApiKeys(me.id)).map(toApi) } satisfies ApiKeyList;
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
