"""A Parquet file of flat, required columns: unsigned 32-bit integers and UTF-8 strings.

PyPI has no pure-Python Parquet writer (fastparquet needs numpy and native code, pyarrow is
native), and a component may bundle pure Python only. The subset written here is the one
every reader takes: format version 1, one row group, per column one data page in PLAIN
encoding, uncompressed, with statistics (min, max, no nulls). The footer is Thrift's compact
protocol, of which this module writes what the footer needs.

    data = write_table([Column.uint32("id", [3, 1]), Column.string("name", ["c", "a"])])
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"PAR1"
#: In the `<application> version <version>` form readers parse (and otherwise distrust the
#: statistics of text columns).
CREATED_BY = "weft mall_customers_python version 0.1.0"

# parquet.thrift's enums.
_INT32, _BYTE_ARRAY = 1, 6  # Type
_REQUIRED = 0  # FieldRepetitionType
_UTF8, _UINT_32 = 0, 13  # ConvertedType
_PLAIN, _RLE = 0, 3  # Encoding
_DATA_PAGE = 0  # PageType
_UNCOMPRESSED = 0  # CompressionCodec

# Thrift compact protocol's field types.
_BOOL_TRUE, _BOOL_FALSE, _BYTE, _I32, _I64, _BINARY, _LIST, _STRUCT = 1, 2, 3, 5, 6, 8, 9, 12

_UINT32_MAX = 2**32 - 1


class ColumnError(ValueError):
    """A column that cannot be written: a value of the wrong type or range, or columns of
    different lengths."""


@dataclass(frozen=True)
class Column:
    """One column: its name, its physical type and its values, in row order."""

    name: str
    physical: int
    values: list

    @staticmethod
    def uint32(name: str, values: list[int]) -> Column:
        """A column of integers from 0 to 2³²-1 (Parquet INT32, logical type UINT_32)."""
        for row, value in enumerate(values):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _UINT32_MAX:
                raise ColumnError(f"column {name!r}, row {row}: {value!r} is not an unsigned 32-bit integer")
        return Column(name, _INT32, list(values))

    @staticmethod
    def string(name: str, values: list[str]) -> Column:
        """A column of text (Parquet BYTE_ARRAY, logical type STRING)."""
        for row, value in enumerate(values):
            if not isinstance(value, str):
                raise ColumnError(f"column {name!r}, row {row}: {value!r} is not a string")
        return Column(name, _BYTE_ARRAY, list(values))

    def plain(self) -> bytes:
        """The values in PLAIN encoding."""
        if self.physical == _INT32:
            return struct.pack(f"<{len(self.values)}I", *self.values)
        out = bytearray()
        for text in self.values:
            data = text.encode("utf-8")
            out += struct.pack("<I", len(data))
            out += data
        return bytes(out)

    def statistics(self) -> tuple[bytes, bytes] | None:
        """The lowest and highest value, PLAIN-encoded without a length, in the column's sort
        order (unsigned for UINT_32, bytewise for UTF-8); `None` for an empty column."""
        if not self.values:
            return None
        if self.physical == _INT32:
            return struct.pack("<I", min(self.values)), struct.pack("<I", max(self.values))
        encoded = [text.encode("utf-8") for text in self.values]
        return min(encoded), max(encoded)


def write_table(columns: list[Column]) -> bytes:
    """A whole Parquet file holding `columns`, which must be of one length."""
    if not columns:
        raise ColumnError("a Parquet file needs at least one column")
    rows = len(columns[0].values)
    for column in columns:
        if len(column.values) != rows:
            raise ColumnError(
                f"column {column.name!r} has {len(column.values)} values, "
                f"column {columns[0].name!r} has {rows}"
            )
    if len({column.name for column in columns}) != len(columns):
        raise ColumnError("two columns have the same name")

    out = bytearray(MAGIC)
    chunks = []
    for column in columns:
        values = column.plain()
        header = _page_header(rows, len(values))
        offset = len(out)
        out += header
        out += values
        chunks.append(_column_chunk(column, rows, offset, len(header) + len(values)))
    footer = _file_metadata(columns, rows, chunks, sum(size for _, size in chunks))
    out += footer
    out += struct.pack("<I", len(footer))
    out += MAGIC
    return bytes(out)


def _page_header(rows: int, size: int) -> bytes:
    data_page = _Struct().i32(1, rows).i32(2, _PLAIN).i32(3, _RLE).i32(4, _RLE)
    return _Struct().i32(1, _DATA_PAGE).i32(2, size).i32(3, size).struct(5, data_page).end()


def _column_chunk(column: Column, rows: int, offset: int, size: int) -> tuple[_Struct, int]:
    meta = (
        _Struct()
        .i32(1, column.physical)
        .list_i32(2, [_PLAIN])
        .list_binary(3, [column.name.encode("utf-8")])
        .i32(4, _UNCOMPRESSED)
        .i64(5, rows)
        .i64(6, size)
        .i64(7, size)
        .i64(9, offset)
    )
    bounds = column.statistics()
    stats = _Struct().i64(3, 0)
    if bounds is not None:
        stats.binary(5, bounds[1]).binary(6, bounds[0])
    meta.struct(12, stats)
    return _Struct().i64(2, offset).struct(3, meta), size


def _schema(columns: list[Column]) -> list[_Struct]:
    root = _Struct().binary(4, b"schema").i32(5, len(columns))
    elements = [root]
    for column in columns:
        element = _Struct().i32(1, column.physical).i32(3, _REQUIRED).binary(4, column.name.encode("utf-8"))
        if column.physical == _INT32:
            integer = _Struct().byte(1, 32).boolean(2, False)
            element.i32(6, _UINT_32).struct(10, _Struct().struct(10, integer))
        else:
            element.i32(6, _UTF8).struct(10, _Struct().struct(1, _Struct()))
        elements.append(element)
    return elements


def _file_metadata(columns: list[Column], rows: int, chunks: list[tuple[_Struct, int]], size: int) -> bytes:
    row_group = _Struct().list_struct(1, [chunk for chunk, _ in chunks]).i64(2, size).i64(3, rows)
    return (
        _Struct()
        .i32(1, 1)
        .list_struct(2, _schema(columns))
        .i64(3, rows)
        .list_struct(4, [row_group])
        .binary(6, CREATED_BY.encode("utf-8"))
        # Each column sorts as its type defines (unsigned for UINT_32), which makes readers
        # trust the statistics' min and max.
        .list_struct(7, [_Struct().struct(1, _Struct()) for _ in columns])
        .end()
    )


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low = value & 0x7F
        value >>= 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


class _Struct:
    """A Thrift struct in the compact protocol, written field by field in ascending order."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._last = 0

    def _field(self, field_id: int, kind: int) -> None:
        delta = field_id - self._last
        if not 0 < delta <= 15:
            raise AssertionError(f"fields must be written in ascending order: {field_id} after {self._last}")
        self._out.append(delta << 4 | kind)
        self._last = field_id

    def i32(self, field_id: int, value: int) -> _Struct:
        self._field(field_id, _I32)
        self._out += _varint(_zigzag(value))
        return self

    def i64(self, field_id: int, value: int) -> _Struct:
        self._field(field_id, _I64)
        self._out += _varint(_zigzag(value))
        return self

    def byte(self, field_id: int, value: int) -> _Struct:
        self._field(field_id, _BYTE)
        self._out.append(value & 0xFF)
        return self

    def boolean(self, field_id: int, value: bool) -> _Struct:
        self._field(field_id, _BOOL_TRUE if value else _BOOL_FALSE)
        return self

    def binary(self, field_id: int, value: bytes) -> _Struct:
        self._field(field_id, _BINARY)
        self._out += _varint(len(value)) + value
        return self

    def struct(self, field_id: int, value: _Struct) -> _Struct:
        self._field(field_id, _STRUCT)
        self._out += value.end()
        return self

    def list_i32(self, field_id: int, values: list[int]) -> _Struct:
        self._list(field_id, _I32, len(values))
        for value in values:
            self._out += _varint(_zigzag(value))
        return self

    def list_binary(self, field_id: int, values: list[bytes]) -> _Struct:
        self._list(field_id, _BINARY, len(values))
        for value in values:
            self._out += _varint(len(value)) + value
        return self

    def list_struct(self, field_id: int, values: list[_Struct]) -> _Struct:
        self._list(field_id, _STRUCT, len(values))
        for value in values:
            self._out += value.end()
        return self

    def _list(self, field_id: int, kind: int, size: int) -> None:
        self._field(field_id, _LIST)
        if size < 15:
            self._out.append(size << 4 | kind)
        else:
            self._out.append(0xF0 | kind)
            self._out += _varint(size)

    def end(self) -> bytes:
        """The struct's bytes, its stop field included."""
        return bytes(self._out) + b"\x00"
