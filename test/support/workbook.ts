/** Reading a produced workbook back the way a user would see it: sheet rows as header → value maps. */
import ExcelJS from 'exceljs';

export type SheetRows = Array<Record<string, unknown>>;

export async function readWorkbook(file: string | Buffer): Promise<Map<string, SheetRows>> {
  const wb = new ExcelJS.Workbook();
  if (typeof file === 'string') await wb.xlsx.readFile(file);
  else await wb.xlsx.load(file as unknown as ArrayBuffer);
  const sheets = new Map<string, SheetRows>();
  wb.eachSheet((ws) => {
    const header = (ws.getRow(1).values as unknown[]).map((v) => String(v ?? ''));
    const rows: SheetRows = [];
    ws.eachRow((row, n) => {
      if (n === 1) return;
      const rec: Record<string, unknown> = {};
      (row.values as unknown[]).forEach((v, i) => {
        if (header[i]) rec[header[i]!] = v;
      });
      rows.push(rec);
    });
    sheets.set(ws.name, rows);
  });
  return sheets;
}

/** Numbers compare as numbers, text case- and space-insensitively. */
export function sameValue(cell: unknown, expected: string): boolean {
  const n = Number(expected.replace(/,/g, ''));
  if (typeof cell === 'number' && Number.isFinite(n)) return Math.abs(cell - n) < 1e-9;
  return (
    String(cell ?? '')
      .replace(/\s+/g, ' ')
      .trim()
      .toLowerCase() === expected.replace(/\s+/g, ' ').trim().toLowerCase()
  );
}
