"""Where each track of a recording plays, for the playback page's player. No I/O here.

A recording made from a meeting is a set of tracks, each its own file that starts when its
person's media started (`offset_ms` from the earliest track) and lasts `duration_ms`. The
page lays them out on one timeline driven by one clock: every person with video gets a
tile (in order of first appearance, one row up to three, then a near-square grid, as the
composed file has them), a person who rejoined plays each stay's video in the same tile,
and every audio track plays at its own offset (the browser mixes them). The page's script
(`static/playback.js`) features a tile whose picture is far larger than the others' (a
shared screen replaces its person's camera on the same track, at a screen's size).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from onstream.recordings.models import Track

NO_TILE = -1


@dataclass(frozen=True, slots=True)
class Clip:
    """One track on the timeline: plays from `start_ms` to `end_ms`, in tile `tile`."""

    track_id: int
    kind: str
    tile: int
    """The tile of a video; `NO_TILE` for audio."""
    start_ms: int
    end_ms: int
    src: str


@dataclass(frozen=True, slots=True)
class Timeline:
    """The whole recording as the player lays it out."""

    duration_ms: int
    tiles: tuple[str, ...]
    """The participants with video, in order of first appearance."""
    columns: int
    rows: int
    clips: tuple[Clip, ...]

    def as_json(self) -> dict[str, Any]:
        """What the page hands its script (times in seconds)."""
        return {
            "duration": self.duration_ms / 1000,
            "tiles": len(self.tiles),
            "columns": self.columns,
            "rows": self.rows,
            "clips": [
                {
                    "id": clip.track_id,
                    "kind": clip.kind,
                    "tile": clip.tile,
                    "start": clip.start_ms / 1000,
                    "end": clip.end_ms / 1000,
                    "src": clip.src,
                }
                for clip in self.clips
            ],
        }


def grid(tiles: int) -> tuple[int, int]:
    """Columns and rows for this many tiles: one row up to three, then a near-square grid."""
    columns = max(1, tiles if tiles <= 3 else math.ceil(math.sqrt(tiles)))
    return columns, math.ceil(max(tiles, 1) / columns)


def lay_out(tracks: Sequence[Track], *, src: Callable[[Track], str]) -> Timeline:
    """The timeline of these tracks; `src` gives the address each track's file plays from."""
    ordered = sorted(tracks, key=lambda t: (t.offset_ms, t.id))
    tiles = tuple(dict.fromkeys(t.participant for t in ordered if t.kind == "video"))
    columns, rows = grid(len(tiles))
    clips = tuple(
        Clip(
            track_id=track.id,
            kind=track.kind,
            tile=tiles.index(track.participant) if track.kind == "video" else NO_TILE,
            start_ms=track.offset_ms,
            end_ms=track.offset_ms + track.duration_ms,
            src=src(track),
        )
        for track in ordered
    )
    duration = max((clip.end_ms for clip in clips), default=0)
    return Timeline(duration_ms=duration, tiles=tiles, columns=columns, rows=rows, clips=clips)
