"""去标识化 de-identification (GB/T 37964-2019) and its check (GB/T 42460-2023 效果评估), and
differentially private published statistics (差分隐私, through OpenDP).

A :class:`Plan` names the direct identifiers, quasi-identifiers and sensitive attributes of a
microdata table and the operator for each column; :func:`apply` runs it as one DuckDB query over
an Arrow table; :func:`assess` measures what a release achieves (k-anonymity, l-diversity,
prosecutor re-identification risk) before it is approved (验证审批); :mod:`dp` releases counts,
sums and histograms with a privacy budget.
"""

from huitong.deid import generalise, pseudonym, randomise  # noqa: F401  (their operators register)
from huitong.deid.plan import Plan
from huitong.deid.release import apply
from huitong.deid.risk import RiskReport, assess

__all__ = ["Plan", "RiskReport", "apply", "assess"]
