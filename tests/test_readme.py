"""Every fenced code block of README.md runs as written, in order, in one scratch directory.

* ``python`` blocks run in one shared namespace (a block may use what an earlier one defined, as a reader pasting
  them into one session would).
* ``bash`` blocks: every command must be ``binn-graph ...`` and is run through :func:`binn_graph.cli.main`
  in-process, from a directory laid out like the repository root (``kg/data`` and ``binn_graph/data`` hold the
  bundled files), and must exit 0. Install steps (``python3 -m venv``, activating it, ``pip install``) are skipped;
  anything else (a pipe, another program) fails the test, so that no README command is left untested.
* A block preceded by ``<!-- skip-test: reason -->`` is skipped; the reason is required.

The README keeps its examples small (few epochs, null refits and seeds, each said so next to the call) so this
test stays around a minute.
"""

from __future__ import annotations

import re
import shlex
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import binn_graph
import kg

README = Path(__file__).resolve().parent.parent / "README.md"
SKIP = re.compile(r"<!--\s*skip-test:(.*?)-->")
FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
INSTALL = (("python3", "-m", "venv"), ("python", "-m", "venv"), (".",), ("source",), ("pip", "install"),
           ("python", "-m", "pip", "install"), ("python3", "-m", "pip", "install"))


@dataclass
class Block:
    language: str
    code: str
    line: int  # 1-based line of the opening fence
    skip: str | None  # the reason given in a skip-test comment right before the block


def readme_blocks(text: str) -> list[Block]:
    """Fenced blocks in order, with the language, the code (dedented as far as the fence) and any skip reason."""
    blocks, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        indent, language = len(opening.group(1)), opening.group(2)
        j = i + 1
        while j < len(lines) and not FENCE.match(lines[j]):
            j += 1
        code = "\n".join(line[indent:] if line[:indent].strip() == "" else line for line in lines[i + 1:j])
        before = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        marker = SKIP.search(before)
        blocks.append(Block(language, code + "\n", i + 1, marker.group(1).strip() if marker else None))
        i = j + 1
    return blocks


def shell_commands(code: str) -> list[list[str]]:
    """The simple commands of a bash block: continuations joined, comments dropped, split at ``&&`` and ``;``.

    A pipe or redirection is kept as a token so the caller can refuse it.
    """
    commands = []
    for logical in code.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(logical, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        for token in lexer:
            if token in ("&&", ";"):
                if current:
                    commands.append(current)
                current = []
            else:
                current.append(token)
        if current:
            commands.append(current)
    return commands


def _is_install(command: list[str]) -> bool:
    return any(tuple(command[: len(prefix)]) == prefix for prefix in INSTALL)


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def test_readme_blocks_are_parsed_and_skips_are_rare_and_explained():
    assert {b.language for b in BLOCKS} <= {"python", "bash"}, [(b.line, b.language) for b in BLOCKS]
    assert sum(b.language == "python" for b in BLOCKS) >= 5 and sum(b.language == "bash" for b in BLOCKS) >= 3
    skipped = [b for b in BLOCKS if b.skip is not None]
    assert all(b.skip for b in skipped), "a skip-test comment needs a reason"
    assert len(skipped) <= 2, [b.line for b in skipped]


def test_shell_commands_split_like_the_shell():
    assert shell_commands("a b \\\n  c  # note\nd && e f\n") == [["a", "b", "c"], ["d"], ["e", "f"]]
    assert "|" in shell_commands("binn-graph kg export g --format ttl|nt -o x")[0]


@pytest.fixture
def repository_layout(tmp_path, monkeypatch):
    """A scratch directory laid out like the repository root for the bundled data; the working directory."""
    for package in (binn_graph, kg):
        target = tmp_path / package.__name__
        target.mkdir()
        (target / "data").symlink_to(Path(package.__file__).parent / "data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_readme_code_blocks_run_as_written(repository_layout, capsys):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch

    from binn_graph.cli import main

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small models: one thread is faster, and stable on a busy two-core machine
    namespace: dict = {"__name__": "__readme__"}
    timings = []
    try:
        for block in BLOCKS:
            if block.skip is not None:
                continue
            where = f"README.md:{block.line} ({block.language})"
            start = time.perf_counter()
            if block.language == "python":
                exec(compile(block.code, where, "exec"), namespace)
                plt.close("all")
            else:
                for command in shell_commands(block.code):
                    if _is_install(command):
                        continue
                    assert command[0] == "binn-graph", f"{where}: only binn-graph commands can be tested: {command}"
                    assert not set(command) & {"|", "||", ">", ">>", "<", "&"}, f"{where}: the shell would split " \
                        f"{shlex.join(command)}"
                    rc = main(command[1:])
                    out, err = capsys.readouterr()
                    assert rc == 0, f"{where}: `{shlex.join(command)}` exited {rc}:\n{err[-3000:]}"
            timings.append((where, round(time.perf_counter() - start, 1)))
    finally:
        torch.set_num_threads(threads)
    print("README blocks (s):", timings)
    assert (repository_layout / "graph" / "manifest.json").is_file()
    assert (repository_layout / "runs" / "aki" / "explain" / "importance.tsv").is_file()
