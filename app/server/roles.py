"""Who may do what: organization roles, project roles and plans, as plain rules.

Every permission check in the server goes through these tables (via `app.server.auth`), so
the rules in DESIGN.md live in exactly one place:
organization roles Admin (everything, users), Member (create and edit content), Accountant
(billing only), Guest (view only); project roles Manager (settings, project roles), Editor
(view, edit, delete content), Viewer (view) and No access.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from app.server.errors import Invalid

E = TypeVar("E", bound=StrEnum)


class OrgRole(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"
    ACCOUNTANT = "accountant"
    GUEST = "guest"


class ProjectRole(StrEnum):
    MANAGER = "manager"
    EDITOR = "editor"
    VIEWER = "viewer"
    NONE = "none"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {ProjectRole.NONE: 0, ProjectRole.VIEWER: 1, ProjectRole.EDITOR: 2,
         ProjectRole.MANAGER: 3}

# A project role a member has where none was set for them.
DEFAULT_PROJECT_ROLE = {OrgRole.ADMIN: ProjectRole.MANAGER, OrgRole.MEMBER: ProjectRole.EDITOR,
                        OrgRole.ACCOUNTANT: ProjectRole.NONE, OrgRole.GUEST: ProjectRole.VIEWER}
# The most an organization role allows in any project: a Guest only views, an Accountant
# sees billing, not recordings.
HIGHEST_PROJECT_ROLE = {OrgRole.ADMIN: ProjectRole.MANAGER, OrgRole.MEMBER: ProjectRole.MANAGER,
                        OrgRole.ACCOUNTANT: ProjectRole.NONE, OrgRole.GUEST: ProjectRole.VIEWER}


class OrgAction(StrEnum):
    CREATE_PROJECT = "create projects"
    MANAGE_MEMBERS = "manage members"
    MANAGE_BILLING = "manage billing"
    MANAGE_OWN_TOKENS = "issue or revoke API tokens"


ORG_PERMISSIONS = {
    OrgAction.CREATE_PROJECT: frozenset({OrgRole.ADMIN, OrgRole.MEMBER}),
    OrgAction.MANAGE_MEMBERS: frozenset({OrgRole.ADMIN}),
    OrgAction.MANAGE_BILLING: frozenset({OrgRole.ADMIN, OrgRole.ACCOUNTANT}),
    # A Guest changes nothing, its own credentials included: an Admin issues them.
    OrgAction.MANAGE_OWN_TOKENS: frozenset({OrgRole.ADMIN, OrgRole.MEMBER, OrgRole.ACCOUNTANT}),
}


class ProjectAction(StrEnum):
    VIEW = "view recordings"
    EDIT_CONTENT = "edit or delete recordings"
    MANAGE = "change project settings and roles"


PROJECT_MINIMUM = {ProjectAction.VIEW: ProjectRole.VIEWER,
                   ProjectAction.EDIT_CONTENT: ProjectRole.EDITOR,
                   ProjectAction.MANAGE: ProjectRole.MANAGER}


def org_allows(role: OrgRole, action: OrgAction) -> bool:
    return role in ORG_PERMISSIONS[action]


def effective_project_role(org_role: OrgRole, assigned: ProjectRole | None) -> ProjectRole:
    """The role that counts: Admins manage every project; others get what was set for them
    (else their default), never more than their organization role allows."""
    if org_role is OrgRole.ADMIN:
        return ProjectRole.MANAGER
    role = assigned or DEFAULT_PROJECT_ROLE[org_role]
    cap = HIGHEST_PROJECT_ROLE[org_role]
    return role if role.rank <= cap.rank else cap


def project_allows(role: ProjectRole, action: ProjectAction) -> bool:
    return role.rank >= PROJECT_MINIMUM[action].rank


def check_assignable(org_role: OrgRole, role: ProjectRole) -> None:
    """Refuse a project role the member's organization role cannot hold."""
    if org_role is OrgRole.ADMIN:
        raise Invalid("an Admin manages every project; project roles do not apply")
    cap = HIGHEST_PROJECT_ROLE[org_role]
    if role.rank > cap.rank:
        raise Invalid(f"a {org_role.value} can be at most {cap.value} in a project, "
                      f"not {role.value}")


@dataclass(frozen=True)
class Plan:
    name: str
    max_projects: int | None  # None: no limit
    retention_days: int


PLANS = {plan.name: plan for plan in (Plan("free", 3, 30), Plan("team", 20, 90),
                                      Plan("business", None, 365))}
DEFAULT_PLAN = "team"


def plan_named(name: str) -> Plan:
    try:
        return PLANS[name]
    except KeyError:
        raise Invalid(f"unknown plan {name!r}; plans: {', '.join(PLANS)}") from None


def parse_enum(kind: type[E], value: str, what: str) -> E:
    try:
        return kind(value.lower())
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise Invalid(f"unknown {what} {value!r}; choose one of: {choices}") from None
