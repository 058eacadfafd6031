/**
 * Static checks of the deployment files (docker-compose.yml, .env.example, deploy/nginx, deploy/k8s,
 * the Dockerfile, monitoring). Each checker returns a list of problems, empty when all is well, so
 * test/deploy.test.ts can run it on the real files and on broken copies (proving every check can fail).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../core/config.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

// Parsed YAML/JSON is walked field by field; `any` keeps these walks short.
type Y = any;

export const readText = (rel: string): string => fs.readFileSync(path.join(ROOT, rel), 'utf8');
export const readYaml = (rel: string): Y => parse(readText(rel), { merge: true });
export const readYamlDocs = (rel: string): Y[] => parseAllDocuments(readText(rel)).map((d) => d.toJS());

/**
 * The environment variables core/config.ts reads: loadConfig() is run on an environment that records
 * every name asked for (the zod schema's keys and the cross-checks alike).
 */
export function configNames(): Set<string> {
  const read = new Set<string>();
  const record = (key: string | symbol) => {
    if (typeof key === 'string') read.add(key);
  };
  const env = new Proxy({} as NodeJS.ProcessEnv, {
    get(_target, key) {
      record(key);
      return undefined;
    },
    has(_target, key) {
      record(key);
      return false;
    },
  });
  loadConfig(env);
  return read;
}

/** The app's defaults (an empty environment). */
export const configDefaults = () => loadConfig({});

/** `.env.example`: every variable it mentions, active (`NAME=value`) or documented (`# NAME=value`). */
export function parseEnvExample(text: string): Map<string, { value: string; active: boolean }> {
  const vars = new Map<string, { value: string; active: boolean }>();
  for (const line of text.split('\n')) {
    const m = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars.set(m[2]!, { value: m[3]!, active: !m[1] });
  }
  return vars;
}

/** `${NAME}`, `${NAME:-x}`, `${NAME:?x}` ... as used for interpolation in a compose file. */
export function interpolatedNames(raw: string): Set<string> {
  return new Set([...raw.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:]?[-?+][^}]*)?\}/g)].map((m) => m[1]!));
}

/** Go-style durations as compose writes them: 150s, 2m30s, 1h. */
export function durationSeconds(v: unknown): number {
  if (typeof v === 'number') return v;
  const s = String(v);
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us)/g)];
  if (!parts.length || parts.map((p) => p[0]).join('') !== s) return NaN;
  const unit: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001, us: 0.000001 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]!]!, 0);
}

/** The value a variable has in a compose deployment: set in .env.example, else the app's default. */
function effective(envExample: Map<string, { value: string; active: boolean }>, name: string, fallback: number): number {
  const v = envExample.get(name);
  return v?.active && v.value !== '' ? Number(v.value) : fallback;
}

// ------------------------------------------------------------------------------------------------
// docker compose
// ------------------------------------------------------------------------------------------------

export interface ComposeContext {
  configNames: Set<string>;
  envExample: Map<string, { value: string; active: boolean }>;
  /** Root the compose file's relative paths are resolved against. */
  root: string;
}

/** Where nginx reads the certificate (tls.crt, with its chain) and key (tls.key), and the documented host folder. */
export const NGINX_TLS_DIR = '/etc/nginx/tls';
export const TLS_SOURCE = './deploy/tls';

const REQUIRED_SERVICES = ['postgres', 'temporal-admin-tools', 'temporal', 'temporal-create-namespace', 'temporal-ui', 'api', 'worker', 'nginx'];
const NEEDS_HEALTHCHECK = ['postgres', 'temporal', 'api', 'worker', 'nginx'];
const ONE_SHOT = new Set(['temporal-admin-tools', 'temporal-create-namespace']);
/** service -> what it must wait for, and how. */
const REQUIRED_DEPENDENCIES: Record<string, Record<string, string>> = {
  'temporal-admin-tools': { postgres: 'service_healthy' },
  temporal: { 'temporal-admin-tools': 'service_completed_successfully' },
  'temporal-create-namespace': { temporal: 'service_healthy' },
  'temporal-ui': { temporal: 'service_healthy' },
  api: { postgres: 'service_healthy', 'temporal-create-namespace': 'service_completed_successfully' },
  worker: { postgres: 'service_healthy', 'temporal-create-namespace': 'service_completed_successfully' },
  nginx: { api: 'service_healthy' },
};
/** Start-up order that must follow from the conditions. */
const REQUIRED_ORDER = ['postgres', 'temporal-admin-tools', 'temporal', 'temporal-create-namespace', 'api', 'nginx'];

function dependsOn(service: Y): Record<string, string> {
  const d = service?.depends_on;
  if (!d) return {};
  if (Array.isArray(d)) return Object.fromEntries(d.map((n: string) => [n, 'service_started']));
  return Object.fromEntries(Object.entries(d).map(([n, v]) => [n, (v as Y)?.condition ?? 'service_started']));
}

function healthcheckCommand(service: Y): string[] | undefined {
  const t = service?.healthcheck?.test;
  if (service?.healthcheck?.disable) return undefined;
  if (Array.isArray(t) && (t[0] === 'CMD' || t[0] === 'CMD-SHELL') && t.length > 1) return t.slice(1).map(String);
  if (typeof t === 'string' && t.trim()) return [t];
  return undefined;
}

/** Start order implied by depends_on (Kahn's algorithm); undefined when there is a cycle. */
export function startOrder(services: Record<string, Y>): string[] | undefined {
  const names = Object.keys(services);
  const pending = new Map(names.map((n) => [n, new Set(Object.keys(dependsOn(services[n])))]));
  const order: string[] = [];
  while (pending.size) {
    const ready = [...pending]
      .filter(([, deps]) => [...deps].every((d) => !pending.has(d)))
      .map(([n]) => n)
      .sort();
    if (!ready.length) return undefined;
    for (const n of ready) {
      order.push(n);
      pending.delete(n);
    }
  }
  return order;
}

export function composeProblems(compose: Y, raw: string, ctx: ComposeContext): string[] {
  const problems: string[] = [];
  const services: Record<string, Y> = compose?.services ?? {};
  const defaults = configDefaults();

  for (const name of REQUIRED_SERVICES) {
    if (!services[name]) problems.push(`service ${name} is missing`);
    else if (services[name].profiles) problems.push(`service ${name} must start by default (it has profiles)`);
  }
  for (const name of ['prometheus', 'grafana']) {
    if (services[name] && !(services[name].profiles ?? []).includes('monitoring')) problems.push(`service ${name} belongs to the monitoring profile`);
  }
  for (const [name, s] of Object.entries(services)) {
    const image = String(s.image ?? '');
    if (!image) problems.push(`service ${name} has no image`);
    else if (!s.build && (!/:[\w.-]+$/.test(image) || image.endsWith(':latest'))) problems.push(`service ${name}: image ${image} is not pinned to a version`);
  }

  // Healthchecks
  for (const name of NEEDS_HEALTHCHECK) {
    if (services[name] && !healthcheckCommand(services[name])) problems.push(`service ${name} has no healthcheck`);
  }
  const apiPort = String(services.api?.environment?.PORT ?? defaults.port);
  const workerPort = String(services.worker?.environment?.WORKER_HTTP_PORT ?? defaults.workerHttp.port);
  const apiCheck = (healthcheckCommand(services.api) ?? []).join(' ');
  if (services.api && !apiCheck.includes(`:${apiPort}/readyz`)) problems.push(`api healthcheck must probe /readyz on its PORT ${apiPort} (is: ${apiCheck})`);
  const workerCheck = (healthcheckCommand(services.worker) ?? []).join(' ');
  if (services.worker && !new RegExp(`:${workerPort}/(readyz|healthz)`).test(workerCheck)) {
    problems.push(`worker healthcheck must probe its WORKER_HTTP_PORT ${workerPort} (is: ${workerCheck})`);
  }

  // depends_on: targets exist, conditions are satisfiable, and give the required order.
  for (const [name, s] of Object.entries(services)) {
    for (const [target, condition] of Object.entries(dependsOn(s))) {
      if (!services[target]) {
        problems.push(`${name} depends on a service that does not exist: ${target}`);
        continue;
      }
      if (condition === 'service_healthy' && !healthcheckCommand(services[target]))
        problems.push(`${name} waits for ${target} to be healthy, but ${target} has no healthcheck`);
      if (condition === 'service_completed_successfully' && ['always', 'unless-stopped'].includes(services[target].restart)) {
        problems.push(`${name} waits for ${target} to complete, but ${target} restarts forever`);
      }
    }
  }
  for (const [name, wants] of Object.entries(REQUIRED_DEPENDENCIES)) {
    const has = dependsOn(services[name]);
    for (const [target, condition] of Object.entries(wants)) {
      if (has[target] !== condition) problems.push(`${name} must depend on ${target} with condition ${condition} (has: ${has[target] ?? 'none'})`);
    }
  }
  for (const name of ONE_SHOT) {
    if (services[name] && ['always', 'unless-stopped'].includes(services[name].restart))
      problems.push(`${name} is a one-shot job and must not restart forever`);
  }
  const order = startOrder(services);
  if (!order) problems.push('depends_on has a cycle');
  else {
    const at = REQUIRED_ORDER.map((n) => order.indexOf(n));
    if (at.some((i, k) => i < 0 || (k > 0 && i <= at[k - 1]!))) problems.push(`start order must be ${REQUIRED_ORDER.join(' -> ')} (is: ${order.join(', ')})`);
  }

  // Environment of the app: only names the config reads; everything interpolated is documented.
  for (const name of ['api', 'worker']) {
    const env = services[name]?.environment;
    if (Array.isArray(env)) problems.push(`${name}: use the mapping form of environment (names checked against core/config.ts)`);
    for (const key of Object.keys(env ?? {})) {
      if (!ctx.configNames.has(key)) problems.push(`${name}: environment variable ${key} is not read by core/config.ts`);
    }
    if (services[name]?.env_file) problems.push(`${name}: env_file would pass every variable of the file; list the app's variables in environment`);
    if (services[name]?.environment?.NODE_ENV !== 'production') problems.push(`${name}: NODE_ENV must be production`);
  }
  if (String(services.api?.environment?.TRUST_PROXY) !== 'true') problems.push('api is behind nginx: TRUST_PROXY must be "true"');
  for (const name of interpolatedNames(raw)) {
    if (!ctx.envExample.has(name)) problems.push(`\${${name}} is used in docker-compose.yml but not documented in .env.example`);
  }

  // Scale and shutdown
  if (services.api?.deploy?.replicas !== 2) problems.push(`api must run 2 replicas (has ${services.api?.deploy?.replicas})`);
  if (services.worker?.deploy?.replicas !== 3) problems.push(`worker must run 3 replicas (has ${services.worker?.deploy?.replicas})`);
  const grace = effective(ctx.envExample, 'SHUTDOWN_GRACE_SECONDS', defaults.shutdownGraceSeconds);
  const stop = durationSeconds(services.worker?.stop_grace_period ?? '10s');
  if (!(stop >= grace))
    problems.push(`worker stop_grace_period (${services.worker?.stop_grace_period ?? 'default 10s'}) is shorter than SHUTDOWN_GRACE_SECONDS (${grace}s)`);
  for (const name of ['api', 'worker']) {
    if (services[name]?.ports) problems.push(`${name} must not publish ports (replicas would clash; nginx is the entry point)`);
    if (services[name]?.container_name) problems.push(`${name} must not set container_name (it would prevent replicas)`);
  }
  // TLS ends at nginx: HTTPS published, port 80 for the redirect, the certificate folder mounted read-only.
  const nginxPorts = (services.nginx?.ports ?? []).map(String);
  if (!nginxPorts.some((p: string) => p.endsWith(':443'))) problems.push('nginx must publish HTTPS (container port 443)');
  if (!nginxPorts.some((p: string) => p.endsWith(':80'))) problems.push('nginx must publish port 80 (the redirect to HTTPS)');
  if (nginxPorts.some((p: string) => /:8000$/.test(p))) problems.push('nginx must not publish plain HTTP to the app (port 8000)');
  const tlsMount = (services.nginx?.volumes ?? []).map(String).find((v: string) => v.split(':')[1] === NGINX_TLS_DIR);
  if (!tlsMount) problems.push(`nginx must mount the certificate folder at ${NGINX_TLS_DIR}`);
  else {
    if (tlsMount.split(':')[0] !== TLS_SOURCE) problems.push(`the certificate folder must be the documented ${TLS_SOURCE} (is ${tlsMount.split(':')[0]})`);
    if (tlsMount.split(':')[2] !== 'ro') problems.push('the certificate folder must be mounted read-only (:ro)');
  }
  // The document encryption keys: required for both roles, from .env (compose refuses to start without them).
  for (const name of ['api', 'worker']) {
    const v = services[name]?.environment?.DOCUMENT_KEYS;
    if (!/^\$\{DOCUMENT_KEYS:\?[^}]+\}$/.test(String(v ?? '')))
      problems.push(`${name}: DOCUMENT_KEYS must be required from .env (\${DOCUMENT_KEYS:?...}), is ${v ?? 'unset'}`);
    if (services[name]?.environment?.TLS_KEY_PATH !== undefined) problems.push(`${name}: TLS ends at nginx; the app gets no TLS key`);
  }
  if (services.api && services.worker && services.api.image !== services.worker.image) problems.push('api and worker must run the same image');

  // Temporal: dynamic config mounted where DYNAMIC_CONFIG_FILE_PATH points, and the file exists.
  const temporal = services.temporal ?? {};
  const dynPath = String(temporal.environment?.DYNAMIC_CONFIG_FILE_PATH ?? '');
  const inContainer = path.posix.resolve('/etc/temporal', dynPath);
  const mount = (temporal.volumes ?? [])
    .map((v: unknown) => String(v).split(':'))
    .find(([, target]: string[]) => target && inContainer.startsWith(`${target}/`));
  if (!dynPath) problems.push('temporal: DYNAMIC_CONFIG_FILE_PATH is not set');
  else if (!mount) problems.push(`temporal: nothing is mounted at ${path.posix.dirname(inContainer)}`);
  else {
    const host = path.join(ctx.root, mount[0]!, path.posix.relative(mount[1]!, inContainer));
    if (!fs.existsSync(host)) problems.push(`temporal: the dynamic config ${path.relative(ctx.root, host)} does not exist`);
  }
  if (temporal.environment?.DB !== 'postgres12') problems.push('temporal: DB must be postgres12');

  // Every bind-mounted file or folder exists.
  for (const [name, s] of Object.entries(services)) {
    for (const v of s.volumes ?? []) {
      const source = String(typeof v === 'string' ? v.split(':')[0] : v.source);
      if (source.startsWith('.') && !fs.existsSync(path.join(ctx.root, source))) problems.push(`${name}: bind mount source ${source} does not exist`);
    }
  }
  return problems;
}

/** What .env.example must and must not hold. */
export function envExampleProblems(envExample: Map<string, { value: string; active: boolean }>, names: Set<string>, composeRaw: string): string[] {
  const problems: string[] = [];
  const composeVars = interpolatedNames(composeRaw);
  for (const name of names) if (!envExample.has(name)) problems.push(`.env.example does not mention ${name}, which core/config.ts reads`);
  for (const [name, { value, active }] of envExample) {
    if (!names.has(name) && !composeVars.has(name)) problems.push(`.env.example mentions ${name}, which neither core/config.ts nor docker-compose.yml uses`);
    // Secrets ship empty: compose refuses to start until each is filled in (its ${NAME:?...}).
    if (/SECRET|PASSWORD|API_KEY$|TOKEN|^DOCUMENT_KEYS$/.test(name) && value !== '') problems.push(`.env.example must not carry a value for ${name}`);
    if (/SECRET|PASSWORD/.test(name) && active && !new RegExp(`\\$\\{${name}:\\?`).test(composeRaw)) {
      problems.push(`${name} must be required in docker-compose.yml (\${${name}:?...})`);
    }
  }
  return problems;
}

// ------------------------------------------------------------------------------------------------
// nginx
// ------------------------------------------------------------------------------------------------

export interface NginxContext {
  maxUploadMb: number;
  requestFactor: number;
  apiPort: number;
}

/** nginx sizes: 201m, 1g, 4096k, bytes. */
export function nginxSizeBytes(v: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2]!.toLowerCase()]!;
}

export function nginxProblems(conf: string, ctx: NginxContext): string[] {
  const problems: string[] = [];
  const code = conf.replace(/#.*$/gm, '');
  const directive = (name: string) => [...code.matchAll(new RegExp(`(?:^|[;{}\\s])${name}\\s+([^;]*);`, 'g'))].map((m) => m[1]!.trim());
  const upstream = /upstream\s+(\S+)\s*\{([^}]*)\}/.exec(code);
  if (!upstream) return ['no upstream block'];
  const [, upstreamName, body] = upstream;
  if (!/(^|\s)least_conn\s*;/.test(body!)) problems.push('the upstream must balance with least_conn');
  const servers = [...body!.matchAll(/server\s+([^;]+);/g)].map((m) => m[1]!.trim().split(/\s+/));
  if (!servers.length) problems.push('the upstream has no server');
  for (const [address, ...params] of servers) {
    if (address !== `api:${ctx.apiPort}`) problems.push(`upstream server ${address} is not the api service on its PORT (api:${ctx.apiPort})`);
    if (!params.some((p) => /^max_fails=\d+$/.test(p)) || !params.some((p) => /^fail_timeout=\d+s$/.test(p)))
      problems.push('upstream server needs passive health checks (max_fails, fail_timeout)');
    if (params.includes('resolve') && !/(^|\s)zone\s+\S+\s+\d+[km]?\s*;/.test(body!)) problems.push('`resolve` needs a shared memory zone in the upstream');
    if (params.includes('resolve') && !directive('resolver').length) problems.push('`resolve` needs a resolver');
  }
  if (!directive('proxy_pass').some((p) => p === `http://${upstreamName}`)) problems.push(`nothing is proxied to the upstream ${upstreamName}`);

  // Body size: one upload request may carry requestFactor x MAX_UPLOAD_MB, plus up to 1 MB of
  // multipart framing, which the API allows for (api/routes/jobs.ts). Exactly that, so neither refuses
  // what the other accepts.
  const sizes = directive('client_max_body_size');
  const want = (ctx.requestFactor * ctx.maxUploadMb + 1) * 1024 * 1024;
  if (sizes.length !== 1) problems.push(`client_max_body_size must be set once (found ${sizes.length})`);
  else if (nginxSizeBytes(sizes[0]!) !== want)
    problems.push(`client_max_body_size ${sizes[0]} must be ${ctx.requestFactor} x MAX_UPLOAD_MB (${ctx.maxUploadMb}) + 1 = ${want / 1024 / 1024}m`);

  const read = directive('proxy_read_timeout').map((v) => durationSeconds(v));
  if (!read.length || read.some((s) => !(s >= 120))) problems.push('proxy_read_timeout must be long (>= 120s): uploads and downloads of large documents');
  if (!directive('proxy_set_header').some((h) => /^X-Forwarded-For\s+\$proxy_add_x_forwarded_for$/.test(h)))
    problems.push('X-Forwarded-For must be passed on (the API runs with TRUST_PROXY)');

  // TLS: one server on 443 with ssl that proxies, one on 80 that only redirects to HTTPS, HSTS.
  const servers_ = serverBlocks(code);
  const listens = (b: string) => [...b.matchAll(/(?:^|[;{}\s])listen\s+([^;]*);/g)].map((m) => m[1]!.trim());
  const tls = servers_.filter((b) => listens(b).some((l) => /(^|:)443\b/.test(l)));
  if (tls.length !== 1) problems.push(`one server must listen on 443 (found ${tls.length})`);
  for (const b of tls) {
    if (!listens(b).some((l) => /(^|:)443\s+(.*\s)?ssl\b/.test(l))) problems.push('the server on 443 must listen with ssl');
    const inBlock = (name: string) => [...b.matchAll(new RegExp(`(?:^|[;{}\\s])${name}\\s+([^;]*);`, 'g'))].map((m) => m[1]!.trim());
    if (inBlock('ssl_certificate')[0] !== `${NGINX_TLS_DIR}/tls.crt`) problems.push(`ssl_certificate must be the documented ${NGINX_TLS_DIR}/tls.crt`);
    if (inBlock('ssl_certificate_key')[0] !== `${NGINX_TLS_DIR}/tls.key`) problems.push(`ssl_certificate_key must be the documented ${NGINX_TLS_DIR}/tls.key`);
    if (inBlock('ssl_protocols').some((p) => /SSLv|TLSv1(\.1)?(\s|$)/.test(p))) problems.push('ssl_protocols must not allow SSL, TLS 1.0 or 1.1');
    if (!inBlock('proxy_pass').some((p) => p === `http://${upstreamName}`)) problems.push('the HTTPS server must proxy to the API');
    // Its value holds a `;` inside quotes, which the plain directive reader would cut at.
    const hsts = /(?:^|[;{}\s])add_header\s+Strict-Transport-Security\s+"([^"]*)"(\s+always)?\s*;/i.exec(b);
    const maxAge = Number(/max-age=(\d+)/.exec(hsts?.[1] ?? '')?.[1]);
    if (!hsts) problems.push('the HTTPS server must send Strict-Transport-Security');
    else if (!(maxAge >= 15_552_000) || !hsts[2]) problems.push(`HSTS needs max-age >= 180 days and "always" (is: ${hsts[0].trim()})`);
    const bodyIdle = inBlock('client_body_timeout').map((v) => durationSeconds(v));
    if (bodyIdle.length !== 1 || !(bodyIdle[0]! <= 60)) problems.push('client_body_timeout must cut a stalled body within 60s');
  }
  const plain = servers_.filter((b) => listens(b).some((l) => /(^|:)80$/.test(l)));
  if (plain.length !== 1) problems.push(`one server must listen on 80 for the redirect (found ${plain.length})`);
  for (const b of plain) {
    if (!/return\s+30[18]\s+https:\/\/\$host\$request_uri\s*;/.test(b)) problems.push('port 80 must redirect to https://$host$request_uri');
    if (/proxy_pass/.test(b)) problems.push('port 80 must not proxy to the API (plain HTTP)');
  }
  for (const b of servers_) {
    if (listens(b).some((l) => !/(^|:)(80|443)(\s|$)/.test(l))) problems.push(`nginx listens on an unexpected port: ${listens(b).join(', ')}`);
  }
  return problems;
}

/** The bodies of the `server { ... }` blocks (braces matched; comments already removed). */
export function serverBlocks(code: string): string[] {
  const blocks: string[] = [];
  for (const m of code.matchAll(/(?:^|[;{}\s])server\s*\{/g)) {
    let depth = 1;
    let i = m.index! + m[0].length;
    const start = i;
    for (; i < code.length && depth > 0; i++) {
      if (code[i] === '{') depth++;
      else if (code[i] === '}') depth--;
    }
    blocks.push(code.slice(start, i - 1));
  }
  return blocks;
}

// ------------------------------------------------------------------------------------------------
// Dockerfile (own checks; hadolint runs beside them)
// ------------------------------------------------------------------------------------------------

interface Stage {
  from: string;
  name?: string;
  lines: Array<{ instr: string; args: string }>;
}

export function dockerfileStages(text: string): Stage[] {
  const joined = text.replace(/\\\n/g, ' ');
  const stages: Stage[] = [];
  for (const line of joined.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [, instr = '', args = ''] = /^(\S+)\s*(.*)$/.exec(t) ?? [];
    if (instr.toUpperCase() === 'FROM') {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
      stages.push({ from: m?.[1] ?? '', name: m?.[2], lines: [] });
    } else stages.at(-1)?.lines.push({ instr: instr.toUpperCase(), args });
  }
  return stages;
}

export function dockerfileProblems(text: string, dockerignore: string, root: string): string[] {
  const problems: string[] = [];
  const stages = dockerfileStages(text);
  if (stages.length < 2) problems.push('the build must be multi-stage (build tools stay out of the runtime image)');
  for (const s of stages) {
    if (stages.some((o) => o.name === s.from)) continue; // FROM an earlier stage
    if (/alpine/i.test(s.from)) problems.push(`${s.from}: no Alpine (the Temporal core needs glibc)`);
    if (!/^node:\d+-bookworm-slim$/.test(s.from)) problems.push(`${s.from}: base images must be node:<major>-bookworm-slim`);
  }
  const final = stages.at(-1);
  if (!final) return [...problems, 'no FROM'];
  const all = (instr: string) => final.lines.filter((l) => l.instr === instr).map((l) => l.args);
  const user = all('USER').at(-1);
  if (!user) problems.push('the final stage must switch to a non-root USER');
  else if (/^(root|0)(:|$)/.test(user)) problems.push(`the final stage runs as root (USER ${user})`);
  else if (!/^\d+(:\d+)?$/.test(user)) problems.push(`USER ${user}: use a numeric uid so Kubernetes' runAsNonRoot can verify it`);
  if (!all('HEALTHCHECK').length) problems.push('the final stage needs a HEALTHCHECK');
  if (!all('ENTRYPOINT').some((e) => /tini|dumb-init/.test(e))) problems.push('PID 1 must be an init (tini) that forwards signals');
  if (!all('EXPOSE').join(' ').split(/\s+/).includes('8000')) problems.push('EXPOSE 8000 (the API)');
  const env = all('ENV').join(' ');
  if (!/NODE_ENV=production/.test(env)) problems.push('the image must set NODE_ENV=production');
  for (const s of stages) {
    for (const l of s.lines.filter((x) => x.instr === 'ENV' || x.instr === 'ARG')) {
      for (const [, key] of l.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)) {
        if (/SECRET|PASSWORD|TOKEN|API_KEY|DATABASE_URL/i.test(key!)) problems.push(`${l.instr} ${key}: no secrets in the image`);
      }
    }
  }
  // The workflow bundle is built at image build time and the runtime points the app at it.
  const bundleEnv = /WORKFLOW_BUNDLE=(\S+)/.exec(env)?.[1];
  const built = stages.some((s) => s.lines.some((l) => l.instr === 'RUN' && /scripts\/bundle-workflows\.ts/.test(l.args)));
  if (!built) problems.push('the workflow bundle must be built at image build time (scripts/bundle-workflows.ts)');
  if (!bundleEnv) problems.push('the runtime must set WORKFLOW_BUNDLE');
  else if (!all('COPY').some((c) => c.trim().endsWith(bundleEnv.replace(/^\/app\//, './')) || c.trim().endsWith(bundleEnv))) {
    problems.push(`WORKFLOW_BUNDLE=${bundleEnv} is not copied into the runtime stage`);
  }
  if (!stages.some((s) => s.lines.some((l) => l.instr === 'RUN' && /web\/build\.mjs/.test(l.args)))) problems.push('the web UI must be built (web/build.mjs)');
  if (!stages.some((s) => s.lines.some((l) => l.instr === 'RUN' && /npm ci\b/.test(l.args))))
    problems.push('dependencies must be installed with npm ci (the lockfile)');
  // Every file the build copies from the context exists and passes .dockerignore's allow-list.
  const allowed = dockerignore
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('!'))
    .map((l) => l.slice(1).replace(/\/$/, ''));
  for (const s of stages) {
    for (const c of s.lines.filter((l) => l.instr === 'COPY' && !/--from=/.test(l.args))) {
      const sources = c.args.replace(/--\S+/g, '').trim().split(/\s+/).slice(0, -1);
      for (const src of sources) {
        if (src === '.') continue;
        if (!fs.existsSync(path.join(root, src))) problems.push(`COPY ${src}: no such file in the repository`);
        if (!allowed.some((a) => src === a || src.startsWith(`${a}/`))) problems.push(`COPY ${src}: excluded by .dockerignore`);
      }
    }
  }
  return problems;
}

// ------------------------------------------------------------------------------------------------
// Kubernetes
// ------------------------------------------------------------------------------------------------

export const ALLOWED_KINDS: Record<string, string[]> = {
  v1: ['ConfigMap', 'Secret', 'Service', 'Namespace'],
  'apps/v1': ['Deployment'],
  'policy/v1': ['PodDisruptionBudget'],
  'autoscaling/v2': ['HorizontalPodAutoscaler'],
};

export interface K8sContext {
  configNames: Set<string>;
  /** The example Secret (secret.example.yaml): the keys a real one must hold. */
  secret: Y;
}

const labelsMatch = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

export function k8sProblems(docs: Y[], ctx: K8sContext): string[] {
  const problems: string[] = [];
  const byKind = (kind: string) => docs.filter((d) => d?.kind === kind);
  const deployments = byKind('Deployment');
  const configMaps = byKind('ConfigMap');
  const defaults = configDefaults();
  const secretName = ctx.secret?.metadata?.name;
  const secretKeys = new Set(Object.keys({ ...ctx.secret?.data, ...ctx.secret?.stringData }));

  for (const d of docs) {
    const id = `${d?.kind ?? '?'}/${d?.metadata?.name ?? '?'}`;
    if (!ALLOWED_KINDS[d?.apiVersion]?.includes(d?.kind))
      problems.push(`${id}: apiVersion ${d?.apiVersion} / kind ${d?.kind} is not one of the expected pairs`);
    if (!d?.metadata?.name) problems.push(`${id}: metadata.name is missing`);
  }
  for (const cm of configMaps) {
    for (const key of Object.keys(cm.data ?? {}))
      if (!ctx.configNames.has(key)) problems.push(`ConfigMap/${cm.metadata.name}: ${key} is not read by core/config.ts`);
  }

  for (const dep of deployments) {
    const id = `Deployment/${dep.metadata?.name}`;
    const pod = dep.spec?.template;
    const selector = dep.spec?.selector?.matchLabels;
    if (!labelsMatch(selector, pod?.metadata?.labels)) problems.push(`${id}: spec.selector does not match the pod template's labels`);
    const spec = pod?.spec ?? {};
    if (spec.securityContext?.runAsNonRoot !== true) problems.push(`${id}: pod securityContext.runAsNonRoot must be true`);
    if (spec.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${id}: pod seccompProfile must be RuntimeDefault`);
    const volumes = new Set((spec.volumes ?? []).map((v: Y) => v.name));
    const containers: Y[] = spec.containers ?? [];
    if (!containers.length) problems.push(`${id}: no containers`);
    for (const c of containers) {
      const cid = `${id} container ${c.name}`;
      if (!c.image) problems.push(`${cid}: no image`);
      if (c.command) problems.push(`${cid}: use args, not command (command replaces the image's init entrypoint)`);
      const ports: Y[] = c.ports ?? [];
      const portOk = (p: unknown) => ports.some((cp) => cp.containerPort === p || cp.name === p);
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        const get = c[probe]?.httpGet;
        if (!c[probe]) {
          if (probe !== 'startupProbe') problems.push(`${cid}: ${probe} is missing`);
          continue;
        }
        if (!get) problems.push(`${cid}: ${probe} must be an HTTP check`);
        else if (!portOk(get.port)) problems.push(`${cid}: ${probe} port ${get.port} is not a container port`);
      }
      if (c.readinessProbe?.httpGet?.path !== '/readyz') problems.push(`${cid}: readinessProbe must GET /readyz`);
      if (c.livenessProbe?.httpGet?.path !== '/healthz') problems.push(`${cid}: livenessProbe must GET /healthz`);
      for (const kind of ['requests', 'limits']) {
        for (const r of ['cpu', 'memory']) if (!c.resources?.[kind]?.[r]) problems.push(`${cid}: resources.${kind}.${r} is missing`);
      }
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${cid}: allowPrivilegeEscalation must be false`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${cid}: readOnlyRootFilesystem must be true`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push(`${cid}: capabilities must drop ALL`);
      const mounts: Y[] = c.volumeMounts ?? [];
      for (const m of mounts) if (!volumes.has(m.name)) problems.push(`${cid}: volumeMount ${m.name} has no volume`);
      if (!mounts.some((m) => m.mountPath === '/tmp')) problems.push(`${cid}: with a read-only root, /tmp needs a writable volume`);
      // Environment: only names the config reads; secrets from the Secret, with keys it holds.
      const env: Y[] = c.env ?? [];
      for (const e of env) {
        if (!ctx.configNames.has(e.name)) problems.push(`${cid}: env ${e.name} is not read by core/config.ts`);
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && ref.name !== secretName) problems.push(`${cid}: env ${e.name} refers to Secret ${ref.name}, not ${secretName}`);
        if (ref && !secretKeys.has(ref.key)) problems.push(`${cid}: env ${e.name} refers to key ${ref.key}, which the example Secret does not hold`);
        if (/SECRET|PASSWORD|API_KEY|DATABASE_URL|DOCUMENT_KEYS/.test(e.name) && e.value !== undefined)
          problems.push(`${cid}: ${e.name} must come from the Secret, not a literal value`);
      }
      for (const from of c.envFrom ?? []) {
        const name = from.configMapRef?.name ?? from.secretRef?.name;
        if (from.configMapRef && !configMaps.some((cm) => cm.metadata?.name === name)) problems.push(`${cid}: envFrom ConfigMap ${name} does not exist`);
        if (from.secretRef) problems.push(`${cid}: envFrom a whole Secret hides which keys are used; use secretKeyRef`);
      }
      // Both roles read and write documents: the encryption keys come from the Secret.
      if (
        /(api|worker)-main/.test((c.args ?? []).join(' ')) &&
        !env.some((e) => e.name === 'DOCUMENT_KEYS' && e.valueFrom?.secretKeyRef?.key === 'DOCUMENT_KEYS')
      ) {
        problems.push(`${cid}: DOCUMENT_KEYS must come from the Secret (secretKeyRef key DOCUMENT_KEYS)`);
      }
      // Worker: probes on its WORKER_HTTP_PORT, and time to drain before SIGKILL.
      if (/worker-main/.test((c.args ?? []).join(' '))) {
        const port = Number(env.find((e) => e.name === 'WORKER_HTTP_PORT')?.value ?? defaults.workerHttp.port);
        if (!ports.some((p) => p.containerPort === port)) problems.push(`${cid}: no container port for WORKER_HTTP_PORT ${port}`);
        const grace = Number(configMaps.map((cm) => cm.data?.SHUTDOWN_GRACE_SECONDS).find(Boolean) ?? defaults.shutdownGraceSeconds);
        const termination = spec.terminationGracePeriodSeconds ?? 30;
        if (!(termination >= grace + 10))
          problems.push(`${id}: terminationGracePeriodSeconds ${termination} must exceed SHUTDOWN_GRACE_SECONDS ${grace} by a margin (>= ${grace + 10})`);
      }
    }
  }

  const podsOf = (selector: Record<string, string> | undefined) => deployments.filter((d) => labelsMatch(selector, d.spec?.template?.metadata?.labels));
  for (const svc of byKind('Service')) {
    const id = `Service/${svc.metadata?.name}`;
    const targets = podsOf(svc.spec?.selector);
    if (targets.length !== 1) problems.push(`${id}: selector matches ${targets.length} Deployments (want 1)`);
    for (const p of svc.spec?.ports ?? []) {
      const tp = p.targetPort ?? p.port;
      const exists = targets.some((d) =>
        (d.spec.template.spec.containers ?? []).some((c: Y) => (c.ports ?? []).some((cp: Y) => cp.containerPort === tp || cp.name === tp)),
      );
      if (!exists) problems.push(`${id}: targetPort ${tp} is not a port of the selected pods`);
    }
  }
  for (const pdb of byKind('PodDisruptionBudget')) {
    const targets = podsOf(pdb.spec?.selector?.matchLabels);
    if (targets.length !== 1) problems.push(`PodDisruptionBudget/${pdb.metadata?.name}: selector matches ${targets.length} Deployments (want 1)`);
    if (pdb.spec?.minAvailable === undefined && pdb.spec?.maxUnavailable === undefined)
      problems.push(`PodDisruptionBudget/${pdb.metadata?.name}: set minAvailable or maxUnavailable`);
  }
  for (const dep of deployments) {
    if (!byKind('PodDisruptionBudget').some((p) => labelsMatch(p.spec?.selector?.matchLabels, dep.spec?.template?.metadata?.labels)))
      problems.push(`Deployment/${dep.metadata?.name} has no PodDisruptionBudget`);
  }

  const hpas = byKind('HorizontalPodAutoscaler');
  for (const hpa of hpas) {
    const id = `HorizontalPodAutoscaler/${hpa.metadata?.name}`;
    const ref = hpa.spec?.scaleTargetRef ?? {};
    const target = deployments.find((d) => d.metadata?.name === ref.name);
    if (ref.kind !== 'Deployment' || ref.apiVersion !== 'apps/v1' || !target)
      problems.push(`${id}: scaleTargetRef must name an existing apps/v1 Deployment (is ${ref.apiVersion} ${ref.kind} ${ref.name})`);
    const min = hpa.spec?.minReplicas ?? 1;
    const max = hpa.spec?.maxReplicas;
    if (!(min >= 2 && max >= min)) problems.push(`${id}: replicas must be 2 or more, min <= max (is ${min}..${max})`);
    const cpu = (hpa.spec?.metrics ?? []).find((m: Y) => m.type === 'Resource' && m.resource?.name === 'cpu' && m.resource?.target?.type === 'Utilization');
    if (!cpu) problems.push(`${id}: must scale on CPU utilisation`);
    if (target) {
      const isWorker = (target.spec.template.spec.containers ?? []).some((c: Y) => /worker-main/.test((c.args ?? []).join(' ')));
      if (isWorker && (min !== 2 || max !== 10)) problems.push(`${id}: workers scale from 2 to 10 pods (is ${min}..${max})`);
      for (const c of target.spec.template.spec.containers ?? [])
        if (!c.resources?.requests?.cpu) problems.push(`${id}: CPU utilisation needs CPU requests on ${c.name}`);
      const r = target.spec.replicas;
      if (r !== undefined && (r < min || r > max)) problems.push(`${id}: Deployment replicas ${r} lie outside ${min}..${max}`);
    }
  }
  for (const dep of deployments) {
    if (!hpas.some((h) => h.spec?.scaleTargetRef?.name === dep.metadata?.name))
      problems.push(`Deployment/${dep.metadata?.name} has no HorizontalPodAutoscaler`);
  }
  return problems;
}

/** kustomization.yaml: lists every manifest (not the example Secret); each listed file exists. */
export function kustomizationProblems(kustomization: Y, dir: string): string[] {
  const problems: string[] = [];
  if (kustomization?.kind !== 'Kustomization') problems.push('kustomization.yaml is not a Kustomization');
  const listed: string[] = kustomization?.resources ?? [];
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  for (const f of listed) if (!fs.existsSync(path.join(dir, f))) problems.push(`kustomization lists ${f}, which does not exist`);
  for (const f of files) {
    if (f === 'secret.example.yaml') {
      if (listed.includes(f)) problems.push('the example Secret must not be applied by kustomization.yaml');
    } else if (!listed.includes(f)) problems.push(`kustomization does not list ${f}`);
  }
  return problems;
}

// ------------------------------------------------------------------------------------------------
// Monitoring
// ------------------------------------------------------------------------------------------------

/** The metric names the app registers (api/metrics.ts, activities/metrics.ts). */
export function exportedMetricNames(): Set<string> {
  return new Set(['api/metrics.ts', 'activities/metrics.ts'].flatMap((f) => [...readText(f).matchAll(/name: '(medextract_[a-z0-9_]+)'/g)].map((m) => m[1]!)));
}

/** What the dashboard must show: jobs, stages, pages, LLM use and 429s, slots, HTTP latency. */
const DASHBOARD_METRICS = [
  'medextract_jobs',
  'medextract_stage_duration_seconds',
  'medextract_pages_processed_total',
  'medextract_llm_requests_total',
  'medextract_llm_tokens_total',
  'medextract_activity_slots_used',
  'medextract_http_request_duration_seconds',
];

export function dashboardProblems(dashboard: Y, datasourceUid: string, metrics: Set<string>): string[] {
  const problems: string[] = [];
  const panels: Y[] = dashboard?.panels ?? [];
  const ids = panels.map((p) => p.id);
  if (new Set(ids).size !== ids.length || ids.some((i) => !Number.isInteger(i))) problems.push('panel ids must be unique integers');
  if (!dashboard?.uid || !dashboard?.title || !Number.isInteger(dashboard?.schemaVersion)) problems.push('the dashboard needs uid, title and schemaVersion');
  const used = new Set<string>();
  for (const panel of panels.filter((p) => p.type !== 'row')) {
    if (panel.datasource?.uid !== datasourceUid) problems.push(`${panel.title}: datasource is not the provisioned one (${datasourceUid})`);
    if (!panel.gridPos || !panel.targets?.length) problems.push(`${panel.title}: needs gridPos and targets`);
    for (const target of panel.targets ?? []) {
      for (const [m] of String(target.expr).matchAll(/\bmedextract_[a-z0-9_]+/g)) {
        const base = metrics.has(m) ? m : m.replace(/_(bucket|sum|count)$/, '');
        if (metrics.has(base)) used.add(base);
        else problems.push(`${panel.title}: ${m} is not exported by the app`);
      }
    }
  }
  for (const m of DASHBOARD_METRICS) if (!used.has(m)) problems.push(`no panel shows ${m}`);
  return problems;
}
