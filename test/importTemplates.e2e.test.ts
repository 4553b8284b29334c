/** Issue 11: the downloadable templates are files the import reads as they are (headers and the example row). */
import ExcelJS from 'exceljs';
import { ADMIN_TOKEN, startTestApp, TestApp } from './helpers/testApp';

let t: TestApp;
const token = { Authorization: `Bearer ${ADMIN_TOKEN}` };
beforeAll(async () => { t = await startTestApp(); });
afterAll(async () => { await t.stop(); });

const download = async (kind: string) => {
  const res = await t.http.get(`/api/import/templates/${kind}.xlsx`).set(token).buffer(true)
    .parse((r, cb) => { const parts: Buffer[] = []; r.on('data', (c: Buffer) => parts.push(c)); r.on('end', () => cb(null, Buffer.concat(parts))); });
  return res;
};

it.each(['staff', 'roster'])('the %s template: Chinese headers, one example row, imported without an error', async (kind) => {
  const res = await download(kind);
  expect(res.status).toBe(200);
  expect(res.headers['content-disposition']).toContain("filename*=UTF-8''");
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(res.body);
  const ws = wb.worksheets[0];
  expect(ws.rowCount).toBe(2);
  expect(ws.getRow(1).getCell(1).value).toBe('学校');
  // The staff example first: the roster's example row names its teacher.
  if (kind === 'roster') expect((await t.http.post('/api/import/staff').set(token).send((await download('staff')).body)).body.errors).toEqual([]);
  const imported = await t.http.post(`/api/import/${kind}?dryRun=1`).set(token).set('Content-Type', 'application/octet-stream').send(res.body);
  expect(imported.status).toBe(200);
  expect(imported.body.errors).toEqual([]);
  expect(imported.body.created).toBe(1);
});

it('an unknown template is 404', async () => {
  expect((await t.http.get('/api/import/templates/other.xlsx').set(token)).status).toBe(404);
});
