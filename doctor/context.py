"""The Context: a check's only view of the configuration, the run's options and the platform."""

from __future__ import annotations

import re
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from doctor.config import Config, Value, is_secret_name, mask_url_password
from doctor.model import Fix, SkipCheck
from doctor.secret import Secret

ENVIRONMENTS = ("development", "staging", "production")
_PLACEHOLDER = re.compile(r"<[^<>\s][^<>]*>")
# Variables a Heroku add-on owns (Heroku Postgres, Heroku Redis): never the target of config:set.
ADDON_OWNED = frozenset({"DATABASE_URL", "REDIS_URL"})


@dataclass
class RunOptions:
    """What the user asked for on the command line that checks may need to know."""

    timeout: float = 10.0
    offline: bool = False
    write_probe: bool = False
    send_test_email: str | None = None
    verbose: bool = False  # -v: a check may add detail it leaves out by default (never a secret)
    repo: str | None = None  # --repo PATH: the git work tree the `repo` check examines (None: the current directory's)
    progress: Callable[[str], None] | None = None  # on a terminal: shows a long check's progress by the spinner
    extra: dict[str, Any] = field(default_factory=dict)


DESTRUCTIVE_MARK = "  # DESTRUCTIVE: "


def destructive_note(consequence: str) -> str:
    """`  # DESTRUCTIVE: …` for the end of a command line (a shell ignores it), or '' for none.

    A command so marked is only offered under an error or worse: below that the report keeps the
    words and withholds the command (`doctor/report.py`)."""
    return f"{DESTRUCTIVE_MARK}{consequence}" if consequence else ""


def shell_value(value: str) -> str:
    """`value` for a shell command line: literal parts quoted, `<…>` placeholders left bare."""
    parts, last = [], 0
    for match in _PLACEHOLDER.finditer(value):
        if match.start() > last:
            parts.append(shlex.quote(value[last:match.start()]))
        parts.append(match.group(0))
        last = match.end()
    if last < len(value) or not parts:
        parts.append(shlex.quote(value[last:]))
    return "".join(parts)


class Context:
    """Typed, recorded access to configuration values for one check.

    Every variable a check reads is recorded (`read_vars`). Secret values come back wrapped in
    `Secret`, whose `str()` is a fingerprint. Fix helpers produce platform-aware commands.
    """

    def __init__(self, config: Config, options: RunOptions | None = None, deadline: float | None = None,
                 models: dict[str, str] | None = None) -> None:
        self.config = config
        self.options = options or RunOptions()
        self.deadline = deadline
        self.read_vars: set[str] = set()
        self.models: dict[str, str] = {} if models is None else models  # shared by the whole run

    def for_check(self) -> Context:
        """A fresh Context sharing config, options and the models record, with its own record of
        variables read."""
        return Context(self.config, self.options, self.deadline, self.models)

    def show_progress(self, text: str) -> None:
        """Tell the user how far a long step has got (`repo: 1,200 of 20,000 blobs`): shown beside
        the spinner on a terminal, nowhere else. Safe from any thread; never raises; never a value."""
        if self.options.progress is None:
            return
        try:
            self.options.progress(text)
        except Exception:  # a display problem must not become the check's
            pass

    def note_model(self, library: str, version: str) -> None:
        """Record which model decided what the app sees: the library's version, or `builtin`."""
        self.models[library] = version

    # -- the run -------------------------------------------------------------------------------
    @property
    def offline(self) -> bool:
        """True under `--offline`: open no connection."""
        return self.options.offline

    @property
    def timeout(self) -> float:
        """Seconds allowed for one network operation (`--timeout`), never past the deadline."""
        if self.deadline is None:
            return self.options.timeout
        return max(0.1, min(self.options.timeout, self.deadline - time.monotonic()))

    # -- the platform --------------------------------------------------------------------------
    @property
    def environment(self) -> str:
        """ENVIRONMENT as the app reads it, lower-cased and trimmed; '' when unset."""
        value = self.config.lookup("ENVIRONMENT")
        return value.value.strip().strip("\"'").lower() if value else ""

    @property
    def known_environment(self) -> str | None:
        """ENVIRONMENT when it is exactly development, staging or production, as the app compares it;
        None when it is unset or anything else: then no rule may assume a side."""
        value = self.config.lookup("ENVIRONMENT")  # the platform, not a read of the check's own variables
        return value.value if value is not None and value.value in ENVIRONMENTS else None

    @property
    def production(self) -> bool:
        """True when ENVIRONMENT is exactly production (a finding that relies on it `assumes` ENVIRONMENT)."""
        return self.known_environment == "production"

    @property
    def nonproduction(self) -> bool:
        """True when ENVIRONMENT is exactly development or staging: unset or invalid is neither side."""
        return self.known_environment in ("development", "staging")

    @property
    def on_heroku(self) -> bool:
        """True on a Heroku dyno (`DYNO` is set)."""
        return bool(self.config.environ.get("DYNO"))

    @property
    def platform(self) -> str:
        """`heroku` on a dyno, else `local`."""
        return "heroku" if self.on_heroku else "local"

    @property
    def environment_in_doubt(self) -> bool:
        """True when sources disagree on ENVIRONMENT: a file sets it twice with different values, or
        the process environment overrides a different file value. The value in force is still the
        app's, but which side the user meant is unknown."""
        values = {b.value for f in self.config.files for b in f.assignments if b.key == "ENVIRONMENT"}
        if "ENVIRONMENT" in self.config.environ and values:
            values.add(self.config.environ["ENVIRONMENT"])
        return len(values) > 1

    @property
    def uses_heroku_config(self) -> bool:
        """Fixes are `heroku config:set` on a dyno or for production, `.env` edits otherwise (also
        when ENVIRONMENT is in doubt: a stray `ENVIRONMENT=production` in a local .env must not
        turn every fix into a command against the live app)."""
        return self.on_heroku or (self.production and not self.environment_in_doubt)

    # -- values --------------------------------------------------------------------------------
    def value(self, name: str) -> Value | None:
        """The effective value with its origin, or None when unset. Records the read."""
        self.read_vars.add(name)
        return self.config.lookup(name)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The raw value the app would see (untrimmed), or `default` when unset."""
        found = self.value(name)
        return found.value if found is not None else default

    def secret(self, name: str) -> Secret | None:
        """A secret variable's value wrapped in `Secret`, or None when unset."""
        raw = self.get(name)
        return Secret(raw) if raw is not None else None

    def is_set(self, name: str) -> bool:
        """True when the variable is set to something other than whitespace."""
        raw = self.get(name)
        return raw is not None and raw.strip() != ""

    def require(self, *names: str) -> None:
        """Skip the calling check unless every variable is set.

        The reason names the finding that explains each missing variable: the configuration
        layer's root when it is the cause (a `heroku config` dump the app cannot read, an
        unreadable `./.env`, no configuration at all), else `env.missing`. The skip's vars are
        the missing names, so the engine ties the skip to that finding.
        """
        missing = [n for n in names if not self.is_set(n)]
        if not missing:
            return
        groups: dict[tuple[str, str], list[str]] = {}
        for name in missing:
            cause = self.config.unset_cause(name)
            key = (cause.reason, cause.root) if cause is not None else ("not set", "env.missing")
            groups.setdefault(key, []).append(name)
        parts = [f"{', '.join(group)} {'is' if len(group) == 1 else 'are'} {reason} (see {root})"
                 for (reason, root), group in groups.items()]
        raise SkipCheck("; ".join(parts), missing)

    def where(self, name: str) -> str:
        """Where the effective value of `name` comes from: `.env:12`, `the environment`, or `unset`."""
        found = self.config.lookup(name)
        return found.where if found else "unset"

    # -- fixes ---------------------------------------------------------------------------------
    def heroku_app_flag(self) -> str:
        """` -a APP` when HEROKU_APP_NAME is known (for `heroku` commands a check builds itself), else ''."""
        app = self.config.environ.get("HEROKU_APP_NAME", "").strip()
        return f" -a {shlex.quote(app)}" if app else ""

    def set_fix(self, name: str, value: str = "<value>", text: str = "") -> Fix:
        """A fix that sets `name` to a non-secret `value`, or to a placeholder in `<…>` form.

        Placeholders (`<…>` parts, e.g. `https://<your-host>`, or the `<password>` a masked URL
        gets) stay unquoted, so a shell refuses the pasted line (it reads `<` as a redirection)
        instead of setting a placeholder as the value; everything else is shell-quoted as needed.
        """
        if value == "…":
            value = "<value>"  # `…` is a value a shell would accept and set
        if self.uses_heroku_config and name in ADDON_OWNED:
            return self._addon_owned_fix(name, text)
        if is_secret_name(name) and _PLACEHOLDER.search(value) is None:
            value = "<new value>"  # never echo a secret-slot value, even one a check computed
        shown = shell_value(mask_url_password(value))
        if self.uses_heroku_config:
            return Fix(text, (f"heroku config:set {name}={shown}{self.heroku_app_flag()}",))
        return Fix(self._local_text(name, text), (f"{name}={shown}",))

    def set_many_fix(self, values: dict[str, str], text: str = "") -> Fix:
        """One fix that sets several variables that must change together: on Heroku one
        `config:set A=… B=…` (one release, never an inconsistent state in between); locally a line each."""
        fixes = [self.set_fix(name, value) for name, value in values.items()]
        if not self.uses_heroku_config:
            return Fix(text, tuple(c for f in fixes for c in f.commands))
        flag = self.heroku_app_flag()
        pairs, others = [], []
        for fix in fixes:
            command = fix.commands[0] if fix.commands else ""
            if command.startswith("heroku config:set "):
                pairs.append(command[len("heroku config:set "):].removesuffix(flag))
            else:  # an add-on-owned variable: its own guidance
                others.append(fix)
        merged = Fix(text, (f"heroku config:set {' '.join(pairs)}{flag}",) if pairs else ())
        for fix in others:
            merged = merged + fix
        return merged

    def _addon_owned_fix(self, name: str, text: str) -> Fix:
        flag = self.heroku_app_flag()
        owned = (f"On Heroku an add-on sets {name} (and rewrites it when it rotates credentials), so "
                 f"`heroku config:set {name}` is refused for an attached add-on and the fix belongs where the app "
                 "reads the value, or in the add-on: compare what it set, and re-attach it if it is missing.")
        return Fix(" ".join(p for p in (text, owned) if p),
                   (f"heroku config:get {name}{flag}", f"heroku addons{flag}"))

    def generate_fix(self, name: str, generator: str, text: str = "", consequence: str = "") -> Fix:
        """A fix whose new value comes from running `generator` (a shell command).

        `consequence` (e.g. "logs every user out") is what setting a new value does; it is put on
        the command's own line as a shell comment, so it is read where it is pasted.
        """
        note = destructive_note(consequence)
        if self.uses_heroku_config:
            return Fix(text, (f'heroku config:set {name}="$({generator})"{self.heroku_app_flag()}{note}',))
        local = self._local_text(name, text) + " Generate the value with the command below and paste it after `=`."
        return Fix(local, (generator, f"{name}=<output of the command above>{note}"))

    def unset_fix(self, name: str, text: str = "") -> Fix:
        """A fix that removes `name`."""
        if self.uses_heroku_config and name in ADDON_OWNED:
            return self._addon_owned_fix(name, text)
        if self.uses_heroku_config:
            return Fix(text, (f"heroku config:unset {name}{self.heroku_app_flag()}",))
        where = self.where(name)
        return Fix(" ".join(p for p in (text, f"Delete the {name} line ({where}).") if p))

    def _local_text(self, name: str, text: str) -> str:
        found = self.config.lookup(name)
        if found is None:
            target = f"Add this line to {self.config.sources[-1] if self.config.sources else '.env'}:"
        elif found.line:
            target = f"Change {found.where} to:"
        else:
            target = f"{name} comes from the shell environment, which overrides .env; export it as:"
        return " ".join(p for p in (text, target) if p)
