"""Logins unique without regard to case: a unique index on lower(login).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

A database may already hold logins that differ only in case (`jdoe` and `JDoe`). The
migration does not choose which one to rename: it fails, naming every clash, so that the
operator renames them (POST user with a new login, or SQL) and runs it again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


class LoginClash(RuntimeError):
    """Logins that differ only in case exist; the message names them."""


def upgrade() -> None:
    clashes = _clashes()
    if clashes:
        groups = "; ".join(", ".join(f"'{login}'" for login in group) for group in clashes)
        raise LoginClash(
            "cannot make logins unique without regard to case: these accounts' logins differ "
            f"only in case: {groups}. Rename all but one of each group, then migrate again."
        )
    op.create_index("uq_users_login_lower", "users", [sa.text("lower(login)")], unique=True)


def _clashes() -> list[list[str]]:
    """Groups of logins equal but for case, each sorted, in login order."""
    rows = op.get_bind().execute(
        sa.text("SELECT login FROM users WHERE login IS NOT NULL ORDER BY login")
    )
    groups: dict[str, list[str]] = {}
    for (login,) in rows:
        groups.setdefault(login.lower(), []).append(login)
    return [group for group in groups.values() if len(group) > 1]


def downgrade() -> None:
    op.drop_index("uq_users_login_lower", table_name="users")
