/**
 * An OpenAI-compatible HTTP server for tests, on 127.0.0.1 with an ephemeral port. It speaks enough of the
 * protocol for the openai SDK to treat it as the real thing:
 *   POST /v1/chat/completions  → a `chat.completion` whose message content is `JSON.stringify(await respond(req))`
 *   GET  /v1/models            → a `list` holding the server's model
 *   anything else              → 404 in OpenAI's error shape
 * Every route needs `Authorization: Bearer <key>` (401 in OpenAI's error shape otherwise; with `opts.apiKey` set the key
 * must match it). Faults queued with `inject` apply, in order, one per chat-completion request, after the auth check.
 * `requests` records every POST /v1/chat/completions that arrived (including those answered with a fault or a 401).
 *
 * Local-server modes (`opts.local`, or `setLocal` at run time) make it behave like vLLM, the llama.cpp server or
 * Ollama rather than OpenAI:
 *   usage: false            no `usage` in the answer (the client must count tokens itself)
 *   schema: 'ignored'       `response_format` is ignored and the JSON comes wrapped in prose and a ```json fence
 *   schema: 'rejected'      a `json_schema` response_format is refused with a 400 (JSON mode and plain prompts work)
 *   contextTokens: N        prompt and answer share an N-token context (tokens as `countTokens` counts them): an
 *                           answer that does not fit is cut where the context ends (`finish_reason: "length"`), and
 *                           a prompt that does not fit is refused like the llama.cpp server (400
 *                           `exceed_context_size_error` with `n_prompt_tokens` and `n_ctx`).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { emptyExtraction } from '../../core/contract/extraction.js';

export interface ChatMessage {
  role: string;
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  response_format?: unknown;
}

export type Fault =
  /** 429 rate_limit_exceeded; `Retry-After: <retryAfterSeconds>` when given. */
  | { kind: '429'; retryAfterSeconds?: number; headers?: Record<string, string> }
  /** 500 server_error. */
  | { kind: '500' }
  /** Wait `ms` before answering normally. */
  | { kind: 'slow'; ms: number }
  /** 200 chat.completion whose message content is not JSON. */
  | { kind: 'invalid-json' }
  /** Destroy the socket without answering. */
  | { kind: 'drop' }
  /** 200 chat.completion whose answer stops half way at the output limit (`finish_reason: "length"`). */
  | { kind: 'length' }
  /** 200 chat.completion with a refusal (content null). */
  | { kind: 'refusal'; message?: string }
  /** Any status with an OpenAI error body; `code`/`message`/`headers` as given. */
  | { kind: 'status'; status: number; code?: string | null; message?: string; type?: string; headers?: Record<string, string> };

export interface RecordedRequest {
  /** Arrival time, ms since the epoch. */
  at: number;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: any;
  /** Request headers (lower-case names). */
  headers: http.IncomingHttpHeaders;
}

export interface OpenAIServer {
  /** Base URL ending in `/v1`, for the SDK's `baseURL`. */
  url: string;
  /** The model `GET /v1/models` lists. */
  model: string;
  requests: RecordedRequest[];
  inject(...faults: Fault[]): void;
  /** Drop faults still queued (for isolation between tests). */
  clearFaults(): void;
  /** Greatest number of chat-completion requests that arrived within any window [t, t + windowMs). */
  maxRequestsInAnyWindow(windowMs: number): number;
  setLatency(ms: number): void;
  /** Switch local-server behaviour (replaces the previous mode; `{}` is OpenAI's). */
  setLocal(mode: LocalServerMode): void;
  close(): Promise<void>;
}

/** How a local OpenAI-compatible server differs from OpenAI (see the file's header). */
export interface LocalServerMode {
  usage?: boolean;
  schema?: 'honoured' | 'ignored' | 'rejected';
  contextTokens?: number;
}

export interface OpenAIServerOptions {
  respond?: (req: ChatRequest) => unknown;
  local?: LocalServerMode;
  /** Delay before every chat-completion answer. Default 0. */
  latencyMs?: number;
  /** When set, only `Bearer <apiKey>` is accepted; otherwise any non-empty bearer token is. */
  apiKey?: string;
  /** Model listed by GET /v1/models. Default `gpt-test`. */
  model?: string;
}

/** The server's token estimate (≈ 4 characters per token), exported so tests can predict `usage`. */
export function countTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Prompt tokens the server reports for a list of messages: content tokens plus 4 per message of framing. */
export function countPromptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce((n, m) => n + 4 + countTokens(m.content), 0);
}

/**
 * Greatest number of timestamps within any half-open window [t, t + windowMs). Requests exactly `windowMs` apart do
 * not share a window, matching "at most N per windowMs" rate limits.
 */
export function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  if (!(windowMs > 0)) throw new RangeError(`windowMs must be > 0 (got ${windowMs})`);
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

/** A schema-valid extraction with nothing in it (what the default `respond` returns). */
export function emptyExtractionBody(): Record<string, unknown> {
  const { schema_version: _version, ...body } = emptyExtraction();
  return body;
}

function errorBody(message: string, type: string, code: string | null = null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

function contentToString(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  }
  return '';
}

export async function startOpenAIServer(opts: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const respond = opts.respond ?? (() => emptyExtractionBody());
  const model = opts.model ?? 'gpt-test';
  let latencyMs = opts.latencyMs ?? 0;
  let local: LocalServerMode = { ...opts.local };
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const pendingDelays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  let closed = false;

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || closed) return resolve();
      const entry = {
        timer: setTimeout(() => {
          pendingDelays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      pendingDelays.add(entry);
    });

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    if (res.destroyed || res.writableEnded || res.socket?.destroyed !== false) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(text)),
      'x-request-id': `req_${randomUUID().replace(/-/g, '')}`,
      ...headers,
    });
    res.end(text);
  };

  const completion = (
    reqModel: string,
    messages: ChatMessage[],
    message: { content: string | null; refusal: string | null },
    finishReason: 'stop' | 'length' = 'stop',
  ) => {
    const promptTokens = countPromptTokens(messages);
    const completionTokens = countTokens(message.content ?? message.refusal ?? '');
    return {
      id: `chatcmpl-${randomUUID().replace(/-/g, '')}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: reqModel,
      choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finishReason, logprobs: null }],
      ...(local.usage === false
        ? {}
        : { usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } }),
      system_fingerprint: null,
    };
  };

  const readBody = (req: http.IncomingMessage) =>
    new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  const authorized = (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const auth = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) {
      send(
        res,
        401,
        errorBody(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          'invalid_request_error',
        ),
      );
      return false;
    }
    if (opts.apiKey !== undefined && m[1] !== opts.apiKey) {
      send(res, 401, errorBody('Incorrect API key provided.', 'invalid_request_error', 'invalid_api_key'));
      return false;
    }
    return true;
  };

  const handleChat = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const at = Date.now();
    const raw = await readBody(req);
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    requests.push({ at, body, headers: req.headers });
    if (!authorized(req, res)) return;
    if (!body || typeof body !== 'object') {
      return send(res, 400, errorBody('We could not parse the JSON body of your request.', 'invalid_request_error'));
    }
    if (typeof body.model !== 'string' || body.model === '') {
      return send(res, 400, errorBody('you must provide a model parameter', 'invalid_request_error', null, 'model'));
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return send(res, 400, errorBody("Missing required parameter: 'messages'.", 'invalid_request_error', 'missing_required_parameter', 'messages'));
    }
    if (body.stream === true) {
      return send(res, 400, errorBody('Streaming is not supported by this test server.', 'invalid_request_error', null, 'stream'));
    }
    const messages: ChatMessage[] = body.messages.map((m: any) => ({ role: String(m?.role ?? ''), content: contentToString(m?.content) }));

    const fault = faults.shift();
    await delay(latencyMs);
    switch (fault?.kind) {
      case '429':
        return send(
          res,
          429,
          errorBody(`Rate limit reached for ${body.model} on requests per min (RPM). Please try again later.`, 'requests', 'rate_limit_exceeded'),
          {
            ...(fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) }),
            ...fault.headers,
          },
        );
      case '500':
        return send(res, 500, errorBody('The server had an error while processing your request. Sorry about that!', 'server_error'));
      case 'status':
        return send(
          res,
          fault.status,
          errorBody(
            fault.message ?? `Injected error (HTTP ${fault.status}).`,
            fault.type ?? (fault.status >= 500 ? 'server_error' : 'invalid_request_error'),
            fault.code ?? null,
          ),
          fault.headers,
        );
      case 'drop':
        req.socket.destroy();
        return;
      case 'slow':
        await delay(fault.ms);
        break;
      case 'invalid-json':
        return send(res, 200, completion(body.model, messages, { content: 'Sure! Here is the extracted data: {"document": {"type":', refusal: null }));
      case 'length': {
        const full = JSON.stringify(await respond({ model: body.model, messages, response_format: body.response_format }));
        return send(res, 200, completion(body.model, messages, { content: full.slice(0, Math.floor(full.length / 2)), refusal: null }, 'length'));
      }
      case 'refusal':
        return send(res, 200, completion(body.model, messages, { content: null, refusal: fault.message ?? "I'm sorry, but I can't help with that request." }));
      case undefined:
        break;
    }
    if (closed || res.destroyed || req.socket.destroyed) return; // closing, or the client gave up while we were slow
    if (local.schema === 'rejected' && body.response_format?.type === 'json_schema') {
      return send(res, 400, errorBody("response_format type 'json_schema' is not supported by this server", 'invalid_request_error', null, 'response_format'));
    }
    const ctx = local.contextTokens;
    const promptTokens = countPromptTokens(messages);
    if (ctx !== undefined && promptTokens > ctx) {
      const tooLong = {
        error: {
          code: 400,
          message: `request (${promptTokens} tokens) exceeds the available context size (${ctx} tokens), try increasing it`,
          type: 'exceed_context_size_error',
          n_prompt_tokens: promptTokens,
          n_ctx: ctx,
        },
      };
      return send(res, 400, tooLong);
    }
    let result: unknown;
    try {
      result = await respond({ model: body.model, messages, response_format: local.schema === 'ignored' ? undefined : body.response_format });
    } catch (err) {
      return send(res, 500, errorBody(`respond() failed: ${err instanceof Error ? err.message : String(err)}`, 'server_error'));
    }
    let content = JSON.stringify(result);
    if (local.schema === 'ignored')
      content = `Here is the data extracted from the document:\n\n\`\`\`json\n${JSON.stringify(result, null, 2)}\n\`\`\`\n\nLet me know if you need anything else.`;
    if (ctx !== undefined) {
      const room = Math.max(0, ctx - promptTokens);
      if (countTokens(content) > room) {
        return send(res, 200, completion(body.model, messages, { content: content.slice(0, room * 4), refusal: null }, 'length'));
      }
    }
    send(res, 200, completion(body.model, messages, { content, refusal: null }));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname.replace(/\/+$/, '')}`;
    const done = (p: Promise<void> | void) =>
      Promise.resolve(p).catch((err: unknown) => {
        send(res, 500, errorBody(`test server error: ${err instanceof Error ? err.message : String(err)}`, 'server_error'));
      });
    if (route === 'POST /v1/chat/completions') return void done(handleChat(req, res));
    if (route === 'GET /v1/models') {
      req.resume();
      if (!authorized(req, res)) return;
      return send(res, 200, { object: 'list', data: [{ id: model, object: 'model', created: 1700000000, owned_by: 'medextract-test' }] });
    }
    req.resume();
    send(res, 404, errorBody(`Invalid URL (${req.method} ${url.pathname})`, 'invalid_request_error'));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    model,
    requests,
    inject: (...f: Fault[]) => void faults.push(...f),
    clearFaults: () => void faults.splice(0),
    maxRequestsInAnyWindow: (windowMs: number) =>
      maxInAnyWindow(
        requests.map((r) => r.at),
        windowMs,
      ),
    setLatency: (ms: number) => void (latencyMs = ms),
    setLocal: (mode: LocalServerMode) => void (local = { ...mode }),
    close: async () => {
      closed = true;
      for (const d of pendingDelays) {
        clearTimeout(d.timer);
        d.resolve();
      }
      pendingDelays.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await stopped;
    },
  };
}
