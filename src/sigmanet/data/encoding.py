"""Recognising text that is not UTF-8 from the first bytes of a file, to say what it is.

pyarrow reads UTF-8 (with or without a byte-order mark). Files saved as UTF-16 or UTF-32 (the
"Unicode" of some spreadsheets) start with a byte-order mark or have a NUL byte in every
other position; Windows-1252 and Latin-1 files fail to decode as UTF-8 at their first accented
letter. Each case gets a message that says which encoding it is and how to convert it.
"""

from __future__ import annotations

import codecs

from sigmanet.data.errors import DataFileError

__all__ = ["check_utf8"]

_BOMS = (
    # the UTF-32 marks first: UTF-32-LE's begins with UTF-16-LE's
    (codecs.BOM_UTF32_LE, "UTF-32", "little-endian"),
    (codecs.BOM_UTF32_BE, "UTF-32", "big-endian"),
    (codecs.BOM_UTF16_LE, "UTF-16", "little-endian"),
    (codecs.BOM_UTF16_BE, "UTF-16", "big-endian"),
)


def _convert_advice(encoding: str) -> str:
    return (
        f"sigmanet reads UTF-8: convert it, e.g. `iconv -f {encoding} -t UTF-8 FILE > NEW.csv`, "
        "or save it from a spreadsheet as 'CSV UTF-8'"
    )


def check_utf8(head: bytes, source: str, *, complete: bool) -> None:
    """Raise :class:`DataFileError` unless ``head``, a file's first bytes, is UTF-8 text.

    ``complete`` says whether ``head`` is the whole file (if not, a multi-byte character cut
    at its end is not an error).
    """
    for bom, name, order in _BOMS:
        if head.startswith(bom):
            raise DataFileError(
                f"{source}: is {name} text ({order}, with a byte-order mark); "
                + _convert_advice(name)
            )
    sample = head[:4096]
    if b"\x00" in sample:
        even, odd = sample[0::2], sample[1::2]
        # ASCII text in UTF-16: every character's second (or first) byte is NUL
        if odd and odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            raise DataFileError(
                f"{source}: is UTF-16 text (little-endian, without a byte-order mark); "
                + _convert_advice("UTF-16LE")
            )
        if even and even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            raise DataFileError(
                f"{source}: is UTF-16 text (big-endian, without a byte-order mark); "
                + _convert_advice("UTF-16BE")
            )
        raise DataFileError(f"{source}: is a binary file, not a CSV text file")
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)
    except UnicodeDecodeError as error:
        line = head.count(b"\n", 0, error.start) + 1
        byte = head[error.start]
        guess = (
            "it looks like Windows-1252 or Latin-1"
            if byte >= 0x80
            else "its encoding is not recognised"
        )
        raise DataFileError(
            f"{source}: is not UTF-8 text (byte {error.start}, line {line}: 0x{byte:02x}; "
            f"{guess}); " + _convert_advice("WINDOWS-1252")
        ) from error
