"""统一社会信用代码 (unified social credit code, GB 32100-2015 with amendment 1).

18 characters from a 31-letter alphabet (no I, O, Z, S, V): 登记管理部门码 (registration
authority) + 机构类别码 (entity type) + 6-digit 行政区划码 + 9-character 主体标识码 (the GB 11714
organisation code, with its own check) + a check character (GB/T 17710, MOD 31).  Checking the
embedded division and organisation codes catches errors the final check misses.
"""

from __future__ import annotations

import re
import unicodedata

from huitong.standards.divisions import division_table, region_finding
from huitong.standards.findings import CheckResult, Finding, error, not_text, warning
from huitong.standards.orgcode import org_check_char

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(3**i % 31 for i in range(17))  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
NATIONAL_REGION = "100000"  # registration at national level (中华人民共和国)

# 登记管理部门码 -> (authority, {机构类别码: entity type}); an empty map means no list is known here.
AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "编办直管群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": ("旅游", {}),
    "7": ("宗教", {}),
    "8": ("工会", {}),
    "9": ("工商（市场监管）", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {}),
    "N": ("农业（农村集体经济组织）", {}),
    "Y": ("其他", {}),
}


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters."""
    first17 = first17.upper()
    if len(first17) != 17 or any(c not in ALPHABET for c in first17):
        raise ValueError(f"need 17 characters from {ALPHABET}, got {first17!r}")
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def make_credit_code(authority: str, kind: str, region: str, org_body8: str) -> str:
    """A well-formed code (for tests and demos) from its parts; the two check characters are computed."""
    authority, kind, org_body8 = authority.upper(), kind.upper(), org_body8.upper()
    if authority not in AUTHORITIES:
        raise ValueError(f"registration authority must be one of {', '.join(AUTHORITIES)}, got {authority!r}")
    if len(kind) != 1 or kind not in ALPHABET:
        raise ValueError(f"entity type must be one character of {ALPHABET}, got {kind!r}")
    if not re.fullmatch(r"\d{6}", region):
        raise ValueError(f"region must be 6 digits, got {region!r}")
    first17 = f"{authority}{kind}{region}{org_body8}{org_check_char(org_body8)}"
    return first17 + uscc_check_char(first17)


def _structure(code: str) -> list[Finding]:
    findings: list[Finding] = []
    authority, kind, region, org = code[0], code[1], code[2:8], code[8:17]
    if authority not in AUTHORITIES:
        findings.append(
            error(
                "registration_authority",
                f"registration authority code {authority} is not one of {', '.join(AUTHORITIES)}",
                f"登记管理部门码 {authority} 无效",
            )
        )
    else:
        name, kinds = AUTHORITIES[authority]
        if kinds and kind not in kinds:
            findings.append(
                warning(
                    "unknown_entity_type",
                    f"entity type {kind} is not a known type for authority {authority} ({name}); "
                    f"known: {', '.join(kinds)}",
                    f"机构类别码 {kind} 不是登记管理部门 {authority}（{name}）的已知类别",
                )
            )
    if not region.isdigit():
        findings.append(
            error(
                "region_format",
                f"positions 3-8 ({region}) must be a 6-digit division code",
                f"第3-8位 {region} 应为6位行政区划代码",
            )
        )
    elif region != NATIONAL_REGION and not division_table().windows(region):
        # A code registered under a since-abolished district stays valid; only never-listed codes warn.
        findings.append(region_finding(region, None))
    expected = org_check_char(org[:8])
    if org[8] != expected:
        findings.append(
            error(
                "embedded_org_code",
                f"embedded organisation code {org[:8]}-{org[8]} fails the GB 11714 check "
                f"(expected {expected})",
                f"主体标识码 {org[:8]}-{org[8]} 校验失败（应为 {expected}）",
            )
        )
    return findings


def validate_credit_code(value: str) -> CheckResult:
    """Check alphabet, registration authority, entity type, region, embedded org code and check character."""
    if not isinstance(value, str):
        return not_text(value, "credit code", "统一社会信用代码")
    code = re.sub(r"\s", "", unicodedata.normalize("NFKC", value)).upper()
    if len(code) != 18:
        return CheckResult(
            None,
            (
                error(
                    "format",
                    f"credit code {code!r} has {len(code)} characters, expected 18",
                    f"统一社会信用代码 {code!r} 长度为 {len(code)}，应为18位",
                ),
            ),
        )
    bad = [(i, c) for i, c in enumerate(code) if c not in ALPHABET]
    if bad:
        pos, ch = bad[0]
        return CheckResult(
            None,
            (
                error(
                    "invalid_character",
                    f"character {ch!r} at position {pos + 1} is not allowed (only 0-9 and {ALPHABET[10:]}; "
                    "I, O, Z, S, V are never used)",
                    f"第 {pos + 1} 位字符 {ch!r} 不合法（不使用 I、O、Z、S、V）",
                ),
            ),
        )
    findings = _structure(code)
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        findings.append(
            error(
                "check_digit",
                f"check character is {code[17]}, expected {expected}",
                f"校验码为 {code[17]}，应为 {expected}",
            )
        )
    return CheckResult(code, tuple(findings))
