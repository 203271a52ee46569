"""Indexes for the console list at scale (bench/case_list.py, 100,000 cases).

- case_status_due: the overdue filter reads open statuses whose deadline has passed from the index.
- PostgreSQL only: the weighted tsvector the search matches on becomes a stored generated column
  (`document`) with the GIN index on it, replacing the expression index of migration 0002. The
  tsquery carries weights, so GIN asks to recheck every candidate row; over the expression index
  each recheck recomputed to_tsvector of the whole document (~25 µs a row), which made counting
  a common word (thousands of rows) cost 150-250 ms. The stored column is read instead. The ORM
  does not know the column: the database fills it on INSERT and UPDATE of words/grams.
  Adding it rewrites cases_casesearchdocument (about 10 s per 100,000 cases, under an exclusive lock).
"""

from django.db import migrations, models

DOCUMENT = (
    "setweight(to_tsvector('simple'::regconfig, words), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, grams), 'B')"
)
POSTGRES_FORWARD = [
    f"ALTER TABLE cases_casesearchdocument ADD COLUMN document tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED",
    "CREATE INDEX case_search_document_vector ON cases_casesearchdocument USING gin (document)",
    "DROP INDEX IF EXISTS case_search_document_fts",
]
POSTGRES_BACKWARD = [
    f"CREATE INDEX IF NOT EXISTS case_search_document_fts ON cases_casesearchdocument USING gin (({DOCUMENT}))",
    "DROP INDEX IF EXISTS case_search_document_vector",
    "ALTER TABLE cases_casesearchdocument DROP COLUMN IF EXISTS document",
]


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_FORWARD:
            schema_editor.execute(sql)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for sql in POSTGRES_BACKWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_search_index_and_timeline_guard")]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["status", "resolution_due_at"], name="case_status_due"),
        ),
        migrations.RunPython(forward, backward),
    ]
