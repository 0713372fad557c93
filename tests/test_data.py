"""sigmanet.data: reading CSV and Parquet files with pyarrow, header first, with clear errors."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

from sigmanet.data import (  # noqa: E402
    DataFileError,
    check_columns,
    column_values,
    csvfile,
    read_data,
    read_header,
    row_locations,
)
from sigmanet.data.lines import scan_records  # noqa: E402
from sigmanet.data.progress import ReadProgress  # noqa: E402


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


# -- the header, before the data --------------------------------------------------------------


def test_a_misspelt_column_is_named_with_close_matches_from_the_header_alone(tmp_path):
    # every row after the header has the wrong number of fields (reading them fails): only the
    # first line may be read to find that 'speceis' is not a column
    body = b"1;2;3;4\n" * 500_000
    path = _write(tmp_path, "penguins.csv", b"species,bill_length,body_mass_g\n" + body)
    header = read_header(path)
    assert header.names == ["species", "bill_length", "body_mass_g"]
    with pytest.raises(DataFileError) as caught:
        check_columns(header, ["speceis"], "target column")
    message = str(caught.value)
    assert "target column 'speceis' not found (did you mean 'species'?)" in message
    assert "the columns are: 'species', 'bill_length', 'body_mass_g'" in message
    check_columns(header, ["species", "body_mass_g"], "target column")  # no error
    with pytest.raises(DataFileError, match="line 2 has 1 field"):
        read_data(header)


def test_header_names_are_stripped_and_must_be_unique_and_present(tmp_path):
    assert read_header(_write(tmp_path, "a.csv", " a , b\n1,2\n")).names == ["a", "b"]
    with pytest.raises(DataFileError, match="column 2 of the header has no name"):
        read_header(_write(tmp_path, "b.csv", "a,,c\n1,2,3\n"))
    with pytest.raises(DataFileError, match="duplicate column name"):
        read_header(_write(tmp_path, "c.csv", "a,a\n1,2\n"))
    with pytest.raises(DataFileError, match="the file is empty"):
        read_header(_write(tmp_path, "d.csv", "\n \n"))
    with pytest.raises(DataFileError, match="has a header but no data rows"):
        read_data(_write(tmp_path, "e.csv", "a,b\n\n"))
    with pytest.raises(DataFileError, match="no such file"):
        read_header(tmp_path / "absent.csv")
    with pytest.raises(DataFileError, match="is a directory"):
        read_header(tmp_path)


@pytest.mark.parametrize(
    ("content", "delimiter"),
    [("a;b;c\n1;2;3\n", ";"), ("a\tb\tc\n1\t2\t3\n", "\t"), ("a|b|c\n1|2|3\n", "|")],
)
def test_the_delimiter_is_the_commonest_in_the_header(tmp_path, content, delimiter):
    header = read_header(_write(tmp_path, "x.csv", content))
    assert header.delimiter == delimiter
    assert read_data(header).to_pydict() == {"a": [1], "b": [2], "c": [3]}


def test_a_one_column_header_that_holds_another_separator_is_explained(tmp_path):
    header = read_header(_write(tmp_path, "spaces.csv", "a b c\n1 2 3\n"))
    with pytest.raises(DataFileError) as caught:
        check_columns(header, ["c"], "target column")
    assert "read as ONE column split on ','" in str(caught.value)
    assert "separated by ' '" in str(caught.value)
    header = read_header(_write(tmp_path, "commas.tsv", "a,b,c\n1,2,3\n"))
    with pytest.raises(DataFileError, match="separated by ','"):
        check_columns(header, ["c"], "target column")


def test_data_split_on_another_delimiter_than_the_header_is_explained(tmp_path):
    path = _write(tmp_path, "mixed.csv", "a,b,c\n1;2;3\n")
    with pytest.raises(DataFileError) as caught:
        read_data(path)
    message = str(caught.value)
    assert "line 2 has 1 field(s), but the header has 3" in message
    assert "holds ';'" in message


# -- encodings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [
        ("utf-16", "is UTF-16 text (little-endian, with a byte-order mark)"),
        ("utf-16-le", "is UTF-16 text (little-endian, without a byte-order mark)"),
        ("utf-16-be", "is UTF-16 text (big-endian, without a byte-order mark)"),
        ("utf-32", "is UTF-32 text"),
        ("cp1252", "is not UTF-8 text (byte 12, line 2: 0xe9; it looks like Windows-1252"),
    ],
)
def test_text_in_other_encodings_is_named_with_how_to_convert(tmp_path, encoding, expected):
    path = _write(tmp_path, "x.csv", "name,age\nRené,3\n".encode(encoding))
    with pytest.raises(DataFileError) as caught:
        read_header(path)
    assert expected in str(caught.value)
    assert "iconv" in str(caught.value) and "UTF-8" in str(caught.value)


def test_binary_files_and_a_bom_and_non_utf8_text_after_the_first_block(tmp_path):
    with pytest.raises(DataFileError, match="is a binary file"):
        read_header(_write(tmp_path, "blob.csv", b"\x00\x01\x02binary"))
    bom = _write(tmp_path, "bom.csv", b"\xef\xbb\xbfa,b\n1,2\n")
    assert read_data(bom).to_pydict() == {"a": [1], "b": [2]}
    late = b"a,b\n" + b"1,x\n" * 600_000 + b"2,\xe9\n"  # beyond the first 1 MB
    with pytest.raises(DataFileError, match="column 'b' holds text that is not UTF-8"):
        read_data(_write(tmp_path, "late.csv", late))


# -- records: lines, quotes, lengths ----------------------------------------------------------


def test_a_row_with_the_wrong_number_of_fields_is_named_by_its_line(tmp_path):
    # blank lines and a quoted value over two lines come before it
    content = 'a,b,c\n\n1,2,3\n4,"five\nfive",6\n\n7,8\n9,10,11\n'
    with pytest.raises(DataFileError, match="line 7 has 2 field\\(s\\), but the header has 3"):
        read_data(_write(tmp_path, "x.csv", content))


def test_an_unclosed_quote_is_reported_at_the_line_where_it_opens(tmp_path):
    lines = ["a,b"] + [f"{i},x" for i in range(10)] + ['10,"oops'] + [f"{i},y" for i in range(190)]
    path = _write(tmp_path, "quote.csv", "\n".join(lines) + "\n")
    with pytest.raises(DataFileError) as caught:
        read_data(path)
    assert "line 12 opens a quoted field" in str(caught.value)
    assert "never closed" in str(caught.value)


def test_a_line_longer_than_a_block_fails_with_memory_bounded(tmp_path):
    # a 64 MB line read in blocks of 4 MB, in a fresh process: its memory may grow by a few
    # blocks, never by the line (a reader that holds the line grows by 64 MB at least)
    path = tmp_path / "one_line.csv"
    with open(path, "wb") as handle:
        handle.write(b"a,b\n1,2\n")
        for _ in range(64):
            handle.write(b"7" * (1 << 20))
        handle.write(b"\n")
    small = _write(tmp_path, "small.csv", "a,b\n1,2\n")
    code = (
        "import resource\n"
        "from sigmanet.data import DataFileError, read_header\n"
        "from sigmanet.data.csvfile import read_csv\n"
        "def peak():\n"
        "    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
        f"read_csv(read_header({str(small)!r}), block_size=4 << 20)  # pools and threads\n"
        "before = peak()\n"
        "try:\n"
        f"    read_csv(read_header({str(path)!r}), block_size=4 << 20)\n"
        "except DataFileError as error:\n"
        "    print(error)\n"
        "print(peak() - before)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert "line 3 is 67 MB long, beyond the 4 MB a record may have" in out[0]
    assert int(out[1]) < 48  # MB
    header_only = _write(tmp_path, "no_breaks.csv", b"x" * (3 << 20))
    with pytest.raises(DataFileError, match="first line is longer than 1 MB"):
        read_header(header_only, max_line_bytes=1 << 20)


def test_scan_records_finds_record_lines_across_blocks(tmp_path):
    content = b'\n\na,b\n1,2\n\n3,"x\ny"\r\n5,6\n7,"open\n8,9\n'
    path = _write(tmp_path, "x.csv", content)
    for block in (3, 7, 1 << 20):  # record boundaries and quotes fall across blocks
        scan = scan_records(path, range(6), max_record_bytes=5, block_bytes=block)
        assert scan.lines == {0: 3, 1: 4, 2: 6, 3: 8, 4: 9}
        assert scan.n_records == 5
        assert scan.open_quote_line == 9
        assert scan.long_record == (6, 8)


def test_row_locations_are_lines_in_csv_and_rows_in_parquet(tmp_path):
    path = _write(tmp_path, "x.csv", 'a,b\n1,"two\nlines"\n\n3,4\n')
    header = read_header(path)
    assert row_locations(header, [1, 0]) == {0: "line 2", 1: "line 5"}
    parquet = tmp_path / "x.parquet"
    pq.write_table(pa.table({"a": [1, 2]}), parquet)
    assert row_locations(read_header(parquet), [1]) == {1: "row 2"}


# -- values -----------------------------------------------------------------------------------


def test_missing_tokens_in_any_case_and_text_columns(tmp_path):
    content = "a,b,c,d\n1,x,NA,2020-01-01\nn/a,y,?,2020-01-02\nNaN,Z,null,2020-01-03\n"
    table = read_data(_write(tmp_path, "x.csv", content))
    a = column_values(table.column("a"), "a")
    assert a.numeric and a.missing.tolist() == [False, True, True] and a.values[0] == 1.0
    b = column_values(table.column("b"), "b")
    assert not b.numeric and b.values.tolist() == ["x", "y", "Z"] and b.first_text == (0, "x")
    assert column_values(table.column("c"), "c").missing.all()
    d = column_values(table.column("d"), "d")  # dates stay the text they are
    assert d.values.tolist() == ["2020-01-01", "2020-01-02", "2020-01-03"]
    assert read_data(_write(tmp_path, "t.csv", "t\ntrue\nFalse\n")).column("t").type == "string"


def test_a_numeric_column_with_stray_text_names_the_cells():
    cells = [" 3750 ", "4250g", "NA", "3800", "+12", "1e3", "oops", "5", "6", "-.5"]
    column = column_values(pa.chunked_array([pa.array(cells)]), "body_mass_g")
    assert not column.numeric
    assert column.stray_text == [(1, "4250g"), (6, "oops")] and column.n_stray_text == 2
    numbers = column_values(pa.chunked_array([pa.array(["+12", " 1e3", "inf", "?"])]), "x")
    assert numbers.numeric and numbers.first_nonfinite == (2, "inf")
    np.testing.assert_array_equal(numbers.values[:3], [12.0, 1000.0, np.inf])
    categories = column_values(pa.chunked_array([pa.array(["a", "b", "1"])]), "x")
    assert categories.stray_text == [] and categories.first_text == (0, "a")


def test_decimal_commas_are_recognised_and_read_when_asked(tmp_path):
    path = _write(tmp_path, "eu.csv", "a;b\n1,5;x\n2;y\n-3,25;z\n1.234,5;w\n")
    header = read_header(path)
    assert header.delimiter == ";"
    column = column_values(read_data(header).column("a"), "a")
    assert not column.numeric and column.decimal_comma == (0, "1,5")
    assert column.stray_text == []  # not mistaken for a numeric column with typos
    plain = read_header(_write(tmp_path, "plain.csv", "a;b\n1,5;x\n2;y\n-3,25;z\n"))
    assert read_data(plain, ["a"], decimal_comma=True).column("a").to_pylist() == [1.5, 2, -3.25]


def test_columns_are_read_in_the_order_asked_and_gzip_too(tmp_path):
    content = "a,b,c\n1,2,3\n4,5,6\n"
    path = tmp_path / "x.csv.gz"
    path.write_bytes(gzip.compress(content.encode()))
    table = read_data(read_header(path), ["c", "a"])
    assert table.column_names == ["c", "a"] and table.column("c").to_pylist() == [3, 6]


def test_parquet_schema_first_then_the_columns(tmp_path):
    path = tmp_path / "x.parquet"
    pq.write_table(
        pa.table({"x": [1.0, 2.0, 3.0], "kind": pa.array(["a", "b", "a"]).dictionary_encode()}),
        path,
        row_group_size=1,
    )
    header = read_header(path)
    assert header.format == "parquet" and header.n_rows == 3 and header.names == ["x", "kind"]
    with pytest.raises(DataFileError, match="did you mean 'kind'"):
        check_columns(header, ["kinds"], "target column")
    stream = io.StringIO()
    import sigmanet.data.parquetfile as parquetfile

    table = read_data(header, ["kind"])
    assert column_values(table.column("kind"), "kind").values.tolist() == ["a", "b", "a"]
    assert parquetfile.MIN_PROGRESS_BYTES > 0 and stream.getvalue() == ""
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(DataFileError, match="not a readable Parquet file"):
        read_header(broken)


# -- progress ---------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_plain_lines_off_a_terminal_and_one_rewritten_line_on_one():
    plain = io.StringIO()
    progress = ReadProgress("big.csv", 400_000_000, plain, interval=0.0)
    for done in (100_000_000, 200_000_000, 400_000_000):
        progress.update(done)
    progress.finish(1_000_000, 50)
    lines = plain.getvalue().splitlines()
    assert lines[0].startswith("reading big.csv:  25% of 400 MB")
    assert lines[-1].startswith("read big.csv: 1,000,000 rows x 50 columns (400 MB) in ")
    assert "\r" not in plain.getvalue() and len(lines) == 4
    terminal = _Terminal()
    progress = ReadProgress("big.csv", 400_000_000, terminal, interval=0.0)
    progress.update(200_000_000)
    progress.finish(10, 2)
    assert terminal.getvalue().count("\r") == 2 and terminal.getvalue().endswith("\n")
    quiet = io.StringIO()
    ReadProgress("small.csv", 10, quiet).finish(1, 1)  # nothing shown, nothing to close
    assert quiet.getvalue() == ""


def test_progress_follows_a_large_csv_read(tmp_path, monkeypatch):
    import sigmanet.data.csvfile as csvfile

    monkeypatch.setattr(csvfile, "MIN_PROGRESS_BYTES", 0)
    monkeypatch.setattr(csvfile, "ReadProgress", lambda *a: ReadProgress(*a, interval=0.0))
    path = _write(tmp_path, "x.csv", "a,b\n" + "1,2\n" * 200_000)
    stream = io.StringIO()
    table = read_data(path, progress=stream)
    assert table.num_rows == 200_000
    assert stream.getvalue().splitlines()[-1].startswith("read x.csv: 200,000 rows x 2 columns")


def test_close_matches_contain_or_resemble_the_name():
    from sigmanet.data import close_matches

    names = ["species", "bill_length", "body_mass_g", "a"]
    assert close_matches("bill", names) == ["bill_length"]
    assert close_matches("Speceis", names) == ["species"]
    assert close_matches("target", ["a", "b", "label"]) == []  # one letter is no match


def test_a_record_longer_than_the_first_blocks_is_read_again_with_longer_blocks(tmp_path):
    # the file is read in 1 MB blocks first; a 3 MB record (within the 16 MB allowed) makes
    # pyarrow fail on those, and the file is read again with blocks of the full size
    long_text = "w" * (3 << 20)
    rows = "".join(f"x,{i},{i % 2}\n" for i in range(200_000))
    path = _write(tmp_path, "long.csv", f"text,n,y\n{long_text},1,0\n" + rows)
    table = read_data(read_header(path))
    assert table.num_rows == 200_001
    assert table.column("text")[0].as_py() == long_text
    assert table.column("n").type == pa.int64()
    with pytest.raises(DataFileError, match="line 2 is 3 MB long, beyond the 1 MB"):
        csvfile.read_csv(read_header(path), block_size=1 << 20)
