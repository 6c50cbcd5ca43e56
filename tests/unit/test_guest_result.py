"""The one reader of a guest script's result line."""
import pytest

from avocado_vexfs.vm import guest_result


def test_the_last_result_line_wins_and_chatter_around_it_is_ignored():
    output = 'warning: x\nAVX-RESULT {"a": 1}\nnoise\nAVX-RESULT ["b"]\ntrailing'
    assert guest_result.read(output) == ["b"]


def test_another_prefix_reads_its_own_line_only():
    output = 'AVX-RESULT [1]\nAVX-METADATA {"create": 2.5}'
    assert guest_result.read(output, "AVX-METADATA ") == {"create": 2.5}


def test_no_result_line_names_the_tail_of_the_output():
    with pytest.raises(guest_result.NoResult, match=r"no AVX-RESULT line .*: b \| c \| d"):
        guest_result.read("a\nb\nc\nd\n")
    assert guest_result.tail("") == "no output"
    assert guest_result.tail("a\nb\nc", 2) == "b | c"
