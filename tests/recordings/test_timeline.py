"""Where each track of a recording plays on the playback page (pure: no I/O)."""

from __future__ import annotations

from onstream.recordings.models import Track
from onstream.recordings.timeline import NO_TILE, grid, lay_out


def track(track_id: int, participant: str, kind: str, offset_ms: int, duration_ms: int) -> Track:
    return Track(
        id=track_id,
        recording_id=7,
        participant=participant,
        kind=kind,
        offset_ms=offset_ms,
        duration_ms=duration_ms,
        media_key=f"key{track_id}",
        media_type="video/webm" if kind == "video" else "audio/ogg",
        media_size=1,
    )


def src(t: Track) -> str:
    return f"/play/7/tracks/{t.id}"


def test_every_person_with_video_gets_a_tile_in_order_of_arrival() -> None:
    laid_out = lay_out(
        [
            track(1, "bob", "video", 3_000, 10_000),
            track(2, "ann", "video", 0, 20_000),
            track(3, "ann", "audio", 0, 20_000),
            track(4, "cy", "audio", 1_000, 5_000),  # a caller: sound only, no tile
        ],
        src=src,
    )
    assert laid_out.tiles == ("ann", "bob")
    assert (laid_out.columns, laid_out.rows) == (2, 1)
    assert laid_out.duration_ms == 20_000
    tiles = {clip.track_id: clip.tile for clip in laid_out.clips}
    assert tiles == {2: 0, 3: NO_TILE, 4: NO_TILE, 1: 1}
    assert [clip.track_id for clip in laid_out.clips] == [2, 3, 4, 1], "in order of start"


def test_each_clip_plays_from_its_offset_for_its_length() -> None:
    laid_out = lay_out([track(1, "ann", "video", 2_500, 4_000)], src=src)
    (clip,) = laid_out.clips
    assert (clip.start_ms, clip.end_ms, clip.src) == (2_500, 6_500, "/play/7/tracks/1")
    assert laid_out.duration_ms == 6_500
    assert laid_out.as_json()["clips"][0] == {
        "id": 1,
        "kind": "video",
        "tile": 0,
        "start": 2.5,
        "end": 6.5,
        "src": "/play/7/tracks/1",
    }


def test_a_rejoin_plays_in_the_same_tile_and_the_recording_ends_with_the_last_track() -> None:
    laid_out = lay_out(
        [
            track(1, "ann", "video", 0, 5_000),
            track(2, "bob", "video", 0, 30_000),
            track(3, "ann", "video", 12_000, 40_000),
        ],
        src=src,
    )
    assert laid_out.tiles == ("ann", "bob")
    assert [(c.track_id, c.tile) for c in laid_out.clips] == [(1, 0), (2, 1), (3, 0)]
    assert laid_out.duration_ms == 52_000


def test_the_grid_is_one_row_up_to_three_then_near_square() -> None:
    assert [grid(n) for n in (0, 1, 2, 3, 4, 5, 9, 10)] == [
        (1, 1),
        (1, 1),
        (2, 1),
        (3, 1),
        (2, 2),
        (3, 2),
        (3, 3),
        (4, 3),
    ]
