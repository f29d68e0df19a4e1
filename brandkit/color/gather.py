"""The per-image fast path of :class:`~brandkit.color.matcher.PaletteMatcher`: one table gather per pixel."""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

from brandkit.color.codes import MIXED, CodeArray

__all__ = ["as_pixels", "gather_codes", "gather_folded", "packed_colors"]

_PIXEL_CHUNK: Final = 1 << 15  # pixels per step on the per-image path
_COUNT_SEGMENT: Final = 1 << 18  # codes per bincount (must be a multiple of _PIXEL_CHUNK)


def as_pixels(pixels: npt.ArrayLike) -> npt.NDArray[np.uint8]:
    """Validate ``(..., 3)`` uint8 pixels and return them C-contiguous."""
    arr = np.asarray(pixels)
    if arr.dtype != np.uint8:
        raise TypeError(f"pixels must be uint8, got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(f"pixels must have shape (..., 3), got {arr.shape}")
    return np.ascontiguousarray(arr)


def packed_colors(px: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint32]:
    """Pack ``(..., 3)`` uint8 pixels into flat 24-bit ints ``r | g << 8 | b << 16``.

    Read like :func:`gather_codes`: an unaligned little-endian uint32 view with a 3-byte stride holds
    ``r | g << 8 | b << 16 | next_r << 24``, so one masked pass gives every pixel's value but the last one's
    (whose view would read past the end) — about 10× fewer passes over memory than shifting each channel."""
    flat = np.ascontiguousarray(px, dtype=np.uint8).reshape(-1)
    n_px = flat.size // 3
    out = np.empty(n_px, dtype=np.uint32)
    if n_px == 0:
        return out
    view = np.ndarray((n_px - 1,), dtype="<u4", buffer=flat, offset=0, strides=(3,))
    np.bitwise_and(view, 0xFFFFFF, out=out[: n_px - 1])
    r, g, b = (int(v) for v in flat[-3:])
    out[n_px - 1] = r | (g << 8) | (b << 16)
    return out


def gather_codes(
    px: npt.NDArray[np.uint8], tables: tuple[CodeArray, CodeArray], codes: CodeArray | None
) -> npt.NDArray[np.int64]:
    """Look up the code of every pixel; optionally store codes; return code counts.

    Pixels are read through an unaligned little-endian uint32 view with a 3-byte
    stride: ``(value >> 2) & 0x3F3F3F`` indexes the L2-resident cell table, and only
    pixels whose cell is mixed (a few percent) are looked up again in the full table
    at ``value & 0xFFFFFF``. Work is done in L2-sized chunks; codes are counted per
    segment with one ``bincount`` over byte pairs (a uint16 view).
    """
    table, cells = tables
    flat = px.reshape(-1)
    n_px = flat.size // 3
    counts = np.zeros(256, dtype=np.int64)
    if n_px == 0:
        return counts
    idx = np.empty(min(_PIXEL_CHUNK, n_px), dtype=np.intp)
    scratch = np.empty(min(_COUNT_SEGMENT, n_px), dtype=np.uint8) if codes is None else None
    pairs = np.zeros(1 << 16, dtype=np.int64)
    body = n_px - 1  # the 4-byte view of the last pixel would read past the end
    for seg in range(0, body, _COUNT_SEGMENT):
        seg_end = min(seg + _COUNT_SEGMENT, body)
        seg_codes = codes[seg:seg_end] if codes is not None else scratch[: seg_end - seg]  # type: ignore[index]
        for s in range(seg, seg_end, _PIXEL_CHUNK):
            n = min(_PIXEL_CHUNK, seg_end - s)
            view = np.ndarray((n,), dtype="<u4", buffer=flat, offset=3 * s, strides=(3,))
            ii = idx[:n]
            np.right_shift(view, 2, out=ii)
            np.bitwise_and(ii, 0x3F3F3F, out=ii)
            out = seg_codes[s - seg : s - seg + n]
            np.take(cells, ii, out=out, mode="clip")
            mixed = np.flatnonzero(out == MIXED)
            if mixed.size:
                out[mixed] = np.take(table, np.bitwise_and(view[mixed], 0xFFFFFF), mode="clip")
        even = seg_codes.size & ~1
        pairs += np.bincount(seg_codes[:even].view(np.uint16), minlength=1 << 16)
        if even != seg_codes.size:
            counts[seg_codes[-1]] += 1
    grid = pairs.reshape(256, 256)
    counts += grid.sum(axis=0)
    counts += grid.sum(axis=1)
    r, g, b = (int(v) for v in flat[-3:])
    last = table[r | (g << 8) | (b << 16)]
    counts[last] += 1
    if codes is not None:
        codes[-1] = last
    return counts


def gather_folded(
    px: npt.NDArray[np.uint8],
    tables: tuple[npt.NDArray[np.unsignedinteger], npt.NDArray[np.unsignedinteger]],
    out: npt.NDArray[np.unsignedinteger],
) -> None:
    """Look up the folded code (palette code + forbidden bits, see ``table_build.fold_forbidden``) of every
    pixel into ``out`` (flat, the tables' dtype): the same one-gather-per-pixel path as :func:`gather_codes`
    (cell table first, the full table for pixels of mixed cells), without the counting."""
    table, cells = tables
    flat = px.reshape(-1)
    n_px = flat.size // 3
    if n_px == 0:
        return
    mixed_code = int(np.iinfo(cells.dtype).max)
    idx = np.empty(min(_PIXEL_CHUNK, n_px), dtype=np.intp)
    body = n_px - 1  # the 4-byte view of the last pixel would read past the end
    for s in range(0, body, _PIXEL_CHUNK):
        n = min(_PIXEL_CHUNK, body - s)
        view = np.ndarray((n,), dtype="<u4", buffer=flat, offset=3 * s, strides=(3,))
        ii = idx[:n]
        np.right_shift(view, 2, out=ii)
        np.bitwise_and(ii, 0x3F3F3F, out=ii)
        chunk = out[s : s + n]
        np.take(cells, ii, out=chunk, mode="clip")
        mixed = np.flatnonzero(chunk == mixed_code)
        if mixed.size:
            chunk[mixed] = np.take(table, np.bitwise_and(view[mixed], 0xFFFFFF), mode="clip")
    r, g, b = (int(v) for v in flat[-3:])
    out[n_px - 1] = table[r | (g << 8) | (b << 16)]
