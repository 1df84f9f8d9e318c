"""The population resource the benchmarks load and share: one conditional 户籍 entry."""

from __future__ import annotations

from huitong.catalog.model import FormatClass, OpenType, ResourceSpec, ShareMode, ShareType, UpdateCycle


def population_spec(provider_code: str, items, name: str = "常住人口户籍信息") -> ResourceSpec:
    return ResourceSpec(
        name=name,
        class_code="101002",
        provider_code=provider_code,
        summary="本市常住人口的身份号码、姓名、性别、出生日期与住址。",
        format_class=FormatClass.database,
        format_type="PostgreSQL",
        share_type=ShareType.conditional,
        share_mode=ShareMode.api,
        open_type=OpenType.none,
        update_cycle=UpdateCycle.daily,
        share_condition="仅限政务服务办理中核验使用",
        share_basis="《中华人民共和国户口登记条例》",
        items=items,
    )
