/**
 * The slow-body attack: a client sends a request's headers and part of its body, then nothing, to hold
 * a connection (and an upload slot) open. With REQUEST_BODY_IDLE_SECONDS=2 the API must answer 408
 * RequestTimeout and close the socket soon after the body stops; an upload that is slow but keeps
 * sending (a chunk a second for about 5 s, longer than the idle limit in total) must still succeed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { readCorpus, requireRunEnv, uniquePrefix } from './support/env.js';
import { login, startApiProcess, TEST_ADMIN, type ApiProcess } from './support/api.js';

requireRunEnv();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RawExchange {
  send(data: string | Buffer): void;
  /** Everything the server sent until it closed the connection, and when it closed (ms since connect). */
  closed: Promise<{ response: string; afterMs: number }>;
}

function rawConnect(url: string): Promise<RawExchange> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => {
      const started = Date.now();
      let response = '';
      socket.on('data', (d) => (response += d.toString('latin1')));
      const closed = new Promise<{ response: string; afterMs: number }>((done) => socket.on('close', () => done({ response, afterMs: Date.now() - started })));
      resolve({ send: (data) => socket.write(data), closed });
    });
    socket.on('error', reject);
  });
}

const BOUNDARY = 'mx-body-timeout-boundary';
function multipart(pdf: Uint8Array): { head: string; body: Buffer } {
  const body = Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="slow.pdf"\r\nContent-Type: application/pdf\r\n\r\n`),
    Buffer.from(pdf),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
  return { head: `multipart/form-data; boundary=${BOUNDARY}`, body };
}

// `Connection: close` makes the server close the socket after its answer, so `closed` carries it.
const requestHead = (url: string, path: string, token: string, type: string, length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: ${new URL(url).host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;

describe('request-body inactivity timeout', () => {
  let api: ApiProcess;
  let token: string;

  before(async () => {
    api = await startApiProcess({ REQUEST_BODY_IDLE_SECONDS: '2', TASK_QUEUE_PREFIX: uniquePrefix('bodytimeout') });
    token = await login(api.url, TEST_ADMIN.username, TEST_ADMIN.password);
  });
  after(async () => {
    await api.stop();
  });

  test('an upload whose body stalls after a partial send gets 408 RequestTimeout and its connection is closed', { timeout: 60_000 }, async () => {
    const { head, body } = multipart(readCorpus('medical/rcn_prescription.pdf'));
    const c = await rawConnect(api.url);
    c.send(requestHead(api.url, '/upload', token, head, body.length));
    c.send(body.subarray(0, Math.floor(body.length / 2)));
    // ... and nothing more. Without the limit the server waits for the rest for minutes.
    const { response, afterMs } = await Promise.race([
      c.closed,
      sleep(30_000).then(() => assert.fail('the server still held the stalled connection open after 30 s (idle limit: 2 s)')),
    ]);
    assert.match(response, /^HTTP\/1\.1 408 /, response.slice(0, 300));
    const json = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4));
    assert.equal(json.error.code, 'RequestTimeout');
    assert.match(json.error.message, /stopped arriving/);
    assert.ok(afterMs >= 1500, `cut off after ${afterMs} ms, before the idle limit`);
  });

  test('a JSON body that never arrives (headers only) is cut off the same way', { timeout: 60_000 }, async () => {
    const c = await rawConnect(api.url);
    c.send(requestHead(api.url, '/login', token, 'application/json', 200));
    c.send('{"username":');
    const { response } = await Promise.race([c.closed, sleep(30_000).then(() => assert.fail('the stalled JSON request was not cut off within 30 s'))]);
    assert.match(response, /^HTTP\/1\.1 408 /, response.slice(0, 300));
    assert.match(response, /"code":"RequestTimeout"/);
  });

  test('a slow but steady upload (a chunk every second, about 5 s in all) is not cut off', { timeout: 60_000 }, async () => {
    const { head, body } = multipart(readCorpus('medical/rcn_prescription.pdf'));
    const c = await rawConnect(api.url);
    c.send(requestHead(api.url, '/upload', token, head, body.length));
    const chunks = 6;
    const size = Math.ceil(body.length / chunks);
    const started = Date.now();
    for (let i = 0; i < chunks; i++) {
      c.send(body.subarray(i * size, (i + 1) * size));
      if (i < chunks - 1) await sleep(1000);
    }
    const sentMs = Date.now() - started;
    const { response } = await Promise.race([c.closed, sleep(30_000).then(() => assert.fail('no answer to the completed upload within 30 s'))]);
    assert.ok(sentMs >= 4000, `the upload took ${sentMs} ms in all, more than twice the idle limit`);
    assert.match(response, /^HTTP\/1\.1 202 /, response.slice(0, 300));
  });
});
