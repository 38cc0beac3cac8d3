"""Query text safe to show under `-v`: literals and numbers replaced, cut to 80 characters.

pg_stat_activity.query is the text the app sent, values included (e-mail addresses, names,
tokens), so the doctor shows none of it by default. With `-v` it shows `shown(query)`: every
string literal (`'…'`, `E'…'`, `$$…$$`, `$tag$…$tag$`, also one left open where the text was cut)
becomes `'…'`, every comment `/*…*/`, every run of digits `N` (also inside an identifier: `users_1`
becomes `users_N`, so no digit of a value can survive), control characters and line breaks a
space; then the first 80 characters, never cutting a placeholder in half.

The lexing follows PostgreSQL's with standard_conforming_strings on (the default since 9.1):
backslashes escape only inside E'…'. Where it guesses wrong it hides more, never less: every
quote starts a literal that runs to its closing quote or to the end of the text.
"""

from __future__ import annotations

import re

LIMIT = 80
PLACEHOLDER = "'…'"
COMMENT = "/*…*/"

_LEXEME = re.compile(
    r"""
      (?P<dollar>\$(?P<tag>(?:[A-Za-z_][A-Za-z0-9_]*)?)\$.*?(?:\$(?P=tag)\$|\Z))  # $$ … $$, $tag$ … $tag$
    | (?P<escape>(?<![A-Za-z0-9_])[eE]'(?:\\.|''|[^'\\])*(?:'|\Z))           # E'…' with backslash escapes
    | (?P<string>'(?:''|[^'])*(?:'|\Z))                                      # '…' ('' inside), or open
    | (?P<block>/\*.*?(?:\*/|\Z))                                             # /* … */
    | (?P<line>--[^\n]*)                                                     # -- … to the end of the line
    | (?P<number>(?<![\w$.])(?:0[xXoObB][0-9A-Fa-f_]+|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?))  # 1.5e-3 0x1F
    | (?P<digits>\d+)                                                        # digits anywhere else
    """,
    re.VERBOSE | re.DOTALL,
)
_BLANKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_TOKENS = re.compile(r"'…'|/\*…\*/|.", re.DOTALL)


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind in ("number", "digits"):
        return "N"
    if kind in ("block", "line"):
        return f" {COMMENT} "
    return PLACEHOLDER


def normalise(query: str) -> str:
    """`query` with every literal, comment and digit replaced and blanks collapsed (not cut)."""
    return _BLANKS.sub(" ", _LEXEME.sub(_replace, query)).strip()


def shown(query: str, limit: int = LIMIT) -> str:
    """The first `limit` characters of `normalise(query)`, ending in `…` when cut."""
    text = normalise(query)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    length = 0
    for token in _TOKENS.findall(text):
        if length + len(token) > limit - 1:  # room for the closing …
            break
        kept.append(token)
        length += len(token)
    return "".join(kept).rstrip() + "…"
