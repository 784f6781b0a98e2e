"""Authentication and authorization: the one place requests are checked.

Every route that reads or changes organization data declares one of the dependencies below;
none checks roles on its own. What they enforce:
- an API token (Authorization: Bearer) identifies a member of one organization;
- anything outside that organization, or in a project the member has No access to, is 404
  (existence is not revealed); within reach but beyond the member's role is 403;
- a project key is not an API token: it reads nothing (ingest checks it separately).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update

from app.core.cache.writing import now_ms
from app.server.accounts import project_role_of, token_digest
from app.server.database import ServerDatabase
from app.server.errors import Forbidden, NotFound
from app.server.models import Account, ApiToken, Membership, Project
from app.server.roles import (
    PROJECT_MINIMUM,
    OrgAction,
    OrgRole,
    ProjectAction,
    ProjectRole,
    org_allows,
    project_allows,
)

# Recording when a token was last used costs a write: once a minute is enough to tell
# people which tokens are in use.
LAST_USED_RESOLUTION_MS = 60_000

bearer = HTTPBearer(auto_error=False, scheme_name="ApiToken",
                    description="A member's API token (`tvt_...`), from `tapeview server init`, "
                                "`tapeview server token` or `POST /api/v1/tokens`.")


@dataclass(frozen=True)
class Caller:
    """The member a request acts for."""

    token_id: int
    membership_id: int
    account_id: int
    email: str
    organization_id: int
    org_role: OrgRole


@dataclass(frozen=True)
class ProjectGrant:
    """A caller's access to one project, checked."""

    caller: Caller
    project_id: int
    role: ProjectRole


def database(request: Request) -> ServerDatabase:
    return request.app.state.db


Db = Annotated[ServerDatabase, Depends(database)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


def caller(credentials: Credentials, db: Db) -> Caller:
    if credentials is None:
        raise _unauthorized("send a member's API token: 'Authorization: Bearer tvt_...'")
    with db.read() as session:
        row = session.execute(
            select(ApiToken.id, ApiToken.last_used_ms, Membership, Account.email)
            .join(Membership, Membership.id == ApiToken.membership_id)
            .join(Account, Account.id == Membership.account_id)
            .where(ApiToken.token_sha256 == token_digest(credentials.credentials))).first()
    if row is None:
        raise _unauthorized("unknown or revoked API token (a project key only sends "
                            "recordings; it cannot read)")
    token_id, last_used, membership, email = row
    now = now_ms()
    if last_used is None or now - last_used > LAST_USED_RESOLUTION_MS:
        with db.write() as session:
            session.execute(update(ApiToken).where(ApiToken.id == token_id)
                            .values(last_used_ms=now))
    return Caller(token_id, membership.id, membership.account_id, email,
                  membership.organization_id, OrgRole(membership.role))


CallerDep = Annotated[Caller, Depends(caller)]


def org_access(action: OrgAction | None = None) -> Callable[..., Caller]:
    """The caller, if `org_id` in the path is their organization (and their role may do
    `action`)."""

    def check(org_id: int, who: CallerDep) -> Caller:
        if org_id != who.organization_id:
            raise NotFound(f"no organization {org_id}")
        if action is not None and not org_allows(who.org_role, action):
            raise Forbidden(f"a {who.org_role.value} cannot {action.value}")
        return who

    return check


def caller_may(action: OrgAction) -> Callable[..., Caller]:
    """The caller, if their organization role may do `action` (no organization in the path)."""

    def check(who: CallerDep) -> Caller:
        if not org_allows(who.org_role, action):
            raise Forbidden(f"a {who.org_role.value} cannot {action.value}")
        return who

    return check


def project_access(action: ProjectAction) -> Callable[..., ProjectGrant]:
    """Access to `project_id` in the path, if the caller's project role allows `action`."""

    def check(project_id: int, who: CallerDep, db: Db) -> ProjectGrant:
        with db.read() as session:
            project = session.get(Project, project_id)
            if project is None or project.organization_id != who.organization_id:
                raise NotFound(f"no project {project_id}")
            membership = session.get(Membership, who.membership_id)
            assert membership is not None
            role = project_role_of(session, membership, project_id)
        if role is ProjectRole.NONE:
            raise NotFound(f"no project {project_id}")
        if not project_allows(role, action):
            raise Forbidden(f"your role in this project is {role.value}; to {action.value} "
                            f"you need {PROJECT_MINIMUM[action].value} or more")
        return ProjectGrant(who, project_id, role)

    return check


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(status_code=401, detail=message,
                         headers={"WWW-Authenticate": "Bearer"})
