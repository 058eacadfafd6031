/**
 * On the wire: `npm start` (role "all") serves HTTPS when TLS_CERT_PATH / TLS_KEY_PATH are set, with
 * Strict-Transport-Security, and refuses plain HTTP on that port; with no HOST it listens on 127.0.0.1
 * only, so another local interface address (or another machine) cannot reach it. The attack: a
 * neighbour on the network connecting to the machine's address, and a client speaking plain HTTP.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { requireRunEnv, startProcess, uniquePrefix, type ChildHandle } from './support/env.js';
import { TEST_ADMIN, TEST_JWT_SECRET } from './support/api.js';

const { tmp } = requireRunEnv();

function get(url: string, ca?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const lib = url.startsWith('https:') ? https : http;
    const req = lib.get(url, { ca, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** Whether a TCP connection to address:port is accepted. */
function connects(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port, timeout: 3000 });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(false));
  });
}

describe('HTTPS and the default listening address of npm start', () => {
  const dir = path.join(tmp, 'tls');
  const cert = path.join(dir, 'tls.crt');
  const key = path.join(dir, 'tls.key');
  let main: ChildHandle;
  let url: string;
  let ca: Buffer;

  before(async () => {
    fs.mkdirSync(dir, { recursive: true });
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '2',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert,
    ], { stdio: 'ignore' }); // prettier-ignore
    ca = fs.readFileSync(cert);
    // The run's Temporal and database, but the embedded role: HOST is not set, so its default applies.
    main = startProcess(['app/main.ts'], {
      LOG_LEVEL: 'info',
      PORT: '0',
      HOST: undefined,
      TLS_CERT_PATH: cert,
      TLS_KEY_PATH: key,
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_USERNAME: TEST_ADMIN.username,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      DATA_DIR: path.join(dir, 'data'),
      TASK_QUEUE_PREFIX: uniquePrefix('tls'),
      TEMPORAL_UI_PORT: '0',
    });
    await main.waitFor(/MedExtract is running/, 120_000);
    url = /API:\s+(\S+)/.exec(main.output())![1]!;
  });
  after(async () => {
    await main.stop();
  });

  test('the printed URL is https and HTTPS works with the certificate as CA, with HSTS', async () => {
    assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await get(`${url}/healthz`, ca);
    assert.equal(r.status, 200, r.body);
    assert.match(String(r.headers['strict-transport-security']), /max-age=\d{7,}/);
    // An untrusted certificate is refused by the client: the test really speaks TLS.
    await assert.rejects(get(`${url}/healthz`));
  });

  test('plain HTTP on the HTTPS port gets no answer from the API', async () => {
    const plain = url.replace('https:', 'http:');
    const outcome = await get(`${plain}/healthz`).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.ok(outcome === 'refused' || (typeof outcome === 'number' && outcome >= 400), `plain HTTP got ${outcome}`);
  });

  test('with no HOST it listens on 127.0.0.1 only: other local addresses are not served', async () => {
    assert.match(main.output(), /"msg":"API listening"/);
    assert.match(main.output(), /"host":"127\.0\.0\.1"/);
    const port = Number(new URL(url).port);
    assert.equal(await connects('127.0.0.1', port), true);
    const others = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    // 127.0.0.2 is always a local address too; a wildcard listener would accept it.
    for (const address of ['127.0.0.2', ...others]) {
      assert.equal(await connects(address, port), false, `the API answered on ${address}:${port}`);
    }
  });
});
