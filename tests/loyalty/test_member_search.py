"""The forgiving member index: partial, accent- and case-insensitive, one typo, e-mail, number."""

from __future__ import annotations

import pytest

from tools.loyalty.member_search import IndexedMember, MemberIndex, normalize, one_edit_apart


def _index() -> MemberIndex:
    def member(cid: str, name: str, email: str, number: str) -> IndexedMember:
        return IndexedMember(
            cid, tuple(normalize(name).split()), email, (number.replace("-", "").lower(),)
        )

    return MemberIndex(
        [
            member("emma", "Emma Novák", "emma.novak@example.com", "PC-1000001"),
            member("emil", "Emil Nowak", "emil@example.org", "PC-1000002"),
            member("zoe", "Zoë Ødegaard", "zoe@example.net", "PC-1000010"),
        ],
        built_at=0.0,
    )


def test_normalize_drops_accents_case_and_punctuation() -> None:
    assert normalize("  Nováková-SMITH ") == "novakova smith"
    assert normalize("Zoë") == "zoe"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("novak", "nowak", True),  # a letter wrong
        ("novak", "novk", True),  # a letter missing
        ("novak", "novaak", True),  # a letter extra
        ("novak", "novka", True),  # two neighbours swapped
        ("novak", "nowk", False),  # two edits
        ("novak", "novak", False),  # no edit at all is not a typo
    ],
)
def test_one_edit_apart(a: str, b: str, expected: bool) -> None:
    assert one_edit_apart(a, b) is expected


def test_a_partial_name_finds_every_member_it_starts() -> None:
    assert _index().search("Em") == ["emma", "emil"]
    assert _index().search("emm") == ["emma"]


def test_accents_and_case_do_not_matter() -> None:
    assert _index().search("NOVAK") == ["emma", "emil"]  # Novák exactly, Nowak one typo away
    assert _index().search("zoe odegaard") == ["zoe"]


def test_one_typo_is_tolerated_and_the_exact_name_ranks_first() -> None:
    found = _index().search("Emma Nowak")
    assert found[0] == "emma"  # emma: exact first name + typo; emil: typo + exact last name
    assert _index().search("Emma Novka") == ["emma"]


def test_short_words_need_an_exact_start_not_a_typo() -> None:
    assert _index().search("Ezz") == []


def test_e_mail_and_membership_number_find_the_member() -> None:
    assert _index().search("emma.novak@") == ["emma"]
    assert _index().search("EMIL@example.org") == ["emil"]
    assert _index().search("pc-1000002") == ["emil"]
    assert _index().search("PC1000010") == ["zoe"]
    assert _index().search("nobody@example.com") == []


def test_letters_without_a_decomposed_accent_are_folded_too() -> None:
    assert normalize("Zoë Łukasiewicz") == "zoe lukasiewicz"
    assert normalize("Søren Großmann") == "soren grossmann"


def test_a_guest_who_is_not_a_member_is_found_like_a_member() -> None:
    guest = IndexedMember("jose", ("jose", "muller"), "jose.mueller@example.de", (), member=False)
    index = MemberIndex([*_index().members, guest], built_at=0.0)
    assert index.search("José Müll") == ["jose"]
    assert index.search("jose mulller") == ["jose"]  # one typo
    assert index.search("jose.mueller@") == ["jose"]
