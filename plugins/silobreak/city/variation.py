"""Harmless variations: the same person or enterprise, written differently by another department.

A variation is not a defect: the value still identifies the same entity once
normalised (full-width digits folded, a ``+86`` dropped, a traditional
character mapped back), or it is a legitimate gap (a clinic that did not ask
for the ID). Entity resolution must see through them; validation must not
reject them. Every variation is recorded in the truth with its kind.

Each kind is an ``eligible`` test and an ``apply`` function over an object
array of values. They are only ever run on the rows picked to vary (a few per
cent of a table), so plain Python per value is fine here.
"""

from __future__ import annotations

import importlib.util
import json
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from numpy.dtypes import StringDType

from silobreak.city import vocab
from silobreak.city.arrays import BoolArray, ObjArray

__all__ = [
    "SIMILAR_CHARS",
    "VARIATIONS",
    "VARIATION_KINDS",
    "Variation",
    "homophones",
    "readings",
    "similar_chars",
    "toneless_pinyin",
    "traditional_table",
]

#: Pairs of look-alike characters that are easily confused when copying a
#: name from a paper form (形近字). Used both ways.
SIMILAR_CHARS: tuple[str, ...] = (
    "明朋",
    "宇字",
    "天夫",
    "玉王",
    "杨汤",
    "晴睛",
    "伟传",
    "彬杉",
    "娟绢",
    "辉挥",
    "瑶摇",
    "军车",
    "勇甬",
    "红江",
    "霞瑕",
    "侯候",
    "治冶",
    "准淮",
    "己已",
    "未末",
    "士土",
    "日曰",
    "戊戌",
    "人入",
    "千干",
    "田由",
    "甲申",
    "大太",
    "贝见",
    "鸟乌",
    "兔免",
    "折拆",
    "栗粟",
    "辨辩",
    "茶荼",
    "拨拔",
    "密蜜",
    "莹萤",
    "慧彗",
    "瑞端",
    "博傅",
    "晶品",
    "娜哪",
    "玲怜",
    "秀委",
    "华毕",
    "国固",
    "志忘",
    "波坡",
    "清请",
    "萍苹",
    "琪棋",
    "峰锋",
    "俊浚",
    "斌赋",
    "婷亭",
    "敏敢",
    "彤肜",
    "妍研",
    "晨晟",
    "琳淋",
    "凤风",
    "芳方",
    "雪雷",
    "洁结",
    "倩债",
    "颖频",
    "菲非",
)

_FULLWIDTH = str.maketrans({str(d): chr(0xFF10 + d) for d in range(10)})


def _name_chars() -> list[str]:
    chars = {c for s, _ in vocab.SURNAMES for c in s}
    chars |= set(vocab.MALE_GIVEN_CHARS) | set(vocab.FEMALE_GIVEN_CHARS) | set(vocab.NEUTRAL_GIVEN_CHARS)
    return sorted(chars)


def _gb2312_level1() -> list[str]:
    """The 3,755 most common characters (GB 2312 level 1: lead bytes B0-D7)."""
    chars = []
    for lead in range(0xB0, 0xD8):
        for trail in range(0xA1, 0xFF):
            try:
                chars.append(bytes([lead, trail]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


@cache
def readings() -> dict[int, str]:
    """pypinyin's character dictionary: code point → toned readings (``"zhǎng,cháng"``).

    Read from the package's data file directly: importing ``pypinyin`` also
    loads its 2.5 MB phrase dictionary, which takes longer than generating a
    small city.
    """
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pypinyin is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.json"
    return {int(k): str(v) for k, v in json.loads(path.read_text(encoding="utf-8")).items()}


def toneless_pinyin(text: str) -> str:
    """Pinyin of Chinese characters without tone marks (``腾飞`` → ``tengfei``), others dropped."""
    table = readings()
    out = []
    for char in text:
        found = table.get(ord(char))
        if found:
            plain = unicodedata.normalize("NFD", found.split(",")[0])
            out.append("".join(c for c in plain if not unicodedata.combining(c)).replace("ü", "v"))
    return "".join(out)


@cache
def homophones() -> dict[str, tuple[str, ...]]:
    """Characters with exactly the same toned reading (同音字), from pypinyin's dictionary.

    Another name character is preferred (王伟 → 王炜); a common character of
    the same sound otherwise (王伟 → 王委), as a clerk's IME would offer.
    """
    pinyin_dict = readings()

    def reading(char: str) -> str | None:
        found = pinyin_dict.get(ord(char))
        return found.split(",")[0] if found else None

    by_reading: dict[str, list[str]] = {}
    for char in _gb2312_level1():
        r = reading(char)
        if r:
            by_reading.setdefault(r, []).append(char)
    names = _name_chars()
    name_by_reading: dict[str, list[str]] = {}
    for char in names:
        r = reading(char)
        if r:
            name_by_reading.setdefault(r, []).append(char)
    table: dict[str, tuple[str, ...]] = {}
    for char in names:
        r = reading(char)
        if not r:
            continue
        same = [c for c in name_by_reading.get(r, []) if c != char]
        if not same:
            same = [c for c in by_reading.get(r, []) if c != char][:8]
        if same:
            table[char] = tuple(same)
    return table


@cache
def similar_chars() -> dict[str, tuple[str, ...]]:
    """Look-alike characters of :data:`SIMILAR_CHARS`, both ways."""
    table: dict[str, list[str]] = {}
    for pair in SIMILAR_CHARS:
        a, b = pair[0], pair[1]
        table.setdefault(a, []).append(b)
        table.setdefault(b, []).append(a)
    return {k: tuple(v) for k, v in table.items()}


@cache
def traditional_table() -> dict[int, str]:
    """``str.translate`` table from simplified to traditional characters (OpenCC ``s2t``).

    Converted character by character (one OpenCC call for all of them):
    that is how a form in a traditional-character system garbles a name.
    """
    import opencc

    chars = sorted(set(_gb2312_level1()) | set(_name_chars()) | set(_extra_chars()))
    converted = opencc.OpenCC("s2t").convert("\n".join(chars)).split("\n")
    return {ord(s): t for s, t in zip(chars, converted, strict=True) if s != t and len(t) == 1}


def _extra_chars() -> set[str]:
    from silobreak.city import lexicon

    return set("".join(lexicon.all_words()))


# --------------------------------------------------------------------------
# The kinds.
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Variation:
    """A way of writing a value differently: which values it can apply to, and how."""

    eligible: Callable[[ObjArray], BoolArray]
    apply: Callable[[ObjArray, np.random.Generator], ObjArray]


def _mask(values: ObjArray, test: Callable[[str], bool]) -> BoolArray:
    return np.fromiter((isinstance(v, str) and test(v) for v in values), dtype=np.bool_, count=len(values))


def _strings(values: ObjArray) -> tuple[BoolArray, np.ndarray]:
    """Which values are present, and all values as a numpy string array ("" where missing).

    numpy's string functions then test a few hundred thousand values in C.
    """
    present: BoolArray = np.asarray(values != None, dtype=np.bool_)  # noqa: E711 - elementwise
    return present, np.where(present, values, "").astype(StringDType())


def _vector(test: Callable[[np.ndarray], np.ndarray]) -> Callable[[ObjArray], BoolArray]:
    """An eligibility check from a test over a numpy string array."""

    def eligible(values: ObjArray) -> BoolArray:
        present, strings = _strings(values)
        out: BoolArray = present & np.asarray(test(strings), dtype=np.bool_)
        return out

    return eligible


def _length(strings: np.ndarray) -> np.ndarray:
    return np.strings.str_len(strings)


def _char_at(strings: np.ndarray, i: int) -> np.ndarray:
    return np.strings.slice(strings, i, i + 1)


def _out(values: Sequence[str | None]) -> ObjArray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


@cache
def _code_set(table: Callable[[], dict[str, tuple[str, ...]]]) -> np.ndarray:
    """Sorted UCS-4 codes of the characters a table has alternatives for."""
    return np.array(sorted(ord(c) for c in table()), dtype=np.uint32)


@cache
def _traditional_codes() -> np.ndarray:
    return np.array(sorted(traditional_table()), dtype=np.uint32)


def _has_char_after_first(values: ObjArray, codes: np.ndarray, *, first: bool = False) -> BoolArray:
    """Whether a value has one of ``codes`` (after its first character unless ``first``), vectorised."""
    present = np.asarray(values != None, dtype=np.bool_)  # noqa: E711 - elementwise
    text = np.asarray(np.where(present, values, "").astype(str))
    width = text.dtype.itemsize // 4
    if width == 0 or codes.size == 0:
        return np.zeros(len(values), dtype=np.bool_)
    chars = np.ascontiguousarray(text).view("<u4").reshape(len(values), width)
    if not first:
        chars = chars[:, 1:]
    at = np.searchsorted(codes, chars).clip(0, codes.size - 1)
    out: BoolArray = present & (codes[at] == chars).any(axis=1)
    return out


def _substitutable(table: Callable[[], dict[str, tuple[str, ...]]]) -> Variation:
    """Replace one character after the first (the surname's) by one of its alternatives."""

    def eligible(values: ObjArray) -> BoolArray:
        return _has_char_after_first(values, _code_set(table))

    def apply(values: ObjArray, rng: np.random.Generator) -> ObjArray:
        alts = table()
        out: list[str | None] = []
        for v, u, w in zip(values, rng.random(len(values)), rng.random(len(values)), strict=True):
            positions = [i for i in range(1, len(v)) if v[i] in alts]
            i = positions[int(u * len(positions))]
            options = alts[v[i]]
            out.append(v[:i] + options[int(w * len(options))] + v[i + 1 :])
        return _out(out)

    return Variation(eligible, apply)


def _traditional() -> Variation:
    def eligible(values: ObjArray) -> BoolArray:
        return _has_char_after_first(values, _traditional_codes(), first=True)

    def apply(values: ObjArray, rng: np.random.Generator) -> ObjArray:
        table = traditional_table()
        return _out([v.translate(table) for v in values])

    return Variation(eligible, apply)


_COMPOUND_SURNAMES = frozenset(s for s, _ in vocab.SURNAMES if len(s) == 2)


def _space_at(v: str, u: float) -> int:
    """Where a stray space goes: between the parts a person would type separately."""
    if len(v) == 18 and v[:17].isdigit():  # resident ID: after region or birth date, or at the end
        return (6, 14, 18)[int(u * 3)]
    if len(v) == 18:  # credit code: after the authority, type and region codes
        return (2, 8, 18)[int(u * 3)]
    if len(v) <= 4 and not v.isascii():  # a name: after the surname, or at the end
        return (2 if v[:2] in _COMPOUND_SURNAMES else 1) if u < 0.7 else len(v)
    if v.isdigit() and len(v) == 11:  # mobile: 3-4-4
        return (3, 7)[int(u * 2)]
    return 1 + int(u * (len(v) - 1)) if len(v) > 1 else len(v)


def _stray_space() -> Variation:
    def apply(values: ObjArray, rng: np.random.Generator) -> ObjArray:
        out = []
        for v, u in zip(values, rng.random(len(values)), strict=True):
            i = _space_at(v, float(u))
            out.append(v[:i] + " " + v[i:])
        return _out(out)

    return Variation(_vector(lambda s: (_length(s) >= 2) & (np.strings.find(s, " ") < 0)), apply)


def _fullwidth() -> Variation:
    return Variation(
        lambda values: _mask(values, lambda v: any(c.isascii() and c.isdigit() for c in v)),
        lambda values, rng: _out([v.translate(_FULLWIDTH) for v in values]),
    )


def _lowercase_x() -> Variation:
    return Variation(
        _vector(lambda s: np.strings.endswith(s, "X")),
        lambda values, rng: _out([v[:-1] + "x" for v in values]),
    )


def _lowercase() -> Variation:
    return Variation(
        lambda values: _mask(values, lambda v: v.lower() != v),
        lambda values, rng: _out([v.lower() for v in values]),
    )


def _old_15_digit() -> Variation:
    """First-generation IDs (until 2004): no century, no check character; only 19xx births."""
    return Variation(
        _vector(lambda s: (_length(s) == 18) & (np.strings.slice(s, 6, 8) == "19")),
        lambda values, rng: _out([v[:6] + v[8:17] for v in values]),
    )


def _missing() -> Variation:
    return Variation(
        _vector(lambda s: np.ones(s.size, dtype=np.bool_)),
        lambda values, rng: _out([None] * len(values)),
    )


def _partial_id() -> Variation:
    """Only the region and the last four characters, as a receipt or a form shows them."""
    return Variation(
        _vector(lambda s: _length(s) == 18),
        lambda values, rng: _out([v[:6] + "********" + v[14:] for v in values]),
    )


def _phone_format() -> Variation:
    formats: tuple[Callable[[str], str], ...] = (
        lambda p: f"+86 {p[:3]} {p[3:7]} {p[7:]}",
        lambda p: f"+86{p}",
        lambda p: f"{p[:3]}-{p[3:7]}-{p[7:]}",
        lambda p: f"{p[:3]} {p[3:7]} {p[7:]}",
        lambda p: f"0086-{p}",
    )

    def apply(values: ObjArray, rng: np.random.Generator) -> ObjArray:
        which = rng.integers(0, len(formats), len(values))
        return _out([formats[k](v) for v, k in zip(values, which.tolist(), strict=True)])

    return Variation(_vector(lambda s: (_length(s) == 11) & np.strings.isdigit(s)), apply)


def _date_format() -> Variation:
    """``2024年1月5日``, ``2024/01/05`` or ``20240105`` (months: ``2024年1月``, ``2024/01``, ``202401``)."""

    def iso(s: np.ndarray) -> np.ndarray:
        length, dash = _length(s), _char_at(s, 4) == "-"
        out: np.ndarray = ((length == 10) & dash & (_char_at(s, 7) == "-")) | ((length == 7) & dash)
        return out

    def apply(values: ObjArray, rng: np.random.Generator) -> ObjArray:
        out = []
        for v, k in zip(values, rng.integers(0, 3, len(values)).tolist(), strict=True):
            y, m = v[:4], v[5:7]
            if len(v) == 10:
                d = v[8:10]
                out.append((f"{y}年{int(m)}月{int(d)}日", f"{y}/{m}/{d}", f"{y}{m}{d}")[k])
            else:
                out.append((f"{y}年{int(m)}月", f"{y}/{m}", f"{y}{m}")[k])
        return _out(out)

    return Variation(_vector(iso), apply)


def _short_name() -> Variation:
    """An enterprise name without its city prefix, as people write it (深圳市腾飞科技有限公司 → 腾飞科技有限公司)."""

    def apply(values: ObjArray, rng: np.random.Generator) -> ObjArray:
        out = []
        for v, u in zip(values, rng.random(len(values)), strict=True):
            out.append(v[3:] if u < 0.6 else "深圳" + v[3:])
        return _out(out)

    return Variation(_vector(lambda s: np.strings.startswith(s, "深圳市") & (_length(s) > 6)), apply)


def _address_format() -> Variation:
    """Province added, city dropped, or the street (街道) left out."""

    def apply(values: ObjArray, rng: np.random.Generator) -> ObjArray:
        out = []
        for v, k in zip(values, rng.integers(0, 3, len(values)).tolist(), strict=True):
            if k == 0:
                out.append("广东省" + v)
            elif k == 1:
                out.append(v[3:])
            else:
                start, end = v.find("区") + 1, v.find("街道")
                out.append(v[:start] + v[end + 2 :] if 0 < start < end else v[3:])
        return _out(out)

    return Variation(_vector(lambda s: np.strings.startswith(s, "深圳市")), apply)


def _plate_format() -> Variation:
    """粤B·12345 typed as 粤B12345, 粤B 12345 or 粤b12345."""

    def apply(values: ObjArray, rng: np.random.Generator) -> ObjArray:
        out = []
        for v, k in zip(values, rng.integers(0, 3, len(values)).tolist(), strict=True):
            out.append((v.replace("·", ""), v.replace("·", " "), v.replace("·", "").lower())[k])
        return _out(out)

    return Variation(_vector(lambda s: np.strings.find(s, "·") >= 0), apply)


#: Every kind of variation, by the name recorded in the truth.
VARIATIONS: dict[str, Variation] = {
    "homophone_name": _substitutable(homophones),
    "similar_char_name": _substitutable(similar_chars),
    "traditional_chars": _traditional(),
    "stray_space": _stray_space(),
    "id_space": _stray_space(),  # the household register's names for a stray space
    "name_space": _stray_space(),
    "fullwidth_digits": _fullwidth(),
    "lowercase_x": _lowercase_x(),
    "lowercase": _lowercase(),
    "old_15_digit_id": _old_15_digit(),
    "missing_id": _missing(),
    "partial_id": _partial_id(),
    "phone_format": _phone_format(),
    "date_format": _date_format(),
    "short_name": _short_name(),
    "address_format": _address_format(),
    "plate_format": _plate_format(),
}

VARIATION_KINDS: tuple[str, ...] = tuple(VARIATIONS)
