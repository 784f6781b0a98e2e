"""SQLAlchemy 2 schema of the server database (separate from the desktop cache's schema).

Times are integer milliseconds since the Unix epoch, as in rrweb. Secrets are never stored:
API tokens only as SHA-256 digests, and no IP address anywhere.
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.core.sql_conventions import JSON_TYPES, NAMING


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = JSON_TYPES


class Account(Base):
    """A person, known by e-mail address; their rights come from memberships."""

    __tablename__ = "account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # stored lower-case
    created_ms: Mapped[int] = mapped_column(BigInteger)


class Organization(Base):
    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    plan: Mapped[str] = mapped_column(String(32))
    # One e-mail address can create only one organization (it may join any number).
    creator_account_id: Mapped[int] = mapped_column(
        ForeignKey("account.id", ondelete="RESTRICT"), unique=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class Membership(Base):
    """An account's place in an organization: its organization role and project roles."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("organization_id", "account_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))  # admin | member | accountant | guest
    created_ms: Mapped[int] = mapped_column(BigInteger)

    account: Mapped[Account] = relationship(lazy="joined")


class Project(Base):
    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # web | mobile | combined
    # Write-only credential the tracking code sends recordings with; public by design.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    # PrivacyPolicy as JSON: {mask_forms, mask_numbers, mask_emails, rules: [{action, selector}]}
    privacy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Last change number handed out: every change to a session takes the next one, so a
    # sync client asks for "changes after N" and misses nothing.
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class ProjectRole(Base):
    """A member's role in one project, where it differs from their organization role's
    default."""

    __tablename__ = "project_role"

    membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))  # manager | editor | viewer | none


class ApiToken(Base):
    """A member's API credential: shown once, kept only as its SHA-256 digest."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        ForeignKey("membership.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, so people can tell their tokens apart in a list.
    hint: Mapped[str] = mapped_column(String(16))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    last_used_ms: Mapped[int | None] = mapped_column(BigInteger)


class Visitor(Base):
    """One person as the tracker knows them: an anonymous id, identified later if at all."""

    __tablename__ = "visitor"
    __table_args__ = (UniqueConstraint("project_id", "anonymous_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    anonymous_id: Mapped[str] = mapped_column(String(200))
    uid: Mapped[str | None] = mapped_column(String(200))  # from identify()
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen_ms: Mapped[int] = mapped_column(BigInteger)
    last_seen_ms: Mapped[int] = mapped_column(BigInteger)


class RecordingSession(Base):
    """One visit; rows live on after deletion as tombstones so sync clients learn of it."""

    __tablename__ = "recording_session"
    __table_args__ = (
        Index(None, "project_id", "change_seq"),
        Index(None, "project_id", "visitor_id", "start_ms"),
        Index(None, "project_id", "start_ms"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    visitor_id: Mapped[int] = mapped_column(ForeignKey("visitor.id", ondelete="CASCADE"))
    client_session_id: Mapped[str | None] = mapped_column(String(200))
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int] = mapped_column(BigInteger)
    active_ms: Mapped[int] = mapped_column(BigInteger)
    last_activity_ms: Mapped[int | None] = mapped_column(BigInteger)
    pages: Mapped[list[str]] = mapped_column(default=list)
    page_count: Mapped[int] = mapped_column(Integer)
    landing_page: Mapped[str | None] = mapped_column(Text)
    exit_page: Mapped[str | None] = mapped_column(Text)
    referrer: Mapped[str | None] = mapped_column(Text)
    device_type: Mapped[str | None] = mapped_column(String(16))
    os: Mapped[str | None] = mapped_column(String(64))
    browser: Mapped[str | None] = mapped_column(String(64))
    viewport_width: Mapped[int | None] = mapped_column(Integer)
    viewport_height: Mapped[int | None] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2))
    event_count: Mapped[int] = mapped_column(Integer)
    click_count: Mapped[int] = mapped_column(Integer)
    input_count: Mapped[int] = mapped_column(Integer)
    error_count: Mapped[int] = mapped_column(Integer)
    custom_count: Mapped[int] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer)
    raw_size: Mapped[int] = mapped_column(BigInteger)
    stored_size: Mapped[int] = mapped_column(BigInteger)
    window_ids: Mapped[list[str]] = mapped_column(default=list)
    # zstd-compressed JSON of the masker's node mirror (tags and flags, no text): masking
    # of the next batch goes on where this one stopped.
    masker_state: Mapped[bytes | None] = mapped_column(LargeBinary)
    change_seq: Mapped[int] = mapped_column(BigInteger)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    updated_ms: Mapped[int] = mapped_column(BigInteger)
    deleted_ms: Mapped[int | None] = mapped_column(BigInteger)

    visitor: Mapped[Visitor] = relationship(lazy="joined")


class RecordingChunk(Base):
    """Part of a session's event stream; immutable once written."""

    __tablename__ = "recording_chunk"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("recording_session.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    event_count: Mapped[int] = mapped_column(Integer)
    starts_with_full_snapshot: Mapped[bool] = mapped_column(Boolean)
    raw_size: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of `data`, the bytes served
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class SessionEvent(Base):
    """What happened in a session (pageviews, clicks, inputs, errors, custom, identify)."""

    __tablename__ = "session_event"
    __table_args__ = (Index(None, "session_id", "chunk_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("recording_session.id", ondelete="CASCADE"))
    chunk_seq: Mapped[int] = mapped_column(Integer)
    ts_ms: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    node_id: Mapped[int | None] = mapped_column(Integer)
    x: Mapped[float | None]
    y: Mapped[float | None]
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AssetBlob(Base):
    """Content-addressed bytes of an image, font or stylesheet."""

    __tablename__ = "asset_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Asset(Base):
    """Which stored content a URL stands for, within one project (projects never share)."""

    __tablename__ = "asset"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    url_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("asset_blob.sha256", ondelete="CASCADE"))
    added_ms: Mapped[int] = mapped_column(BigInteger)


class SessionAsset(Base):
    """The assets a session's recording carried, so a client fetches exactly those."""

    __tablename__ = "session_asset"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("recording_session.id", ondelete="CASCADE"), primary_key=True)
    url_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)


class IngestBatch(Base):
    """Digests of accepted batches: a tracker retrying a batch must not record it twice."""

    __tablename__ = "ingest_batch"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_ms: Mapped[int] = mapped_column(BigInteger)
