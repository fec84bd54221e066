"""The media library's field rules (`files/rules.py`) as the pure functions they are."""

from __future__ import annotations

import pytest

from onstream.errors import Invalid
from onstream.files import rules


@pytest.mark.parametrize(
    "link",
    [
        "https://example.com/file.pdf",
        "http://example.com:8080/a/b?c=d#e",
        "HTTPS://EXAMPLE.COM/",
        "https://example.com/" + "x" * (rules.LINK_MAX - len("https://example.com/")),
    ],
)
def test_an_absolute_http_or_https_link_is_kept_as_given(link: str) -> None:
    assert rules.check_link(link) == link


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,<b>x</b>",
        "ftp://example.com/file.pdf",
        "/relative/file.pdf",
        "example.com/file.pdf",
        "https://",
        "https:///no-host",
        "",
    ],
)
def test_a_link_that_is_not_absolute_http_with_a_host_is_refused(link: str) -> None:
    with pytest.raises(Invalid, match="file_link"):
        rules.check_link(link)


@pytest.mark.parametrize(
    "link", ["https://example.com/a file.pdf", "https://example.com/\x00", "https://exa\tmple.com/"]
)
def test_a_link_with_spaces_or_control_characters_is_refused(link: str) -> None:
    with pytest.raises(Invalid, match="file_link must not contain spaces"):
        rules.check_link(link)


def test_a_link_longer_than_the_limit_is_refused() -> None:
    too_long = "https://example.com/" + "x" * rules.LINK_MAX
    with pytest.raises(Invalid, match=f"file_link must be at most {rules.LINK_MAX}"):
        rules.check_link(too_long)


def test_a_link_python_cannot_parse_is_refused_naming_the_field() -> None:
    with pytest.raises(Invalid, match="file_link is not a valid URL"):
        rules.check_link("https://[::1/file.pdf")


def test_a_description_is_trimmed_empty_means_none_and_a_long_one_is_refused() -> None:
    assert rules.check_description("  Slides  ") == "Slides"
    assert rules.check_description("   ") is None
    assert rules.check_description("d" * rules.DESCRIPTION_MAX) == "d" * rules.DESCRIPTION_MAX
    with pytest.raises(Invalid, match="file_description"):
        rules.check_description("d" * (rules.DESCRIPTION_MAX + 1))


@pytest.mark.parametrize(
    ("given", "cleaned"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\ana\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("rep\x00ort\x1f.pdf", "report.pdf"),
        ("  .hidden.  ", "hidden"),
        ("", "file"),
        (None, "file"),
        ("...", "file"),
        ("dir/", "file"),
    ],
)
def test_an_uploaded_name_keeps_only_its_last_part_without_control_characters(
    given: str | None, cleaned: str
) -> None:
    assert rules.clean_name(given) == cleaned


def test_a_long_name_is_cut_to_the_limit_keeping_its_extension() -> None:
    cleaned = rules.clean_name("n" * 300 + ".pdf")
    assert len(cleaned) == rules.NAME_MAX
    assert cleaned.endswith("n.pdf")


def test_a_long_name_without_a_short_extension_is_simply_cut() -> None:
    assert rules.clean_name("n" * 300) == "n" * rules.NAME_MAX
    long_suffix = "a." + "s" * 300
    assert rules.clean_name(long_suffix) == long_suffix[: rules.NAME_MAX]
