"""An account holding an IANA zone name gets the `dst` flag the API shows for it: 1 when the
zone keeps the clock of a code's region (`Europe/Berlin` as `UP1`), else 0. The flag is then
the one every session's code is read with (docs/decisions.md, "Zones by name").

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from onstream import timezones

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    users = sa.table("users", sa.column("timezone", sa.String), sa.column("dst", sa.Boolean))
    names = bind.execute(sa.select(users.c.timezone).distinct()).scalars().all()
    for name in names:
        if timezones.is_iana(name):
            dst = timezones.account_dst(name, False)
            bind.execute(users.update().where(users.c.timezone == name).values(dst=dst))


def downgrade() -> None:
    # The flags it set are the ones the zones' rules give; nothing to take back.
    pass
