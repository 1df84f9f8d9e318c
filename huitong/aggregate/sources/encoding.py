"""Which text encoding a department's file is in, decided by strict decoding, not by guessing.

Chinese government files arrive as UTF-8, UTF-8 with a BOM (Excel's "CSV UTF-8"), UTF-16 with a
BOM (Excel's "Unicode text") or GBK (everything else Excel and WPS save on a Chinese Windows).
Statistical detectors misread short GBK text as Big5 or Shift-JIS, so the order is:

1. a BOM decides;
2. a file that decodes as strict UTF-8 from first byte to last is UTF-8;
3. otherwise a file that decodes as strict GB18030 is read as GB18030: it is the superset of
   GBK and GB2312, so GBK files read the same and rare characters (䶮, 𠀾) that only GB18030 can
   encode are kept;
4. only when neither fits does charset-normalizer propose an encoding, which must itself decode
   the whole file strictly, and the description says it was a guess.

The rare file valid both as UTF-8 and as GB18030 (only possible when the UTF-8 reading has no
Chinese characters in it) is settled by charset-normalizer between those two, with a note.
Every check reads the whole file in chunks, so a bad byte at the end is still found, with its
byte offset and line.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from huitong.errors import HuitongError, Problem, invalid

CHUNK = 1 << 20
SAMPLE = 1 << 16
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16 with BOM"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16 with BOM"),
)
_LABELS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 with BOM", "gb18030": "GB18030 (GBK-compatible)"}


@dataclass(frozen=True)
class Decoding:
    encoding: str  # the Python codec name to open the file with
    label: str  # for people
    detected: bool = True
    note: str | None = None
    verified: bool = True  # checked over the whole file; False: the reader's strict decode checks it


@dataclass(frozen=True)
class BadBytes:
    """Where a strict decode stopped: 0-based byte offset, 1-based line, and the bytes."""

    offset: int
    line: int
    data: bytes

    def describe(self) -> str:
        shown = " ".join(f"0x{b:02X}" for b in self.data[:4])
        return f"byte offset {self.offset} (line {self.line}): {shown}"


def _codec(encoding: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise invalid(f"unknown text encoding {encoding!r}; use e.g. utf-8, gb18030, gbk or utf-16") from None


def _verify_codec(path: Path, encoding: str) -> tuple[str, int]:
    """The codec and starting offset to verify with: UTF-16 is checked with its byte order fixed
    after the BOM, because each chunk is decoded on its own."""
    if encoding == "utf-16":
        with path.open("rb") as f:
            bom = f.read(2)
        if bom == codecs.BOM_UTF16_BE:
            return "utf-16-be", 2
        if bom == codecs.BOM_UTF16_LE:
            return "utf-16-le", 2
        return "utf-16-le", 0
    return encoding, 0


def first_bad_bytes(path: Path, encoding: str) -> BadBytes | None:
    """The first place where ``path`` does not decode as ``encoding`` (strict), or None."""
    codec, start = _verify_codec(path, _codec(encoding))
    carry = b""
    base = start  # absolute offset of carry + chunk
    lines = 1
    with path.open("rb") as f:
        f.seek(start)
        while True:
            chunk = f.read(CHUNK)
            final = not chunk
            data = carry + chunk
            try:
                text = data.decode(codec)
                carry = b""
            except UnicodeDecodeError as exc:
                if not final and exc.start >= len(data) - 8:
                    # possibly a character cut in two by the chunk boundary: decode up to it and
                    # retry the rest with the next chunk (a real error is found again there)
                    try:
                        text = data[: exc.start].decode(codec)
                    except UnicodeDecodeError as early:
                        exc = early
                    else:
                        carry = data[exc.start :]
                        lines += text.count("\n")
                        base += exc.start
                        continue
                good = data[: exc.start].decode(codec, errors="replace")
                return BadBytes(base + exc.start, lines + good.count("\n"), data[exc.start : exc.start + 4])
            lines += text.count("\n")
            base += len(data)
            if final:
                return None


def _is_ascii(path: Path) -> bool:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            if not chunk.isascii():
                return False
    return True


def _sample(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(SAMPLE)


def _tie_break(path: Path) -> Decoding:
    """Valid as UTF-8 and as GB18030.  A UTF-8 reading with any Chinese character in it is right
    (GBK bytes almost never form 3-byte UTF-8 sequences); otherwise let charset-normalizer choose
    between the two."""
    sample = _sample(path)
    text = sample.decode("utf-8", errors="ignore")
    if any(ord(ch) >= 0x800 for ch in text):
        return Decoding("utf-8", "UTF-8")
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=["utf_8", "gb18030"]).best()
    if best is not None and _codec(best.encoding) == "gb18030":
        return Decoding(
            "gb18030",
            _LABELS["gb18030"],
            note="the file is valid both as UTF-8 and as GB18030/GBK; read as GB18030. If the text "
            "looks wrong, set encoding='utf-8'",
        )
    return Decoding(
        "utf-8",
        "UTF-8",
        note="the file is valid both as UTF-8 and as GB18030/GBK; read as UTF-8. If the text looks "
        "wrong, set encoding='gb18030'",
    )


def detect_encoding(path: Path, name: str | None = None) -> Decoding:
    """Decide the encoding of a text file (see the module docstring), or say why it cannot."""
    name = name or path.name
    with path.open("rb") as f:
        head = f.read(4)
    for bom, encoding, label in _BOMS:
        if head.startswith(bom):
            bad = first_bad_bytes(path, encoding)
            if bad is not None:
                raise invalid(
                    f"{name} starts with a {label} mark but is not valid {label} at {bad.describe()}",
                    Problem(f"not valid {label} at {bad.describe()}", file=name, row=bad.line),
                )
            return Decoding(encoding, label)
    if _is_ascii(path):
        return Decoding("utf-8", "UTF-8")
    not_utf8 = first_bad_bytes(path, "utf-8")
    not_gb = first_bad_bytes(path, "gb18030")
    if not_utf8 is None:
        return _tie_break(path) if not_gb is None else Decoding("utf-8", "UTF-8")
    if not_gb is None:
        return Decoding("gb18030", _LABELS["gb18030"])
    from charset_normalizer import from_bytes

    best = from_bytes(_sample(path)).best()
    if best is not None:
        guess = _codec(best.encoding)
        if first_bad_bytes(path, guess) is None:
            return Decoding(
                guess,
                guess,
                note=f"neither UTF-8 nor GB18030; {guess} was guessed from the content: check the text, "
                "or set the encoding",
            )
    raise invalid(
        f"cannot tell the text encoding of {name}: it is not UTF-8 (at {not_utf8.describe()}) and not "
        f"GB18030/GBK (at {not_gb.describe()}); save it as UTF-8 or set the encoding option",
        Problem(
            f"not UTF-8 at {not_utf8.describe()}", file=name, row=not_utf8.line, value=not_utf8.data.hex()
        ),
    )


def detect_for_reading(path: Path, name: str | None = None) -> Decoding:
    """:func:`detect_encoding` for a caller that decodes the whole file strictly anyway (a load):
    when the first megabyte, with no BOM, is already not UTF-8 and is GB18030, the answer can
    only be GB18030 or an error, and the caller's own strict read is the whole-file check. The
    result then says ``verified=False``; the caller must read strictly and, if the read fails,
    ask :func:`detect_encoding` for the whole answer. Any other file is checked whole here."""
    with path.open("rb") as f:
        head = f.read(CHUNK)
    if head and not any(head.startswith(bom) for bom, _, _ in _BOMS) and not head.isascii():
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 8 and _decodes(head, "gb18030"):
                return Decoding("gb18030", _LABELS["gb18030"], verified=False)
    return detect_encoding(path, name)


def _decodes(data: bytes, codec: str) -> bool:
    """Whether ``data`` decodes strictly, allowing a character cut at its end."""
    try:
        data.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 8:
            return False
        try:
            data[: exc.start].decode(codec)
        except UnicodeDecodeError:
            return False
    return True


def resolve_encoding(path: Path, encoding: str | None, name: str | None = None) -> Decoding:
    """The detected encoding, or the caller's, checked over the whole file.

    A wrong explicit encoding is refused with the byte offset and line where it fails and, when
    there is one, the encoding that does fit.
    """
    name = name or path.name
    if encoding is None:
        return detect_encoding(path, name)
    codec = _codec(encoding)
    bad = first_bad_bytes(path, codec)
    if bad is None:
        return Decoding(codec, _LABELS.get(codec, codec), detected=False)
    hint = ""
    try:
        fits = detect_encoding(path, name)
        hint = f"; it reads as {fits.label}: leave the encoding unset or set encoding={fits.encoding!r}"
    except HuitongError:  # no encoding fits: the error below stands without a hint
        pass
    message = f"{name} is not valid {encoding} text at {bad.describe()}{hint}"
    raise invalid(message, Problem(f"not valid {encoding} at {bad.describe()}", file=name, row=bad.line))
