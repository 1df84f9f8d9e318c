"""The one place that reads configuration.

Precedence, lowest first: built-in defaults, ``huitong.toml`` (in the working directory,
or the file named by ``HUITONG_CONFIG``), then ``HUITONG_*`` environment variables.
By default everything lives under ``./huitong-data/`` with an embedded SQLite database.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from huitong.errors import HuitongError

ENV_PREFIX = "HUITONG_"


@dataclass(frozen=True)
class Deadlines:
    """Working-day limits for share decisions and objections (config, not constants: local rules differ)."""

    operator_review: int = 2
    provider_review_on_platform: int = 5
    provider_review_off_platform: int = 10
    negotiation: int = 10  # provider's answer to a consumer's negotiation after a refusal
    coordination: int = 10  # the operator's coordination (协调) when negotiation fails
    objection_accept: int = 2  # the operator: an objection's submission to forwarding
    objection_answer: int = 5  # the holder: forwarding to its answer
    objection_extended: int = 10  # ... in total after its one extension


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("huitong-data")
    database_url: str = ""
    bind_host: str = "127.0.0.1"
    bind_port: int = 8000
    platform_name: str = "huitong"
    node_id: str = "huitong.local"
    token_ttl_days: int = 90
    checkpoint_seconds: int = 60  # the server signs a ledger checkpoint this often when the tree grew
    ledger_process: bool = (
        True  # the server writes evidence from a process of its own (see ledger/process.py)
    )
    retention_days: int = 0  # huitong data expire: versions older than this go (0: only with --older-than)
    retention_keep_last: int = 1  # ... but the newest this many versions of each resource always stay
    schedule_timezone: str = "Asia/Shanghai"  # the zone sources' cron schedules are read in
    worker_poll_seconds: int = 60  # how often huitong worker looks for due sources
    grading_policy: str = ""  # a province's grading policy (TOML, docs/classification.md); "" the defaults
    deadlines: Deadlines = field(default_factory=Deadlines)

    @property
    def metadata_url(self) -> str:
        """The metadata database URL; defaults to SQLite inside the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'huitong.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def search_index_file(self) -> Path:
        """The saved catalog search index (catalog/search/snapshot.py), one per metadata
        database: its name carries a digest of the database URL (never the URL, which may hold
        a password)."""
        digest = hashlib.sha256(self.metadata_url.encode("utf-8")).hexdigest()[:16]
        return self.data_dir / "search" / f"catalog-{digest}.npz"


def _coerce(name: str, raw: object, default: object) -> object:
    try:
        if isinstance(default, bool):
            return str(raw).lower() in {"1", "true", "yes", "on"}
        if isinstance(default, int):
            return int(raw)  # type: ignore[arg-type]
        if isinstance(default, Path):
            return Path(str(raw))
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise HuitongError(
            f"configuration {name!r}: {raw!r} is not a valid {type(default).__name__}"
        ) from exc


def load_settings(config_file: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    base = Settings()
    values: dict[str, object] = {}
    path = config_file or (
        Path(env[f"{ENV_PREFIX}CONFIG"]) if f"{ENV_PREFIX}CONFIG" in env else Path("huitong.toml")
    )
    named = config_file is not None or f"{ENV_PREFIX}CONFIG" in env
    if named and not path.exists():
        raise HuitongError(f"configuration file {path} does not exist")
    deadline_values: dict[str, object] = {}
    if path.exists():
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise HuitongError(f"{path}: not valid TOML ({exc})") from exc
        known = {f.name for f in fields(Settings)}
        for key, value in doc.items():
            if key == "deadlines" and isinstance(value, dict):
                deadline_values.update(value)
            elif key in known:
                values[key] = value
            else:
                raise HuitongError(f"{path}: unknown setting {key!r}")
    for f in fields(Settings):
        key = ENV_PREFIX + f.name.upper()
        if key in env:
            values[f.name] = env[key]
    for f in fields(Deadlines):
        key = f"{ENV_PREFIX}DEADLINE_{f.name.upper()}"
        if key in env:
            deadline_values[f.name] = env[key]
    coerced = {k: _coerce(k, v, getattr(base, k)) for k, v in values.items()}
    dl = Deadlines()
    if deadline_values:
        known_dl = {f.name for f in fields(Deadlines)}
        unknown = set(deadline_values) - known_dl
        if unknown:
            raise HuitongError(f"unknown deadline setting(s): {', '.join(sorted(unknown))}")
        dl = replace(dl, **{k: _coerce(k, v, getattr(dl, k)) for k, v in deadline_values.items()})
    return replace(base, **coerced, deadlines=dl)
