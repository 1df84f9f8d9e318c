"""Typed request and response bodies; they double as the API's documentation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ShareTypeV = Literal["unconditional", "conditional", "none"]
OpenTypeV = Literal["unconditional", "conditional", "none"]
CycleV = Literal["realtime", "daily", "weekly", "monthly", "quarterly", "half_yearly", "yearly", "irregular"]
FormatV = Literal["file", "spreadsheet", "database", "image", "stream", "self_describing", "service"]
ModeV = Literal["database", "file", "api"]
ChannelV = Literal["platform", "email_or_disk", "media"]
DataTypeV = Literal["C", "N", "Y", "D", "T", "L", "M", "G", "B", "I", "F"]
GradeV = Literal["general_1", "general_2", "general_3", "general_4", "important", "core"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataItemIn(Strict):
    name: str = Field(description="信息项名称")
    data_type: DataTypeV = "C"
    length: int | None = None
    element: str | None = Field(None, description="数据元 identifier, e.g. DE01001")
    grade: GradeV | None = Field(None, description="分级; default from the data element")
    name_en: str | None = None
    is_key: bool = False
    required: bool = False
    description: str | None = None


class ResourceIn(Strict):
    """A catalog entry as a department describes it; the code is generated."""

    name: str = Field(description="信息资源名称")
    class_code: str = Field(description="信息资源分类 (类/项/目), e.g. 101002")
    provider_code: str = Field(description="信息资源提供方代码")
    summary: str = Field(description="信息资源摘要")
    format_class: FormatV
    share_type: ShareTypeV = Field(description="共享类型")
    share_mode: ModeV = Field(description="共享方式类型")
    open_type: OpenTypeV = Field(description="开放类型")
    update_cycle: CycleV = Field(description="更新周期")
    format_type: str | None = None
    share_channel: ChannelV = "platform"
    share_condition: str | None = None
    share_basis: str | None = Field(None, description="legal or policy basis (共享依据)")
    open_condition: str | None = None
    publish_date: date | None = None
    related_codes: list[str] = []
    also_in: list[str] = []
    source_system: str | None = None
    authoritative_code: str | None = Field(None, description="数源部门 code")
    tags: list[str] = []
    name_en: str | None = None
    items: list[DataItemIn] = []


class ResourceOut(ResourceIn):
    model_config = ConfigDict(extra="allow")
    code: str
    status: str
    grade: str
    provider: str


class Transition(Strict):
    reason: str | None = None


class ReviewIn(Strict):
    decision: Literal["approve", "return"]
    reason: str | None = None


class LoginIn(Strict):
    username: str
    password: str


class TokenIn(Strict):
    name: str = "api"
    scope: Literal["read", "write"] = "read"
    days: int = 90


class TokenOut(BaseModel):
    token_id: str
    name: str
    scope: str
    expires_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    secret: str | None = Field(None, description="shown once, when issued")


class RegionIn(Strict):
    division_code: str
    name: str
    parent_code: str | None = None
    level: str | None = None


class DepartmentIn(Strict):
    region_code: str
    name: str
    code: str
    short_name: str | None = None


class UserIn(Strict):
    username: str
    display_name: str
    department_code: str
    roles: list[str]
    password: str | None = None


class RolesIn(Strict):
    roles: list[str]


class CheckIn(Strict):
    value: str
