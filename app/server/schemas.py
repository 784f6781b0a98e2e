"""The API's request and response bodies; their descriptions end up in the OpenAPI spec."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.privacy import MAX_SELECTOR_RULES

OrgRoleName = Literal["admin", "member", "accountant", "guest"]
ProjectRoleName = Literal["manager", "editor", "viewer", "none"]
ProjectKind = Literal["web", "mobile", "combined"]


class ErrorOut(BaseModel):
    detail: str = Field(description="What was wrong, for people.")
    code: str = Field("error", description="A stable word for programs: not_found, forbidden, "
                                           "plan_limit, conflict, invalid, too_large, "
                                           "rate_limited, ...")


class OrganizationOut(BaseModel):
    id: int
    name: str
    plan: str
    max_projects: int | None = Field(description="Projects the plan allows; null: no limit.")
    retention_days: int
    role: OrgRoleName = Field(description="The caller's role in this organization.")


class AccountOut(BaseModel):
    id: int
    email: str


class MeOut(BaseModel):
    account: AccountOut
    organization: OrganizationOut
    member_id: int
    token_id: int


class ProjectOut(BaseModel):
    id: int
    organization_id: int
    name: str
    kind: ProjectKind
    role: ProjectRoleName = Field(description="The caller's effective role in the project.")
    key: str | None = Field(description="The write-only project key for the tracking code; "
                                        "shown to the project's Managers only.")
    change_seq: int = Field(description="The project's latest change number: sessions "
                                        "changed after cursor N have change_seq > N.")
    created_ms: int


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    kind: ProjectKind = "web"


class ProjectUpdate(BaseModel):
    name: str = Field(min_length=1, max_length=100)


class SelectorRuleIn(BaseModel):
    action: Literal["mask", "unmask", "exclude"]
    selector: str = Field(min_length=1, max_length=500,
                          description="CSS: type, #id, .class, [attr], [attr=v] (also ~= |= "
                                      "^= $= *=), descendant and child combinators, lists.")


class PrivacyIn(BaseModel):
    """A project's privacy policy, applied at ingest before anything is stored."""

    mask_forms: bool = True
    mask_numbers: bool = True
    mask_emails: bool = True
    rules: list[SelectorRuleIn] = Field(
        default_factory=list, max_length=MAX_SELECTOR_RULES,
        description="Applied in order; where several cover an element, the later wins. "
                    "Exclude keeps the element as an empty same-size placeholder. Passwords "
                    "are masked whatever the rules say.")


class MemberOut(BaseModel):
    id: int
    email: str
    role: OrgRoleName
    created_ms: int


class MemberInvite(BaseModel):
    email: str = Field(max_length=320)
    role: OrgRoleName = "member"


class MemberUpdate(BaseModel):
    role: OrgRoleName


class ProjectRoleIn(BaseModel):
    role: ProjectRoleName


class ProjectMemberOut(BaseModel):
    member_id: int
    email: str
    org_role: OrgRoleName
    role: ProjectRoleName = Field(description="Effective role in this project.")


class TokenCreate(BaseModel):
    name: str = Field("api", min_length=1, max_length=100)


class TokenOut(BaseModel):
    id: int
    name: str
    hint: str = Field(description="The token's first characters.")
    created_ms: int
    last_used_ms: int | None


class TokenCreated(BaseModel):
    token: str = Field(description="The secret. Shown this once; only its SHA-256 is kept.")
    info: TokenOut


class MemberInvited(BaseModel):
    member: MemberOut
    token: str = Field(description="An API token for the new member, shown this once; hand "
                                   "it over.")


class PlanIn(BaseModel):
    plan: str


class VisitorOut(BaseModel):
    anonymous_id: str = Field(description="The tracker's visitor id.")
    uid: str | None = Field(description="The id given to identify(), if any.")
    name: str | None
    email: str | None
    properties: dict[str, Any]


class SessionOut(BaseModel):
    id: str
    project_id: int
    change_seq: int = Field(description="Changes each time the session changes; the sync "
                                        "cursor.")
    deleted: bool = Field(description="A tombstone: the session was deleted (its chunks, "
                                      "events and assets are gone).")
    visitor: VisitorOut | None
    start_ms: int
    end_ms: int
    duration_ms: int
    active_ms: int
    pages: list[str]
    page_count: int
    landing_page: str | None
    exit_page: str | None
    referrer: str | None
    device_type: str | None = Field(description="desktop, tablet or mobile")
    os: str | None
    browser: str | None
    viewport_width: int | None
    viewport_height: int | None
    country: str | None = Field(description="ISO 3166 code from the request's country header; "
                                            "IP addresses are never kept.")
    event_count: int
    click_count: int
    input_count: int
    error_count: int
    custom_count: int
    chunk_count: int
    stored_size: int
    window_ids: list[str]
    updated_ms: int


class SessionPage(BaseModel):
    sessions: list[SessionOut]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; null when "
                                                "nothing is left (keep the last cursor you got "
                                                "to ask again later).")
    has_more: bool


class ChunkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    start_ms: int
    end_ms: int
    event_count: int
    starts_with_full_snapshot: bool
    raw_size: int = Field(description="Bytes of the uncompressed JSON payload.")
    size: int = Field(description="Bytes served (zstd-compressed).")
    sha256: str = Field(description="SHA-256 of the bytes served.")


class SessionDetail(SessionOut):
    chunks: list[ChunkOut]


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    chunk_seq: int
    ts_ms: int
    kind: str = Field(description="pageview, click, dblclick, contextmenu, input, error, "
                                  "custom or identify")
    name: str | None
    url: str | None
    node_id: int | None
    x: float | None
    y: float | None
    properties: dict[str, Any] | None


class AssetOut(BaseModel):
    url: str
    sha256: str
    mime: str
    size: int


class IngestIn(BaseModel):
    """A batch of rrweb events from one browser tab or app screen."""

    visitor_id: str = Field(min_length=1, max_length=200,
                            description="The tracker's anonymous id for this visitor.")
    session_id: str | None = Field(None, max_length=200,
                                   description="The tracker's own session id, if it keeps "
                                               "one: a late batch still joins its session. "
                                               "The server still ends sessions after 15 "
                                               "minutes without events or 60 in all.")
    window_id: str | None = Field(None, max_length=200,
                                  description="Tab id, for trackers that record several tabs "
                                              "of one session.")
    referrer: str | None = Field(None, max_length=2000, description="document.referrer")
    events: list[dict[str, Any]] = Field(description="rrweb events, each with integer `type` "
                                                     "and `timestamp` in ms since 1970.")


class IngestOut(BaseModel):
    sessions: list[str] = Field(description="Ids of the sessions the events went to.")
    events: int
    duplicate: bool = Field(description="True when this exact batch was received before and "
                                        "was not stored again.")
