"""A small document (sections of paragraphs, tables, images and code) written as Markdown, or as one
self-contained HTML page (images inlined), for the grader's class report and feedback files."""
from __future__ import annotations

import base64
import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from common.fileio import atomic_write_text


@dataclass(frozen=True)
class Table:
    """A table: header cells and rows of cells (plain text)."""

    header: tuple[str, ...]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class Image:
    """A PNG file written beside the document."""

    path: Path
    alt: str


@dataclass(frozen=True)
class Code:
    """Preformatted text (a test's output)."""

    text: str


Block = str | Table | Image | Code  # a str is a paragraph of plain text


@dataclass
class Document:
    """A title and sections: (heading, blocks)."""

    title: str
    sections: list[tuple[str, list[Block]]] = field(default_factory=list)

    def add(self, heading: str, *blocks: Block) -> None:
        self.sections.append((heading, list(blocks)))


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _fence(text: str) -> str:
    """A fenced code block whose fence is longer than any run of backticks in `text`."""
    fence = "`" * max(3, 1 + max((len(run) for run in re.findall("`+", text)), default=0))
    return f"{fence}\n{text.rstrip()}\n{fence}"


def to_markdown(doc: Document, folder: Path) -> str:
    """Markdown, its images linked relative to `folder` (where the .md file goes)."""
    out = [f"# {doc.title}"]
    for heading, blocks in doc.sections:
        out.append(f"## {heading}")
        for block in blocks:
            if isinstance(block, Table):
                out.append("\n".join([
                    "| " + " | ".join(_cell(c) for c in block.header) + " |",
                    "|" + "---|" * len(block.header),
                    *("| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows)]))
            elif isinstance(block, Image):
                out.append(f"![{block.alt}]({os.path.relpath(block.path, folder)})")
            elif isinstance(block, Code):
                out.append(_fence(block.text))
            else:
                out.append(block)
    return "\n\n".join(out) + "\n"


STYLE = ("body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
         "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.2em .5em;text-align:left;"
         "vertical-align:top}pre{background:#f4f4f4;padding:.5em;overflow-x:auto}img{max-width:100%}")


def to_html(doc: Document) -> str:
    """One HTML page that needs no other file: images are inlined as data URIs."""
    out = [f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(doc.title)}</title>"
           f"<style>{STYLE}</style></head><body>", f"<h1>{html.escape(doc.title)}</h1>"]
    for heading, blocks in doc.sections:
        out.append(f"<h2>{html.escape(heading)}</h2>")
        for block in blocks:
            if isinstance(block, Table):
                head = "".join(f"<th>{html.escape(str(c))}</th>" for c in block.header)
                body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                               for row in block.rows)
                out.append(f"<table><tr>{head}</tr>{body}</table>")
            elif isinstance(block, Image):
                data = base64.b64encode(Path(block.path).read_bytes()).decode("ascii")
                out.append(f"<p><img alt='{html.escape(block.alt)}' src='data:image/png;base64,{data}'></p>")
            elif isinstance(block, Code):
                out.append(f"<pre>{html.escape(block.text)}</pre>")
            else:
                out.append(f"<p>{html.escape(block)}</p>")
    out.append("</body></html>\n")
    return "\n".join(out)


def write_markdown(doc: Document, path: Path) -> Path:
    """Write `doc` as Markdown to `path` (atomically)."""
    atomic_write_text(path, to_markdown(doc, Path(path).parent))
    return Path(path)


def write_html(doc: Document, path: Path) -> Path:
    """Write `doc` as one self-contained HTML page to `path` (atomically)."""
    atomic_write_text(path, to_html(doc))
    return Path(path)
