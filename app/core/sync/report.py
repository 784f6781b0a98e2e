"""What a sync did, for the CLI's summary, the GUI's message and the benchmark."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

MB = 1_000_000


@dataclass
class ProjectReport:
    remote_id: str
    local_id: int
    name: str
    listed: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0  # gone before it could be fetched, or nothing in it to replay
    cursor: str | None = None


@dataclass
class SyncReport:
    server_url: str
    projects: list[ProjectReport] = field(default_factory=list)
    chunks_downloaded: int = 0
    chunk_bytes: int = 0
    assets_downloaded: int = 0
    asset_bytes: int = 0
    # Every response body received, JSON included: what crossed the network.
    bytes_received: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    # Sessions left out, each with why (e.g. a recording with nothing to replay).
    problems: list[str] = field(default_factory=list)

    def _total(self, name: str) -> int:
        return sum(getattr(project, name) for project in self.projects)

    @property
    def sessions_listed(self) -> int:
        return self._total("listed")

    @property
    def sessions_added(self) -> int:
        return self._total("added")

    @property
    def sessions_updated(self) -> int:
        return self._total("updated")

    @property
    def sessions_unchanged(self) -> int:
        return self._total("unchanged")

    @property
    def sessions_deleted(self) -> int:
        return self._total("deleted")

    @property
    def sessions_skipped(self) -> int:
        return self._total("skipped")

    @property
    def sessions_written(self) -> int:
        return self.sessions_added + self.sessions_updated

    @property
    def sessions_per_second(self) -> float:
        return self.sessions_written / self.seconds if self.seconds else 0.0

    @property
    def megabytes_per_second(self) -> float:
        return self.bytes_received / MB / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        what = (f"{self.sessions_added} new, {self.sessions_updated} updated, "
                f"{self.sessions_deleted} deleted, {self.sessions_unchanged} unchanged")
        if self.sessions_skipped:
            what += f", {self.sessions_skipped} skipped"
        state = "Sync cancelled" if self.cancelled else "Synced"
        return (f"{state} from {self.server_url}: {what} session(s) in "
                f"{len(self.projects)} project(s); {self.chunks_downloaded} chunk(s), "
                f"{self.bytes_received / MB:.1f} MB in {self.seconds:.1f} s")

    def to_json(self) -> dict[str, Any]:
        totals = {name: getattr(self, name) for name in (
            "sessions_listed", "sessions_added", "sessions_updated", "sessions_unchanged",
            "sessions_deleted", "sessions_skipped", "sessions_written")}
        return {**asdict(self), **totals,
                "sessions_per_second": round(self.sessions_per_second, 2),
                "megabytes_per_second": round(self.megabytes_per_second, 3)}
