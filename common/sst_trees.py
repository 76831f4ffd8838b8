"""The SST tree format: one PTB-style bracketed tree per line, an integer sentiment label at every node.

Its own module so that both the readers (common/data.py) and the downloader (common/resources.py, which
builds SST-2's test split from the trees) use it without importing each other.
"""
from __future__ import annotations

import re


class DataFormatError(ValueError):
    """A data file that cannot be read as the expected format; the message names file and line."""


def parse_tree(line: str, source: str = "<string>") -> list[tuple[int, list[str]]]:
    """Parse one PTB-style tree ``(3 (2 a) (4 (3 lovely) (2 film)))`` with an integer label at every node.

    Returns ``(label, leaves)`` for every node in pre-order (the root first). Raises DataFormatError
    naming `source` (e.g. ``"train.txt:12"``) on malformed input.
    """
    pieces = re.findall(r"\(|\)|[^\s()]+", line)
    nodes: list[tuple[int, list[str]]] = []
    stack: list[int] = []  # positions in `nodes` of the open nodes
    position, finished = 0, False
    while position < len(pieces):
        piece = pieces[position]
        if finished:
            raise DataFormatError(f"{source}: unexpected {piece!r} after the end of the tree")
        if piece == "(":
            label_text = pieces[position + 1] if position + 1 < len(pieces) else ""
            if not label_text.isdigit():
                raise DataFormatError(f"{source}: expected an integer label after '(' but got {label_text!r}")
            stack.append(len(nodes))
            nodes.append((int(label_text), []))
            position += 2
        elif piece == ")":
            if not stack:
                raise DataFormatError(f"{source}: unbalanced ')' (more closing than opening brackets)")
            closed = nodes[stack.pop()]
            if not closed[1]:
                raise DataFormatError(f"{source}: a node with label {closed[0]} has no words")
            if stack:
                nodes[stack[-1]][1].extend(closed[1])
            finished = not stack
            position += 1
        else:
            if not stack:
                raise DataFormatError(f"{source}: word {piece!r} outside any bracket")
            nodes[stack[-1]][1].append(piece)
            position += 1
    if stack or not nodes:
        raise DataFormatError(f"{source}: unbalanced brackets ({len(stack)} left open)" if stack
                              else f"{source}: expected a tree like '(3 (2 a) (3 film))' but got {line.strip()!r}")
    return nodes
