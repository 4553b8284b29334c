/**
 * A generated county roster for import benchmarks: N children in schools of up to 1,000 pupils, classes of 50,
 * each with father, mother and guardian, and one teacher of the same school for every three children (named in the roster).
 * Deterministic: the same N gives the same files, so two imports of it are "the same file twice".
 *
 * `npx tsx bench/roster.ts [N…]` imports the staff, then the roster (twice, to time the no-op re-import too), on a
 * fresh database of the server `findMongo` picks, and prints children/s.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workbook } from 'exceljs';
import { ROSTER_COLUMNS, STAFF_COLUMNS } from '../src/import/columns';

export interface GeneratedRoster {
  /** Staff CSV (UTF-8): the teachers the roster names. */
  staff: Buffer;
  /** Roster as CSV (UTF-8) or .xlsx. */
  roster: Buffer;
  children: number;
  teachers: number;
}

const CHILDREN_PER_SCHOOL = 1000;
const CHILDREN_PER_CLASS = 50;
const CHILDREN_PER_TEACHER = 3;
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
const GIVEN = '小明华红刚丽伟芳军静磊洋艳勇杰娟涛超霞';

/** Cells of the roster (header first) and of the staff list, as strings. */
export function rosterTables(n: number): { staff: string[][]; roster: string[][] } {
  const staff: string[][] = [STAFF_COLUMNS.map((c) => c.zh)];
  const roster: string[][] = [ROSTER_COLUMNS.map((c) => c.zh)];
  // Teachers belong to one school and take children of that school only (the import refuses a teacher of another
  // school), so each school has its own ceil(children / 3) of them.
  const schools = Math.ceil(n / CHILDREN_PER_SCHOOL);
  for (let k = 0; k < schools; k++) {
    const pupils = Math.min(CHILDREN_PER_SCHOOL, n - k * CHILDREN_PER_SCHOOL);
    for (let w = 0; w < Math.ceil(pupils / CHILDREN_PER_TEACHER); w++) {
      const t = teacherOf(k * CHILDREN_PER_SCHOOL + w * CHILDREN_PER_TEACHER);
      staff.push([schoolName(k), `老师${t}`, `t${t}`, '', '教师', '', '否', String(CHILDREN_PER_TEACHER), 'teachers']);
    }
  }
  for (let i = 0; i < n; i++) {
    const school = schoolName(Math.floor(i / CHILDREN_PER_SCHOOL));
    const cls = `${1 + (Math.floor(i / CHILDREN_PER_CLASS) % 6)}年级${1 + (Math.floor(i / (CHILDREN_PER_CLASS * 6)) % 4)}班`;
    const surname = SURNAMES[i % SURNAMES.length];
    const child = `${surname}${GIVEN[Math.floor(i / SURNAMES.length) % GIVEN.length]}${i}`;
    const birth = `${2012 + (i % 6)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    const phone = (k: number) => `13${String(100000000 + i * 3 + k).slice(-9)}`;
    const cells: Record<string, string> = {
      school, class: cls, child_name: child, gender: i % 2 ? '女' : '男', birth_date: birth, student_no: `S${i}`,
      left_behind: '双亲外出', living_with: '祖辈', boarding: i % 3 ? '否' : '是', priority: i % 10 ? '否' : '是',
      father_name: `${surname}父${i}`, father_phone: phone(0), father_work_city: '广东东莞',
      mother_name: `母${i}`, mother_phone: phone(1), mother_work_city: '浙江义乌',
      guardian_name: `${surname}奶奶${i}`, guardian_relation: '祖母', guardian_phone: phone(2), guardian_age: '66', guardian_literacy: '小学',
      teacher_wecom_userid: `t${teacherOf(i)}`,
    };
    roster.push(ROSTER_COLUMNS.map((c) => cells[c.key] ?? ''));
  }
  return { staff, roster };
}

/** The pairing teacher of child i: numbered school by school, three children each. */
function teacherOf(i: number): number {
  const perSchool = Math.ceil(CHILDREN_PER_SCHOOL / CHILDREN_PER_TEACHER);
  const k = Math.floor(i / CHILDREN_PER_SCHOOL);
  return k * perSchool + Math.floor((i % CHILDREN_PER_SCHOOL) / CHILDREN_PER_TEACHER);
}

function schoolName(k: number): string {
  return `第${k + 1}中心小学`;
}

export function toCsv(cells: string[][]): Buffer {
  const esc = (c: string) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  return Buffer.from(cells.map((r) => r.map(esc).join(',')).join('\n'), 'utf8');
}

export async function toXlsx(cells: string[][]): Promise<Buffer> {
  const wb = new Workbook();
  const ws = wb.addWorksheet('花名册');
  for (const r of cells) ws.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

/** Staff and roster files for `n` children. */
export async function generateRoster(n: number, format: 'csv' | 'xlsx' = 'csv'): Promise<GeneratedRoster> {
  const { staff, roster } = rosterTables(n);
  return {
    staff: toCsv(staff),
    roster: format === 'csv' ? toCsv(roster) : await toXlsx(roster),
    children: n,
    teachers: staff.length - 1,
  };
}

async function main(sizes: number[]): Promise<void> {
  // Loaded here, so that importing the generator alone pulls in no database code.
  const mongoose = (await import('mongoose')).default;
  const { findMongo, withDatabase } = await import('../src/models/mongoServer');
  const { connectDatabase, disconnectDatabase } = await import('../src/models/connect');
  await import('../src/models');
  const { readTable } = await import('../src/import/table');
  const { importRoster } = await import('../src/import/rosterImport');
  const { importStaff } = await import('../src/import/staffImport');

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'liushou-bench-roster-'));
  const mongo = await findMongo({ dataDir });
  try {
    for (const n of sizes) {
      await connectDatabase(withDatabase(mongo.uri, `bench_roster_${crypto.randomBytes(3).toString('hex')}`));
      try {
        const files = await generateRoster(n);
        const opts = { orgId: 'bench', now: new Date(), dryRun: false, showTeacherPhone: false, timeZone: 'Asia/Shanghai' };
        let t0 = Date.now();
        const staff = await importStaff(await readTable(files.staff), opts);
        const staffS = (Date.now() - t0) / 1000;
        t0 = Date.now();
        const first = await importRoster(await readTable(files.roster), opts);
        const firstS = (Date.now() - t0) / 1000;
        t0 = Date.now();
        const again = await importRoster(await readTable(files.roster), opts);
        const againS = (Date.now() - t0) / 1000;
        const line = (label: string, s: number, r: { created: number; updated: number; errors: unknown[] }) =>
          `${String(n).padStart(6)} ${label.padEnd(16)} ${s.toFixed(1).padStart(7)} s ${(n / s).toFixed(0).padStart(7)} children/s` +
          `  created ${r.created} updated ${r.updated} errors ${r.errors.length}\n`;
        process.stdout.write(`${String(n).padStart(6)} staff (${files.teachers})`.padEnd(24) + `${staffS.toFixed(1).padStart(7)} s  created ${staff.created} errors ${staff.errors.length}\n`);
        process.stdout.write(line('roster', firstS, first));
        process.stdout.write(line('roster again', againS, again));
      } finally {
        await mongoose.connection.db?.dropDatabase().catch(() => undefined);
        await disconnectDatabase();
      }
    }
  } finally {
    await mongo.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const sizes = process.argv.slice(2).map(Number).filter((x) => x > 0);
  main(sizes.length ? sizes : [300, 2000]).catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
}
