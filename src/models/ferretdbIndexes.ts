/**
 * Indexes FerretDB 1.24 can use on PostgreSQL (the embedded default). FerretDB pushes an equality filter down as
 * `_jsonb -> 'field' @> value` (a containment), while the indexes it creates for a collection's indexes are btree
 * indexes on `_jsonb -> 'field'`, which serve `=` but not `@>`: every find by `_id`, by outbox key or by address
 * scanned its whole table (findOne by _id on 20,000 documents: 44 ms). A GIN index on the same expression serves
 * `@>`; with `plan_cache_mode=force_custom_plan` (embeddedPostgres.ts) PostgreSQL plans each of FerretDB's prepared
 * statements with the field name known and uses it (the same findOne: 2.5 ms).
 *
 * An event trigger adds the GIN index whenever FerretDB creates one of its btree indexes, so every collection and
 * database gets them without the app knowing about PostgreSQL; at each start the indexes made before are checked
 * too. `orgId` is skipped: one value in a deployment, an index on it would only cost writes. Production on MongoDB
 * is untouched.
 */
import { Client } from 'pg';

const SETUP = `
CREATE OR REPLACE FUNCTION public.liushou_gin_for(idx regclass) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  def text := pg_get_indexdef(idx);
  tbl regclass;
  field text;
BEGIN
  IF def !~ ' USING btree ' THEN RETURN; END IF;
  SELECT indrelid::regclass INTO tbl FROM pg_index WHERE indexrelid = idx;
  -- FerretDB's own metadata table: a few rows, read by its exact name.
  IF (SELECT relname FROM pg_class WHERE oid = tbl) LIKE '\_ferretdb\_%' THEN RETURN; END IF;
  FOR field IN SELECT (regexp_matches(def, '_jsonb -> ''([^'']+)''::text', 'g'))[1] LOOP
    CONTINUE WHEN field = 'orgId';
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((_jsonb -> %L))',
      left((SELECT relname FROM pg_class WHERE oid = tbl), 40) || '_' || left(md5(field), 8) || '_gin', tbl, field);
  END LOOP;
END $fn$;

CREATE OR REPLACE FUNCTION public.liushou_gin_on_create() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
DECLARE r record;
BEGIN
  FOR r IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE INDEX' LOOP
    PERFORM public.liushou_gin_for(r.objid::regclass);
  END LOOP;
END $fn$;

DO $do$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'liushou_gin') THEN
    CREATE EVENT TRIGGER liushou_gin ON ddl_command_end WHEN TAG IN ('CREATE INDEX') EXECUTE FUNCTION public.liushou_gin_on_create();
  END IF;
END $do$;
`;

/** FerretDB's btree expression indexes that have no GIN twin yet (made before the trigger existed). */
const BACKFILL = `
SELECT public.liushou_gin_for(i.indexrelid::regclass)
FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND pg_get_indexdef(i.indexrelid) ~ ' USING btree .*_jsonb -> '
`;

/** Installs the trigger (once per cluster) and adds what is missing; returns how many GIN indexes there are now. */
export async function ensureContainmentIndexes(url: string): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(SETUP);
    await client.query(BACKFILL);
    const res = await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_indexes WHERE indexdef ~ 'USING gin \\(\\(_jsonb -> '");
    return Number(res.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
