"""The failure value of a generated test: where, what (one line), and detail lines; rendered
by the item's repr_failure as short plain text, never a traceback."""

from __future__ import annotations


class CheckFailure(Exception):
    def __init__(self, location: str | None, headline: str, details: list[str] | tuple[str, ...] = (),
                 site: tuple[str, int] | None = None):
        super().__init__(headline)
        self.location = location  # as shown: "shop/models.py:17"
        self.headline = headline
        self.details = list(details)
        self.site = site          # (absolute file, line) when known, for warnings

    def render(self) -> str:
        head = f"{self.location}: {self.headline}" if self.location else self.headline
        return "\n".join([head, *(f"  {line}" if line else "" for line in self.details)])


class PredictionWarning(UserWarning):
    """ckptguard's static prediction disagrees with what torch really does (an analyzer gap, not
    a bug in the model); a failure under --ckptguard-strict."""


class PluginWarning(UserWarning):
    """ckptguard cannot run (some of) its tests in this environment: a native extension is
    missing, broken or built for another torch. The session goes on without them."""
