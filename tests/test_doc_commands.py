"""Every command shown in README.md and docs/*.md runs, with the exit status the docs give.

The commands are taken from the fenced shell blocks (```sh, ```shell,
```bash, ```console) of README.md and docs/*.md; each is run with bash in a
scratch folder that holds a copy of every file git tracks in the repository
and a link to the repository's ``.venv`` (so
``.venv/bin/micronf`` and plain ``micronf`` both work), with ``HOME``,
``MICRONF_DB`` and the temporary folder inside it: a command cannot change
the repository.

Conventions for doc authors (a test below checks that each is used right):

* one command per line; a line ending in ``\\`` continues on the next; a
  here-document (``<<EOF`` ... ``EOF``) belongs to its command; blank
  lines and lines that are only a ``#`` comment are skipped; in a
  ``console`` block only lines starting with ``$ `` are commands (the
  rest is their output);
* a command must exit 0 unless its trailing comment says otherwise:
  ``micronf validate bad.json   # exits 1: the template does not exist``
  (``exit N`` or ``exits N`` anywhere in the trailing comment);
* ``<!-- doc-test: skip REASON -->`` on the line before the fence: the block
  is shown but not run (installation steps, commands that run this suite);
* a trailing ``# doc-test: skip REASON`` on one command: that line is not
  run (a benchmark that takes minutes);
* ``<!-- doc-test: setup COMMAND -->`` before the fence (any number of
  them): run first, hidden from the reader (e.g. create a file the block
  refers to); it must exit 0.

Commands of one block run in order in the same scratch folder (files they
create stay), each in its own shell.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELLS = {"sh", "shell", "bash", "console"}
#: A hang guard, not a timing assertion.
TIMEOUT = 300

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)\s*(?P<info>[\w+-]*)")
_DIRECTIVE = re.compile(r"<!--\s*doc-test:\s*(?P<what>skip|setup)\b\s*(?P<arg>.*?)\s*-->")
_EXIT = re.compile(r"\bexits?\s+(?P<code>\d+)\b")
_HEREDOC = re.compile(r"<<-?\s*(?P<q>['\"]?)(?P<word>\w+)(?P=q)")


@dataclass
class Command:
    doc: str
    line: int
    text: str
    expected: int = 0
    skipped: bool = False

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


@dataclass
class Block:
    doc: str
    line: int
    setup: list[str] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    skipped: bool = False


def _trailing_comment(line: str) -> str:
    """The ``# ...`` comment that ends a shell line ('' if none; quotes respected)."""
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1].isspace()):
            return line[i + 1 :]
    return ""


def parse_doc(path: Path, root: Path = ROOT) -> list[Block]:
    """The shell blocks of one Markdown file."""
    doc = str(path.relative_to(root))
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    pending: list[tuple[str, str]] = []  # directives seen since the last block
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        d = _DIRECTIVE.search(lines[i])
        if d:
            pending.append((d.group("what"), d.group("arg")))
        if not m:
            if lines[i].strip() and not d:
                pending = []  # a directive applies to the block right after it
            i += 1
            continue
        fence, info, start = m.group("fence"), m.group("info").lower(), i
        body: list[tuple[int, str]] = []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(fence):
            body.append((i + 1, lines[i]))
            i += 1
        i += 1
        if info in SHELLS:
            block = Block(doc, start + 1)
            for what, arg in pending:
                if what == "skip":
                    block.skipped = True
                else:
                    block.setup.append(arg)
            block.commands = _commands(doc, body, console=info == "console")
            blocks.append(block)
        pending = []
    return blocks


def _commands(doc: str, body: list[tuple[int, str]], console: bool) -> list[Command]:
    commands: list[Command] = []
    j = 0
    while j < len(body):
        number, text = body[j]
        j += 1
        stripped = text.strip()
        if console:
            if not stripped.startswith("$ "):
                continue
            stripped = stripped[2:]
        if not stripped or stripped.startswith("#"):
            continue
        parts = [stripped]
        while parts[-1].endswith("\\") and j < len(body):
            parts.append(body[j][1].strip())
            j += 1
        command = "\n".join(parts)
        here = _HEREDOC.search(command)
        if here:
            word = here.group("word")
            while j < len(body):
                piece = body[j][1]
                j += 1
                command += "\n" + piece
                if piece.strip() == word:
                    break
        comment = _trailing_comment(parts[-1])
        code = _EXIT.search(comment)
        commands.append(
            Command(
                doc,
                number,
                command,
                expected=int(code.group("code")) if code else 0,
                skipped="doc-test: skip" in comment,
            )
        )
    return commands


ALL_BLOCKS = [b for doc in DOCS for b in parse_doc(doc)]
RUN_BLOCKS = [b for b in ALL_BLOCKS if not b.skipped and any(not c.skipped for c in b.commands)]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("doc-commands")
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False
    ).stdout.split(b"\0")
    files = [ROOT / f.decode() for f in tracked if f]
    if not files:  # not a git checkout: the folders the docs refer to
        files = [
            p
            for d in ("examples", "tests/data", "bench", "docs", "yang")
            for p in (ROOT / d).rglob("*")
        ]
    for path in files:
        if path.is_file():
            target = base / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    (base / ".venv").symlink_to(ROOT / ".venv")
    return base


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        PATH=f"{cwd / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        HOME=str(cwd / "home"),
        MICRONF_DB=str(cwd / "home" / "micronf.db"),
        TMPDIR=str(cwd / "tmp"),
    )
    (cwd / "home").mkdir(exist_ok=True)
    (cwd / "tmp").mkdir(exist_ok=True)
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=[f"{b.doc}:{b.line}" for b in RUN_BLOCKS])
def test_documented_commands_run(block: Block, scratch: Path) -> None:
    folder = scratch / "blocks" / f"{block.doc.replace('/', '_')}-{block.line}"
    folder.mkdir(parents=True)
    for item in scratch.iterdir():
        if item.name != "blocks":
            (folder / item.name).symlink_to(item)
    for setup in block.setup:
        r = _run(setup, folder)
        assert r.returncode == 0, f"{block.doc}:{block.line}: setup {setup!r} failed\n{r.stderr}"
    for cmd in block.commands:
        if cmd.skipped:
            continue
        r = _run(cmd.text, folder)
        assert r.returncode == cmd.expected, (
            f"{cmd.id}: `{cmd.text}` exited {r.returncode}, the doc says {cmd.expected}\n"
            f"--- stdout\n{r.stdout[-2000:]}\n--- stderr\n{r.stderr[-2000:]}"
        )
        assert "Traceback" not in r.stderr, f"{cmd.id}: traceback\n{r.stderr}"


def test_docs_have_commands_and_conventions_parse(tmp_path: Path) -> None:
    # the README's own commands are found (so the extraction cannot silently find nothing)
    readme = [c.text for b in ALL_BLOCKS if b.doc == "README.md" for c in b.commands]
    assert any("micronf validate --json examples/*" in c for c in readme), readme
    sample = tmp_path / "sample.md"
    sample.write_text(
        "<!-- doc-test: skip installs things -->\n```sh\nmake setup\n```\n\n"
        "<!-- doc-test: setup touch x.json -->\n```console\n$ micronf validate x.json"
        "   # exits 1: empty\n✗ x.json: input is empty\n$ ls \\\n  -l\n"
        "$ slow-thing  # doc-test: skip (minutes)\n```\n\n"
        "```sh\ncat > a.txt <<'EOF'\n# not a comment\nEOF\n```\n"
    )
    blocks = [b for b in parse_doc(sample, tmp_path) if b.commands]
    assert [b.skipped for b in blocks] == [True, False, False]
    assert blocks[1].setup == ["touch x.json"]
    cmds = blocks[1].commands
    assert [(c.text, c.expected, c.skipped) for c in cmds] == [
        ("micronf validate x.json   # exits 1: empty", 1, False),
        ("ls \\\n-l", 0, False),
        ("slow-thing  # doc-test: skip (minutes)", 0, True),
    ]
    assert blocks[2].commands[0].text == "cat > a.txt <<'EOF'\n# not a comment\nEOF"
