"""``FormErrors``: validation failures rendered as Discord's 50035 "Invalid Form Body"."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

Path_ = tuple[str | int, ...]


class FormErrors:
    """Collects validation failures and renders Discord's 50035 body."""

    def __init__(self) -> None:
        self.items: list[tuple[Path_, str, str]] = []

    def __bool__(self) -> bool:
        return bool(self.items)

    def add(self, path: Path_, code: str, message: str) -> None:
        self.items.append((tuple(path), code, message))

    def max_len(self, path: Path_, value: Any, limit: int) -> None:
        if isinstance(value, str | list | dict) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def bad_len(self, path: Path_, value: Any, lo: int, hi: int) -> None:
        if not isinstance(value, str | list):
            self.add(path, "BASE_TYPE_REQUIRED", "This field is required")
        elif not lo <= len(value) <= hi:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {lo} and {hi} in length.")

    def choices(self, path: Path_, choices: Iterable[Any]) -> Iterator[tuple[Path_, Any]]:
        """(path, value) of each choice under `path` that is an object with a 1–100 character name; the rest are errors
        (the value's own rules differ between a command's choices and an autocomplete answer)."""
        for i, choice in enumerate(choices):
            p = (*path, "choices", i)
            if not isinstance(choice, dict):
                self.add(p, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
                continue
            self.bad_len((*p, "name"), choice.get("name"), 1, 100)
            yield p, choice.get("value")

    def int_range(self, path: Path_, value: Any, lo: int, hi: int) -> None:
        if value is None:
            return
        if not isinstance(value, int) or isinstance(value, bool):
            self.add(path, "NUMBER_TYPE_COERCE", f'Value "{value}" is not int.')
        elif value < lo:
            self.add(path, "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {lo}.")
        elif value > hi:
            self.add(path, "NUMBER_TYPE_MAX", f"int value should be less than or equal to {hi}.")

    def errors_dict(self) -> dict[str, Any]:
        root: dict[str, Any] = {}
        for path, code, message in self.items:
            node = root
            for part in path:
                node = node.setdefault(str(part), {})
            node.setdefault("_errors", []).append({"code": code, "message": message})
        return root

    def body(self) -> dict[str, Any]:
        return {"code": 50035, "errors": self.errors_dict(), "message": "Invalid Form Body"}


def merge(errors: Iterable[FormErrors]) -> FormErrors:
    out = FormErrors()
    for e in errors:
        out.items.extend(e.items)
    return out
