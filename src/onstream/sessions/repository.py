"""Queries on `sessions`. Functions take a connection and never commit."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from onstream.sessions.models import FIELDS as SESSION_FIELDS
from onstream.sessions.models import Session
from onstream.sessions.tables import BLOCK_BITS, series, session_blocks, sessions
from onstream.storage.database import Connection
from onstream.storage.prepared import Prepared, Row
from onstream.users.tables import users

DIRECT_OFFSET = 2 << BLOCK_BITS
"""Offsets below this are skipped by SQL OFFSET on the live-sessions index (cheap); deeper
pages find their block in `session_blocks` first (see sessions.tables)."""

SESSION_COLUMNS = tuple(sessions.c[name] for name in SESSION_FIELDS)
"""The columns of `sessions` in the order of Session's fields, so rows map positionally."""

_BY_ID = Prepared(
    select(*SESSION_COLUMNS).where(
        sessions.c.id == bindparam("session_id"), sessions.c.owner_id == bindparam("owner_id")
    )
)
"""Built and compiled once, run on the driver (storage.prepared): the hot path of GET."""


async def by_id(conn: Connection, *, owner_id: int, session_id: int) -> Session | None:
    """The session with this id in this account, deleted or not."""
    rows = await conn.fetch(_BY_ID, {"session_id": session_id, "owner_id": owner_id})
    return Session(*rows[0]) if rows else None


def page_query(
    *, descending: bool, from_block: bool, columns: tuple[str, ...] = SESSION_FIELDS
) -> Select[Any]:
    """The query behind GET sessions: it walks the live-sessions index, never the table.

    Parameters: `owner_id`, `count`, `offset`, and with `from_block` `block_start` (the
    walk starts at that id, or ends below it when descending). It answers `columns`, all of
    Session's by default."""
    conditions: list[ColumnElement[bool]] = [
        sessions.c.owner_id == bindparam("owner_id"),
        sessions.c.deleted_at.is_(None),
    ]
    if from_block and descending:
        conditions.append(sessions.c.id < bindparam("block_start"))
    elif from_block:
        conditions.append(sessions.c.id >= bindparam("block_start"))
    order = sessions.c.id.desc() if descending else sessions.c.id.asc()
    return (
        select(*(sessions.c[name] for name in columns))
        .where(*conditions)
        .order_by(order)
        .limit(bindparam("count", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
    )


@lru_cache(maxsize=64)
def _page_of(descending: bool, from_block: bool, columns: tuple[str, ...]) -> Prepared:
    """A page query built and compiled once per direction, start and set of columns
    (building a select of 19 columns cost more than running it). The columns come from the
    fields a request asks for, so there are as many sets as selections of fields: the
    default and the whole, and a few more an integration settles on."""
    return Prepared(page_query(descending=descending, from_block=from_block, columns=columns))


async def page(
    conn: Connection,
    *,
    owner_id: int,
    count: int,
    offset: int,
    descending: bool,
    total: int | None = None,
) -> list[Session]:
    """One page of the account's live sessions, ordered by id (see `page_rows`)."""
    rows = await page_rows(
        conn, owner_id=owner_id, count=count, offset=offset, descending=descending, total=total
    )
    return [Session(*row) for row in rows]


async def page_rows(
    conn: Connection,
    *,
    owner_id: int,
    count: int,
    offset: int,
    descending: bool,
    total: int | None = None,
    columns: tuple[str, ...] = SESSION_FIELDS,
) -> list[Row]:
    """One page of the account's live sessions, ordered by id; constant work at any depth.
    Each row holds `columns` (names of Session's fields, all of them by default) in order:
    a page that shows a few fields reads only theirs (each column of a row costs the driver
    a Python value and maybe a conversion, most of a page's reading).

    `total`, the account's live sessions when the caller has it already (`live_total` in
    the same transaction), spares a deep page from adding up the block counts again."""
    params = {"owner_id": owner_id, "count": count, "offset": offset}
    if offset >= DIRECT_OFFSET:
        if total is None:
            total = await live_total(conn, owner_id=owner_id)
        located = await _locate(
            conn, owner_id=owner_id, offset=offset, descending=descending, total=total
        )
        if located is None:
            return []
        block, params["offset"] = located
        params["block_start"] = (block + 1 if descending else block) << BLOCK_BITS
    return await conn.fetch(_page_of(descending, "block_start" in params, columns), params)


_TOTAL = Prepared(
    select(func.coalesce(func.sum(session_blocks.c.live), 0)).where(
        session_blocks.c.owner_id == bindparam("owner_id")
    )
)


async def live_total(conn: Connection, *, owner_id: int) -> int:
    """How many live sessions the account has: a sum over its block counts, so as cheap
    for a million sessions as for ten."""
    rows = await conn.fetch(_TOTAL, {"owner_id": owner_id})
    return int(rows[0][0] or 0)


def _blocks_query(*, descending: bool) -> Select[Any]:
    """Up to `chunk` blocks with live sessions (their shards added up) past the block
    `after`, in block order: the walk reads the counts a chunk at a time."""
    live = func.sum(session_blocks.c.live)
    block = session_blocks.c.block
    after = block < bindparam("after") if descending else block > bindparam("after")
    return (
        select(block, live)
        .where(session_blocks.c.owner_id == bindparam("owner_id"), after)
        .group_by(block)
        .having(live > 0)
        .order_by(block.desc() if descending else block.asc())
        .limit(bindparam("chunk", type_=Integer))
    )


_BLOCKS = {
    descending: Prepared(_blocks_query(descending=descending)) for descending in (False, True)
}
FIRST_CHUNK, CHUNK = 4, 256
"""Blocks read by the walk's first step (a last page needs one or two) and by each next."""
NO_BLOCK = {False: -1, True: (1 << 31) - 1}
"""`after` for a walk that starts at the first (ascending) or the last block (blocks are
INTEGER, 32 bits on PostgreSQL)."""


async def _locate(
    conn: Connection, *, owner_id: int, offset: int, descending: bool, total: int
) -> tuple[int, int] | None:
    """The block where the live session at `offset` lies, and its offset within the block
    (both in the page's order); None when the account has no more than `offset` live
    sessions.

    The blocks are walked from the nearer end of the list, a few at a time, and the walk
    stops at the block it looks for: the last page of a million sessions reads one block's
    count, the middle page at most half of them."""
    if offset >= total:
        return None
    from_end = offset >= total - offset
    position = total - 1 - offset if from_end else offset
    order = descending != from_end
    seen, after, chunk = 0, NO_BLOCK[order], FIRST_CHUNK
    while True:
        params = {"owner_id": owner_id, "after": after, "chunk": chunk}
        rows = await conn.fetch(_BLOCKS[order], params)
        for block, live in rows:
            if seen + live > position:
                within = position - seen
                return int(block), int(live) - 1 - within if from_end else within
            seen += live
        if len(rows) < chunk:
            # Fewer live sessions than `total` said: on PostgreSQL the total was read by
            # an earlier statement (each has its own snapshot), and sessions were deleted
            # since. The page is past the end.
            return None
        after, chunk = rows[-1][0], CHUNK


async def recount_blocks(conn: Connection) -> None:
    """Rebuild `session_blocks` from `sessions` (after a bulk load that bypassed this module)."""
    await conn.execute(delete(session_blocks))
    block = sessions.c.id // (1 << BLOCK_BITS)
    await conn.execute(
        insert(session_blocks).from_select(
            ["owner_id", "block", "shard", "live"],
            select(sessions.c.owner_id, block, literal(0), func.count())
            .where(sessions.c.deleted_at.is_(None))
            .group_by(sessions.c.owner_id, block),
        )
    )


def _block_upsert(insert_for: Any) -> Any:
    statement = insert_for(session_blocks).values(
        owner_id=bindparam("b_owner_id"),
        block=bindparam("b_block"),
        shard=bindparam("b_shard"),
        live=bindparam("b_delta"),
    )
    return statement.on_conflict_do_update(
        index_elements=[session_blocks.c.owner_id, session_blocks.c.block, session_blocks.c.shard],
        set_={"live": session_blocks.c.live + statement.excluded.live},
    )


_BLOCK_UPSERT = {
    "sqlite": Prepared(_block_upsert(sqlite.insert)),
    "postgresql": Prepared(_block_upsert(postgresql.insert)),
}
SHARDS = {"sqlite": 1, "postgresql": 8}
"""Rows per block count. SQLite has one writer at a time, so one row; on PostgreSQL eight,
chosen by id, so concurrent creates (consecutive ids) update different rows."""


async def count_in_block(conn: Connection, *, owner_id: int, session_id: int, delta: int) -> None:
    """Keep `session_blocks` in step: `delta` live sessions more in the block of this id.

    Every session an account creates in the same 1,024 ids counts in the same block, so on
    PostgreSQL concurrent creates would queue for one row's lock until each commits
    (measured: PUT session 620/s without the count, 310/s with it on one row even made last,
    230/s made early). The count is therefore split over SHARDS rows by id, and updated
    last, right before the commit."""
    shard = session_id % SHARDS[conn.dialect_name]
    params = {
        "b_owner_id": owner_id,
        "b_block": session_id >> BLOCK_BITS,
        "b_shard": shard,
        "b_delta": delta,
    }
    conn.defer(_BLOCK_UPSERT[conn.dialect_name], params)


async def has_phone_bridge(conn: Connection, owner_id: int) -> bool:
    """Whether the account has the phone bridge now (sessions get dial-in codes)."""
    flag = await conn.scalar(select(users.c.phone_bridge).where(users.c.id == owner_id))
    return bool(flag)


async def set_phone_bridge_flag(conn: Connection, *, login: str, on: bool) -> int | None:
    """Set the account's phone bridge flag; its id, None when there is no such login."""
    owner = await conn.scalar(select(users.c.id).where(users.c.login == login))
    if owner is not None:
        await conn.execute(update(users).where(users.c.id == owner).values(phone_bridge=on))
    return None if owner is None else int(owner)


def _live_of(owner_id: int) -> Any:
    return (sessions.c.owner_id == owner_id) & sessions.c.deleted_at.is_(None)


async def live_by_friendly_url(
    conn: Connection, *, owner_id: int, friendly_url: str
) -> Session | None:
    """The account's live session with this friendly URL, if any."""
    query = select(*SESSION_COLUMNS).where(
        _live_of(owner_id), sessions.c.friendly_url == friendly_url
    )
    row = (await conn.execute(query.limit(1))).first()
    return None if row is None else Session(*row)


async def clear_access_codes(conn: Connection, *, owner_id: int) -> int:
    """Take back the dial-in codes of the account's live sessions; how many there were."""
    result = await conn.execute(
        update(sessions)
        .where(_live_of(owner_id), sessions.c.access_code.is_not(None))
        .values(access_code=None)
    )
    return int(result.rowcount or 0)


async def sessions_without_code(conn: Connection, *, owner_id: int) -> list[int]:
    """The account's live sessions that have no dial-in code."""
    query = select(sessions.c.id).where(_live_of(owner_id), sessions.c.access_code.is_(None))
    return [int(row.id) for row in (await conn.execute(query)).all()]


async def set_access_code(conn: Connection, *, session_id: int, code: int) -> None:
    """Give one session its dial-in code."""
    await conn.execute(update(sessions).where(sessions.c.id == session_id).values(access_code=code))


async def access_code_in_use(conn: Connection, code: int) -> bool:
    """Whether a session already has this dial-in code."""
    return bool(await conn.scalar(select(exists().where(sessions.c.access_code == code))))


_INSERTS: dict[tuple[str, ...], Prepared] = {}
"""The INSERT of a session prepared once per set of columns given (a handful: which of the
optional ones a request sets)."""


def _insert_of(columns: tuple[str, ...]) -> Prepared:
    prepared = _INSERTS.get(columns)
    if prepared is None:
        statement = insert(sessions).returning(sessions.c.id)
        prepared = _INSERTS[columns] = Prepared(statement, column_keys=columns)
    return prepared


async def insert_session(conn: Connection, values: dict[str, Any]) -> int:
    """Insert a session (counted in its block) and return its id."""
    rows = await conn.fetch(_insert_of(tuple(values)), values)
    session_id = int(rows[0][0])
    await count_in_block(conn, owner_id=values["owner_id"], session_id=session_id, delta=1)
    return session_id


async def update_session(conn: Connection, session_id: int, values: dict[str, Any]) -> None:
    """Write changed columns of a session."""
    await conn.execute(update(sessions).where(sessions.c.id == session_id).values(**values))


async def raise_sequence(conn: Connection, session_id: int) -> int:
    """Raise a session's calendar SEQUENCE by one and return it: a message about the
    session's event to one person (a withdrawn invitation) outranks what they were sent."""
    result = await conn.execute(
        update(sessions)
        .where(sessions.c.id == session_id)
        .values(sequence=sessions.c.sequence + 1)
        .returning(sessions.c.sequence)
    )
    return int(result.scalar_one())


async def mark_deleted(
    conn: Connection, session_id: int, *, owner_id: int, now: datetime, sequence: int
) -> None:
    """Delete a live session, keeping its row for 410 answers and freeing its URL and code."""
    await count_in_block(conn, owner_id=owner_id, session_id=session_id, delta=-1)
    await update_session(
        conn,
        session_id,
        {
            "deleted_at": now,
            "updated_at": now,
            "friendly_url": None,
            "access_code": None,
            "sequence": sequence,
        },
    )


async def by_start(
    conn: Connection,
    *,
    owner_id: int,
    since: datetime | None,
    before: datetime | None,
    count: int,
    offset: int,
) -> list[Session]:
    """Live sessions starting at or after `since` and before `before`: earliest first when
    `since` is given, else latest first; for the account center's lists."""
    query = select(*SESSION_COLUMNS).where(
        sessions.c.owner_id == owner_id, sessions.c.deleted_at.is_(None)
    )
    query = between(query, since, before)
    rows = await conn.execute(query.limit(count).offset(offset))
    return [Session(*row) for row in rows.all()]


def between(query: Select[Any], since: datetime | None, before: datetime | None) -> Select[Any]:
    """Sessions starting in [since, before): earliest first with `since`, else latest first."""
    if since is not None:
        query = query.where(sessions.c.start_utc >= since)
    if before is not None:
        query = query.where(sessions.c.start_utc < before)
    if since is not None:
        return query.order_by(sessions.c.start_utc, sessions.c.id)
    return query.order_by(sessions.c.start_utc.desc(), sessions.c.id.desc())


async def insert_series(conn: Connection, *, owner_id: int, rule: str, now: datetime) -> int:
    """A new series row; its occurrences are linked to it with `link_occurrence`."""
    result = await conn.execute(
        insert(series).values(owner_id=owner_id, rule=rule, created_at=now).returning(series.c.id)
    )
    return int(result.scalar_one())


async def series_rule(conn: Connection, *, owner_id: int, series_id: int) -> str | None:
    """The RRULE of this account's series, None when it has none with this id."""
    query = select(series.c.rule).where(series.c.id == series_id, series.c.owner_id == owner_id)
    rule = await conn.scalar(query)
    return None if rule is None else str(rule)


async def series_summaries(conn: Connection, *, owner_id: int, count: int) -> list[Any]:
    """The account's latest series, newest first: id, rule, and of their live occurrences
    the number (`live`), the first and last start (`first`, `last`) and a topic."""
    live = (sessions.c.series_id == series.c.id) & sessions.c.deleted_at.is_(None)
    query = (
        select(
            series.c.id,
            series.c.rule,
            func.count(sessions.c.id).label("live"),
            func.min(sessions.c.start_utc).label("first"),
            func.max(sessions.c.start_utc).label("last"),
            func.min(sessions.c.topic).label("topic"),
        )
        .select_from(series.outerjoin(sessions, live))
        .where(series.c.owner_id == owner_id)
        .group_by(series.c.id, series.c.rule)
        .order_by(series.c.id.desc())
        .limit(count)
    )
    return list((await conn.execute(query)).all())


async def link_occurrence(
    conn: Connection, session_id: int, *, series_id: int, occurrence: datetime
) -> None:
    """Make a session an occurrence of a series, planned to start at `occurrence`."""
    await update_session(conn, session_id, {"series_id": series_id, "occurrence": occurrence})


async def occurrences(conn: Connection, *, owner_id: int, series_id: int) -> list[Session]:
    """Every occurrence of a series, deleted ones too, earliest planned start first."""
    query = (
        select(*SESSION_COLUMNS)
        .where(sessions.c.series_id == series_id, sessions.c.owner_id == owner_id)
        .order_by(sessions.c.occurrence, sessions.c.id)
    )
    return [Session(*row) for row in (await conn.execute(query)).all()]
