"""What is wrong with the flow files, said so staff can fix it: a Problem names its file, line and node in a
plain sentence; FlowError carries every error of a set that must not be served (and its warnings, apart)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    node: str | None
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        node = f" {self.node}:" if self.node else ""
        mark = " warning:" if self.warning else ""  # as compilers mark theirs, so staff tell them apart
        return f"{where}:{mark}{node} {self.message}"


class FlowError(Exception):
    """The flows have problems; str() lists them all, one a line. The set's warnings ride along, apart."""

    def __init__(self, problems: list[Problem], warnings: list[Problem] | tuple[Problem, ...] = ()):
        self.problems = problems
        self.warnings = tuple(warnings)
        super().__init__("\n".join(str(p) for p in problems))
