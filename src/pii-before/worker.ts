// A PII scanning worker thread (see pool.ts): scans the texts it is sent and posts the findings back.
import { parentPort } from 'node:worker_threads';
import { PII_TYPES } from './findings.ts';
import type { ScanOptions } from './scan.ts';
import { scan } from './scan.ts';

parentPort?.on('message', (m: { id: number; texts: string[]; options: ScanOptions }) => {
  try {
    // Findings travel packed (type index, start, end, score in thousandths): four numbers each.
    const packed = m.texts.map((t) => {
      const found = scan(t, m.options);
      const a = new Int32Array(found.length * 4);
      found.forEach((f, i) => {
        a[4 * i] = PII_TYPES.indexOf(f.type);
        a[4 * i + 1] = f.start;
        a[4 * i + 2] = f.end;
        a[4 * i + 3] = Math.round(f.score * 1000);
      });
      return a;
    });
    parentPort?.postMessage(
      { id: m.id, packed },
      packed.map((a) => a.buffer),
    );
  } catch (e) {
    const err = e as { code?: string; message?: string };
    parentPort?.postMessage({
      id: m.id,
      error: { code: err.code ?? 'VERITY_E_INTERNAL', message: String(err.message) },
    });
  }
});
