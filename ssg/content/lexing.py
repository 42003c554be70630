"""Pygments' regex lexers with a state's rules tried in one regex: the same tokens, faster.

A `RegexLexer` tries a state's rules one after another at each position, one
`re` call per rule, until one matches (`pygments.lexer.RegexLexer.
get_tokens_unprocessed`). Joined into one alternation (`(rule0)|(rule1)|...`),
the `re` engine tries them in the same order in a single call: Python's
alternation takes the first branch that matches at the position, which is the
rule the loop would have taken. Each branch ends in an empty marker group, which
closes last, so `Match.lastindex` names the branch; the branch's own pattern comes
first, so where it starts with a literal or a character class the `re` engine skips
it with one character test (a group in front would make it enter every branch).
A rule with a callback is matched again on its own, so the callback sees the match
object it always saw. Rules that cannot be joined
(a back-reference the joining cannot renumber, other flags) and rules whose
pattern holds non-ASCII letters or is very long (compiling a huge character
class again costs more than the joining saves) stay on their own, tried in
their turn; a state is joined on its first use.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pygments
from pygments.lexer import ExtendedRegexLexer, Lexer, LexerContext, RegexLexer
from pygments.token import Error, Text, Whitespace, _TokenType

Rule = tuple[Callable[..., Any], Any, Any]
"""(rexmatch, action, new_state), as in a processed Pygments state."""

Segment = tuple[Callable[..., "re.Match[str] | None"], dict[int, Rule] | None, Rule | None]
"""Rules tried in one call: (match, the rule of each branch's marker group, None) for
joined rules, (match, None, the rule) for a rule on its own."""

LONG_PATTERN = 2000
"""Characters above which a rule stays on its own."""

# Global inline flags opening a rule's pattern (`(?s)...`): scoped once joined.
_GLOBAL_FLAGS = re.compile(r"\(\?([aiLmsux]+)\)")
# Where a pattern may refer to a group by number (a back-reference, a conditional group).
_REFERENCE_HINT = re.compile(r"\\[1-9]|\(\?\(")


def speed_up(lexer: Lexer) -> Lexer:
    """Give a Pygments lexer instance the joined-rules loop, when its class uses Pygments' own.

    Lexers that override `get_tokens_unprocessed` (to post-process tokens)
    are returned unchanged, as are lexers that are not regex lexers. A state's
    rules are joined (one regex compiled) the first time the instance enters
    the state: keep the instance.

    Args:
        lexer: an instance, e.g. from `get_lexer_by_name`; changed in place.

    Returns:
        The same instance.
    """
    loop = type(lexer).get_tokens_unprocessed
    if not pygments.__version__.startswith("2."):
        return lexer  # the loops below are Pygments 2's; another may differ
    if loop is RegexLexer.get_tokens_unprocessed:
        fast: Callable[..., Iterator[tuple[int, Any, str]]] = _regex_tokens
    elif loop is ExtendedRegexLexer.get_tokens_unprocessed:
        fast = _extended_tokens
    else:
        return lexer
    # The instance's own tokens: a few lexers pick theirs per instance (C#'s unicode level).
    states = _JoinedStates(lexer._tokens, lexer.flags)
    lexer.get_tokens_unprocessed = partial(fast, lexer, states)
    return lexer


def join_root(lexer: Lexer) -> None:
    """Join the rules of a sped-up lexer's "root" state now rather than on its first use.

    Every text starts in "root": a process that forks workers joins it once for
    all of them (each would otherwise compile the joined regex again). Other
    states are still joined where they are first entered. A lexer `speed_up`
    left alone is left alone here too.
    """
    loop = lexer.get_tokens_unprocessed
    states = loop.args[1] if isinstance(loop, partial) and len(loop.args) > 1 else None
    if isinstance(states, _JoinedStates) and "root" in states.tokendefs:
        states["root"]


class _JoinedStates(dict[str, list[Segment]]):
    """A lexer's states as segments, each joined when first asked for."""

    def __init__(self, tokendefs: dict[str, list[Rule]], flags: int) -> None:
        super().__init__()
        self.tokendefs = tokendefs
        # Pygments compiles every rule with the class's flags (`RegexLexerMeta._process_state`).
        self.flags = re.compile("", flags).flags

    def __missing__(self, name: str) -> list[Segment]:
        segments = self[name] = _segments(self.tokendefs[name], self.flags)
        return segments


def _segments(rules: list[Rule], flags: int) -> list[Segment]:
    """A state's rules, runs of joinable ones joined, in their order.

    Args:
        rules: a processed state.
        flags: the flags every rule was compiled with (as `re.Pattern.flags` shows them).
    """
    segments: list[Segment] = []
    run: list[tuple[Rule, re.Pattern[str]]] = []
    for rule in rules:
        pattern = getattr(rule[0], "__self__", None)
        if (
            isinstance(pattern, re.Pattern)
            and isinstance(pattern.pattern, str)
            # Compiling a class of non-ASCII letters (Python's identifiers) costs
            # more than joining saves; so does a very long pattern.
            and pattern.pattern.isascii()
            and len(pattern.pattern) <= LONG_PATTERN
            and (
                not pattern.pattern
                or pattern.flags == flags
                or _GLOBAL_FLAGS.match(pattern.pattern)
            )
        ):
            run.append((rule, pattern))
            continue
        segments += _joined(run, flags)
        run = []
        segments.append((rule[0], None, rule))
    segments += _joined(run, flags)
    return segments


def _joined(run: list[tuple[Rule, re.Pattern[str]]], flags: int) -> list[Segment]:
    """One segment for a run of rules, or one per rule when they cannot be joined."""
    alone: list[Segment] = [(rule[0], None, rule) for rule, _pattern in run]
    if len(run) < 2:
        return alone
    parts = []
    table: dict[int, Rule] = {}
    group = 1
    for rule, pattern in run:
        branch = _branch(pattern, group, flags)
        if branch is None:
            return alone
        table[group + pattern.groups] = rule  # the marker, after the rule's own groups
        parts.append(branch)
        group += pattern.groups + 1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            joined = re.compile("|".join(parts), flags)
    except (re.error, Warning, RecursionError, OverflowError):
        return alone
    return [(joined.match, table, None)]


def _branch(pattern: re.Pattern[str], group: int, flags: int) -> str | None:
    """A rule's pattern as a branch whose own groups start at number `group`, ended by
    its marker group (number `group + pattern.groups`), or None.

    | pattern (group 4)    | branch                   |
    | -------------------- | ------------------------ |
    | `\\d+`                | `(?:\\d+)()`              |
    | `(?s)/\\*.*?\\*/`        | `(?:(?s:/\\*.*?\\*/))()`     |
    | `(')\\w*\\1`           | `(?:(')\\w*\\4)()`          |

    None when the branch would not match what the pattern matches alone: other
    flags, or a group reference that cannot be renumbered.
    """
    source = pattern.pattern
    if not source:
        return "()"  # Pygments' `default(...)`: matches nothing whatever the flags
    inline = _GLOBAL_FLAGS.match(source)
    verbose = bool(flags & re.VERBOSE)
    if inline is None:
        if pattern.flags != flags:
            return None
    else:
        # A global flag must open the whole pattern; scoped to the branch it means the same.
        letters = inline.group(1)
        try:
            if pattern.flags != re.compile(inline.group(), flags).flags:
                return None
        except re.error:
            return None
        verbose = verbose or "x" in letters
        rest = source[inline.end() :]
        source = f"(?{letters}:{rest}\n)" if "x" in letters else f"(?{letters}:{rest})"
    if _REFERENCE_HINT.search(source):
        if verbose:
            return None  # a comment may hold anything: do not renumber
        shifted = _shift_references(source, group - 1)
        if shifted is None:
            return None
        source = shifted
    # In verbose mode a rule may end in a comment: the newline ends it before the `)`.
    return f"(?:{source}\n)()" if flags & re.VERBOSE else f"(?:{source})()"


def _shift_references(source: str, shift: int) -> str | None:
    """Renumber the back-references of a pattern by `shift` (`\\1` -> `\\5` for 4), or None.

    None when a reference cannot be written unambiguously (above 99, or a digit
    right after it) or the pattern holds a conditional group.
    """
    if "(?(" in source:
        return None
    out = []
    index = 0
    in_class = False
    length = len(source)
    while index < length:
        char = source[index]
        if char == "\\" and index + 1 < length:
            following = source[index + 1]
            if not in_class and following in "123456789":
                digits = following
                if index + 2 < length and source[index + 2].isdigit():
                    digits += source[index + 2]
                    if index + 3 < length and source[index + 3].isdigit():
                        return None  # an octal escape or worse: leave the state alone
                number = int(digits) + shift
                end = index + 1 + len(digits)
                if number > 99 or (number > 9 and end < length and source[end].isdigit()):
                    return None
                out.append(f"\\{number}")
                index = end
                continue
            out.append(source[index : index + 2])
            index += 2
            continue
        if char == "[" and not in_class:
            in_class = True
            out.append(char)
            index += 1
            # A `]` first in a class (after an optional `^`) is a literal.
            if index < length and source[index] == "^":
                out.append("^")
                index += 1
            if index < length and source[index] == "]":
                out.append("]")
                index += 1
            continue
        if char == "]" and in_class:
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


def _regex_tokens(
    self: RegexLexer,
    states: _JoinedStates,
    text: str,
    stack: tuple[str, ...] = ("root",),
) -> Iterator[tuple[int, Any, str]]:
    """`RegexLexer.get_tokens_unprocessed` (Pygments 2.x), with joined rules."""
    pos = 0
    statestack = list(stack)
    segments = states[statestack[-1]]
    while 1:
        for match, table, rule in segments:
            m: Any = match(text, pos)
            if m is not None:
                if table is not None:
                    rule = table[m.lastindex]
                break
        else:
            rule = None
        if rule is not None:
            rexmatch, action, new_state = rule
            if action is not None:
                if type(action) is _TokenType:
                    yield pos, action, m.group()
                else:
                    if table is not None:
                        m = rexmatch(text, pos)  # the rule's own groups, for the callback
                    yield from action(self, m)
            pos = m.end()
            if new_state is not None:
                if isinstance(new_state, tuple):
                    for name in new_state:
                        if name == "#pop":
                            if len(statestack) > 1:
                                statestack.pop()
                        elif name == "#push":
                            statestack.append(statestack[-1])
                        else:
                            statestack.append(name)
                elif isinstance(new_state, int):
                    # pop, but keep at least one state on the stack
                    if abs(new_state) >= len(statestack):
                        del statestack[1:]
                    else:
                        del statestack[new_state:]
                elif new_state == "#push":
                    statestack.append(statestack[-1])
                else:
                    raise AssertionError(f"wrong state def: {new_state!r}")
                segments = states[statestack[-1]]
            continue
        try:
            if text[pos] == "\n":
                # at EOL, reset state to "root"
                statestack = ["root"]
                segments = states["root"]
                yield pos, Whitespace, "\n"
                pos += 1
                continue
            yield pos, Error, text[pos]
            pos += 1
        except IndexError:
            break


def _extended_tokens(
    self: ExtendedRegexLexer,
    states: _JoinedStates,
    text: str | None = None,
    context: LexerContext | None = None,
) -> Iterator[tuple[int, Any, str]]:
    """`ExtendedRegexLexer.get_tokens_unprocessed` (Pygments 2.x), with joined rules."""
    if not context:
        ctx = LexerContext(text, 0)
        segments = states["root"]
    else:
        ctx = context
        segments = states[ctx.stack[-1]]
        text = ctx.text
    while 1:
        for match, table, rule in segments:
            m: Any = match(text, ctx.pos, ctx.end)
            if m is not None:
                if table is not None:
                    rule = table[m.lastindex]
                break
        else:
            rule = None
        if rule is not None:
            rexmatch, action, new_state = rule
            if action is not None:
                if type(action) is _TokenType:
                    yield ctx.pos, action, m.group()
                    ctx.pos = m.end()
                else:
                    if table is not None:
                        m = rexmatch(text, ctx.pos, ctx.end)
                    yield from action(self, m, ctx)
                    if not new_state:
                        # altered the state stack?
                        segments = states[ctx.stack[-1]]
            # CAUTION: callback must set ctx.pos!
            if new_state is not None:
                if isinstance(new_state, tuple):
                    for name in new_state:
                        if name == "#pop":
                            if len(ctx.stack) > 1:
                                ctx.stack.pop()
                        elif name == "#push":
                            ctx.stack.append(ctx.stack[-1])
                        else:
                            ctx.stack.append(name)
                elif isinstance(new_state, int):
                    if abs(new_state) >= len(ctx.stack):
                        del ctx.stack[1:]
                    else:
                        del ctx.stack[new_state:]
                elif new_state == "#push":
                    ctx.stack.append(ctx.stack[-1])
                else:
                    raise AssertionError(f"wrong state def: {new_state!r}")
                segments = states[ctx.stack[-1]]
            continue
        try:
            if ctx.pos >= ctx.end:
                break
            if text[ctx.pos] == "\n":  # type: ignore[index]
                # at EOL, reset state to "root"
                ctx.stack = ["root"]
                segments = states["root"]
                yield ctx.pos, Text, "\n"
                ctx.pos += 1
                continue
            yield ctx.pos, Error, text[ctx.pos]  # type: ignore[index]
            ctx.pos += 1
        except IndexError:
            break
