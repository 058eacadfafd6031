/**
 * The production topology on loopback (harness/stack.ts underneath): one Temporal dev server (SQLite
 * file, so it can be restarted with its state), a fresh migrated database, the OpenAI-compatible test
 * server, two API processes behind nginx (least_conn, from deploy/nginx/nginx.conf), and worker processes
 * (each its own WORKER_HTTP_PORT, OCR_WORKERS=1: one OCR core per worker, like a one-CPU pod). Every
 * child process gets PATH, HOME and the variables below only, as a container would.
 */
import path from 'node:path';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { httpOk, until, type Child } from '../../harness/process.js';
import { LocalStack, type AppProcess } from '../../harness/stack.js';
import { freePort } from '../../app/embedded/ports.js';
import { startOpenAIServer, type OpenAIServer } from '../../test/support/openai-server.js';
import { offlineResponder } from '../../test/support/llm-responder.js';
import { writeLoopbackNginxConfig } from './nginx.js';

const NGINX = process.env.NGINX_BIN ?? '/usr/sbin/nginx';
export const GRACE_SECONDS = 60;
export const ADMIN = { username: 'admin', password: 'Prove-scale-meadow-lantern-41' };
const JWT_SECRET = 'prove-scale-jwt-secret-0123456789abcdefghijklmnop';
const READY_TIMEOUT_MS = 120_000;

export interface Topology {
  stack: LocalStack;
  llm: OpenAIServer;
  apis: AppProcess[];
  nginx: { child: Child; url: string };
  /** The workers running now (a step that stops one takes it out). */
  workers: AppProcess[];
  client: Client;
  pool: pg.Pool;
}

function baseEnv(t: Pick<Topology, 'stack' | 'llm'>, llmRpm: number): Record<string, string> {
  return {
    LOG_LEVEL: 'info',
    TEMPORAL_ADDRESS: t.stack.temporal.address,
    DATABASE_URL: t.stack.database.url,
    WORKFLOW_BUNDLE: t.stack.bundlePath,
    DATA_DIR: path.join(t.stack.tmp, 'data'),
    EXTRACTION_PROVIDER: 'openai',
    OPENAI_API_KEY: 'sk-prove-scale',
    OPENAI_BASE_URL: t.llm.url,
    LLM_RPM: String(llmRpm),
  };
}

let workerSerial = 0;

export function startWorker(t: Topology, llmRpm: number): Promise<AppProcess> {
  return t.stack.startWorker({
    name: `worker-${++workerSerial}`,
    isolatedEnv: true,
    readyTimeoutMs: READY_TIMEOUT_MS,
    readyPollMs: 250,
    env: {
      ...baseEnv(t, llmRpm),
      OCR_WORKERS: '1', // 3 workers on 2 cores: one OCR thread each
      SHUTDOWN_GRACE_SECONDS: String(GRACE_SECONDS),
    },
  });
}

/** Stops the running workers and starts `count` fresh ones. */
export async function replaceWorkers(t: Topology, count: number, llmRpm: number): Promise<void> {
  await Promise.all(t.workers.map((w) => w.stop('SIGTERM', 15_000)));
  t.workers = [];
  for (let i = 0; i < count; i++) t.workers.push(await startWorker(t, llmRpm));
}

function startApi(t: Pick<Topology, 'stack' | 'llm'>, name: string, llmRpm: number): Promise<AppProcess> {
  return t.stack.startApi({
    name,
    isolatedEnv: true,
    readyTimeoutMs: READY_TIMEOUT_MS,
    readyPollMs: 250,
    env: { ...baseEnv(t, llmRpm), TRUST_PROXY: 'true', JWT_SECRET, ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password },
  });
}

async function startNginx(stack: LocalStack, apis: AppProcess[]): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const args = writeLoopbackNginxConfig({
    dir: path.join(stack.tmp, 'nginx'),
    port,
    upstreams: apis.map((a) => new URL(a.url).host),
    asRoot: process.getuid?.() === 0,
  });
  const child = stack.spawn('nginx', NGINX, args, { isolatedEnv: true });
  const url = `http://127.0.0.1:${port}`;
  // Through the proxy to a replica: the whole path answers.
  await until('nginx to answer', httpOk(`${url}/healthz`), 30_000, { watch: [child], everyMs: 250 });
  return { child, url };
}

/** Brings the topology up without workers; `stack` is handed over first, so a failed start can still be cleaned up. */
export async function startTopology(onStack: (stack: LocalStack) => void, apiLlmRpm: number): Promise<Topology> {
  const stack = new LocalStack({ name: 'scale', migrate: true });
  onStack(stack);
  console.log(`prove:scale: working directory ${stack.tmp}`);
  await stack.start();
  const pool = new pg.Pool({ connectionString: stack.database.url, max: 4 });
  stack.onStop(() => pool.end());
  const llm = await startOpenAIServer({ respond: offlineResponder });
  stack.onStop(() => llm.close());
  const apis = await Promise.all([startApi({ stack, llm }, 'api-1', apiLlmRpm), startApi({ stack, llm }, 'api-2', apiLlmRpm)]);
  const nginx = await startNginx(stack, apis);
  const client = new Client({ connection: await Connection.connect({ address: stack.temporal.address }) });
  stack.onStop(() => client.connection.close());
  return { stack, llm, apis, nginx, client, pool, workers: [] };
}

/** Every process stopped (nginx gracefully), the database dropped; the files kept when asked. */
export function stopTopology(stack: LocalStack, keepFiles: boolean): Promise<void> {
  return stack.stop({ keepFiles, killAfterMs: 10_000, signalFor: (c) => (c.name === 'nginx' ? 'SIGQUIT' : 'SIGTERM') });
}
