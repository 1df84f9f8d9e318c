"""What discovery can find in a column: the documented vocabulary of kinds (个人信息类别).

Each kind says which GB/T 35273 Annex B class it belongs to, whether it is personal information on
its own, whether it is sensitive personal information (敏感个人信息), and how strong its evidence is:
a value that passes a check digit is near-certain, a pattern is good evidence, a surname or an
address word is weak evidence that a column name must support.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    id_number = "id_number"  # 公民身份号码
    uscc = "uscc"  # 统一社会信用代码
    mobile = "mobile"  # 手机号码
    landline = "landline"  # 固定电话
    bank_card = "bank_card"  # 银行卡号
    plate = "plate"  # 车牌号
    passport = "passport"  # 护照 / 港澳通行证
    email = "email"  # 电子邮箱
    ip = "ip"  # IP 地址
    division_code = "division_code"  # 行政区划代码
    address = "address"  # 地址
    person_name = "person_name"  # 姓名
    birth_date = "birth_date"  # 出生日期
    free_text_with_identifiers = "free_text_with_identifiers"  # 含标识符的自由文本
    health = "health"  # 健康生理信息
    religion = "religion"  # 宗教信仰
    criminal_record = "criminal_record"  # 犯罪记录
    finance = "finance"  # 财产信息


class Strength(StrEnum):
    check_digit = "check_digit"  # a check character or Luhn sum: chance agreement is rare
    pattern = "pattern"  # a specific format (a mobile prefix, an e-mail's @)
    weak = "weak"  # a word list or a common shape: the column's name must agree
    name_only = "name_only"  # found by the column's name and a value vocabulary


@dataclass(frozen=True)
class KindInfo:
    label_zh: str
    label_en: str
    pi_class: str  # GB/T 35273 Annex B (or 组织数据 / 公共数据 for what is not personal)
    personal: bool  # identifies or describes a natural person on its own
    sensitive: bool  # 敏感个人信息 (GB/T 35273 Annex B.2)
    strength: Strength


INFO: dict[Kind, KindInfo] = {
    Kind.id_number: KindInfo(
        "公民身份号码", "citizen ID number", "个人身份信息", True, True, Strength.check_digit
    ),
    Kind.uscc: KindInfo(
        "统一社会信用代码", "unified social credit code", "组织数据", False, False, Strength.check_digit
    ),
    Kind.mobile: KindInfo("手机号码", "mobile number", "个人通信信息", True, False, Strength.pattern),
    Kind.landline: KindInfo("固定电话", "landline number", "个人通信信息", True, False, Strength.pattern),
    Kind.bank_card: KindInfo(
        "银行卡号", "bank card number", "个人财产信息", True, True, Strength.check_digit
    ),
    Kind.plate: KindInfo("车牌号", "vehicle plate", "个人财产信息", True, False, Strength.pattern),
    Kind.passport: KindInfo(
        "护照/通行证号码", "passport or permit number", "个人身份信息", True, True, Strength.pattern
    ),
    Kind.email: KindInfo("电子邮箱", "e-mail address", "个人通信信息", True, False, Strength.pattern),
    Kind.ip: KindInfo("IP地址", "IP address", "网络身份标识信息", True, False, Strength.pattern),
    Kind.division_code: KindInfo("行政区划代码", "division code", "公共数据", False, False, Strength.weak),
    Kind.address: KindInfo("地址", "address", "个人位置信息", True, False, Strength.weak),
    Kind.person_name: KindInfo("姓名", "personal name", "个人基本资料", True, False, Strength.weak),
    Kind.birth_date: KindInfo("出生日期", "date of birth", "个人基本资料", True, False, Strength.weak),
    Kind.free_text_with_identifiers: KindInfo(
        "含标识符的文本", "free text with identifiers", "个人身份信息", True, True, Strength.pattern
    ),
    Kind.health: KindInfo(
        "健康生理信息", "health information", "个人健康生理信息", True, True, Strength.name_only
    ),
    Kind.religion: KindInfo("宗教信仰", "religion", "其他敏感个人信息", True, True, Strength.name_only),
    Kind.criminal_record: KindInfo(
        "犯罪记录", "criminal record", "其他敏感个人信息", True, True, Strength.name_only
    ),
    Kind.finance: KindInfo(
        "财产信息", "financial information", "个人财产信息", True, True, Strength.name_only
    ),
}

# 14岁以下儿童信息 (GB/T 35273 Annex B): a class a column joins when the birth dates it holds or implies
# include a child under 14, whatever its kind.
MINOR = "minor_under_14"
MINOR_AGE = 14


def parse_kind(text: str) -> Kind | None:
    try:
        return Kind(text)
    except ValueError:
        return None
