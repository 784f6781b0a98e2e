"""The asset store: page resources kept in the cache so replays never fetch them live."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urldefrag

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.core.cache.database import Cache
from app.core.cache.models import AssetBlob, AssetUrl
from app.core.cache.writing import now_ms

MAX_ASSET_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class Asset:
    mime: str
    data: bytes


def url_key(url: str) -> str:
    """URLs that differ only in their #fragment are the same resource."""
    return hashlib.sha256(urldefrag(url.strip())[0].encode()).hexdigest()


def store_asset(session: Session, url: str, data: bytes, mime: str) -> str | None:
    """Keep `data` as the content of `url` (once per distinct content); None if too large."""
    if len(data) > MAX_ASSET_BYTES:
        return None
    digest = hashlib.sha256(data).hexdigest()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(AssetBlob).values(sha256=digest, mime=mime[:100], size=len(data),
                                             data=data).on_conflict_do_nothing())
    key = url_key(url)
    row = session.get(AssetUrl, key)
    if row is None:
        session.add(AssetUrl(url_sha256=key, url=url, blob_sha256=digest, added_ms=now_ms()))
    else:
        row.blob_sha256 = digest
    return digest


def load_asset(cache: Cache, url: str) -> Asset | None:
    with cache.read_session() as session:
        row = session.execute(select(AssetBlob.mime, AssetBlob.data)
                              .join(AssetUrl, AssetUrl.blob_sha256 == AssetBlob.sha256)
                              .where(AssetUrl.url_sha256 == url_key(url))).first()
    return Asset(row.mime, row.data) if row else None
