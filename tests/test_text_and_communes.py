"""Vietnamese text helpers and the commune list."""

import pytest

from bot import actions as A
from bot import communes
from bot.engine import parse_command
from bot.flows.account import parse_time
from bot.textutil import clean, fold, vn_number


def test_the_official_list_has_92_units():
    all_ = communes.all_communes()
    assert len(all_) == 92
    assert sum(c.kind == "xã" for c in all_) == 77
    assert sum(c.kind == "phường" for c in all_) == 15
    assert len({c.code for c in all_}) == 92


@pytest.mark.parametrize(
    "typed, first",
    [
        ("tan cuong", "Xã Tân Cương"),
        ("Tân Cương", "Xã Tân Cương"),
        ("xa tan cuong", "Xã Tân Cương"),
        ("dai tu", "Xã Đại Từ"),
        ("DAI TU", "Xã Đại Từ"),
        ("tan cuongg", "Xã Tân Cương"),
        ("phan dinh phung", "Phường Phan Đình Phùng"),
        ("p. song cong", "Phường Sông Công"),
        ("cho ra", "Xã Chợ Rã"),
        ("ba be", "Xã Ba Bể"),
    ],
)
def test_commune_search(typed, first):
    assert communes.search(typed)[0].name == first


def test_commune_search_finds_nothing_for_nonsense():
    assert communes.search("qwzx") == []
    assert communes.search("") == []
    assert communes.search("!!!") == []


def test_fold_and_clean():
    assert fold("Đại Từ, Thái Nguyên!") == "dai tu thai nguyen"
    assert clean("  a\x00b\u202e c\n\nd ") == "ab c d"
    assert clean(None) == ""
    assert vn_number(1240) == "1.240"
    assert vn_number(1000000) == "1.000.000"


def test_commands():
    assert parse_command("/start ABC") == ("start", "ABC")
    assert parse_command("/hoc@hocai_bot") == ("hoc", None)
    assert parse_command("Menu") == ("menu", None)
    assert parse_command("/khongco") == (None, None)
    assert parse_command("hoc") == (None, None)


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("18:30", "18:30"),
        ("7h", "07:00"),
        ("7", "07:00"),
        ("18h30", "18:30"),
        ("6.15", "06:15"),
        ("24:00", None),
        ("abc", None),
        ("12:75", None),
    ],
)
def test_reminder_time_parsing(typed, expected):
    assert parse_time(typed) == expected


def test_payloads_are_bounded():
    assert A.parse("a:m1-1:q1:2") == A.Action("a", ("m1-1", "q1", "2"))
    assert A.parse("a::q1") is None
    assert A.parse("x" * 65) is None
    assert A.parse("a:\n") is None
    with pytest.raises(ValueError):
        A.make("a", "x" * 70)
