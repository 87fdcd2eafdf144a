"""`.gitattributes` and `.gitignore` as the Hub reads them when it answers preupload: which paths are LFS
(`filter=lfs`), which are ignored. Git's wildmatch for the common cases: `*.ext`, `name`, `dir/`, `path/**`,
`**/name`, `a/**/b`, `?`, `[abc]`, a leading `/` anchors, a pattern with a `/` inside is anchored, `!` re-includes
(gitignore), the last matching line wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LFS_MAX_REGULAR = 10 * 1024 * 1024  # the Hub: a file larger than 10 MiB must go to LFS


def _translate(pattern: str) -> str:
    """A wildmatch pattern (already relative to the repo root) as a regex over the whole path."""
    out, i, n = [], 0, len(pattern)
    while i < n:
        if pattern.startswith("**/", i) and (i == 0 or pattern[i - 1] == "/"):
            out.append("(?:[^/]*/)*")  # zero or more folders
            i += 3
        elif pattern.startswith("**", i) and (i == 0 or pattern[i - 1] == "/") and i + 2 == n:
            out.append(".*")  # everything inside
            i += 2
        elif pattern[i] == "*":
            j = i
            while j < n and pattern[j] == "*":
                j += 1
            out.append("[^/]*")
            i = j
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            j = pattern.find("]", i + 2)
            if j < 0:
                out.append(re.escape("["))
                i += 1
                continue
            body = pattern[i + 1 : j]
            if body[:1] in ("!", "^"):
                body = "^" + body[1:]
            out.append("[" + body.replace("\\", "\\\\") + "]")
            i = j + 1
        elif pattern[i] == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


@dataclass(frozen=True)
class Rule:
    regex: re.Pattern
    negate: bool = False
    dir_only: bool = False
    value: str | None = None  # gitattributes: the `filter` value ("lfs"), or None when unset

    def matches(self, path: str) -> bool:
        return self.regex.fullmatch(path) is not None


def _rule(pattern: str, negate: bool = False, value: str | None = None) -> Rule | None:
    dir_only = pattern.endswith("/") and len(pattern) > 1
    pattern = pattern.rstrip("/") if dir_only else pattern
    if not pattern:
        return None
    anchored = "/" in pattern
    pattern = pattern.lstrip("/")
    body = _translate(pattern)
    regex = body if anchored else "(?:[^/]*/)*" + body  # no slash: the name at any depth
    try:
        return Rule(re.compile(regex, re.S), negate, dir_only, value)
    except re.error:
        return None


def _lines(text: str):
    for line in text.splitlines():
        line = line.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        yield line


class LfsAttributes:
    """The `filter` attribute of paths from a `.gitattributes` text (`[attr]` macros are ignored)."""

    def __init__(self, text: str):
        self.rules: list[Rule] = []
        for line in _lines(text):
            fields = line.split()
            if not fields or fields[0].startswith("[attr]") or fields[0].startswith("!"):
                continue
            value = "unset"
            for attr in fields[1:]:
                if attr.startswith("filter="):
                    value = attr.split("=", 1)[1]
                elif attr in ("-filter", "!filter"):
                    value = None
            if value == "unset":
                continue  # this line does not speak about `filter`
            rule = _rule(fields[0], value=value)
            if rule:
                self.rules.append(rule)

    def is_lfs(self, path: str) -> bool:
        for rule in reversed(self.rules):
            if not rule.dir_only and rule.matches(path):
                return rule.value == "lfs"
        return False


class GitIgnore:
    """Which paths a `.gitignore` excludes (one file at the repo root; a folder excluded excludes its files,
    which a later `!` cannot re-include, as in git)."""

    def __init__(self, text: str):
        self.rules: list[Rule] = []
        for line in _lines(text):
            line = line.rstrip() if not line.endswith("\\ ") else line
            negate = line.startswith("!")
            if negate:
                line = line[1:]
            elif line.startswith("\\!") or line.startswith("\\#"):
                line = line[1:]
            rule = _rule(line, negate)
            if rule:
                self.rules.append(rule)

    def _decide(self, path: str, is_dir: bool) -> bool:
        for rule in reversed(self.rules):
            if rule.dir_only and not is_dir:
                continue
            if rule.matches(path):
                return not rule.negate
        return False

    def ignored(self, path: str) -> bool:
        parts = path.split("/")
        for i in range(1, len(parts)):
            if self._decide("/".join(parts[:i]), True):
                return True
        return self._decide(path, False)


def upload_mode(path: str, size: int, attributes: LfsAttributes | None) -> str:
    """'lfs' or 'regular', as the Hub decides: an empty file is never LFS; over 10 MiB always; else the repo's
    `.gitattributes` (`attributes` None: the repo has none, and the Hub's default patterns stand in)."""
    if size <= 0:
        return "regular"
    if size > LFS_MAX_REGULAR:
        return "lfs"
    return "lfs" if (attributes or DEFAULT_ATTRIBUTES).is_lfs(path) else "regular"


# What huggingface.co writes into a new repo's .gitattributes (and what stands in for a repo without one)
DEFAULT_GITATTRIBUTES = "".join(
    f"{p} filter=lfs diff=lfs merge=lfs -text\n"
    for p in (
        "*.7z",
        "*.arrow",
        "*.bin",
        "*.bz2",
        "*.ckpt",
        "*.ftz",
        "*.gguf",
        "*.gz",
        "*.h5",
        "*.joblib",
        "*.lfs.*",
        "*.mlmodel",
        "*.model",
        "*.msgpack",
        "*.npy",
        "*.npz",
        "*.onnx",
        "*.ot",
        "*.parquet",
        "*.pb",
        "*.pickle",
        "*.pkl",
        "*.pt",
        "*.pth",
        "*.rar",
        "*.safetensors",
        "saved_model/**/*",
        "*.tar.*",
        "*.tar",
        "*.tflite",
        "*.tgz",
        "*.wasm",
        "*.xz",
        "*.zip",
        "*.zst",
        "*tfevents*",
    )
)
DEFAULT_ATTRIBUTES = LfsAttributes(DEFAULT_GITATTRIBUTES)
