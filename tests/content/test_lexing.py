"""Joined lexer rules give exactly the tokens Pygments' own rule-by-rule loop gives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name

from ssg.content.lexing import join_root, speed_up

CORPUS_DIR = (Path(__file__).resolve().parents[2] / "../shared/corpus").resolve()

# Each sample reaches a path of the loop: callbacks (bygroups), back-references
# (renumbered), inline global flags (scoped), verbose patterns, pushed and popped
# states, the Error token and the reset to "root" at a newline, and an
# ExtendedRegexLexer (Ruby's heredocs).
SAMPLES = [
    pytest.param(
        "python",
        'def f(x: int = 0x1F) -> str:\n    """Doc."""\n    return f"{x!r:>{w}} {{}}" + rb"\\d"\n'
        "class A(B, metaclass=M):\n    @property\n    def g(self): return [i for i in ()]\n"
        "match x:\n    case [a, *rest]: pass\n$ ?\n",
        id="python",
    ),
    pytest.param(
        "rust",
        "fn main<'a>(x: &'a str) -> Result<(), Box<dyn Error>> {\n"
        '    let s = r#"raw "quoted" string"#;\n    let b = br##"x"##;\n'
        "    'outer: loop { break 'outer; }\n    println!(\"{}\", x as u8 + 1_000i32);\n}\n",
        id="rust-raw-strings",
    ),
    pytest.param(
        "bash",
        "cat <<EOF\nhello $USER ${HOME:-/} $(date)\nEOF\n"
        'for i in {1..3}; do echo "$i" | tr a b >> out; done\n'
        "case $x in a) echo 'a';; esac\n(( n = n + 1 ))\n[[ -f x ]] && exit 1\n",
        id="bash-heredoc",
    ),
    pytest.param(
        "javascript",
        "const re = /a+[/]b/gi; let t = `x ${y + `z`}`;\n"
        "export async function f(a = {}) { return a?.b ?? 0x10n; }\n<div>\n",
        id="javascript",
    ),
    pytest.param(
        "go",
        "package main\nimport \"fmt\"\nfunc main() { fmt.Println(`raw`, 'c', 1e3) }\n",
        id="go",
    ),
    pytest.param(
        "ruby",
        "x = <<~HEREDOC\n  text #{interp}\nHEREDOC\ndef m(*a, **k) = a.map { |v| v * 2 }\n%w[a b] =~ /x/\n",
        id="ruby-extended-lexer",
    ),
    pytest.param(
        "gap",
        "if x then\n  Declare Foo; InstallMethod(x);\nfi;\nstruct Wrapper\n",
        id="verbose-rules",
    ),
    pytest.param(
        "toml", '[a.b]\nx = 1979-05-27T07:32:00Z\ny = [1, "two", { z = true }]\n', id="toml"
    ),
    pytest.param("go", "x := 1 @ \\ \x01\n`unclosed\n", id="error-tokens"),
    pytest.param("yaml", "a: [1, 2]\nb: |\n  text\nc: &x {d: e}\n", id="yaml-own-loop"),
]


@pytest.mark.parametrize(("language", "code"), SAMPLES)
def test_joined_rules_give_the_tokens_of_pygments(language: str, code: str) -> None:
    plain = get_lexer_by_name(language)
    fast = speed_up(get_lexer_by_name(language))

    assert list(fast.get_tokens(code)) == list(plain.get_tokens(code))


@pytest.mark.skipif(not CORPUS_DIR.is_dir(), reason=f"no corpus at {CORPUS_DIR}")
def test_the_corpora_code_blocks_lex_the_same() -> None:
    fences = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
    plain: dict[str, object] = {}
    fast: dict[str, object] = {}
    compared = 0
    for source_file in sorted(CORPUS_DIR.glob("rust-blog/**/*.md"))[:300]:
        for language, code in fences.findall(source_file.read_text("utf-8", "replace")):
            if language not in ("rust", "toml", "bash", "console", "text", "sh"):
                continue
            plain.setdefault(language, get_lexer_by_name(language))
            fast.setdefault(language, speed_up(get_lexer_by_name(language)))
            expected = list(plain[language].get_tokens(code))  # type: ignore[attr-defined]
            assert list(fast[language].get_tokens(code)) == expected, source_file  # type: ignore[attr-defined]
            compared += 1
    assert compared > 50


def test_a_lexer_with_its_own_loop_is_left_alone() -> None:
    # CLexer post-processes the tokens in its own get_tokens_unprocessed.
    lexer = get_lexer_by_name("c")
    loop = lexer.get_tokens_unprocessed

    assert speed_up(lexer) is lexer
    assert lexer.get_tokens_unprocessed == loop


def test_rules_of_non_ascii_letters_stay_on_their_own() -> None:
    lexer = speed_up(get_lexer_by_name("python"))
    code = "\u00e9t\u00e9 = \u540d\u524d + 1\n"

    assert list(lexer.get_tokens(code)) == list(get_lexer_by_name("python").get_tokens(code))
    root = lexer.get_tokens_unprocessed.args[1]["root"]  # type: ignore[attr-defined]
    alone = [rule[0].__self__.pattern for _match, table, rule in root if table is None]
    non_ascii = [
        rule[0].__self__.pattern
        for rule in lexer._tokens["root"]  # type: ignore[attr-defined]
        if not rule[0].__self__.pattern.isascii()
    ]
    assert non_ascii  # Python's Unicode identifiers
    assert set(non_ascii) <= set(alone)


# Text that enters many states of many lexers: strings, comments, numbers, brackets,
# heredocs, non-ASCII, an unclosed quote and control characters.
ANY_CODE = "\n".join(str(SAMPLES[i].values[1]) for i in (0, 2, 5)) + (
    '\n/* c */ // x\n# y\n-- z\n<a href="b">c</a>\n{"k": [1.5e-3, null]}\n'
    "SELECT * FROM t WHERE a = 'b';\n\u00e9t\u00e9 := \u540d\u524d\n'unclosed\n\x00\x7f\n"
)


def test_every_regex_lexer_of_the_installed_pygments_gives_its_own_tokens() -> None:
    # The joined loop copies Pygments 2's: a release that changes the loop or a lexer's
    # rules shows here before it could change highlighting unnoticed.
    from pygments.lexer import ExtendedRegexLexer, RegexLexer
    from pygments.lexers import get_all_lexers, get_lexer_by_name
    from pygments.util import ClassNotFound

    compared = 0
    for _name, aliases, _files, _types in get_all_lexers():
        if not aliases:
            continue
        try:
            plain = get_lexer_by_name(aliases[0])
        except ClassNotFound:
            continue
        loop = type(plain).get_tokens_unprocessed
        if loop not in (
            RegexLexer.get_tokens_unprocessed,
            ExtendedRegexLexer.get_tokens_unprocessed,
        ):
            continue
        fast = speed_up(get_lexer_by_name(aliases[0]))
        assert list(fast.get_tokens(ANY_CODE)) == list(plain.get_tokens(ANY_CODE)), aliases[0]
        compared += 1
    assert compared > 300


def test_join_root_joins_the_root_state_ahead_and_keeps_the_tokens() -> None:
    lexer = speed_up(get_lexer_by_name("python"))
    states = lexer.get_tokens_unprocessed.args[1]  # type: ignore[attr-defined]
    assert "root" not in states

    join_root(lexer)

    assert "root" in states
    code = str(SAMPLES[0].values[1])
    assert list(lexer.get_tokens(code)) == list(get_lexer_by_name("python").get_tokens(code))


def test_join_root_leaves_a_lexer_with_its_own_loop_alone() -> None:
    lexer = get_lexer_by_name("c")
    loop = lexer.get_tokens_unprocessed

    join_root(speed_up(lexer))

    assert lexer.get_tokens_unprocessed == loop
