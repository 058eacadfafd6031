/**
 * The caller's own API keys: create (the key is in this one answer and never again), list (no key,
 * no hash), revoke. A key acts as its owner on every protected route (`X-API-Key`, or as a bearer token),
 * except creating further keys, which needs a signed-in session.
 */
import Router from '@koa/router';
import { z } from 'zod';
import { audit } from '../audit.js';
import { currentUser, type AppContextExtras, type AppState } from '../context.js';
import { ApiError, notFound } from '../errors.js';
import { jsonBody } from '../auth/middleware.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyInfo } from '../auth/api-keys.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const CreateKeyBody = z.strictObject({
  name: z.string().trim().min(1, 'give the key a name').max(100),
});

const toApi = (k: ApiKeyInfo) => ({
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
});

export const apiKeyRoutes = new Router<AppState, AppContextExtras>();

apiKeyRoutes.post('/me/api-keys', jsonBody, async (ctx) => {
  const me = currentUser(ctx);
  // A leaked key must not be able to mint keys that outlive its own revocation: creating keys needs a login.
  if (ctx.state.authMethod !== 'token') {
    throw new ApiError(403, 'SessionRequired', 'creating an API key needs a signed-in session, not an API key');
  }
  const { name } = CreateKeyBody.parse(ctx.request.body ?? {});
  const { key, info } = await createApiKey(me.id, name);
  await audit(ctx, { action: 'apikey.create', targetType: 'api_key', targetId: info.id, detail: { prefix: info.prefix } });
  ctx.status = 201;
  ctx.body = { id: info.id, name: info.name, key, prefix: info.prefix, createdAt: info.createdAt.toISOString() };
});

apiKeyRoutes.get('/me/api-keys', async (ctx) => {
  const me = currentUser(ctx);
  ctx.body = { apiKeys: (await listApiKeys(me.id)).map(toApi) };
});

apiKeyRoutes.delete('/me/api-keys/:id', async (ctx) => {
  const me = currentUser(ctx);
  const id = ctx.params.id ?? '';
  if (!UUID.test(id) || !(await revokeApiKey(me.id, id))) throw notFound('the API key');
  await audit(ctx, { action: 'apikey.revoke', targetType: 'api_key', targetId: id });
  ctx.status = 204;
});
