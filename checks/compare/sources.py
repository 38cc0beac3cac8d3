"""The sources `doctor compare` lays side by side: each a dotenv file, `heroku config --json`
output, or `-` (standard input), optionally labelled (`staging=stg.env`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from checks.compare.const import ENVIRONMENT_WORDS, PRODUCTION
from doctor.config import Config, ConfigError, read_named, read_source, read_stdin
from doctor.dotenv import STDIN_PATH
from doctor.heroku import SourceFormatError

_LABEL = re.compile(r"^(?P<label>[A-Za-z][A-Za-z0-9_.-]{0,39})=(?P<path>.+)$")
FLAG = "compare SOURCE"


@dataclass
class Source:
    """One environment's configuration: its label, what it says it is, and its values."""

    label: str
    path: str
    config: Config
    environment: str  # production, staging, development, or what ENVIRONMENT says, or the label

    @property
    def production(self) -> bool:
        """True for the production environment (by its ENVIRONMENT value, else its label)."""
        return self.environment == PRODUCTION

    def get(self, name: str) -> str | None:
        """The value the app would read from this source (None when unset or empty)."""
        found = self.config.lookup(name)
        return found.value.strip() if found is not None and found.value.strip() else None

    def names(self) -> set[str]:
        """Every variable this source sets to a non-empty value."""
        return {name for name in self.config.names() if self.get(name) is not None}


def canonical_environment(word: str) -> str | None:
    """`production`, `staging` or `development` for a word that names one (`prod`, `stg`), else None."""
    lowered = word.strip().lower()
    return next((env for env, words in ENVIRONMENT_WORDS.items() if lowered in words), None)


def _split(spec: str) -> tuple[str | None, str]:
    match = _LABEL.match(spec)
    if match and not Path(spec).exists():
        return match["label"], match["path"]
    return None, spec


def _default_label(path: str, taken: set[str]) -> str:
    base = "stdin" if path == "-" else Path(path).stem.lstrip(".") or Path(path).name
    label, n = base, 2
    while label in taken:
        label, n = f"{base}-{n}", n + 1
    return label


def load_sources(specs: list[str]) -> list[Source]:
    """Read every SOURCE. Raises ConfigError (a usage error) for one that cannot be read or that
    is JSON but not an object of strings, and for a label used twice."""
    sources: list[Source] = []
    piped: bytes | None = None
    for spec in specs:
        label, path = _split(spec)
        taken = {s.label for s in sources}
        if label is not None and label in taken:
            raise ConfigError(f"{FLAG}: the label {label} is used twice")
        label = label or _default_label(path, taken)
        if path == "-":
            piped = read_stdin(flag=FLAG) if piped is None else piped
            raw, shown = piped, STDIN_PATH
        else:
            raw, shown = read_named(path, FLAG), path
        try:
            parsed = read_source(raw, shown)
        except SourceFormatError as exc:
            raise ConfigError(f"{FLAG} {path}: {exc}") from None
        config = Config([parsed], {})
        said = config.lookup("ENVIRONMENT")
        environment = (canonical_environment(said.value) if said else None) or canonical_environment(label)
        sources.append(Source(label, shown, config, environment or (said.value.strip().lower() if said else label)))
    return sources
