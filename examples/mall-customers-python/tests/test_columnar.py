"""The Parquet file ``columnar`` writes: its frame, its pages and its refusals. The end-to-end
test reads the files the DAG writes with the Rust `parquet` crate."""

import struct

import pytest

from columnar import MAGIC, Column, ColumnError, write_table


def footer(data: bytes) -> bytes:
    (length,) = struct.unpack("<I", data[-8:-4])
    return data[-8 - length : -8]


def test_frame_pages_and_footer():
    data = write_table([Column.uint32("id", [3, 1, 2**32 - 1]), Column.string("name", ["ä", "", "c"])])
    assert data[:4] == MAGIC and data[-4:] == MAGIC
    meta = footer(data)
    assert b"schema" in meta and b"id" in meta and b"name" in meta
    # PLAIN values, each column after its page header, in row order.
    ints = struct.pack("<3I", 3, 1, 2**32 - 1)
    strings = b"".join(struct.pack("<I", len(s)) + s for s in ("ä".encode(), b"", b"c"))
    assert data.index(ints) < data.index(strings) < len(data) - len(meta) - 8


def test_statistics_are_the_column_bounds():
    meta = footer(write_table([Column.uint32("score", [50, 7, 99])]))
    assert struct.pack("<I", 7) in meta and struct.pack("<I", 99) in meta


def test_an_empty_table_is_a_file():
    data = write_table([Column.uint32("id", []), Column.string("name", [])])
    assert data[:4] == MAGIC and data[-4:] == MAGIC


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (lambda: [], "at least one column"),
        (lambda: [Column.uint32("a", [-1])], "column 'a', row 0: -1 is not an unsigned 32-bit integer"),
        (lambda: [Column.uint32("a", [1, 2**32])], "row 1"),
        (lambda: [Column.uint32("a", [True])], "True is not"),
        (lambda: [Column.uint32("a", ["1"])], "'1' is not"),
        (lambda: [Column.string("s", [b"x"])], "b'x' is not a string"),
        (lambda: [Column.uint32("a", [1]), Column.uint32("b", [1, 2])], "column 'b' has 2 values, column 'a' has 1"),
        (lambda: [Column.uint32("a", [1]), Column.string("a", ["x"])], "the same name"),
    ],
)
def test_refuses_what_it_cannot_write(columns, message):
    with pytest.raises(ColumnError) as refused:
        write_table(columns())
    assert message in str(refused.value)
