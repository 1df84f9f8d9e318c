"""Administrative levels and the division codes that name them (pure, no I/O). Roles are an
access concept: :mod:`huitong.access.roles`."""

from __future__ import annotations

from enum import StrEnum

from huitong.errors import invalid


class AdminLevel(StrEnum):
    """行政层级: the level of government a region and its departments sit at."""

    national = "national"  # 国家
    province = "province"  # 省
    city = "city"  # 市
    county = "county"  # 县
    township = "township"  # 乡

    @property
    def label_zh(self) -> str:
        return LEVEL_ZH[self]

    @property
    def rank(self) -> int:
        return list(AdminLevel).index(self)


LEVEL_ZH = {
    AdminLevel.national: "国家",
    AdminLevel.province: "省",
    AdminLevel.city: "市",
    AdminLevel.county: "县",
    AdminLevel.township: "乡",
}


def parse_level(value: str) -> AdminLevel:
    for level in AdminLevel:
        if value in (level.value, level.label_zh):
            return level
    raise invalid(
        f"unknown administrative level {value!r}; use one of "
        + ", ".join(f"{lv.value} ({lv.label_zh})" for lv in AdminLevel)
    )


def level_for_division(code: str) -> AdminLevel:
    """The level a 6-digit 行政区划代码 names: 110000 province, 110100 city, 110101 county."""
    if code == "000000":
        return AdminLevel.national
    if code.endswith("0000"):
        return AdminLevel.province
    if code.endswith("00"):
        return AdminLevel.city
    return AdminLevel.county
