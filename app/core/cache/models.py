"""SQLAlchemy 2 schema of the local cache.

Times are integer milliseconds since the Unix epoch, as in rrweb, so no timezone guessing
happens between the recording, the cache and the screen.
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
    true,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.core.sql_conventions import JSON_TYPES, NAMING


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = JSON_TYPES


class Organization(Base):
    __tablename__ = "organization"
    __table_args__ = (Index(None, "server_url", "remote_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    # Set on an organization mirrored by sync: the server it lives on and its id there, so a
    # later sync finds it again whatever it is called by then. Null for local organizations.
    server_url: Mapped[str | None] = mapped_column(Text)
    remote_id: Mapped[str | None] = mapped_column(String(64))

    projects: Mapped[list[Project]] = relationship(back_populates="organization")


class Project(Base):
    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # web | mobile | combined
    # Write-only credential the tracking code sends recordings with.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)

    organization: Mapped[Organization] = relationship(back_populates="projects")


class Visitor(Base):
    __tablename__ = "visitor"
    __table_args__ = (UniqueConstraint("project_id", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(200))  # anonymous id or identify() uid
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RecordedSession(Base):
    """One visit. Named so to keep it apart from SQLAlchemy's `Session`."""

    __tablename__ = "session"
    __table_args__ = (
        Index(None, "project_id", "start_ms"),
        Index(None, "start_ms"),
        Index(None, "duration_ms"),
        Index(None, "visitor_id"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("visitor.id", ondelete="SET NULL"))
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int] = mapped_column(BigInteger)
    active_ms: Mapped[int] = mapped_column(BigInteger)
    pages: Mapped[list[str]] = mapped_column(default=list)
    # The pages as URL filters read them (search/urls.py): one LIKE finds a rule's sessions.
    page_keys: Mapped[str] = mapped_column(Text, server_default="")
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
    # Where it came from: an imported file's name, or the server it was synced from.
    source: Mapped[str] = mapped_column(Text)
    window_ids: Mapped[list[str]] = mapped_column(default=list)
    raw_size: Mapped[int] = mapped_column(BigInteger)
    stored_size: Mapped[int] = mapped_column(BigInteger)
    added_ms: Mapped[int] = mapped_column(BigInteger)
    # The extraction (analytics.extract.EXTRACTION_VERSION) its event rows come from; rows of
    # an older one are extracted again from the chunks (cache/reindex.py). 0: before 0006.
    events_version: Mapped[int] = mapped_column(Integer, server_default="0")
    # The same for its heatmap points (heatmaps.store.POINTS_VERSION). 0: before 0009.
    points_version: Mapped[int] = mapped_column(Integer, server_default="0")

    project: Mapped[Project] = relationship()
    visitor: Mapped[Visitor | None] = relationship()


class RecordingChunk(Base):
    __tablename__ = "recording_chunk"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    start_ms: Mapped[int] = mapped_column(BigInteger)
    end_ms: Mapped[int] = mapped_column(BigInteger)
    event_count: Mapped[int] = mapped_column(Integer)
    starts_with_full_snapshot: Mapped[bool] = mapped_column(Boolean)
    raw_size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Event(Base):
    """The events index: what happened in each session, for search, timelines and funnels."""

    __tablename__ = "event"
    __table_args__ = (
        Index(None, "session_id", "ts_ms"),
        # Events by kind and name (a page's URL, a custom event's name); a funnel step's
        # events with their actor and time read off the index alone (funnels/compute.py).
        Index("ix_event_steps", "kind", "name", "visitor_id", "session_id", "ts_ms"),
        # The sessions with an event of a kind, or whether one session has one, read off
        # the index alone (search/clauses.py).
        Index(None, "kind", "session_id"),
        # Click texts, for funnel steps by text, likewise: only clicks', so the rest of the
        # events pay nothing for it. The kind leads so that SQLite prefers it to
        # (kind, session_id) for `kind = 'click' AND text > ?`.
        Index("ix_event_click_text", "kind", "text", "visitor_id", "session_id", "ts_ms",
              sqlite_where=sql_text("kind = 'click'"),
              postgresql_where=sql_text("kind = 'click'")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    ts_ms: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))  # analytics.events.KINDS
    name: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    node_id: Mapped[int | None] = mapped_column(Integer)
    x: Mapped[float | None]
    y: Mapped[float | None]
    properties: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    selector: Mapped[str | None] = mapped_column(Text)  # CSS selector of the element acted on
    text: Mapped[str | None] = mapped_column(Text)  # its visible text, or the value typed
    window_index: Mapped[int] = mapped_column(Integer, server_default="0")
    # The session's visitor, copied (writing.py) so a funnel follows a visitor through the
    # indexes above without reading sessions.
    visitor_id: Mapped[int | None] = mapped_column(Integer)


class PagePoints(Base):
    """A page as one window of a session showed it at one viewport width: its clicks and
    mouse moves in page coordinates and how far down it was seen, for heatmaps
    (app/core/heatmaps). Replaced with the session's events (write, reindex)."""

    __tablename__ = "page_points"
    __table_args__ = (Index(None, "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    window_index: Mapped[int] = mapped_column(Integer)
    ts_ms: Mapped[int] = mapped_column(BigInteger)  # first shown
    url: Mapped[str] = mapped_column(Text)
    # The URL as `session.page_keys` holds a page (search/urls.py): one LIKE finds a rule's.
    page_key: Mapped[str] = mapped_column(Text)
    viewport_width: Mapped[int | None] = mapped_column(Integer)
    viewport_height: Mapped[int | None] = mapped_column(Integer)
    device: Mapped[str | None] = mapped_column(String(16))  # by viewport width
    scroll_depth: Mapped[int] = mapped_column(Integer)  # deepest bottom edge shown, px
    click_count: Mapped[int] = mapped_column(Integer)
    move_count: Mapped[int] = mapped_column(Integer)
    selectors: Mapped[list[str]] = mapped_column()  # the click targets `clicks` index
    # zstd-compressed numpy records (heatmaps/extract.py CLICK_DTYPE, MOVE_DTYPE); last, so
    # a scan of the columns above reads none of their overflow pages.
    clicks: Mapped[bytes] = mapped_column(LargeBinary)
    moves: Mapped[bytes] = mapped_column(LargeBinary)


class Segment(Base):
    """A session filter saved under a name (search/segments.py). Segments are not tied to a
    project: like the list's text filter, one applies to whichever project is shown."""

    __tablename__ = "segment"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    filter: Mapped[dict[str, Any]] = mapped_column()  # as search/filter_json.py writes it
    created_ms: Mapped[int] = mapped_column(BigInteger)
    updated_ms: Mapped[int] = mapped_column(BigInteger)


class Funnel(Base):
    """A funnel saved under a name (funnels/store.py): its steps, window, whom it counts and
    the session filter it was saved with. Like a segment, it applies to any project."""

    __tablename__ = "funnel"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column()  # as funnels/store.py writes it
    created_ms: Mapped[int] = mapped_column(BigInteger)
    updated_ms: Mapped[int] = mapped_column(BigInteger)


class DefinedEvent(Base):
    """An event defined after the fact by a rule (definitions/rules.py), found in every
    cached session; its hits are kept in `defined_event_hit`."""

    __tablename__ = "defined_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    rule: Mapped[dict[str, Any]] = mapped_column()  # DefinitionRule.to_json()
    created_ms: Mapped[int] = mapped_column(BigInteger)


class DefinedEventHit(Base):
    """A row of the events index that matches a defined event. Replaced with the session's
    events (write, reindex), so it points at them by id without a foreign key."""

    __tablename__ = "defined_event_hit"
    __table_args__ = (
        # A definition's hits in a session (filters), and with their actors (funnels).
        Index("ix_defined_event_hit_steps", "defined_event_id", "session_id", "ts_ms",
              "visitor_id", "event_id"),
        Index(None, "session_id"))

    defined_event_id: Mapped[int] = mapped_column(
        ForeignKey("defined_event.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    ts_ms: Mapped[int] = mapped_column(BigInteger)
    visitor_id: Mapped[int | None] = mapped_column(Integer)  # the event's: its session's


class Note(Base):
    """A reviewer's note at a moment of a session (what QA saw there), kept in the cache."""

    __tablename__ = "note"
    __table_args__ = (Index(None, "session_id", "offset_ms"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("session.id", ondelete="CASCADE"))
    offset_ms: Mapped[int] = mapped_column(BigInteger)  # from the session's start
    text: Mapped[str] = mapped_column(Text)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    updated_ms: Mapped[int] = mapped_column(BigInteger)


class SyncState(Base):
    """How far each synced project has come, so a sync resumes instead of starting over."""

    __tablename__ = "sync_state"
    # One local project per project of a server: the mirror's identity.
    __table_args__ = (Index(None, "server_url", "remote_project_id", unique=True),)

    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    server_url: Mapped[str] = mapped_column(Text)
    remote_project_id: Mapped[str] = mapped_column(String(64))
    cursor: Mapped[str | None] = mapped_column(Text)
    last_sync_ms: Mapped[int | None] = mapped_column(BigInteger)
    # Unticked in the project chooser: kept with its cursor, left out of "Sync now".
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class SyncedSession(Base):
    """Which state of a server's session the cache holds: the change it was synced at and how
    many of the server's (immutable) chunks went into it, so the next sync fetches only the
    chunks that are new, and a session listed again unchanged is not fetched at all."""

    __tablename__ = "synced_session"

    session_id: Mapped[str] = mapped_column(
        ForeignKey("session.id", ondelete="CASCADE"), primary_key=True)
    change_seq: Mapped[int] = mapped_column(BigInteger)
    chunk_count: Mapped[int] = mapped_column(Integer)
    # SHA-256 over the held chunks' SHA-256s: proof the server still lists the same chunks.
    chunks_sha256: Mapped[str] = mapped_column(String(64))


class AssetBlob(Base):
    """Content-addressed bytes of an image, font or stylesheet: stored once however many
    URLs serve them."""

    __tablename__ = "asset_blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    mime: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class AssetUrl(Base):
    """Which stored content a page URL stands for, so replays never fetch it live."""

    __tablename__ = "asset_url"

    url_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    blob_sha256: Mapped[str] = mapped_column(ForeignKey("asset_blob.sha256", ondelete="CASCADE"))
    added_ms: Mapped[int] = mapped_column(BigInteger)
