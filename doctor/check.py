"""The `Check` base class and the finding catalog every check declares.

A check declares, besides its id and variables, every finding id it can emit (`catalog`): the
slug, default severity, a one-line meaning, what usually causes it and what usually fixes it.
`doctor explain ID` and `doctor list --findings` print the catalog; the test suite holds every
emitted id to it, and a committed snapshot makes removing an id or changing its severity a
deliberate change.
"""

from __future__ import annotations

from doctor.severity import Severity

TYPE_CHECKING = False  # the catalog loads without typing, dataclasses or the Context (start-up)
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import ClassVar

    from doctor.context import Context
    from doctor.model import Finding


class FindingSpec:
    """One finding id a check can emit, as `doctor explain` prints it.

    - `slug`: the part after `<check>.`; the id `<check>.<slug>` never changes meaning.
    - `severity`: the default severity (a check may raise or lower it for one environment).
    - `meaning`: one line: what it means for the app.
    - `fix`: one line: what usually fixes it.
    - `causes`: what usually brings it about (optional).
    - `docs`: the guide section; empty means the check's `docs`.
    - `vars`: the variables it is about; empty means the check's `vars`.
    """

    __slots__ = ("causes", "docs", "fix", "meaning", "severity", "slug", "vars")

    def __init__(self, slug: str, severity: Severity, meaning: str, fix: str, causes: str = "", docs: str = "",
                 vars: tuple[str, ...] = ()) -> None:
        self.slug, self.severity, self.meaning, self.fix = slug, severity, meaning, fix
        self.causes, self.docs, self.vars = causes, docs, tuple(vars)

    def _key(self) -> tuple[object, ...]:
        return (self.slug, self.severity, self.meaning, self.fix, self.causes, self.docs, self.vars)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FindingSpec) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"FindingSpec({self.slug!r}, {self.severity!r}, {self.meaning!r})"


class Check:
    """Base class for a check. Subclass it, set the class attributes, implement `run`.

    - `id`: stable check id (`postgres`); finding ids start with it.
    - `title`: a short human name.
    - `vars`: the configuration variables it reads (shown by `doctor list`).
    - `network`: True when `run` may open connections. Under `--offline` such a check still runs,
      with `ctx.offline` set, and must then do only its static part.
    - `depends_on`: ids of checks that must pass first; when one fails this check is skipped.
    - `boot_critical`: a failure here stops the app from booting (ranked before feature checks).
    - `order`: where the check stands in reports (built-ins use 10..200; the default is 500).
    - `stage`: where the check stands in cause and consequence: 0 reads the configuration files,
      1 judges the values, 2 (the default) uses them. A root finding of an earlier stage explains
      later-stage findings about its variables (`doctor/causes.py`).
    - `docs`: where to read more; given to each finding that names no docs of its own.
    - `command`: set for a check that runs only under `doctor COMMAND` (e.g. `compare`): the main
      run leaves it out, while `list`, `explain` and `--silence` still know its ids.
    - `catalog`: a `FindingSpec` for every finding id `run` can emit. The engine adds
      `<id>.crashed`, `<id>.timed_out` and `<id>.load_failed` itself.
    """

    id: ClassVar[str] = ""
    title: ClassVar[str] = ""
    vars: ClassVar[tuple[str, ...]] = ()
    network: ClassVar[bool] = False
    depends_on: ClassVar[tuple[str, ...]] = ()
    boot_critical: ClassVar[bool] = False
    order: ClassVar[int] = 500
    stage: ClassVar[int] = 2
    docs: ClassVar[str] = ""
    command: ClassVar[str] = ""
    catalog: ClassVar[tuple[FindingSpec, ...]] = ()

    async def run(self, ctx: Context) -> Iterable[Finding]:
        """Examine the configuration through `ctx`; return findings (none means passed)."""
        raise NotImplementedError
