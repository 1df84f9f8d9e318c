"""Catalog vocabulary and the resource record, as plain data (pure, no I/O).

Enumerations follow the national 编制指南 core metadata; each member carries its Chinese
label, which is also what departments type into the Excel template.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from enum import StrEnum
from functools import cache

from huitong.errors import Problem, invalid
from huitong.standards.elements import GRADE_LABELS, Grade  # noqa: F401 (re-exported)


class Labeled(StrEnum):
    @property
    def label_zh(self) -> str:
        return self._labels()[self.value]

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return LABELS[cls.__name__]

    @classmethod
    def parse(cls, value: str, field_name: str | None = None):
        """Accept the English value, the Chinese label or its numeric code."""
        text = str(value).strip()
        member = _accepted(cls).get(text)
        if member is not None:
            return member
        choices = ", ".join(f"{m.value} ({m.label_zh})" for m in cls)
        raise invalid(
            f"{field_name or cls.__name__}: {text!r} is not one of {choices}",
            Problem(f"{text!r} is not one of {choices}", field=field_name, value=text),
        )


@cache
def _accepted(cls: type[Labeled]) -> dict[str, Labeled]:
    """Every text ``parse`` accepts for an enumeration: value, Chinese label, numeric code."""
    out: dict[str, Labeled] = {}
    for member in reversed(list(cls)):  # the first member wins a text two could claim, as before
        code = CODES.get(cls.__name__, {}).get(member.value)
        for text in (member.value, member.label_zh, *([code] if code is not None else [])):
            out[text] = member
    return out


class ShareType(Labeled):
    """共享类型."""

    unconditional = "unconditional"
    conditional = "conditional"
    none = "none"


class OpenType(Labeled):
    """开放类型."""

    unconditional = "unconditional"
    conditional = "conditional"
    none = "none"


class UpdateCycle(Labeled):
    """更新周期."""

    realtime = "realtime"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"
    half_yearly = "half_yearly"
    yearly = "yearly"
    irregular = "irregular"


class FormatClass(Labeled):
    """格式分类 (信息资源格式)."""

    file = "file"
    spreadsheet = "spreadsheet"
    database = "database"
    image = "image"
    stream = "stream"
    self_describing = "self_describing"
    service = "service"


class ShareMode(Labeled):
    """共享方式类型: how the data is handed over."""

    database = "database"
    file = "file"
    api = "api"


class ShareChannel(Labeled):
    """共享方式分类."""

    platform = "platform"
    email_or_disk = "email_or_disk"
    media = "media"


class Status(Labeled):
    """Lifecycle of a catalog entry."""

    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    published = "published"
    retired = "retired"


class DataType(Labeled):
    """信息项数据类型, the letters used in 目录 templates."""

    C = "C"
    N = "N"
    Y = "Y"
    D = "D"
    T = "T"
    L = "L"
    M = "M"
    G = "G"
    B = "B"
    I = "I"  # noqa: E741 - the standard's letter
    F = "F"


# The grade is the data elements' own (one scale for elements, items and resources).


LABELS = {
    "ShareType": {"unconditional": "无条件共享", "conditional": "有条件共享", "none": "不予共享"},
    "OpenType": {"unconditional": "无条件开放", "conditional": "有条件开放", "none": "不予开放"},
    "UpdateCycle": {
        "realtime": "实时",
        "daily": "每日",
        "weekly": "每周",
        "monthly": "每月",
        "quarterly": "每季度",
        "half_yearly": "每半年",
        "yearly": "每年",
        "irregular": "不定期",
    },
    "FormatClass": {
        "file": "电子文件",
        "spreadsheet": "电子表格",
        "database": "数据库",
        "image": "图形图像",
        "stream": "流媒体",
        "self_describing": "自描述格式",
        "service": "服务接口",
    },
    "ShareMode": {"database": "数据库", "file": "文件", "api": "接口"},
    "ShareChannel": {"platform": "共享平台方式", "email_or_disk": "邮件或拷盘", "media": "介质交换"},
    "Status": {
        "draft": "草稿",
        "submitted": "待审核",
        "returned": "已退回",
        "published": "已发布",
        "retired": "已下线",
    },
    "DataType": {
        "C": "字符型",
        "N": "数值型",
        "Y": "货币型",
        "D": "日期型",
        "T": "日期时间型",
        "L": "逻辑型",
        "M": "备注型",
        "G": "通用型",
        "B": "双精度型",
        "I": "整型",
        "F": "浮点型",
    },
    "Grade": GRADE_LABELS,
}
CODES = {
    "ShareType": {"unconditional": "1", "conditional": "2", "none": "3"},
    "OpenType": {"unconditional": "1", "conditional": "2", "none": "3"},
    "FormatClass": {m: str(i) for i, m in enumerate(LABELS["FormatClass"], start=1)},
}

# Which hand-over modes fit which format class (a file cannot be served as a database).
MODES_FOR_FORMAT = {
    FormatClass.file: {ShareMode.file},
    FormatClass.spreadsheet: {ShareMode.file},
    FormatClass.image: {ShareMode.file},
    FormatClass.stream: {ShareMode.file, ShareMode.api},
    FormatClass.database: {ShareMode.database, ShareMode.api},
    FormatClass.self_describing: {ShareMode.file, ShareMode.api},
    FormatClass.service: {ShareMode.api},
}


@dataclass
class DataItem:
    """信息项: one field of a resource."""

    name: str
    data_type: DataType = DataType.C
    length: int | None = None
    element: str | None = None  # identifier of the mapped standard data element (数据元)
    grade: Grade | None = None  # None: take the data element's default
    name_en: str | None = None
    is_key: bool = False
    required: bool = False
    description: str | None = None


@dataclass
class ResourceSpec:
    """What a department declares about one resource (信息资源); the code is generated."""

    name: str
    class_code: str  # 类/项/目[/细目] classification, e.g. "101001"
    provider_code: str  # 信息资源提供方代码
    summary: str
    format_class: FormatClass
    share_type: ShareType
    share_mode: ShareMode
    open_type: OpenType
    update_cycle: UpdateCycle
    format_type: str | None = None  # e.g. xlsx, MySQL
    share_channel: ShareChannel = ShareChannel.platform
    share_condition: str | None = None  # 共享条件
    share_basis: str | None = None  # legal or policy basis for 有条件/不予
    open_condition: str | None = None  # 开放条件
    publish_date: date | None = None
    related_codes: list[str] = field(default_factory=list)
    also_in: list[str] = field(default_factory=list)  # further classification codes (基础/主题)
    source_system: str | None = None  # 所属系统
    authoritative_code: str | None = None  # 数源部门 code, if not the provider
    tags: list[str] = field(default_factory=list)
    name_en: str | None = None
    items: list[DataItem] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain fields, as ``dataclasses.asdict`` gives them, without its deep copy: a bulk
        import takes a snapshot of every entry."""
        d = {f: getattr(self, f) for f in _SPEC_FIELDS}
        for f in ("related_codes", "also_in", "tags"):
            d[f] = list(d[f])
        d["items"] = [{f: getattr(item, f) for f in _ITEM_FIELDS} for item in self.items]
        d["publish_date"] = self.publish_date.isoformat() if self.publish_date else None
        return d


_SPEC_FIELDS = tuple(f.name for f in fields(ResourceSpec))
_ITEM_FIELDS = tuple(f.name for f in fields(DataItem))
