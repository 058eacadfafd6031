/**
 * The deployment files, checked without a Docker engine or a cluster: docker-compose.yml and
 * .env.example against the names core/config.ts reads, the nginx config (nginx -t and a live run in front
 * of two stand-in backends when nginx is installed), the Dockerfile (hadolint plus our own rules), the
 * Kubernetes manifests (the official JSON schemas via kubernetes-validate, plus our wiring rules), the
 * Temporal namespace script (against the test run's Temporal server) and the monitoring files.
 * Every checker is also run on a broken copy, to prove it can fail.
 * Linters come from `node scripts/install-deploy-tools.mjs` (into .tools/).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { SEARCH_ATTRIBUTE_KEYS } from '../core/contract/jobs.js';
import {
  ROOT,
  composeProblems,
  configDefaults,
  configNames,
  dashboardProblems,
  dockerfileProblems,
  envExampleProblems,
  exportedMetricNames,
  k8sProblems,
  kustomizationProblems,
  nginxProblems,
  parseEnvExample,
  readText,
  readYaml,
  readYamlDocs,
  type ComposeContext,
} from './support/deploy-checks.js';

const tools = path.join(ROOT, '.tools', 'bin');
const names = configNames();
const composeRaw = readText('docker-compose.yml');
const compose = readYaml('docker-compose.yml');
const envExample = parseEnvExample(readText('.env.example'));
const composeCtx: ComposeContext = { configNames: names, envExample, root: ROOT };
const clone = <T>(v: T): T => structuredClone(v);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medextract-deploy-test-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The per-request upload cap factor the API enforces (api/routes/jobs.ts), read from its source. */
const requestFactor = Number(/export const MAX_REQUEST_FACTOR = (\d+);/.exec(readText('api/routes/upload.ts'))?.[1]);
const maxUploadMb = (() => {
  const v = envExample.get('MAX_UPLOAD_MB');
  return v?.active && v.value ? Number(v.value) : configDefaults().maxUploadBytes / 1024 / 1024;
})();
const nginxCtx = { maxUploadMb, requestFactor, apiPort: configDefaults().port };

function tool(name: string): string {
  const p = path.join(tools, name);
  assert.ok(fs.existsSync(p), `${p} is missing: run \`node scripts/install-deploy-tools.mjs\``);
  return p;
}

const NO_NGINX = 'nginx is not installed: apt-get install -y nginx (.ci/run installs it)';
function nginxBinary(): string | undefined {
  for (const dir of ['/usr/sbin', ...(process.env.PATH ?? '').split(path.delimiter)]) {
    const p = path.join(dir, 'nginx');
    if (dir && fs.existsSync(p)) return p;
  }
  return undefined;
}

test('the config names are read from core/config.ts itself', () => {
  // Guards the recording trick in configNames(): if it ever read nothing, every subset check would pass.
  for (const n of ['NODE_ENV', 'DATABASE_URL', 'TEMPORAL_ADDRESS', 'JWT_SECRET', 'SHUTDOWN_GRACE_SECONDS', 'WORKER_HTTP_PORT']) assert.ok(names.has(n), n);
  assert.ok(names.size >= 25, `only ${names.size} names`);
  assert.ok(Number.isInteger(requestFactor) && requestFactor >= 1, 'MAX_REQUEST_FACTOR not found in api/routes/upload.ts');
});

describe('docker compose', () => {
  test('services, healthchecks, start-up order, environment, replicas and mounts are wired', () => {
    assert.deepEqual(composeProblems(compose, composeRaw, composeCtx), []);
  });

  test('.env.example lists every variable the app reads, nothing unused, no secret values', () => {
    assert.deepEqual(envExampleProblems(envExample, names, composeRaw), []);
  });

  test('the checks catch broken wiring', () => {
    const cases: Array<[string, (c: any) => void, RegExp]> = [
      ['service removed', (c) => delete c.services.nginx, /service nginx is missing/],
      ['healthcheck removed', (c) => delete c.services.postgres.healthcheck, /postgres has no healthcheck/],
      [
        'condition weakened',
        (c) => (c.services.temporal.depends_on['temporal-admin-tools'].condition = 'service_started'),
        /temporal must depend on temporal-admin-tools with condition service_completed_successfully/,
      ],
      ['one-shot restarts forever', (c) => (c.services['temporal-create-namespace'].restart = 'always'), /restarts forever/],
      ['cycle', (c) => (c.services.postgres.depends_on = { nginx: { condition: 'service_started' } }), /cycle/],
      ['unknown env name', (c) => (c.services.worker.environment.MEDEXTRACT_WORKERS = '3'), /MEDEXTRACT_WORKERS is not read by core\/config.ts/],
      ['replicas', (c) => (c.services.worker.deploy.replicas = 1), /worker must run 3 replicas/],
      ['api replicas', (c) => delete c.services.api.deploy, /api must run 2 replicas/],
      ['grace period', (c) => (c.services.worker.stop_grace_period = '90s'), /stop_grace_period \(90s\) is shorter than SHUTDOWN_GRACE_SECONDS \(120s\)/],
      ['api port published', (c) => (c.services.api.ports = ['8001:8000']), /api must not publish ports/],
      [
        'dynamic config path',
        (c) => (c.services.temporal.environment.DYNAMIC_CONFIG_FILE_PATH = 'config/dynamicconfig/missing.yaml'),
        /missing.yaml does not exist/,
      ],
      ['api probe', (c) => (c.services.api.healthcheck.test = ['CMD', 'true']), /api healthcheck must probe \/readyz/],
      ['proxy trust', (c) => delete c.services.api.environment.TRUST_PROXY, /TRUST_PROXY must be "true"/],
      ['no HTTPS port', (c) => (c.services.nginx.ports = ['80:80']), /nginx must publish HTTPS/],
      ['plain HTTP published', (c) => c.services.nginx.ports.push('8000:8000'), /must not publish plain HTTP/],
      [
        'no certificate mount',
        (c) => (c.services.nginx.volumes = c.services.nginx.volumes.filter((v: string) => !v.includes('/etc/nginx/tls'))),
        /certificate folder/,
      ],
      [
        'certificate mount writable',
        (c) => (c.services.nginx.volumes = c.services.nginx.volumes.map((v: string) => v.replace(/:\/etc\/nginx\/tls:ro$/, ':/etc/nginx/tls'))),
        /read-only/,
      ],
      ['document keys optional', (c) => (c.services.worker.environment.DOCUMENT_KEYS = '${DOCUMENT_KEYS:-}'), /worker: DOCUMENT_KEYS must be required/],
      ['document keys missing', (c) => delete c.services.api.environment.DOCUMENT_KEYS, /api: DOCUMENT_KEYS must be required/],
    ];
    for (const [what, mutate, expected] of cases) {
      const broken = clone(compose);
      mutate(broken);
      const problems = composeProblems(broken, composeRaw, composeCtx);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${what}: expected ${expected} in ${JSON.stringify(problems)}`,
      );
    }
    assert.ok(composeProblems(compose, `${composeRaw}\n# \${UNDOCUMENTED_VAR:-x}`, composeCtx).some((p) => /UNDOCUMENTED_VAR/.test(p)));
    const lessEnv = new Map(envExample);
    lessEnv.delete('OCR_LANG');
    assert.ok(envExampleProblems(lessEnv, names, composeRaw).some((p) => /does not mention OCR_LANG/.test(p)));
    const leaky = new Map(envExample).set('JWT_SECRET', { value: 'change-me-0123456789abcdef0123456789', active: true });
    assert.ok(envExampleProblems(leaky, names, composeRaw).some((p) => /must not carry a value for JWT_SECRET/.test(p)));
    const extra = new Map(envExample).set('FOO_BAR', { value: '', active: false });
    assert.ok(envExampleProblems(extra, names, composeRaw).some((p) => /FOO_BAR/.test(p)));
  });

  test('the namespace job registers exactly the search attributes the workflows set', () => {
    const script = readText('deploy/temporal/create-namespace.sh');
    const listed = /^SEARCH_ATTRIBUTES="([^"]*)"$/m.exec(script)?.[1]?.split(/\s+/).sort();
    assert.deepEqual(listed, SEARCH_ATTRIBUTE_KEYS.map((k) => k.name).sort());
    assert.ok(SEARCH_ATTRIBUTE_KEYS.every((k) => k.type === 'KEYWORD'));
    assert.match(script, /--type Keyword/);
  });

  test('the schema job and the Postgres init cover both Temporal databases', () => {
    const schema = readText('deploy/temporal/setup-schema.sh');
    const init = readText('deploy/postgres/init-databases.sh');
    const env = compose.services.temporal.environment;
    for (const [db, dir] of [
      [env.DBNAME, 'temporal'],
      [env.VISIBILITY_DBNAME, 'visibility'],
    ]) {
      assert.match(schema, new RegExp(`--db ${db} setup-schema -v 0\\.0`));
      assert.match(schema, new RegExp(`--db ${db} update-schema -d "\\$SCHEMA_DIR/${dir}/versioned"`));
      assert.match(init, new RegExp(`CREATE DATABASE ${db} OWNER temporal;`));
    }
    assert.match(schema, /SCHEMA_DIR=\/etc\/temporal\/schema\/postgresql\/v12$/m);
    assert.match(schema, /--plugin postgres12/);
    assert.match(init, /CREATE DATABASE medextract OWNER medextract;/);
    assert.match(compose.services.api.environment.DATABASE_URL, /^postgres:\/\/medextract:\$\{[A-Z_]+:\?[^}]*\}@postgres:5432\/medextract$/);
  });

  test('the shell scripts parse', () => {
    for (const f of ['deploy/postgres/init-databases.sh', 'deploy/temporal/setup-schema.sh', 'deploy/temporal/create-namespace.sh']) {
      const r = spawnSync('sh', ['-n', path.join(ROOT, f)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${f}: ${r.stderr}`);
    }
  });

  test('the namespace script creates the namespace and search attributes on a real Temporal server, idempotently', (t) => {
    const address = process.env.TEMPORAL_ADDRESS;
    const cli = process.env.TEMPORAL_CLI ?? path.join(tools, 'temporal');
    if (!address || !fs.existsSync(cli)) return t.skip("needs the test run's Temporal server (npx tsx scripts/run-tests.ts)");
    const namespace = `deploy-test-${process.pid}`;
    const env = {
      ...process.env,
      PATH: `${path.dirname(cli)}${path.delimiter}${process.env.PATH}`,
      TEMPORAL_ADDRESS: address,
      NAMESPACE: namespace,
      RETENTION: '24h',
    };
    const run = () => spawnSync('sh', [path.join(ROOT, 'deploy/temporal/create-namespace.sh')], { env, encoding: 'utf8', timeout: 180_000 });
    const first = run();
    assert.equal(first.status, 0, first.stderr + first.stdout);
    assert.match(first.stdout, new RegExp(`namespace ${namespace}: created`));
    const second = run();
    assert.equal(second.status, 0, second.stderr + second.stdout);
    assert.match(second.stdout, new RegExp(`namespace ${namespace}: present`));
    const list = spawnSync(cli, ['operator', 'search-attribute', 'list', '--address', address, '--namespace', namespace], { encoding: 'utf8' });
    for (const k of SEARCH_ATTRIBUTE_KEYS) {
      assert.match(second.stdout, new RegExp(`search attribute ${k.name}: present`));
      assert.match(list.stdout, new RegExp(`\\b${k.name}\\s+Keyword\\b`));
    }
  });
});

describe('nginx', () => {
  const conf = readText('deploy/nginx/nginx.conf');

  test('least connections, body size = upload cap, long read timeout, passive health checks, X-Forwarded-For', () => {
    assert.deepEqual(nginxProblems(conf, nginxCtx), []);
    // The API port nginx targets is the one compose gives the API.
    assert.equal(Number(compose.services.api.environment.PORT), nginxCtx.apiPort);
  });

  test('the checks catch a wrong config', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['round robin', conf.replace(/least_conn;/, ''), /least_conn/],
      ['body size = file cap only', conf.replace(/client_max_body_size \S+;/, 'client_max_body_size 50m;'), /client_max_body_size 50m must be/],
      ['short timeout', conf.replace(/proxy_read_timeout \S+;/, 'proxy_read_timeout 60s;'), /proxy_read_timeout/],
      ['no passive checks', conf.replace(/ max_fails=\d+/, ''), /passive health checks/],
      ['no XFF', conf.replace(/proxy_set_header X-Forwarded-For [^;]+;/, ''), /X-Forwarded-For/],
      ['wrong port', conf.replace('server api:8000 resolve', 'server api:3000 resolve'), /api:3000/],
      ['no ssl', conf.replace('listen 443 ssl;', 'listen 443;'), /listen with ssl/],
      ['other certificate path', conf.replace('/etc/nginx/tls/tls.crt', '/etc/ssl/cert.pem'), /ssl_certificate must be/],
      ['other key path', conf.replace('/etc/nginx/tls/tls.key', '/etc/ssl/key.pem'), /ssl_certificate_key must be/],
      ['old protocols', conf.replace(/ssl_protocols [^;]+;/, 'ssl_protocols TLSv1 TLSv1.2;'), /ssl_protocols/],
      ['no HSTS', conf.replace(/add_header Strict-Transport-Security [^;]+;/, ''), /Strict-Transport-Security/],
      ['short HSTS', conf.replace('max-age=31536000', 'max-age=600'), /HSTS needs max-age/],
      ['port 80 serves the app', conf.replace('return 301 https://$host$request_uri;', 'proxy_pass http://medextract_api;'), /port 80 must/],
      ['plain listener', conf.replace('listen 80;', 'listen 8000;'), /one server must listen on 80/],
      ['no body timeout', conf.replace(/client_body_timeout [^;]+;/, ''), /client_body_timeout/],
    ];
    for (const [what, broken, expected] of cases) {
      assert.notEqual(broken, conf, `${what}: the mutation changed nothing`);
      assert.ok(
        nginxProblems(broken, nginxCtx).some((p) => expected.test(p)),
        `${what}: expected ${expected}`,
      );
    }
  });

  /**
   * A copy runnable here: the compose-only upstream (`api` through Docker's DNS, with `resolve`, which
   * needs nginx >= 1.27.3) becomes the given local servers; everything else is the file as shipped.
   */
  function localCopy(dir: string, listenPort: number, backends: number[], httpPort = listenPort + 1): string {
    // A certificate of the test's own, where the compose mount would put the real one.
    fs.mkdirSync(path.join(dir, 'tls'));
    spawnSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '2',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', path.join(dir, 'tls/tls.key'), '-out', path.join(dir, 'tls/tls.crt'),
    ], { stdio: 'ignore' }); // prettier-ignore
    let text = conf
      .replace(/^\s*server api:\d+ resolve (.*);$/m, (_m, params: string) => backends.map((p) => `    server 127.0.0.1:${p} ${params};`).join('\n'))
      .replace(/listen 443 ssl;/, `listen 127.0.0.1:${listenPort} ssl;`)
      .replace(/listen 80;/, `listen 127.0.0.1:${httpPort};`)
      .replaceAll('/etc/nginx/tls/', `${dir}/tls/`)
      .replace(/worker_processes auto;/, 'worker_processes 1;')
      .replace(/access_log \/var\/log\/nginx\/access\.log/, `access_log ${dir}/access.log`);
    const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${dir}/${k};`).join('\n');
    text = text.replace(/http \{/, `http {\n${temps}`);
    assert.doesNotMatch(text, /^\s*server api:/m, 'the upstream was not rewritten');
    const file = path.join(dir, 'nginx.conf');
    fs.writeFileSync(file, text);
    return file;
  }

  test('nginx -t accepts it', () => {
    const nginx = nginxBinary();
    assert.ok(nginx, NO_NGINX);
    const dir = fs.mkdtempSync(path.join(tmp, 'nginx-t-'));
    const file = localCopy(dir, 18000, [18001]);
    const ok = spawnSync(nginx, ['-t', '-p', dir, '-c', file, '-g', `pid ${dir}/nginx.pid;`], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('least_conn;', 'least_conn'));
    const bad = spawnSync(nginx, ['-t', '-p', dir, '-c', file, '-g', `pid ${dir}/nginx.pid;`], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0, 'nginx -t accepted a broken file');
  });

  test('in front of two backends: least connections, health, /metrics hidden, body cap, X-Forwarded-For, failover', async (t) => {
    const nginx = nginxBinary();
    assert.ok(nginx, NO_NGINX);
    const freePort = () =>
      new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
          const { port } = s.address() as net.AddressInfo;
          s.close(() => resolve(port));
        });
      });
    const backend = (name: string) => {
      const server = http.createServer((req, res) => {
        const reply = () => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ backend: name, path: req.url, xff: req.headers['x-forwarded-for'], requestId: req.headers['x-request-id'] }));
        };
        req.resume();
        req.on('end', () => (req.url === '/slow' ? setTimeout(reply, 1500) : reply()));
      });
      return new Promise<http.Server>((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
    };
    const [a, b] = await Promise.all([backend('a'), backend('b')]);
    const port = await freePort();
    const httpPort = await freePort();
    const dir = fs.mkdtempSync(path.join(tmp, 'nginx-run-'));
    const file = localCopy(dir, port, [(a.address() as net.AddressInfo).port, (b.address() as net.AddressInfo).port], httpPort);
    const ca = fs.readFileSync(path.join(dir, 'tls/tls.crt'));
    const proc = spawn(nginx, ['-p', dir, '-c', file, '-g', `daemon off; pid ${dir}/nginx.pid;`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    t.after(async () => {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      a.close();
      b.close();
    });
    const base = `https://127.0.0.1:${port}`;
    // HTTPS with the test's certificate as the only CA (fetch cannot be given one).
    const request = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
      new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
        const lib = url.startsWith('https:') ? https : http;
        const req = lib.request(url, { method: init.method ?? 'GET', headers: init.headers, ca, agent: false }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
        });
        req.on('error', reject);
        req.end(init.body);
      });
    for (let i = 0; ; i++) {
      const up = await request(`${base}/nginx-health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (up) break;
      assert.ok(i < 50 && proc.exitCode === null, `nginx did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const get = async (p: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => {
      const r = await request(`${base}${p}`, init);
      const json = String(r.headers['content-type']).includes('json');
      return { status: r.status, headers: r.headers, body: json ? (JSON.parse(r.text) as Record<string, string>) : r.text };
    };

    // TLS at nginx: HSTS on every answer, port 80 only redirects to HTTPS (nothing reaches a backend).
    const health = await get('/nginx-health');
    assert.match(String(health.headers['strict-transport-security']), /max-age=31536000/);
    assert.match(String((await get('/quick')).headers['strict-transport-security']), /max-age=31536000/, 'HSTS on proxied answers too');
    const redirect = await request(`http://127.0.0.1:${httpPort}/jobs?x=1`, { headers: { Host: 'medextract.example.org' } });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, 'https://medextract.example.org/jobs?x=1');

    assert.equal((await get('/metrics')).status, 404, '/metrics must not be served through the balancer');

    // least_conn: while one backend holds a slow request, the quick ones all go to the other.
    const slow = get('/slow');
    await new Promise((r) => setTimeout(r, 200));
    const quick = [];
    for (let i = 0; i < 4; i++) quick.push(((await get('/quick')).body as Record<string, string>).backend);
    const slowBackend = ((await slow).body as Record<string, string>).backend;
    assert.equal(new Set(quick).size, 1, `quick requests went to ${quick}`);
    assert.notEqual(quick[0], slowBackend);

    const seen = (await get('/me', { headers: { 'X-Forwarded-For': '203.0.113.9' } })).body as Record<string, string>;
    assert.equal(seen.xff, '203.0.113.9, 127.0.0.1', 'nginx appends the address it saw (the API trusts that last entry)');
    assert.match(seen.requestId ?? '', /^[0-9a-f]{32}$/);

    // Body cap: refused from the declared length, before anything reaches a backend.
    const limit = (requestFactor * maxUploadMb + 1) * 1024 * 1024;
    const status = await new Promise<string>((resolve, reject) => {
      const s = tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' }, () =>
        s.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=z\r\nContent-Length: ${limit + 1}\r\n\r\n`),
      );
      s.once('data', (d) => (resolve(d.toString().split('\r\n')[0]!), s.destroy()));
      s.once('error', reject);
    });
    assert.match(status, / 413 /);
    assert.equal((await get('/upload', { method: 'POST', body: 'x'.repeat(1024) })).status, 200);

    // Passive health check: with one backend gone, every request is still answered by the other.
    await new Promise((r) => b.close(r));
    b.closeAllConnections();
    for (let i = 0; i < 6; i++) {
      const r = await get('/after');
      assert.equal(r.status, 200);
      assert.equal((r.body as Record<string, string>).backend, 'a');
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readText('Dockerfile');
  const dockerignore = readText('.dockerignore');

  test('hadolint finds nothing', () => {
    const r = spawnSync(tool('hadolint'), ['--no-color', 'Dockerfile'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout.trim(), '');
  });

  test('hadolint fails on a bad Dockerfile', () => {
    const bad = path.join(tmp, 'Dockerfile.bad');
    fs.writeFileSync(bad, 'FROM node:latest\nRUN apt-get update && apt-get install -y curl\nCMD node server.js\n');
    const r = spawnSync(tool('hadolint'), ['--no-color', bad], { cwd: tmp, encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout, /DL3007|DL3008/);
  });

  test('Debian slim, multi-stage, non-root, init, health check, bundle built at build time, no secrets', () => {
    assert.deepEqual(dockerfileProblems(dockerfile, dockerignore, ROOT), []);
  });

  test('the checks catch a bad Dockerfile', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['alpine', dockerfile.replace(/FROM node:24-bookworm-slim AS runtime/, 'FROM node:24-alpine AS runtime'), /no Alpine/],
      ['root', dockerfile.replace(/^USER .*$/m, 'USER root'), /runs as root/],
      ['no user', dockerfile.replace(/^USER .*$/m, ''), /non-root USER/],
      ['named user', dockerfile.replace(/^USER .*$/m, 'USER node'), /numeric uid/],
      ['no healthcheck', dockerfile.replace(/^HEALTHCHECK .*$/m, ''), /HEALTHCHECK/],
      ['no init', dockerfile.replace(/^ENTRYPOINT .*$/m, ''), /init/],
      ['secret', dockerfile.replace(/ENV NODE_ENV=production/, 'ENV JWT_SECRET=abc NODE_ENV=production'), /JWT_SECRET: no secrets/],
      ['bundle not built', dockerfile.replace(/ \\\n && node --import tsx scripts\/bundle-workflows\.ts [^\n]*/, ''), /workflow bundle must be built/],
      ['missing file', dockerfile.replace('COPY migrations ./migrations', 'COPY nowhere ./nowhere'), /COPY nowhere: no such file/],
    ];
    for (const [what, broken, expected] of cases) {
      assert.notEqual(broken, dockerfile, `${what}: the mutation changed nothing`);
      assert.ok(
        dockerfileProblems(broken, dockerignore, ROOT).some((p) => expected.test(p)),
        `${what}: expected ${expected} in ${JSON.stringify(dockerfileProblems(broken, dockerignore, ROOT))}`,
      );
    }
    assert.ok(
      dockerfileProblems(dockerfile, dockerignore.replace('!migrations/\n', ''), ROOT).some((p) => /COPY migrations: excluded by .dockerignore/.test(p)),
    );
  });

  test('the image keeps secrets and local state out of the build context', () => {
    const lines = dockerignore.split('\n').map((l) => l.trim());
    assert.equal(
      lines.find((l) => l && !l.startsWith('#')),
      '*',
      '.dockerignore must start by excluding everything',
    );
    assert.ok(!lines.some((l) => /^!(\.env|\.data|\.tools|node_modules|test)/.test(l)));
  });
});

describe('Kubernetes manifests', () => {
  const dir = path.join(ROOT, 'deploy/k8s');
  const kustomization = readYaml('deploy/k8s/kustomization.yaml');
  const resources: string[] = kustomization.resources ?? [];
  const docs = resources.flatMap((f) => readYamlDocs(`deploy/k8s/${f}`));
  const secret = readYaml('deploy/k8s/secret.example.yaml');
  const ctx = { configNames: names, secret };

  test('kustomization.yaml lists every manifest and not the example Secret', () => {
    assert.deepEqual(kustomizationProblems(kustomization, dir), []);
    const images = (kustomization.images ?? []).map((i: { name: string }) => i.name);
    for (const d of docs.filter((x) => x.kind === 'Deployment')) {
      for (const c of d.spec.template.spec.containers) assert.ok(images.includes(c.image), `image ${c.image} is not set by kustomization.yaml`);
    }
  });

  test('every manifest validates against the official Kubernetes schemas (strict)', () => {
    const files = [...resources, 'secret.example.yaml'].map((f) => path.join(dir, f));
    const r = spawnSync(tool('kubernetes-validate'), ['--strict', '--quiet', ...files], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    // ... and the validator does reject a wrong field and a wrong type.
    const bad = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(bad, readText('deploy/k8s/api.yaml').replace('readinessProbe:', 'readinesProbe:').replace('minReplicas: 2', 'minReplicas: two'));
    const b = spawnSync(tool('kubernetes-validate'), ['--strict', '--quiet', bad], { encoding: 'utf8' });
    assert.notEqual(b.status, 0);
    assert.match(b.stdout + b.stderr, /readinesProbe/);
    assert.match(b.stdout + b.stderr, /'two' is not of type 'integer'/);
  });

  test('probes, selectors, autoscalers, disruption budgets, security and env are wired', () => {
    assert.deepEqual(k8sProblems(docs, ctx), []);
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    for (const want of [
      'Deployment/medextract-api',
      'Deployment/medextract-worker',
      'Service/medextract-api',
      'HorizontalPodAutoscaler/medextract-worker',
      'HorizontalPodAutoscaler/medextract-api',
      'PodDisruptionBudget/medextract-api',
      'PodDisruptionBudget/medextract-worker',
      'ConfigMap/medextract-config',
    ]) {
      assert.ok(kinds.includes(want), `${want} is missing`);
    }
  });

  test('the checks catch broken manifests', () => {
    const find = (d: any[], kind: string, name: string) => d.find((x) => x.kind === kind && x.metadata.name === name);
    const worker = (d: any[]) => find(d, 'Deployment', 'medextract-worker').spec.template.spec;
    const cases: Array<[string, (d: any[]) => void, RegExp]> = [
      [
        'service selector',
        (d) => (find(d, 'Service', 'medextract-api').spec.selector['app.kubernetes.io/component'] = 'apii'),
        /Service\/medextract-api: selector matches 0 Deployments/,
      ],
      ['deployment selector', (d) => (find(d, 'Deployment', 'medextract-api').spec.selector.matchLabels.tier = 'x'), /spec.selector does not match/],
      [
        'pdb selector',
        (d) => (find(d, 'PodDisruptionBudget', 'medextract-worker').spec.selector.matchLabels = { app: 'nope' }),
        /PodDisruptionBudget\/medextract-worker: selector matches 0/,
      ],
      [
        'hpa target',
        (d) => (find(d, 'HorizontalPodAutoscaler', 'medextract-worker').spec.scaleTargetRef.name = 'medextract-workers'),
        /scaleTargetRef must name an existing/,
      ],
      ['hpa range', (d) => (find(d, 'HorizontalPodAutoscaler', 'medextract-worker').spec.maxReplicas = 20), /workers scale from 2 to 10/],
      ['hpa metric', (d) => (find(d, 'HorizontalPodAutoscaler', 'medextract-api').spec.metrics = []), /must scale on CPU/],
      ['probe port', (d) => (worker(d).containers[0].readinessProbe.httpGet.port = 9092), /readinessProbe port 9092 is not a container port/],
      ['probe path', (d) => (worker(d).containers[0].livenessProbe.httpGet.path = '/readyz'), /livenessProbe must GET \/healthz/],
      ['grace period', (d) => (worker(d).terminationGracePeriodSeconds = 60), /terminationGracePeriodSeconds 60 must exceed/],
      [
        'secret key',
        (d) => (worker(d).containers[0].env.find((e: any) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef.key = 'JWT'),
        /key JWT, which the example Secret does not hold/,
      ],
      ['env name', (d) => worker(d).containers[0].env.push({ name: 'WORKERS', value: '3' }), /env WORKERS is not read/],
      [
        'document keys dropped',
        (d) => (worker(d).containers[0].env = worker(d).containers[0].env.filter((e: any) => e.name !== 'DOCUMENT_KEYS')),
        /DOCUMENT_KEYS must come from the Secret/,
      ],
      [
        'document keys literal',
        (d) => (worker(d).containers[0].env.find((e: any) => e.name === 'DOCUMENT_KEYS').value = 'k1:x'),
        /DOCUMENT_KEYS must come from the Secret, not a literal value/,
      ],
      ['configmap key', (d) => (find(d, 'ConfigMap', 'medextract-config').data.LLM_LIMIT = '5'), /LLM_LIMIT is not read/],
      ['root', (d) => (worker(d).securityContext.runAsNonRoot = false), /runAsNonRoot must be true/],
      ['writable root', (d) => (worker(d).containers[0].securityContext.readOnlyRootFilesystem = false), /readOnlyRootFilesystem/],
      ['service port', (d) => (find(d, 'Service', 'medextract-api').spec.ports[0].targetPort = 'web'), /targetPort web is not a port/],
      ['kind', (d) => (find(d, 'HorizontalPodAutoscaler', 'medextract-api').apiVersion = 'autoscaling/v1'), /autoscaling\/v1 \/ kind HorizontalPodAutoscaler/],
      ['command', (d) => (worker(d).containers[0].command = ['node']), /use args, not command/],
    ];
    for (const [what, mutate, expected] of cases) {
      const broken = clone(docs);
      mutate(broken);
      const problems = k8sProblems(broken, ctx);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `${what}: expected ${expected} in ${JSON.stringify(problems)}`,
      );
    }
    assert.ok(kustomizationProblems({ ...kustomization, resources: [...resources, 'secret.example.yaml'] }, dir).some((p) => /example Secret/.test(p)));
    assert.ok(
      kustomizationProblems({ ...kustomization, resources: resources.filter((r) => r !== 'worker.yaml') }, dir).some((p) =>
        /does not list worker.yaml/.test(p),
      ),
    );
  });
});

describe('monitoring', () => {
  const metricNames = exportedMetricNames();
  const dashboard = JSON.parse(readText('deploy/grafana/medextract-dashboard.json'));
  const datasource = readYaml('deploy/grafana/provisioning/datasources/prometheus.yml').datasources[0];

  test('Prometheus scrapes every API replica (authenticated) and every worker', () => {
    const prom = readYaml('deploy/prometheus/prometheus.yml');
    const job = (name: string) => prom.scrape_configs.find((j: any) => j.job_name === name);
    const api = job('medextract-api');
    const worker = job('medextract-worker');
    assert.deepEqual(api.dns_sd_configs[0].names, ['api']);
    assert.equal(api.dns_sd_configs[0].port, Number(compose.services.api.environment.PORT));
    assert.equal(api.authorization.type, 'Bearer');
    // The credentials file sits in a folder compose mounts into the Prometheus container.
    const mount = compose.services.prometheus.volumes
      .map((v: string) => v.split(':'))
      .find(([, target]: string[]) => api.authorization.credentials_file.startsWith(`${target}/`));
    assert.ok(mount, 'the API key file is not inside a mounted folder');
    assert.ok(fs.existsSync(path.join(ROOT, mount[0])));
    assert.deepEqual(worker.dns_sd_configs[0].names, ['worker']);
    assert.equal(worker.dns_sd_configs[0].port, Number(compose.services.worker.environment.WORKER_HTTP_PORT));
  });

  test('the Grafana dashboard is valid and uses only metrics the app exports', () => {
    assert.ok(metricNames.size >= 10, `metric names not found in the sources (${[...metricNames]})`);
    assert.deepEqual(dashboardProblems(dashboard, datasource.uid, metricNames), []);
    // Grafana finds the dashboard where compose mounts it.
    const provider = readYaml('deploy/grafana/provisioning/dashboards/medextract.yml').providers[0];
    const mounted = compose.services.grafana.volumes
      .map((v: string) => v.split(':'))
      .find(([src]: string[]) => src === './deploy/grafana/medextract-dashboard.json');
    assert.equal(path.posix.dirname(mounted[1]), provider.options.path);
  });

  test('the dashboard checks catch an unknown metric, a wrong datasource and a missing topic', () => {
    const broken = clone(dashboard);
    const panel = broken.panels.find((p: any) => p.type !== 'row');
    panel.targets[0].expr = 'sum(rate(medextract_queue_depth[5m]))';
    panel.datasource = { type: 'prometheus', uid: 'other' };
    const problems = dashboardProblems(broken, datasource.uid, metricNames);
    for (const re of [/medextract_queue_depth is not exported/, /datasource is not the provisioned one/, /no panel shows medextract_jobs/]) {
      assert.ok(
        problems.some((p) => re.test(p)),
        `expected ${re} in ${JSON.stringify(problems)}`,
      );
    }
  });
});
