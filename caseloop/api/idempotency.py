"""`Idempotency-Key`: a retried request gets the first answer (same status, same body).

The record is inserted with the answer, under the unique (api_key, key), at the end of the
transaction that did the work. A request whose key was answered before finds it there: its own
work rolls back and the first answer is replayed. A concurrent request with the same key blocks on
that insert (PostgreSQL) or on the write lock (SQLite) until the first commits, then does the same.
The same key with a different request is refused with 409.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.utils.translation import gettext as _

from caseloop.api.errors import ApiError, canonical_json
from caseloop.api.models import ApiKey, IdempotencyRecord
from caseloop.core import clock

MAX_KEY_LENGTH = 200
HEADER = "Idempotency-Key"
# Answers carry a secret the customer needs (the case's tracking code); records keep it sealed.
SECRET_FIELD = "tracking_code"  # noqa: S105 - a field name, not a secret


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    is_replay: bool = False


def request_fingerprint(*, method: str, path: str, payload: Any) -> str:
    digest = hashlib.sha256()
    digest.update(method.upper().encode() + b" " + path.encode() + b"\n")
    digest.update(canonical_json(payload))
    return digest.hexdigest()


def run_idempotent(
    *, api_key: ApiKey, key: str | None, fingerprint: str, work: Callable[[], Answer], stores_files: bool = False,
) -> Answer:
    """Do `work` once per (api_key, key); without a key, just do it (in one transaction).

    `stores_files`: the work writes files (attachments), which a rollback does not remove; an
    answered key is looked up first, so that a retry does not store them again.
    """
    if key is None:
        with transaction.atomic():
            return work()
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ApiError(422, "invalid_idempotency_key",
                       _("The Idempotency-Key header must have 1 to %(n)d characters.") % {"n": MAX_KEY_LENGTH},
                       field=HEADER)
    if stores_files and IdempotencyRecord.objects.filter(api_key=api_key, key=key).exists():
        return _replay(api_key, key, fingerprint)
    try:
        with transaction.atomic():
            answer = work()
            if not _store(api_key, key, fingerprint, answer):
                raise _AnsweredBefore  # roll this request's work back; the first answer stands
    except _AnsweredBefore:
        return _replay(api_key, key, fingerprint)
    return answer


class _AnsweredBefore(Exception):
    pass


def _store(api_key: ApiKey, key: str, fingerprint: str, answer: Answer) -> bool:
    """Insert the key's record with the answer; False when the key was used before.

    `ON CONFLICT DO NOTHING`: no savepoint, and one statement. PostgreSQL makes a concurrent insert
    of the same key wait for the first transaction, then skips the row; SQLite runs one writer at a
    time.
    """
    connection = connections[IdempotencyRecord.objects.db]
    quote = connection.ops.quote_name
    table = quote(IdempotencyRecord._meta.db_table)
    columns = ", ".join(quote(c) for c in ("api_key_id", "key", "request_hash", "status_code", "response_body",
                                           "sealed_secret", "created_at"))
    secret = answer.body.get(SECRET_FIELD)
    body = {**answer.body, SECRET_FIELD: None} if secret else answer.body  # unsealed on replay
    values = [
        api_key.pk, key, fingerprint, answer.status,
        IdempotencyRecord._meta.get_field("response_body").get_db_prep_save(body, connection),
        _seal(IdempotencyRecord(api_key=api_key, key=key), secret) if secret else "",
        connection.ops.adapt_datetimefield_value(clock.now()),
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s, %s, %s) "  # noqa: S608 - quoted names, no input
            f"ON CONFLICT ({quote('api_key_id')}, {quote('key')}) DO NOTHING",
            values,
        )
        return cursor.rowcount == 1


def _replay(api_key: ApiKey, key: str, fingerprint: str) -> Answer:
    record = IdempotencyRecord.objects.get(api_key=api_key, key=key)
    if not hmac.compare_digest(record.request_hash, fingerprint):
        raise ApiError(409, "idempotency_key_reused",
                       _("This Idempotency-Key was used for a different request."), field=HEADER)
    body = dict(record.response_body)
    if record.sealed_secret:
        body[SECRET_FIELD] = _unseal(record, record.sealed_secret)
    return Answer(status=record.status_code, body=body, is_replay=True)


def _pad(record: IdempotencyRecord, length: int) -> bytes:
    # A key stream unique to this record, derived from SECRET_KEY: a database dump alone does not
    # reveal the tracking code (the case keeps only an HMAC of it, for the same reason).
    seed = f"caseloop.api.idempotency:{record.api_key_id}:{record.key}".encode()
    stream = b""
    counter = 0
    while len(stream) < length:
        stream += hmac.new(settings.SECRET_KEY.encode(), seed + counter.to_bytes(4, "big"), hashlib.sha256).digest()
        counter += 1
    return stream[:length]


def _seal(record: IdempotencyRecord, secret: str) -> str:
    data = secret.encode()
    return base64.b64encode(bytes(a ^ b for a, b in zip(data, _pad(record, len(data)), strict=True))).decode()


def _unseal(record: IdempotencyRecord, sealed: str) -> str:
    data = base64.b64decode(sealed)
    return bytes(a ^ b for a, b in zip(data, _pad(record, len(data)), strict=True)).decode()


# How long a client may retry with the same Idempotency-Key and get the first answer back.
IDEMPOTENCY_RETENTION = dt.timedelta(hours=48)


def idempotency_records_prune(*, now: dt.datetime | None = None) -> int:
    """Forget answers older than the retention window (run daily by the scheduler)."""
    cutoff = (now or clock.now()) - IDEMPOTENCY_RETENTION
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
