"""Removing an embedded C2PA manifest store from PNG, JPEG or WebP bytes, pixels untouched.

A manifest's hard binding covers the file's bytes, so once brandkit adds its own metadata the provider's
embedded store no longer validates: left in place it would read as tampered. brandkit removes it before
writing, and keeps it as the ingredient of the manifest it signs (or, unsigned, as a reference in the sidecar).
Bytes without a store come back unchanged (the same object).
"""

from __future__ import annotations

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def strip_manifest(data: bytes) -> bytes:
    """``data`` without its embedded C2PA manifest store (PNG ``caBX`` chunks, JPEG APP11 JUMBF segments,
    WebP ``C2PA`` chunks); unchanged when it has none or is another format or is malformed."""
    if data.startswith(PNG_SIGNATURE):
        return _strip_png(data)
    if data.startswith(b"\xff\xd8"):
        return _strip_jpeg(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _strip_webp(data)
    return data


def _strip_png(data: bytes) -> bytes:
    pos, kept, dropped = 8, [PNG_SIGNATURE], False
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        end = pos + 12 + length
        if end > len(data):
            return data  # malformed: leave it to the decoder to refuse
        if data[pos + 4 : pos + 8] == b"caBX":
            dropped = True
        else:
            kept.append(data[pos:end])
        pos = end
    if not dropped:
        return data
    kept.append(data[pos:])
    return b"".join(kept)


def _strip_jpeg(data: bytes) -> bytes:
    pos, kept, dropped = 2, [data[:2]], False
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xDA or 0xD0 <= marker <= 0xD9:  # start of scan (or a bare marker): the rest is image data
            break
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        end = pos + 2 + length
        if length < 2 or end > len(data):
            return data
        if marker == 0xEB and data[pos + 4 : pos + 6] == b"JP":  # APP11 JPEG XT box: JUMBF (C2PA)
            dropped = True
        else:
            kept.append(data[pos:end])
        pos = end
    if not dropped:
        return data
    kept.append(data[pos:])
    return b"".join(kept)


def _strip_webp(data: bytes) -> bytes:
    pos, kept, dropped = 12, [], False
    while pos + 8 <= len(data):
        fourcc = data[pos : pos + 4]
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        end = pos + 8 + size + (size & 1)
        if end > len(data) + (size & 1):
            return data
        if fourcc == b"C2PA":
            dropped = True
        else:
            kept.append(data[pos:end])
        pos = end
    if not dropped:
        return data
    body = b"WEBP" + b"".join(kept)
    return b"RIFF" + struct.pack("<I", len(body)) + body
