"""README.zh-CN.md says everything README.md does: this keeps the translation from drifting.

The prose is translated freely, so it cannot be compared; what a reader copies or relies on can. For the two files:
the fenced code blocks are equal once comments (translated) and runs of whitespace are set aside; every table has the
same shape and the same code in each cell; the headings have the same levels in the same order; the links and images
point at the same targets; and each section mentions the same inline code (commands, flags, variables, endpoints,
error codes). Sections are paired by position, so a failure names the English section to translate and what differs.

Updating the translation after the English README changed: find the section the message names in both files, translate
the new or changed prose there, and copy code, tables' code cells and links exactly.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGLISH, CHINESE = ROOT / "README.md", ROOT / "README.zh-CN.md"

HASH_COMMENTS = {"python", "py", "bash", "sh", "shell", "console", "yaml", "yml", "toml", "dockerfile", "ini",
                 "conf", "properties", "ruby", "r", "php", "text", "env", "dotenv"}
SLASH_COMMENTS = {"javascript", "js", "mjs", "ts", "typescript", "java", "go", "kotlin", "kt", "php", "c", "cpp",
                  "csharp", "cs", "groovy", "gradle", "swift", "rust", "json5", "jsonc", "scala", "dart"}

INLINE_CODE = re.compile(r"(`+)(.+?)\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)|<(https?://[^>\s]+)>")
LANGUAGE_SWITCH = re.compile(r"\]\((?:README\.md|README\.zh-CN\.md)\)")
#: A letter of any script: a table cell without one, inline code aside, is data (a figure, a ratio, a code alone).
LETTER = re.compile(r"[^\W\d_]")
FIGURE = re.compile(r"[-+~≤≥]?\d(?:[\d,.]*\d)?%?")


@dataclass
class Block:
    language: str
    lines: list[str]
    line: int


@dataclass
class Table:
    rows: list[list[str]]
    line: int


@dataclass
class Section:
    """The text from one heading to the next: what the comparisons are grouped by."""

    level: int
    title: str
    line: int
    blocks: list[Block] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    inline_code: set[str] = field(default_factory=set)


def split_row(line: str) -> list[str]:
    """The cells of a `| a | b |` row; `\\|` and pipes inside backticks stay in their cell."""
    cells, current, in_code, i = [], "", False, 0
    body = line.strip().removeprefix("|")
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body) and body[i + 1] == "|":
            current += "|"
            i += 2
            continue
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += ch
        i += 1
    cells.append(current.strip())
    return cells


def read_prose(section: Section, paragraph: list[str]) -> None:
    """A paragraph's links and inline code; read whole, because a `code span` may wrap onto the next line."""
    text = " ".join(paragraph)
    if not text.strip() or LANGUAGE_SWITCH.search(text):
        return
    section.links += [a or b for a, b in LINK.findall(INLINE_CODE.sub("", text))]
    section.inline_code |= {" ".join(code.split()) for _, code in INLINE_CODE.findall(text)}


def parse(path: Path) -> list[Section]:
    """The file's sections, each from its heading to the next (the title line opens the first)."""
    sections: list[Section] = [Section(0, "(before the title)", 1)]
    fence: str | None = None
    block: Block | None = None
    table: Table | None = None
    paragraph: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip("`~"):
                fence = None
                sections[-1].blocks.append(block)
            else:
                block.lines.append(line)
            continue
        opening = re.match(r"^\s*(```+|~~~+)\s*([\w+#.-]*)", line)
        heading = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        is_row = line.lstrip().startswith("|")
        if opening or heading or is_row or not line.strip():
            read_prose(sections[-1], paragraph)
            paragraph = []
        if not is_row:
            table = None
        if opening:
            fence, block = opening.group(1), Block(opening.group(2).lower(), [], number)
        elif heading:
            sections.append(Section(len(heading.group(1)), heading.group(2), number))
        elif is_row:
            if table is None:
                table = Table([], number)
                sections[-1].tables.append(table)
            if not re.fullmatch(r"\s*\|?[\s:|-]+\|?\s*", line):
                table.rows.append(split_row(line))
                for cell in table.rows[-1]:
                    sections[-1].links += [a or b for a, b in LINK.findall(INLINE_CODE.sub("", cell))]
        elif line.strip():
            paragraph.append(line.strip())
    read_prose(sections[-1], paragraph)
    assert fence is None, f"{path.name}: a code block opened and never closed"
    return sections


def strip_comment(line: str, language: str) -> str:
    """The line without its comment: `#` or `//` at the start or after a blank, outside quotes.

    Which markers count depends on the language (`//` is division in Python, `#` a preprocessor line in C); a block
    without a language is a diagram or output, where both do.
    """
    markers = [m for m, langs in (("#", HASH_COMMENTS), ("//", SLASH_COMMENTS)) if not language or language in langs]
    quote: str | None = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "\"'`":
            quote = ch
        elif any(line.startswith(m, i) for m in markers) and (i == 0 or line[i - 1].isspace()):
            return line[:i]
        i += 1
    return line


def normalised(block: Block) -> list[str]:
    """The block's code: comments gone, runs of blanks one space, blank lines dropped, indentation kept."""
    out = []
    for line in block.lines:
        code = strip_comment(line, block.language).rstrip()
        if code.strip():
            indent = len(code) - len(code.lstrip())
            out.append(" " * indent + " ".join(code.split()))
    return out


def diagram_paths(block: Block) -> list[str]:
    """A block without a language is a layout diagram whose descriptions are translated: its paths must match."""
    tokens = (token.rstrip(":,;") for line in block.lines for token in line.split())
    return [token for token in tokens if token.isascii() and re.fullmatch(r"[\w./-]+", token)
            and (token.endswith("/") or re.fullmatch(r"[\w./-]+\.[A-Za-z]{1,5}", token))]


def cell_code(cell: str) -> tuple[str, ...]:
    """What a cell's translation must keep: its inline code (any order) and, if it is data, its figures too.

    Punctuation is free (Chinese uses full-width brackets and commas), so `100,000 (`--store-cap`)` and
    `100,000（`--store-cap`）` keep the same; a changed figure or code span does not.
    """
    code = [span.strip() for _, span in INLINE_CODE.findall(cell)]
    prose = INLINE_CODE.sub(" ", cell)
    figures = [] if LETTER.search(prose) else ["figure " + f for f in FIGURE.findall(prose)]
    return tuple(sorted(code + figures))


@pytest.fixture(scope="module")
def readmes() -> tuple[list[Section], list[Section]]:
    return parse(ENGLISH), parse(CHINESE)


def where(section: Section) -> str:
    return f"section {'#' * section.level} {section.title!r} (README.md line {section.line})"


def signature(section: Section) -> tuple:
    """What a section keeps in any language: sections whose signatures are equal are each other's translation."""
    return (section.level, frozenset(section.inline_code), tuple(section.links), len(section.blocks),
            tuple(len(t.rows) for t in section.tables))


def similarity(en: Section, zh: Section) -> int:
    return len((en.inline_code | set(en.links)) & (zh.inline_code | set(zh.links))) + (len(en.blocks) == len(zh.blocks))


@dataclass
class Alignment:
    pairs: list[tuple[Section, Section]]
    untranslated: list[tuple[Section, Section | None]]  # an English section, and the Chinese one it would follow
    unmatched: list[Section]  # Chinese sections with no English counterpart


def align(english: list[Section], chinese: list[Section]) -> Alignment:
    """Pair each English section with its translation, so one added section does not make every later one differ.

    Identical signatures pair first; between them, sections pair in order, a drifted section with its old
    translation when the counts agree, else each Chinese section with the most similar English one of its level.
    """
    result = Alignment([], [], [])
    matcher = difflib.SequenceMatcher(a=[signature(s) for s in english], b=[signature(s) for s in chinese],
                                      autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        ens, zhs = english[i1:i2], chinese[j1:j2]
        if op == "equal" or (op == "replace" and len(ens) == len(zhs)):
            result.pairs += list(zip(ens, zhs, strict=True))
            continue
        taken = set()
        start = 0
        for zh in zhs:
            candidates = [(similarity(en, zh), -k, k) for k, en in enumerate(ens)
                          if k >= start and en.level == zh.level]
            if not candidates:
                result.unmatched.append(zh)
                continue
            *_, k = max(candidates)
            result.pairs.append((ens[k], zh))
            taken.add(k)
            start = k + 1
        for k, en in enumerate(ens):
            if k not in taken:
                before = [z for e, z in result.pairs if e.line < en.line]
                result.untranslated.append((en, before[-1] if before else None))
    result.pairs.sort(key=lambda pair: pair[0].line)
    return result


def paired(readmes) -> list[tuple[Section, Section]]:
    return align(*readmes).pairs


def test_each_readme_links_to_the_other_from_its_first_lines():
    english = ENGLISH.read_text(encoding="utf-8").splitlines()
    chinese = CHINESE.read_text(encoding="utf-8").splitlines()
    assert english[0] == "# sms-emulator", "README.md's title line is read by other tests: keep it as it is"
    assert any("](README.zh-CN.md)" in line for line in english[:3]), \
        "README.md must link to README.zh-CN.md in its first lines, e.g. `[中文](README.zh-CN.md) | English`"
    assert any("](README.md)" in line for line in chinese[:3]), \
        "README.zh-CN.md must link back to README.md in its first lines, e.g. `中文 | [English](README.md)`"


def test_the_same_headings_at_the_same_levels_in_the_same_order(readmes):
    alignment = align(*readmes)
    problems = [
        f"README.md's {'#' * en.level} {en.title!r} (line {en.line}) has no translation: translate it into "
        f"README.zh-CN.md after {'#' * zh.level} {zh.title!r} (line {zh.line})" if zh else
        f"README.md's {'#' * en.level} {en.title!r} (line {en.line}) has no translation"
        for en, zh in alignment.untranslated]
    problems += [f"README.zh-CN.md's {'#' * zh.level} {zh.title!r} (line {zh.line}) has no English counterpart: "
                 "remove it, or add its section to README.md first" for zh in alignment.unmatched]
    problems += [f"README.md's {'#' * en.level} {en.title!r} (line {en.line}) is translated at another level: "
                 f"{'#' * zh.level} {zh.title!r} (README.zh-CN.md line {zh.line})"
                 for en, zh in alignment.pairs if en.level != zh.level]
    assert not problems, "the two READMEs' outlines differ:\n" + "\n".join(problems)


def counterparts(en: Section, zh: Section, kind: str, fix: str) -> list[tuple[int, tuple]]:
    """A section's code blocks or tables numbered with their translations, once their counts agree."""
    mine, theirs = (en.blocks, zh.blocks) if kind == "code block" else (en.tables, zh.tables)
    assert len(mine) == len(theirs), (
        f"{where(en)} has {len(mine)} {kind}(s), its translation (README.zh-CN.md line {zh.line}) {len(theirs)}: "
        + fix)
    return list(enumerate(zip(mine, theirs, strict=True), 1))


def test_the_same_code_blocks(readmes):
    for en, zh in paired(readmes):
        for number, (a, b) in counterparts(en, zh, "code block", "copy the code blocks over, translating only "
                                                                 "their comments"):
            assert a.language == b.language, (
                f"{where(en)}, code block {number} (line {a.line}) is ```{a.language} but its translation "
                f"(README.zh-CN.md line {b.line}) is ```{b.language}")
            if a.language:
                left, right = normalised(a), normalised(b)
            else:
                left, right = diagram_paths(a), diagram_paths(b)
            differ = [f"  README.md:       {x!r}\n  README.zh-CN.md: {y!r}"
                      for x, y in zip(left + [""] * len(right), right + [""] * len(left), strict=False) if x != y]
            assert not differ, (
                f"{where(en)}, code block {number} (README.md line {a.line}, README.zh-CN.md line {b.line}) differs "
                "in its code (comments aside); copy the English block and translate only its comments:\n"
                + "\n".join(differ[:5]))


def test_the_same_tables_with_the_same_code_in_every_cell(readmes):
    for en, zh in paired(readmes):
        for number, (a, b) in counterparts(en, zh, "table", "translate the tables, keeping their rows"):
            name = f"{where(en)}, table {number} (README.md line {a.line}, README.zh-CN.md line {b.line})"
            shape_a, shape_b = [len(r) for r in a.rows], [len(r) for r in b.rows]
            assert len(a.rows) == len(b.rows), (
                f"{name} has {len(a.rows) - 1} row(s) in English, {len(b.rows) - 1} in Chinese; the English rows "
                f"start: {[r[0] for r in a.rows[1:]]}; add or remove the Chinese rows to match")
            for row, (x, y) in enumerate(zip(a.rows, b.rows, strict=True)):
                assert len(x) == len(y), (
                    f"{name}, row {row} ({x[0]!r}) has {len(x)} column(s) in English, {len(y)} in Chinese "
                    f"(row shapes {shape_a} vs {shape_b}); an unescaped `|` in a cell splits it")
                for column, (c, d) in enumerate(zip(x, y, strict=True), 1):
                    if row == 0 and not INLINE_CODE.search(c):
                        continue  # a header cell is plain prose
                    want, got = cell_code(c), cell_code(d)
                    if want != got:
                        lost = sorted((Counter(want) - Counter(got)).elements())
                        new = sorted((Counter(got) - Counter(want)).elements())
                        pytest.fail(
                            f"{name}, row {row} ({x[0]!r}), column {column}: the code in the cell differs "
                            f"(only in English: {lost}, only in Chinese: {new}); English cell: {c!r}, Chinese "
                            f"cell: {d!r}. Keep every `code` span (and figures) as in English, translate the rest")


def test_the_same_link_and_image_targets(readmes):
    for en, zh in paired(readmes):
        assert en.links == zh.links, (
            f"{where(en)} links to {en.links}, its translation (README.zh-CN.md line {zh.line}) to {zh.links}: "
            "keep the same targets in the same order (link texts and image descriptions are translated)")


def test_each_section_mentions_the_same_inline_code(readmes):
    for en, zh in paired(readmes):
        lost, new = sorted(en.inline_code - zh.inline_code), sorted(zh.inline_code - en.inline_code)
        assert not lost and not new, (
            f"{where(en)}: inline code only in English: {lost}; only in Chinese (README.zh-CN.md line {zh.line}): "
            f"{new}. The prose of both must mention the same commands, flags, variables, endpoints and codes")


# The checks themselves -----------------------------------------------------------------------------------


def test_comments_are_stripped_outside_strings_only():
    assert strip_comment("x = 1   # 注释", "python") == "x = 1   "
    assert strip_comment("p = '{\"code\":\"##code##\"}'  # comment", "python") == "p = '{\"code\":\"##code##\"}'  "
    assert strip_comment("curl 'http://h/#x' # out", "bash") == "curl 'http://h/#x' "
    assert strip_comment("a = b // 2", "python") == "a = b // 2"
    assert strip_comment("client.send(); // 发送", "java") == "client.send(); "
    assert strip_comment("url := \"http://x\" // c", "go") == "url := \"http://x\" "
    assert strip_comment("${#var}", "bash") == "${#var}"


def test_a_drifted_readme_is_caught(tmp_path):
    """Each comparison fails on the kind of drift it is there for, so none of them passes by construction."""
    english = tmp_path / "en.md"
    english.write_text("# t\n\n## A\n\nRun `x --flag` [doc](d.md).\n\n```bash\nx --flag   # go\n```\n\n"
                       "| k | v |\n|---|---|\n| `a` | uses `b` |\n| n | 1,234 |\n", encoding="utf-8")
    same = parse(english)
    translated = tmp_path / "zh.md"
    translated.write_text("# t\n\n## 甲\n\n运行 `x --flag`，见[文档](d.md)。\n\n```bash\nx --flag   # 运行\n```\n\n"
                          "| 键 | 值 |\n|---|---|\n| `a` | 用 `b` |\n| n | 1,234 |\n", encoding="utf-8")
    zh = parse(translated)
    assert [normalised(b) for b in same[2].blocks] == [normalised(b) for b in zh[2].blocks]
    assert [[cell_code(c) for c in r] for r in same[2].tables[0].rows[1:]] == \
           [[cell_code(c) for c in r] for r in zh[2].tables[0].rows[1:]]
    assert same[2].links == zh[2].links == ["d.md"] and same[2].inline_code == zh[2].inline_code
    drifted = tmp_path / "drift.md"
    drifted.write_text("# t\n\n## 甲\n\n运行 `x --flags`，见[文档](e.md)。\n\n```bash\nx --flags  # 运行\n```\n\n"
                       "| 键 | 值 |\n|---|---|\n| `a` | 用 `c` |\n| n | 1,235 |\n", encoding="utf-8")
    bad = parse(drifted)
    assert normalised(same[2].blocks[0]) != normalised(bad[2].blocks[0])
    assert cell_code(same[2].tables[0].rows[1][1]) != cell_code(bad[2].tables[0].rows[1][1])
    assert cell_code(same[2].tables[0].rows[2][1]) != cell_code(bad[2].tables[0].rows[2][1])
    assert same[2].links != bad[2].links and same[2].inline_code != bad[2].inline_code


def test_a_section_added_in_english_is_named_not_blamed_on_every_later_one(tmp_path):
    english = tmp_path / "en.md"
    english.write_text("# t\n\n## A\n\n`a`\n\n## New\n\n`n`\n\n## B\n\n`b`\n", encoding="utf-8")
    chinese = tmp_path / "zh.md"
    chinese.write_text("# t\n\n## 甲\n\n`a`\n\n## 乙\n\n`b`\n", encoding="utf-8")
    alignment = align(parse(english), parse(chinese))
    assert [(en.title, zh.title) for en, zh in alignment.pairs] == [
        ("(before the title)", "(before the title)"), ("t", "t"), ("A", "甲"), ("B", "乙")]
    assert [(en.title, zh.title) for en, zh in alignment.untranslated] == [("New", "甲")]
    assert not alignment.unmatched
