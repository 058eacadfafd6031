/**
 * Encrypts a PDF with a user password (Standard security handler, revision 4, AES-128 / AESV2: ISO
 * 32000-1 §7.6, algorithms 1, 2, 3 and 5), so tests can use a password that is nowhere in the document
 * (the corpus file prints its own password on its page). It takes the simple PDFs the fixture
 * generator writes (uncompressed, one `N 0 obj … endobj` per object, no strings outside content
 * streams) and encrypts every stream.
 */
import crypto from 'node:crypto';

const PAD = Buffer.from('28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a', 'hex');
/** Every permission (bits 3–12 set, the reserved low bits clear). */
const PERMISSIONS = -4;

const md5 = (...parts: Buffer[]): Buffer => crypto.createHash('md5').update(Buffer.concat(parts)).digest();

function rc4(key: Buffer, data: Buffer): Buffer {
  const s = Array.from({ length: 256 }, (_, i) => i);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let n = 0, i = 0, j = 0; n < data.length; n++) {
    i = (i + 1) & 255;
    j = (j + s[i]!) & 255;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[n] = data[n]! ^ s[(s[i]! + s[j]!) & 255]!;
  }
  return out;
}

const padded = (password: string): Buffer => Buffer.concat([Buffer.from(password, 'latin1'), PAD]).subarray(0, 32);

/** RC4 with the key, then 19 more passes with the key XORed with the pass number (algorithms 3 and 5). */
function rc4Rounds(key: Buffer, data: Buffer): Buffer {
  let out = rc4(key, data);
  for (let i = 1; i <= 19; i++) out = rc4(Buffer.from(key.map((b) => b ^ i)), out);
  return out;
}

function md5Rounds(first: Buffer): Buffer {
  let h = first;
  for (let i = 0; i < 50; i++) h = md5(h.subarray(0, 16));
  return h.subarray(0, 16);
}

export function encryptPdf(pdf: Buffer, userPassword: string, ownerPassword = crypto.randomBytes(12).toString('hex')): Buffer {
  const id = crypto.randomBytes(16);
  const p = Buffer.alloc(4);
  p.writeInt32LE(PERMISSIONS);
  const o = rc4Rounds(md5Rounds(md5(padded(ownerPassword))), padded(userPassword));
  const fileKey = md5Rounds(md5(padded(userPassword), o, p, id));
  const u = Buffer.concat([rc4Rounds(fileKey, md5(PAD, id)), Buffer.alloc(16)]);

  const text = pdf.toString('latin1');
  const objects = [...text.matchAll(/(\d+) 0 obj\n([\s\S]*?)\nendobj\n/g)].map((m) => ({ num: Number(m[1]), body: m[2]! }));
  if (objects.length === 0) throw new Error('not a PDF the fixture generator wrote');
  const root = /\/Root (\d+) 0 R/.exec(text)?.[1];
  if (!root) throw new Error('no /Root in the trailer');

  const encrypted = objects.map(({ num, body }) => {
    const m = /^([\s\S]*?)\/Length (\d+)([\s\S]*?)\nstream\n/.exec(body);
    if (!m) return { num, body: Buffer.from(body, 'latin1') };
    const start = m[0].length;
    const data = Buffer.from(body.slice(start, start + Number(m[2])), 'latin1');
    const objectKey = md5(fileKey, Buffer.from([num & 255, (num >> 8) & 255, (num >> 16) & 255, 0, 0]), Buffer.from('sAlT', 'latin1')).subarray(0, 16);
    const iv = crypto.randomBytes(16);
    const cipher = crypto.createCipheriv('aes-128-cbc', objectKey, iv);
    const sealed = Buffer.concat([iv, cipher.update(data), cipher.final()]);
    const head = `${m[1]}/Length ${sealed.length}${m[3]}\nstream\n`;
    return { num, body: Buffer.concat([Buffer.from(head, 'latin1'), sealed, Buffer.from('\nendstream', 'latin1')]) };
  });
  const encryptNum = Math.max(...objects.map((x) => x.num)) + 1;
  encrypted.push({
    num: encryptNum,
    body: Buffer.from(
      `<< /Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /AuthEvent /DocOpen /CFM /AESV2 /Length 16 >> >> /StmF /StdCF /StrF /StdCF ` +
        `/O <${o.toString('hex')}> /U <${u.toString('hex')}> /P ${PERMISSIONS} >>`,
      'latin1',
    ),
  });

  const chunks: Buffer[] = [Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets = new Map<number, number>();
  let pos = chunks[0]!.length;
  for (const { num, body } of encrypted) {
    offsets.set(num, pos);
    const obj = Buffer.concat([Buffer.from(`${num} 0 obj\n`, 'latin1'), body, Buffer.from('\nendobj\n', 'latin1')]);
    chunks.push(obj);
    pos += obj.length;
  }
  const size = encryptNum + 1;
  const rows = ['0000000000 65535 f \n'];
  for (let n = 1; n < size; n++) rows.push(offsets.has(n) ? `${String(offsets.get(n)).padStart(10, '0')} 00000 n \n` : '0000000000 65535 f \n');
  const hexId = id.toString('hex');
  chunks.push(
    Buffer.from(
      `xref\n0 ${size}\n${rows.join('')}trailer\n<< /Size ${size} /Root ${root} 0 R /Encrypt ${encryptNum} 0 R /ID [<${hexId}> <${hexId}>] >>\nstartxref\n${pos}\n%%EOF\n`,
      'latin1',
    ),
  );
  return Buffer.concat(chunks);
}
