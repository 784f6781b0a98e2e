"""Organizations, members, projects and tokens: the operations behind both the API and the
`tapeview server` commands. Callers check permissions (`app.server.auth`) before calling;
these functions enforce what holds whoever asks (plan limits, one organization per creator,
at least one Admin)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.cache.writing import PROJECT_KINDS, new_project_key, now_ms
from app.server.errors import Conflict, Invalid, NotFound, PlanLimit
from app.server.models import Account, ApiToken, Membership, Organization, Project, ProjectRole
from app.server.privacy_settings import policy_from_json, policy_to_json
from app.server.roles import (
    OrgRole,
    check_assignable,
    effective_project_role,
    plan_named,
)
from app.server.roles import ProjectRole as Role

TOKEN_PREFIX = "tvt_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or len(email) > 320 or " " in email:
        raise Invalid(f"{email!r} is not an e-mail address")
    return email


def get_or_create_account(session: Session, email: str) -> Account:
    email = normalize_email(email)
    account = session.scalar(select(Account).where(Account.email == email))
    if account is None:
        account = Account(email=email, created_ms=now_ms())
        session.add(account)
        session.flush()
    return account


def create_organization(session: Session, name: str, admin_email: str,
                        plan: str) -> tuple[Organization, Membership]:
    """A new organization whose creator is its first Admin."""
    name = _clean_name(name, "organization")
    plan_named(plan)
    account = get_or_create_account(session, admin_email)
    if session.scalar(select(Organization.id).where(
            Organization.creator_account_id == account.id)) is not None:
        raise Conflict(f"{account.email} has already created an organization; one address "
                       "can create only one (it can be a member of any number)")
    organization = Organization(name=name, plan=plan, creator_account_id=account.id,
                                created_ms=now_ms())
    session.add(organization)
    session.flush()
    membership = Membership(organization_id=organization.id, account_id=account.id,
                            role=OrgRole.ADMIN.value, created_ms=now_ms())
    session.add(membership)
    session.flush()
    return organization, membership


def add_member(session: Session, organization: Organization, email: str,
               role: OrgRole) -> Membership:
    account = get_or_create_account(session, email)
    if session.scalar(select(Membership.id).where(
            Membership.organization_id == organization.id,
            Membership.account_id == account.id)) is not None:
        raise Conflict(f"{account.email} is already a member of {organization.name}")
    membership = Membership(organization_id=organization.id, account_id=account.id,
                            role=role.value, created_ms=now_ms())
    session.add(membership)
    session.flush()
    return membership


def set_org_role(session: Session, membership: Membership, role: OrgRole) -> None:
    if membership.role == OrgRole.ADMIN and role is not OrgRole.ADMIN:
        _keep_an_admin(session, membership)
    membership.role = role.value
    if role is OrgRole.ADMIN:
        # Admins manage every project: stale per-project roles would only confuse.
        for row in session.scalars(select(ProjectRole).where(
                ProjectRole.membership_id == membership.id)):
            session.delete(row)


def remove_member(session: Session, membership: Membership) -> None:
    if membership.role == OrgRole.ADMIN:
        _keep_an_admin(session, membership)
    session.delete(membership)


def _keep_an_admin(session: Session, membership: Membership) -> None:
    admins = session.scalar(select(func.count()).select_from(Membership).where(
        Membership.organization_id == membership.organization_id,
        Membership.role == OrgRole.ADMIN.value))
    if admins <= 1:
        raise Conflict("an organization needs at least one Admin; make another member "
                       "Admin first")


def create_project(session: Session, organization: Organization, name: str, kind: str,
                   creator: Membership | None = None) -> Project:
    """A project with a fresh key; refused when the organization's plan is full."""
    name = _clean_name(name, "project")
    if kind not in PROJECT_KINDS:
        raise Invalid(f"project kind must be one of {', '.join(PROJECT_KINDS)}, not {kind!r}")
    plan = plan_named(organization.plan)
    count = session.scalar(select(func.count()).select_from(Project).where(
        Project.organization_id == organization.id))
    if plan.max_projects is not None and count >= plan.max_projects:
        raise PlanLimit(f"the {plan.name} plan of {organization.name} allows "
                        f"{plan.max_projects} projects and all are in use; delete a project "
                        "or change the plan")
    if session.scalar(select(Project.id).where(Project.organization_id == organization.id,
                                               Project.name == name)) is not None:
        raise Conflict(f"{organization.name} already has a project named {name!r}")
    project = Project(organization_id=organization.id, name=name, kind=kind,
                      key=new_project_key(), privacy=policy_to_json(policy_from_json(None)),
                      change_seq=0, created_ms=now_ms())
    session.add(project)
    session.flush()
    if creator is not None and creator.role != OrgRole.ADMIN:
        # Whoever creates a project manages it.
        session.add(ProjectRole(membership_id=creator.id, project_id=project.id,
                                role=Role.MANAGER.value))
    return project


def set_plan(session: Session, organization: Organization, name: str) -> None:
    plan = plan_named(name)
    count = session.scalar(select(func.count()).select_from(Project).where(
        Project.organization_id == organization.id))
    if plan.max_projects is not None and count > plan.max_projects:
        raise PlanLimit(f"the {plan.name} plan allows {plan.max_projects} projects; "
                        f"{organization.name} has {count}")
    organization.plan = plan.name


def project_role_of(session: Session, membership: Membership, project_id: int) -> Role:
    assigned = session.scalar(select(ProjectRole.role).where(
        ProjectRole.membership_id == membership.id, ProjectRole.project_id == project_id))
    return effective_project_role(OrgRole(membership.role),
                                  Role(assigned) if assigned else None)


def set_project_role(session: Session, membership: Membership, project: Project,
                     role: Role) -> None:
    if membership.organization_id != project.organization_id:
        raise NotFound("no such member in this project's organization")
    check_assignable(OrgRole(membership.role), role)
    row = session.get(ProjectRole, (membership.id, project.id))
    if row is None:
        session.add(ProjectRole(membership_id=membership.id, project_id=project.id,
                                role=role.value))
    else:
        row.role = role.value


def issue_token(session: Session, membership: Membership, name: str) -> tuple[ApiToken, str]:
    """A new token for `membership`; the plain text is returned here and never again."""
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(membership_id=membership.id, name=_clean_name(name, "token"),
                     token_sha256=token_digest(plain), hint=plain[:10], created_ms=now_ms())
    session.add(token)
    session.flush()
    return token, plain


def find_organization(session: Session, name_or_id: str) -> Organization:
    """By id, or by a name that only one organization has (for the shell commands)."""
    if name_or_id.isdigit() and (found := session.get(Organization, int(name_or_id))):
        return found
    matches = list(session.scalars(select(Organization).where(Organization.name == name_or_id)))
    if not matches:
        raise NotFound(f"no organization {name_or_id!r}")
    if len(matches) > 1:
        ids = ", ".join(str(o.id) for o in matches)
        raise Conflict(f"several organizations are named {name_or_id!r} (ids {ids}); "
                       "give the id")
    return matches[0]


def find_membership(session: Session, organization: Organization, email: str) -> Membership:
    membership = session.scalar(select(Membership).join(Account).where(
        Membership.organization_id == organization.id,
        Account.email == normalize_email(email)))
    if membership is None:
        raise NotFound(f"{email} is not a member of {organization.name}")
    return membership


def find_project(session: Session, organization: Organization, name_or_id: str) -> Project:
    query = select(Project).where(Project.organization_id == organization.id)
    if name_or_id.isdigit():
        found = session.scalar(query.where(Project.id == int(name_or_id)))
        if found is not None:
            return found
    found = session.scalar(query.where(Project.name == name_or_id))
    if found is None:
        raise NotFound(f"{organization.name} has no project {name_or_id!r}")
    return found


def _clean_name(name: str, what: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise Invalid(f"a {what} name needs 1 to 100 characters")
    return name
