"""Form checks that answer in the reader's language: each returns the clean value, or
records a message under the field's name so the page can show it beside the field."""

from __future__ import annotations

from datetime import date, datetime

from huitong.web.i18n import Translator


class Form:
    def __init__(self, values: dict[str, str], t: Translator):
        self.values = values
        self.t = t
        self.errors: dict[str, str] = {}

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self, name: str, label: str, *, required: bool = False, max_len: int = 200) -> str:
        value = (self.values.get(name) or "").strip()
        if required and not value:
            self.errors[name] = self.t("form.required", field=self.t(label))
        elif len(value) > max_len:
            self.errors[name] = self.t("form.too_long", field=self.t(label), max=max_len)
        return value

    def integer(self, name: str, label: str, *, default: int, low: int = 1, high: int = 10**9) -> int:
        raw = (self.values.get(name) or "").strip()
        if not raw:
            return default
        try:
            value = int(raw)
        except ValueError:
            self.errors[name] = self.t("form.not_number", field=self.t(label))
            return default
        if not low <= value <= high:
            self.errors[name] = self.t("form.out_of_range", field=self.t(label), low=low, high=high)
            return default
        return value

    def optional_integer(self, name: str, label: str, *, low: int = 1, high: int = 10**9) -> int | None:
        """A whole number, or None when the field is left empty."""
        if not (self.values.get(name) or "").strip():
            return None
        before = len(self.errors)
        value = self.integer(name, label, default=0, low=low, high=high)
        return value if len(self.errors) == before else None

    def day(self, name: str, label: str) -> datetime | None:
        raw = (self.values.get(name) or "").strip()
        if not raw:
            return None
        try:
            d = date.fromisoformat(raw)
        except ValueError:
            self.errors[name] = self.t("form.not_date", field=self.t(label))
            return None
        return datetime(d.year, d.month, d.day)

    def choice(self, name: str, label: str, choices: tuple[str, ...], *, default: str) -> str:
        raw = (self.values.get(name) or "").strip() or default
        if raw not in choices:
            self.errors[name] = self.t("form.not_choice", field=self.t(label))
            return default
        return raw
