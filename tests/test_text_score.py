"""Any word or sentence: the lexicon's checks, the transcripts list's rows, bad input."""

from __future__ import annotations

import pytest

from space.errors import TextError, UsageError
from space.pronounce.batch import Row, RowError, read_transcripts
from space.pronounce.lexicon.text import MAX_WORDS, text_phones, text_words


def test_text_words_and_phones():
    assert text_words("The water’s cold, 7!") == ["the", "water's", "cold", "seven"]
    assert text_phones(["thirty", "water"]) == [["TH", "ER", "D", "IY"], ["W", "AO", "T", "ER"]]


@pytest.mark.parametrize("text, words", [
    ("", "empty"), ("  ,.!  ", "empty"), ("word " * (MAX_WORDS + 1), "at most 30"),
    ("a" * 301, "characters"),
])
def test_bad_texts(text, words):
    with pytest.raises(TextError, match=words):
        text_words(text)


def test_unknown_words_are_named_once_each():
    with pytest.raises(TextError) as e:
        text_phones(["the", "qzxvy", "blorptastic", "qzxvy"])
    assert "'qzxvy', 'blorptastic'" in str(e.value) and "CMUdict" in str(e.value)
    assert isinstance(e.value, UsageError)  # the web answers 422, the CLI exits 2


def test_word_and_text_checked_before_audio():
    from space.pronounce.assess import check_text

    with pytest.raises(TextError, match="one of the two"):
        check_text(word=None, text=None)
    with pytest.raises(TextError, match="2 words"):
        check_text(word="ice cream", text=None)
    assert check_text(word="7", text=None) == (["seven"], [["S", "EH", "V", "AH", "N"]])


def test_transcripts_rows(tmp_path):
    lst = tmp_path / "list.tsv"
    lst.write_bytes("a.wav\tthe cat\n\nb.wav the dog\nc.wav\tsit\xe9\n".encode()
                    + b"d.wav\tbad \xff\n" + b"a.wav\tThe  cat\n" + b"/x/e.wav\tgo\n")
    rows = read_transcripts(lst)
    assert isinstance(rows[0], Row) and rows[0].path == tmp_path / "a.wav"
    assert rows[0].text == "the cat"
    errs = {r.line: r.message for r in rows if isinstance(r, RowError)}
    assert errs == {2: "blank line", 3: "expected 'path<TAB>text'", 5: "not UTF-8 text; "
                    "save the list as UTF-8", 6: "duplicate of line 1"}
    assert isinstance(rows[3], Row) and rows[3].text == "sit\xe9"
    assert isinstance(rows[6], Row) and str(rows[6].path) == "/x/e.wav"
    assert str(rows[1]) == "line 2: blank line"


def test_transcripts_list_missing(tmp_path):
    with pytest.raises(UsageError, match="cannot read the transcripts list"):
        read_transcripts(tmp_path / "nope.tsv")
