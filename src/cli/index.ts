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
import { MAX_LISTED } from '../import/answer';
import { buildCardsWorkbook } from '../import/cardsWorkbook';
import { type CjkFont, loadCjkFont, NoCjkFontError } from '../import/cjkFont';
import { contactCards, type ContactCard } from '../import/contactCards';
import { renderContactCardsPdf } from '../import/contactCardsPdf';
import { columnLabel } from '../import/columns';
import { describeErrors } from '../import/errors';
import type { ImportResult } from '../import/result';
import { importRoster } from '../import/rosterImport';
import { importStaff } from '../import/staffImport';
import { readTable, TableError } from '../import/table';
import { translate, translator, type Lang, type Params } from '../locales';
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

/** The help text in `lang`. */
export function usage(lang: Lang): string {
  return translate(lang, 'text', 'cli.usage');
}

/** A mistake in the command line: exit 2 with the message and the usage. `key` is under `cli.usageError.`. */
class UsageError extends Error {
  constructor(readonly key: string, readonly params: Params = {}) {
    super(key);
  }
}

/** DEFAULT_LANG as loadConfig reads it; still a language when the rest of the configuration is invalid. */
function cliLang(env: NodeJS.ProcessEnv): Lang {
  try {
    return loadConfig(env).DEFAULT_LANG;
  } catch {
    return env.DEFAULT_LANG === 'en' ? 'en' : 'zh-CN';
  }
}

export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const env = io.env ?? process.env;
  const lang = cliLang(env);
  const t = translator(lang, 'text');
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'help': case '--help': case '-h':
        io.stdout.write(usage(lang));
        return EXIT.ok;
      case undefined:
        io.stderr.write(usage(lang));
        return EXIT.usage;
      case 'import':
        return await importCommand(rest, io, env, lang);
      case 'cards':
        return await cardsCommand(rest, io, env, lang);
      default:
        throw new UsageError('unknownCommand', { command });
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`${t(`cli.usageError.${err.key}`, err.params)}\n\n${usage(lang)}`);
      return EXIT.usage;
    }
    if (err instanceof ConfigError) {
      io.stderr.write(`${t('cli.configError', { detail: err.message })}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`${t('cli.failure', { detail: (err as Error).message })}\n`);
    return EXIT.failure;
  }
}

function parse<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    // node:util reports an unknown option or a missing value as a TypeError with an ERR_PARSE_ARGS_* code,
    // and an English message that names the option in quotes: "Unknown option '--bogus'. …".
    const code = String((err as { code?: string }).code);
    if (!code.startsWith('ERR_PARSE_ARGS')) throw err;
    const message = (err as Error).message;
    const option = /'([^']+)'/.exec(message)?.[1];
    if (option && code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError('unknownOption', { option });
    if (option && code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError('badOptionValue', { option: option.replace(/ <value>$/, '') });
    throw new UsageError('badArguments', { detail: message });
  }
}

/** Under `npm run`, the working directory is the package root; a path the user typed is relative to where they were. */
function userPath(file: string, env: NodeJS.ProcessEnv): string {
  const base = env.npm_lifecycle_event && env.INIT_CWD ? env.INIT_CWD : process.cwd();
  return path.resolve(base, file);
}

/** Why a file could not be read or written: the common causes in `lang`, anything else as the system says it. */
function fileProblem(err: unknown, lang: Lang): string {
  const key = { ENOENT: 'notFound', EACCES: 'noPermission', EPERM: 'noPermission', EISDIR: 'isDirectory' }[String((err as { code?: string }).code)];
  return key ? translate(lang, 'text', `cli.file.${key}`) : (err as Error).message;
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

/** `lang` is DEFAULT_LANG (see cliLang), known before the rest of the configuration is checked. */
async function importCommand(args: string[], io: CliIo, env: NodeJS.ProcessEnv, lang: Lang): Promise<number> {
  const { values, positionals } = parse(args, { 'dry-run': { type: 'boolean' } });
  if (values.help) {
    io.stdout.write(usage(lang));
    return EXIT.ok;
  }
  const [kind, file, ...extra] = positionals;
  if (kind !== 'staff' && kind !== 'roster') throw new UsageError('expectedImportKind');
  if (!file) throw new UsageError('missingFile');
  if (extra.length) throw new UsageError('unexpectedArguments', { args: extra.join(' ') });
  const dryRun = values['dry-run'] === true;

  const config = loadConfig(env);
  const t = translator(lang, 'text');
  const filePath = userPath(file, env);
  let table: string[][];
  try {
    table = await readTable(await fs.readFile(filePath));
  } catch (err) {
    // TableError's own message is the technical reason, in English: shown after the translated one.
    io.stderr.write(`${err instanceof TableError
      ? t('cli.file.cannotReadTable', { file: filePath, detail: t(`importError.${err.code}`, err.params), reason: err.message })
      : t('cli.file.cannotRead', { file: filePath, detail: fileProblem(err, lang) })}\n`);
    return EXIT.usage;
  }

  const progress = createProgress(io.stderr, table.length - 1, t(`cli.progress.${kind}`));
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

/** What an import did, for the terminal: the counts, then one line per proposed pairing, unpaired child and error. */
export function summary(kind: 'staff' | 'roster', file: string, r: ImportResult, lang: Lang): string {
  const t = translator(lang, 'text');
  const s = (key: string, params?: Params) => t(`cli.summary.${key}`, params);
  const badRows = new Set(r.errors.map((e) => e.row)).size;
  const unpaired = r.unpaired;
  const lines: string[] = [s(`${r.dryRun ? 'titleDryRun' : 'title'}.${kind}`, { file })];
  const counts = [
    s('created', { n: r.created }),
    s('updated', { n: r.updated }),
    s('unchanged', { n: r.unchanged }),
    ...(kind === 'roster' ? [s('proposed', { n: r.proposed.length }), s('unpaired', { n: unpaired.length })] : []),
    s('badRows', { n: badRows }),
  ];
  lines.push(`  ${counts.join(s('separator'))}`);
  if (r.proposed.length) {
    lines.push(`  ${s('proposedHeader')}`);
    for (const p of r.proposed) lines.push(`    ${s('proposedLine', { row: p.row, child: p.child, teacher: p.teacher, wecomUserId: p.wecomUserId })}`);
  }
  if (unpaired.length) {
    lines.push(`  ${s('unpairedHeader')}`);
    for (const u of unpaired) lines.push(`    ${s('unpairedLine', { row: u.row, child: u.child })}`);
  }
  if (r.errors.length) {
    lines.push(`  ${s('errorsHeader')}`);
    // Like the API's answer: the first MAX_LISTED, then how many more (a 50,000-row file can have as many errors).
    for (const e of describeErrors(r.errors.slice(0, MAX_LISTED), lang)) {
      lines.push(`    ${s('errorLine', { row: e.row, field: columnLabel(e.field, lang), message: e.message })}`);
    }
    if (r.errors.length > MAX_LISTED) lines.push(`    ${s('moreErrors', { n: r.errors.length - MAX_LISTED, total: r.errors.length })}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `lang` is DEFAULT_LANG (see cliLang), known before the rest of the configuration is checked. */
async function cardsCommand(args: string[], io: CliIo, env: NodeJS.ProcessEnv, lang: Lang): Promise<number> {
  const { values, positionals } = parse(args, { out: { type: 'string', short: 'o' }, school: { type: 'string' }, pdf: { type: 'boolean' } });
  if (values.help) {
    io.stdout.write(usage(lang));
    return EXIT.ok;
  }
  if (positionals.length) throw new UsageError('unexpectedArguments', { args: positionals.join(' ') });
  if (!values.out) throw new UsageError('missingOut');
  const pdf = values.pdf === true;
  if (!(pdf ? /\.pdf$/i : /\.xlsx$/i).test(values.out)) throw new UsageError(pdf ? 'outNotPdf' : 'outNotXlsx');
  const school = values.school?.trim();
  const outPath = userPath(values.out, env);

  const config = loadConfig(env);
  const t = translator(lang, 'text');
  // The font before the database: without one there is nothing to print (and nothing read).
  let font: CjkFont | undefined;
  if (pdf) {
    try {
      font = await loadCjkFont(config.CJK_FONT_PATH);
    } catch (err) {
      if (!(err instanceof NoCjkFontError)) throw err;
      io.stderr.write(`${t('cli.cards.noFont', { detail: err.message })}\n`);
      return EXIT.usage;
    }
  }
  const found = await withConnection(config, io, env, async (): Promise<{ cards: ContactCard[] } | { knownSchools: string[] }> => {
    let schoolId: string | undefined;
    if (school) {
      const s = await School.findOne({ orgId: config.ORG_ID, name: school }).lean();
      if (!s) return { knownSchools: (await School.find({ orgId: config.ORG_ID }).lean()).map((x) => x.name) };
      schoolId = String(s._id);
    }
    const cards = await contactCards(config.ORG_ID, { schoolId });
    // Staff reading children's records: always audited, like GET /api/contact-cards.
    if (cards.length) await audit(config.ORG_ID, new Date(), 'cli', 'read.contact-cards', undefined, { children: cards.length, school, format: pdf ? 'pdf' : 'xlsx' });
    return { cards };
  });

  if ('knownSchools' in found) {
    const known = found.knownSchools.length ? found.knownSchools.join(t('cli.cards.schoolSeparator')) : t('cli.cards.noSchools');
    io.stderr.write(`${t('cli.cards.unknownSchool', { school, known })}\n`);
    return EXIT.usage;
  }
  const { cards } = found;
  if (cards.length === 0) {
    io.stderr.write(`${t('cli.cards.noChildren')}\n`);
    return EXIT.rowErrors;
  }
  const buffer = font
    ? await renderContactCardsPdf(cards, { font, kfLink: config.WECOM_KF_LINK })
    : Buffer.from(await buildCardsWorkbook(cards).xlsx.writeBuffer());
  try {
    await fs.writeFile(outPath, buffer);
  } catch (err) {
    io.stderr.write(`${t('cli.file.cannotWrite', { file: outPath, detail: fileProblem(err, lang) })}\n`);
    return EXIT.usage;
  }
  const codes = cards.reduce((n, c) => n + c.codes.length, 0);
  io.stdout.write(`${t('cli.cards.written', { cards: cards.length, codes, file: outPath })}\n`);
  return EXIT.ok;
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
