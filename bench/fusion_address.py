"""地址 (addresses) for the fusion benchmark data: one place, written the ways departments write it.

A place is a tuple of parts (road, number, estate, building, unit, room for a town address; town,
village, group, number for a rural one) under a county; :func:`render` writes it with a prefix
depth (省市区 / 市区 / 区), a building marker (栋/幢/号楼 or the compact 3-2-501), 室 or a bare
room, and the noise kinds it applied (see ``bench/fusion_data.py`` for their rates).
"""

from __future__ import annotations

import random

from bench.fusion_noise import abbreviated, spaced, wide_digits, words

ROADS = words(
    "人民 解放 中山 建设 和平 新华 文化 胜利 朝阳 东风 工农 青年 光明 幸福 团结 "
    "长江 黄河 滨江 府前 学府 迎宾 新民 市府 体育 北京 南京 上海 延安 环城 公园 "
    "健康 民主 江南 湖滨 松林 花园 文昌 育才 红旗 五一 八一 兴华 振兴 金桥 东湖 "
    "西湖 南湖 北湖 春晖 秀水 清河 龙泉 凤凰 天山 昆仑 泰山 华山 嵩山 庐山"
)
ROAD_SUFFIXES = ("路", "路", "路", "街", "大道", "大街", "东路", "西路", "南路", "北路")
ESTATES = words(
    "幸福小区 阳光花园 锦绣家园 金色家园 翠湖苑 书香门第 紫荆花园 碧水湾 丽景苑 和谐家园 "
    "御景华庭 桂花园 世纪新城 东方名苑 龙湖花园 阳光新城 怡景苑 香樟园 南湖新村 新华小区 "
    "电力小区 教师新村 滨江花园 金地名城 绿洲花园 工人新村 盛世华庭 铁路小区 银河湾 "
    "天誉花园"
)
TOWNS = words(
    "城关 东关 西关 新城 城南 城北 河口 桥头 石桥 青山 白沙 黄土 高桥 长岭 大坪 沙坪 龙门 马坊 柳林 杨村"
)
VILLAGES = words(
    "东风 红星 前进 胜利 团结 新民 和平 光明 联合 建设 幸福 五星 双河 三合 杨家 李家 王庄 张湾 刘庄 陈家"
)
NUMERALS = "〇一二三四五六七八九十"
MARKERS = ("栋", "幢", "号楼")


def numeral(n: int) -> str:
    """1-19 in Chinese numerals (3 → 三, 12 → 十二), as a 组 is often written."""
    return NUMERALS[n] if n <= 10 else "十" + NUMERALS[n - 10]


def town_place(r: random.Random) -> tuple:
    """A flat in a building on a road, perhaps in a named estate (小区)."""
    estate = r.choice(ESTATES) if r.random() < 0.55 else ""
    unit = r.randint(1, 6) if r.random() < 0.8 else 0
    floor = r.randint(1, 28)
    return ("town", r.choice(ROADS) + r.choice(ROAD_SUFFIXES), r.randint(1, 999), estate, r.randint(1, 30), unit,
            floor * 100 + r.randint(1, 4))  # fmt: skip


def rural_place(r: random.Random) -> tuple:
    """A house in a village group (村民小组) under a town (镇/乡)."""
    town = r.choice(TOWNS) + ("镇" if r.random() < 0.8 else "乡")
    return ("rural", town, r.choice(VILLAGES) + "村", r.randint(1, 15), r.randint(1, 120))


def place(r: random.Random, rural_share: float = 0.25) -> tuple:
    return rural_place(r) if r.random() < rural_share else town_place(r)


def _body(parts: tuple, r: random.Random, compact: bool) -> str:
    if parts[0] == "rural":
        _, town, village, group, number = parts
        group_text = r.choice((f"{group}组", f"{numeral(group)}组", f"第{numeral(group)}村民小组"))
        return f"{town}{village}{group_text}{number}号"
    _, road, number, estate, building, unit, room = parts
    room_text = f"{room}" + ("室" if r.random() < 0.7 else "")
    if compact:
        flat = f"{building}-{unit}-{room}" if unit else f"{building}-{room}"
    else:
        marker = r.choice(MARKERS)
        flat = f"{building}{marker}" + (f"{unit}单元" if unit else "") + room_text
    return f"{road}{number}号{estate}{flat}"


def render(
    path: list[str], parts: tuple, r: random.Random, depth: int, rates: dict[str, float]
) -> tuple[str, list[str]]:
    """The address text and the noise kinds applied.

    ``path`` is the province, prefecture and county names; ``depth`` how many leading names to
    drop (0: 省市区, 1: 市区, 2: 区 only); ``rates`` the chances of the ``address_*`` kinds.
    """
    kinds: list[str] = []
    shown = path[min(depth, len(path) - 1) :]
    if len(shown) < len(path):
        kinds.append("address_short_prefix")
    if len(shown) > 1 and r.random() < rates["address_abbreviated"]:
        cut = [abbreviated(n) for n in shown[:-1]] + shown[-1:]
        if cut != shown:
            shown = cut
            kinds.append("address_abbreviated")
    compact = parts[0] == "town" and r.random() < rates["address_compact"]
    if compact:
        kinds.append("address_compact")
    body = _body(parts, r, compact)
    if r.random() < rates["address_fullwidth"]:
        body = wide_digits(body)
        kinds.append("address_fullwidth")
    text = "".join(shown) + body
    if r.random() < rates["address_whitespace"]:
        text = spaced(text, r)
        kinds.append("address_whitespace")
    return text, kinds
