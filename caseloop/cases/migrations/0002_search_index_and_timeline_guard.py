"""Database-specific pieces the ORM cannot express.

- Full-text index over CaseSearchDocument: an external-content FTS5 table kept in sync by
  triggers on SQLite; a GIN index over the weighted tsvector expression on PostgreSQL (the same
  expression `cases.selectors.text_condition` queries).
- The case timeline is append-only: a trigger refuses UPDATE of cases_caseevent on both.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE cases_case_fts USING fts5(
        words, grams, content='cases_casesearchdocument', content_rowid='case_id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER cases_case_fts_ai AFTER INSERT ON cases_casesearchdocument BEGIN
        INSERT INTO cases_case_fts(rowid, words, grams) VALUES (new.case_id, new.words, new.grams);
    END""",
    """CREATE TRIGGER cases_case_fts_ad AFTER DELETE ON cases_casesearchdocument BEGIN
        INSERT INTO cases_case_fts(cases_case_fts, rowid, words, grams) VALUES ('delete', old.case_id, old.words, old.grams);
    END""",
    """CREATE TRIGGER cases_case_fts_au AFTER UPDATE ON cases_casesearchdocument BEGIN
        INSERT INTO cases_case_fts(cases_case_fts, rowid, words, grams) VALUES ('delete', old.case_id, old.words, old.grams);
        INSERT INTO cases_case_fts(rowid, words, grams) VALUES (new.case_id, new.words, new.grams);
    END""",
    """CREATE TRIGGER cases_caseevent_append_only BEFORE UPDATE ON cases_caseevent BEGIN
        SELECT RAISE(ABORT, 'the case timeline is append-only');
    END""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_caseevent_append_only",
    "DROP TRIGGER IF EXISTS cases_case_fts_au",
    "DROP TRIGGER IF EXISTS cases_case_fts_ad",
    "DROP TRIGGER IF EXISTS cases_case_fts_ai",
    "DROP TABLE IF EXISTS cases_case_fts",
]

POSTGRES_FORWARD = [
    """CREATE INDEX case_search_document_fts ON cases_casesearchdocument USING gin (
        (setweight(to_tsvector('simple'::regconfig, words), 'A') ||
         setweight(to_tsvector('simple'::regconfig, grams), 'B')))""",
    """CREATE FUNCTION cases_caseevent_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the case timeline is append-only'; END $$""",
    """CREATE TRIGGER cases_caseevent_append_only BEFORE UPDATE ON cases_caseevent
        FOR EACH ROW EXECUTE FUNCTION cases_caseevent_refuse_update()""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_caseevent_append_only ON cases_caseevent",
    "DROP FUNCTION IF EXISTS cases_caseevent_refuse_update()",
    "DROP INDEX IF EXISTS case_search_document_fts",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
