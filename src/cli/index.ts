/**
 * `npm run cli -- …`: roster/staff import and printable contact cards from the command line, on the same database
 * `npm start` uses (reusing its server when it runs, else starting one and stopping it again).
 * `main(argv, io)` returns the exit code instead of exiting, so tests call it directly.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { databaseUri } from '../app';
import { Config, ConfigError, loadConfig } from '../config';
import { buildCardsWorkbook } from '../import/cardsWorkbook';
import { contactCards, type ContactCard } from '../import/contactCards';
import { columnLabel } from '../import/columns';
import { describeErrors } from '../import/errors';
import type { ImportResult } from '../import/result';
import { importRoster } from '../import/rosterImport';
import { importStaff } from '../import/staffImport';
import { readTable, TableError } from '../import/table';
import { translate, type Lang } from '../locales';
import { connectDatabase, disconnectDatabase } from '../models/connect';
import '../models'; // registers every model, so connectDatabase builds all indexes
import { audit } from '../models/auditLog';
import { findMongo } from '../models/mongoServer';
import { School } from '../models/school';
import { createProgress, type Output } from './progress';

export type { Output } from './progress';

export interface CliIo {
  stdout: Output;
  stderr: Output;
  /** Defaults to process.env, read at call time (tests set MONGODB_URI just before calling). */
  env?: NodeJS.ProcessEnv;
}

export const EXIT = { ok: 0, rowErrors: 1, usage: 2, failure: 3 } as const;

export const USAGE = `用法 / Usage:
  npm run cli -- import staff  文件.csv|文件.xlsx [--dry-run]   导入教职工名单 / import the staff list
  npm run cli -- import roster 文件.csv|文件.xlsx [--dry-run]   导入学生花名册 / import the roster
  npm run cli -- cards --out 联系卡.xlsx [--school 学校名]       生成可打印的联系卡 / write printable contact cards
  npm run cli -- help                                           显示本说明 / show this help

选项 / Options:
  --dry-run        只检查，不写入数据库 / check only, write nothing
  --out FILE       联系卡文件（.xlsx），A4 打印后沿虚线剪开 / the cards file (.xlsx): print on A4, cut along the dashed lines
  --school NAME    只生成这所学校的联系卡 / only this school's cards

表头可以用中文或英文列名（见 DESIGN.md §4）。先导入教职工，再导入花名册。
Headers may be the Chinese or English column names (DESIGN.md §4). Import the staff before the roster.
数据库和其他设置与 npm start 相同：环境变量，见 .env.example。
Database and settings are the same as for npm start: environment variables, see .env.example.

退出码 / Exit codes:
  0  成功 / done
  1  有的行有错误，已跳过；或没有可打印的联系卡 / some rows had errors and were skipped; or no cards to print
  2  用法错误、设置错误、文件无法读取或写入 / usage or configuration error, file unreadable or unwritable
  3  数据库或其他故障 / database or other failure
`;

class UsageError extends Error {}

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const env = io.env ?? process.env;
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'help': case '--help': case '-h':
        io.stdout.write(USAGE);
        return EXIT.ok;
      case undefined:
        io.stderr.write(USAGE);
        return EXIT.usage;
      case 'import':
        return await importCommand(rest, io, env);
      case 'cards':
        return await cardsCommand(rest, io, env);
      default:
        throw new UsageError(`未知命令 / unknown command: ${command}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${err.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      io.stderr.write(`${err.message}\nSee .env.example for every setting.\n`);
      return EXIT.usage;
    }
    io.stderr.write(`出错了 / Failed: ${(err as Error).message}\n`);
    return EXIT.failure;
  }
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util reports an unknown option or a missing value as a TypeError with an ERR_PARSE_ARGS_* code.
    if (String((err as { code?: string }).code).startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message);
    throw err;
  }
}

/** Under `npm run`, the working directory is the package root; a path the user typed is relative to where they were. */
function userPath(file: string, env: NodeJS.ProcessEnv): string {
  const base = env.npm_lifecycle_event && env.INIT_CWD ? env.INIT_CWD : process.cwd();
  return path.resolve(base, file);
}

/** Connects like `npm start` does; always disconnects, and stops the server if this call started it. */
async function withConnection<T>(config: Config, io: CliIo, env: NodeJS.ProcessEnv, fn: () => Promise<T>): Promise<T> {
  const mongo = await findMongo({ dataDir: path.resolve(config.DATA_DIR), reuseRunning: true, env, log: (m) => io.stderr.write(`${m}\n`) });
  try {
    try {
      await connectDatabase(databaseUri(mongo.uri, config.MONGODB_DB));
      return await fn();
    } finally {
      // mongoose is one per process: the next main() (or test) connects anew.
      await disconnectDatabase();
    }
  } finally {
    await mongo.stop();
  }
}

async function importCommand(args: string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parse(args, { 'dry-run': { type: 'boolean' } });
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  const [kind, file, ...extra] = positionals;
  if (kind !== 'staff' && kind !== 'roster') throw new UsageError('请写 import staff 或 import roster / expected: import staff|roster FILE');
  if (!file) throw new UsageError('缺少文件名 / missing FILE');
  if (extra.length) throw new UsageError(`多余的参数 / unexpected argument: ${extra.join(' ')}`);
  const dryRun = values['dry-run'] === true;

  const config = loadConfig(env);
  const lang = config.DEFAULT_LANG;
  const filePath = userPath(file, env);
  let table: string[][];
  try {
    table = await readTable(await fs.readFile(filePath));
  } catch (err) {
    const detail = err instanceof TableError ? translate(lang, 'text', 'importError.unreadable') : (err as Error).message;
    io.stderr.write(`${lang === 'en' ? 'Cannot read' : '无法读取'} ${filePath}: ${detail}${err instanceof TableError ? ` (${err.message})` : ''}\n`);
    return EXIT.usage;
  }

  const progress = createProgress(io.stderr, table.length - 1, kind === 'staff' ? '教职工 / staff' : '花名册 / roster');
  const result = await withConnection(config, io, env, async () => {
    const now = new Date();
    const opts = { orgId: config.ORG_ID, now, dryRun, showTeacherPhone: config.SHOW_TEACHER_PHONE, timeZone: config.TIME_ZONE, onProgress: progress.onProgress };
    let r: ImportResult;
    try {
      r = kind === 'staff' ? await importStaff(table, opts) : await importRoster(table, opts);
    } finally {
      progress.stop();
    }
    // Same audit entry as the admin API's import; a dry run writes nothing at all.
    if (!dryRun) {
      await audit(config.ORG_ID, now, 'cli', `import.${kind}`, undefined,
        { file: path.basename(filePath), created: r.created, updated: r.updated, errors: r.errors.length });
    }
    return r;
  });

  io.stdout.write(summary(kind, path.basename(filePath), result, lang));
  return result.errors.length ? EXIT.rowErrors : EXIT.ok;
}

export function summary(kind: 'staff' | 'roster', file: string, r: ImportResult, lang: Lang): string {
  const en = lang === 'en';
  const badRows = new Set(r.errors.map((e) => e.row)).size;
  const lines: string[] = [];
  const title = en ? `${kind === 'staff' ? 'Staff' : 'Roster'} import: ${file}` : `${kind === 'staff' ? '教职工' : '花名册'}导入：${file}`;
  lines.push(r.dryRun ? `${title}${en ? ' (dry run: nothing was written)' : '（试运行：没有写入任何数据）'}` : title);
  const counts = en
    ? [`created ${r.created}`, `updated ${r.updated}`, `unchanged ${r.unchanged}`, ...(kind === 'roster' ? [`proposed pairings ${r.proposed.length}`] : []), `rows with errors ${badRows}`]
    : [`新建 ${r.created}`, `更新 ${r.updated}`, `未变 ${r.unchanged}`, ...(kind === 'roster' ? [`建议结对 ${r.proposed.length}`] : []), `出错 ${badRows} 行`];
  lines.push(`  ${counts.join(' · ')}`);
  if (r.proposed.length) {
    lines.push(en ? '  Proposed pairings (teacher column left blank; confirm or change them):' : '  建议的帮扶结对（帮扶教师一栏空着，由系统建议，请确认或修改）：');
    for (const p of r.proposed) lines.push(en ? `    Row ${p.row} ${p.child} → ${p.teacher} (${p.wecomUserId})` : `    第 ${p.row} 行 ${p.child} → ${p.teacher}（${p.wecomUserId}）`);
  }
  if (r.errors.length) {
    lines.push(en ? '  Errors (these rows were skipped; fix them and import the file again):' : '  错误（这些行已跳过，改正后重新导入整个文件即可）：');
    for (const e of describeErrors(r.errors, lang)) {
      const field = columnLabel(e.field, lang);
      lines.push(en ? `    Row ${e.row} · ${field}: ${e.message}` : `    第 ${e.row} 行 · ${field}: ${e.message}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function cardsCommand(args: string[], io: CliIo, env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string', short: 'o' }, school: { type: 'string' } });
  if (values.help) {
    io.stdout.write(USAGE);
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError(`多余的参数 / unexpected argument: ${positionals.join(' ')}`);
  if (!values.out) throw new UsageError('缺少 --out 文件名 / missing --out FILE.xlsx');
  if (!/\.xlsx$/i.test(values.out)) throw new UsageError('--out 要以 .xlsx 结尾 / --out must end in .xlsx');
  const school = values.school?.trim();
  const outPath = userPath(values.out, env);

  const config = loadConfig(env);
  const en = config.DEFAULT_LANG === 'en';
  const found = await withConnection(config, io, env, async (): Promise<{ cards: ContactCard[] } | { knownSchools: string[] }> => {
    let schoolId: string | undefined;
    if (school) {
      const s = await School.findOne({ orgId: config.ORG_ID, name: school }).lean();
      if (!s) return { knownSchools: (await School.find({ orgId: config.ORG_ID }).lean()).map((x) => x.name) };
      schoolId = String(s._id);
    }
    const cards = await contactCards(config.ORG_ID, { schoolId });
    // Staff reading children's records: always audited, like GET /api/contact-cards.
    if (cards.length) await audit(config.ORG_ID, new Date(), 'cli', 'read.contact-cards', undefined, { children: cards.length, school });
    return { cards };
  });

  if ('knownSchools' in found) {
    const known = found.knownSchools.length ? found.knownSchools.join('、') : en ? '(none)' : '（无）';
    io.stderr.write(en ? `No school named "${school}". Schools: ${known}\n` : `没有名为“${school}”的学校。已有的学校：${known}\n`);
    return EXIT.usage;
  }
  const { cards } = found;
  if (cards.length === 0) {
    io.stderr.write(en ? 'No children to print cards for: import the roster first.\n' : '没有可打印联系卡的学生：请先导入花名册。\n');
    return EXIT.rowErrors;
  }
  const buffer = Buffer.from(await buildCardsWorkbook(cards).xlsx.writeBuffer());
  try {
    await fs.writeFile(outPath, buffer);
  } catch (err) {
    io.stderr.write(`${en ? 'Cannot write' : '无法写入'} ${outPath}: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  const codes = cards.reduce((n, c) => n + c.codes.length, 0);
  io.stdout.write(en
    ? `Wrote ${cards.length} contact cards (${codes} binding codes) to ${outPath}\n`
    : `已生成 ${cards.length} 张联系卡（${codes} 个绑定码）：${outPath}\n`);
  return EXIT.ok;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
