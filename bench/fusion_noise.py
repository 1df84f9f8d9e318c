"""Text noise for the fusion (多源融合) benchmark data: the ways one true value gets written.

Every helper takes a ``random.Random`` that the generators seed from their numpy Generator:
the choices are per value, and numpy's per-call overhead (about a microsecond) would dominate.
A helper that cannot apply (no homophone for any character, equal digits) returns None, so the
caller records an error kind only when the text really changed.
"""

from __future__ import annotations

import random
from functools import cache

from pypinyin import lazy_pinyin

# 常用名字用字 (common given-name characters), most frequent first within each pool.
MALE_CHARS = (
    "伟强磊军勇杰涛斌超明辉刚健鹏飞宇浩俊波峰鑫华林亮建国平志文斌宏斌龙海东晨凯博洋毅新成凡"
    "瑞阳楠昊天翔宁帅锋彬勇豪航雷哲星睿子轩晓宇皓然泽瀚嘉铭承弘扬胜荣兵亚威兴德光彪顺友才"
    "庆福永贵生春江山岩松柏坤炳耀宗祥坚康乐栋贤振鸿晋卓远梁学利民荣鹤群智昌达冠钦锦懿骁淼森"
    "立军奇骏铭宸轩朗逸鸣腾焕铮锐恒岳璋钧炜玮维政道勤仁义礼信忠孝武彦良川舟培堂斐烨炎君杨柯"
)
FEMALE_CHARS = (
    "芳娜敏静丽艳娟霞秀英梅玲燕红琳丹萍莉洁倩颖慧婷雪琴云蓉欣怡佳悦彤萱涵妍琪璐薇菲瑶婕媛"
    "晶蕾露月凤兰桂珍淑惠珊茜莹婉璇馨钰诗雨思梦语心可嫣蓓蕊雅晴春美玉素翠娥秋香彩霖芬芸菁萌"
    "雯珠佩芝莎娅妮瑾璟岚姗娴黛妙婵宁蔓琼玥艺灵韵若曼冰清梓瑜晗菡熙媚姝丽萍秀洁蝶湘绮芊莺舒"
)
COMMON_CHARS = "晓小文华明建志海国金永家嘉子一思雨俊立新世正光宏德方安宇晨佳云天益昕慧诗然秋"
# Extra characters only for homophones (伟/玮/炜, 晓/小 ...): a typist picks the wrong one.
HOMOPHONE_EXTRA = (
    "玮炜维薇巍卫蔚铭鸣茗名桦骅婕捷洁颉俊骏峻竣隽珺君钧筠均菁晶婧靖翔祥湘芳舫昉霞侠丽莉俐立利"
    "丹燕雁艳彦妍颜琳霖林麟玲铃龄凌灵婷亭庭霆鹏朋蓬涛韬滔焘辉晖徽蕙卉杰颖莹盈瑛樱敏珉旻磊蕾雷"
    "勇永咏宇雨语羽玉钰裕煜昱浩皓昊灏颢瑞睿锐蕊芮彤童桐欣鑫馨新心芯昕歆怡宜仪颐依伊琪棋淇祺奇"
    "琦骐麒"
)


def words(text: str) -> tuple[str, ...]:
    """A word list written as one space-separated string (it stays readable as a constant)."""
    return tuple(text.split())


_FULL_WIDTH = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
_DIGIT_WIDE = {ord(d): ord(d) + 0xFEE0 for d in "0123456789"}


def full_width(text: str) -> str:
    """ASCII letters, digits and punctuation as their full-width forms (１２３, Ｘ)."""
    return text.translate(_FULL_WIDTH)


def wide_digits(text: str) -> str:
    """Only the digits full-width: an IME left in full-width mode while typing a house number."""
    return text.translate(_DIGIT_WIDE)


@cache
def homophones() -> dict[str, tuple[str, ...]]:
    """Character → other characters with the same toneless pinyin (晓 → 小, 伟 → 玮 炜 维 ...)."""
    chars = dict.fromkeys(MALE_CHARS + FEMALE_CHARS + COMMON_CHARS + HOMOPHONE_EXTRA)
    by_sound: dict[str, list[str]] = {}
    for ch in chars:
        by_sound.setdefault(lazy_pinyin(ch)[0], []).append(ch)
    return {
        ch: tuple(o for o in group if o != ch)
        for group in by_sound.values()
        for ch in group
        if len(group) > 1
    }


@cache
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


def traditional(text: str) -> str | None:
    """The traditional form (张晓明 → 張曉明), or None when it is the same text."""
    out = _s2t().convert(text)
    return out if out != text else None


def homophone(given: str, r: random.Random) -> str | None:
    """One given-name character replaced by a homophone, or None if none has one."""
    table = homophones()
    spots = [i for i, ch in enumerate(given) if ch in table]
    if not spots:
        return None
    i = r.choice(spots)
    return given[:i] + r.choice(table[given[i]]) + given[i + 1 :]


def swapped(given: str) -> str | None:
    """张晓明 → 张明晓: two given-name characters in the wrong order."""
    return given[::-1] if len(given) == 2 and given[0] != given[1] else None


def spaced_name(name: str, surname_len: int, r: random.Random) -> str:
    """A space after the surname, a full-width space, or trailing blanks (one of them)."""
    pick = r.random()
    if pick < 0.4 and len(name) > surname_len:
        return name[:surname_len] + " " + name[surname_len:]
    if pick < 0.6 and len(name) > surname_len:
        return name[:surname_len] + "\u3000" + name[surname_len:]
    return name + r.choice((" ", "  ", "\t"))


def digit_typo(code: str, r: random.Random, last: int = 17, alphabet: str = "0123456789") -> str:
    """One of the first ``last`` characters mistyped (within ``alphabet``); the check then fails."""
    spots = [i for i in range(last) if code[i] in alphabet]
    i = r.choice(spots)
    wrong = r.choice([d for d in alphabet if d != code[i]])
    return code[:i] + wrong + code[i + 1 :]


def confusable(code: str, r: random.Random) -> str | None:
    """A 0 typed as O or a 1 as I: letters a credit code never uses, or None if it has neither digit."""
    spots = [i for i, ch in enumerate(code) if ch in "01"]
    if not spots:
        return None
    i = r.choice(spots)
    return code[:i] + ("O" if code[i] == "0" else "I") + code[i + 1 :]


def transposed(code: str, r: random.Random, last: int = 17) -> str | None:
    """Two neighbouring characters among the first ``last`` swapped (199 → 919), or None if all equal."""
    spots = [i for i in range(last - 1) if code[i] != code[i + 1]]
    if not spots:
        return None
    i = r.choice(spots)
    return code[:i] + code[i + 1] + code[i] + code[i + 2 :]


def legacy15(id18: str) -> str:
    """The pre-1999 15-digit form: no '19' century, no check digit (110101199003071234 → 110101900307123)."""
    return id18[:6] + id18[8:17]


def id_format(id_number: str, r: random.Random) -> str:
    """A lower-case x, spaces between the parts, or full-width digits (one of them)."""
    pick = r.random()
    if pick < 0.35 and id_number.endswith("X"):
        return id_number[:-1] + "x"
    if pick < 0.7:
        return f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}"
    return full_width(id_number)


def mobile_format(phone: str, r: random.Random) -> str:
    """138 1234 5678, 138-1234-5678, +86 13812345678 or full-width."""
    return r.choice(
        (
            f"{phone[:3]} {phone[3:7]} {phone[7:]}",
            f"{phone[:3]}-{phone[3:7]}-{phone[7:]}",
            f"+86 {phone}",
            f"+86{phone}",
            full_width(phone),
        )
    )


def abbreviated(name: str) -> str:
    """A province or city name without its 省/市 (浙江省 → 浙江); a 自治区 stays as written."""
    return name[:-1] if len(name) > 2 and name[-1] in "省市" else name


def spaced(text: str, r: random.Random) -> str:
    """A stray space inside, or blanks around, a value."""
    if len(text) > 3 and r.random() < 0.6:
        i = r.randrange(1, len(text) - 1)
        return text[:i] + r.choice((" ", "\u3000")) + text[i:]
    return r.choice((" ", "")) + text + r.choice((" ", "  "))
