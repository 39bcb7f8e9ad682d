"""The small, safe part of Markdown a model writes: paragraphs, lists, **bold**, *italic*, `code`.

    render("**Emma** has:\\n- 6,240 points")  -> Markup('<p><strong>Emma</strong> has:</p>...')

Everything is escaped first, so guest data or a model's text can never become markup: no raw
HTML, no links or images (a model that obeys what it reads must not be able to plant one), no
attributes. What is not understood stays as the escaped text it was.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

__all__ = ["render"]

_BULLET = re.compile(r"^\s*[-*•]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.*)$")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_INLINE = (
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*\n]+)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"__([^_\n]+)__"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), r"<em>\1</em>"),
)


def _inline(text: str) -> str:
    html = str(escape(text))
    for pattern, replacement in _INLINE:
        html = pattern.sub(replacement, html)
    return html


def _blocks(lines: list[str]) -> list[str]:
    out: list[str] = []
    paragraph: list[str] = []
    items: list[str] = []
    kind = ""

    def flush() -> None:
        nonlocal kind
        if paragraph:
            out.append("<p>" + "<br>".join(_inline(line) for line in paragraph) + "</p>")
            paragraph.clear()
        if items:
            listed = "".join(f"<li>{_inline(item)}</li>" for item in items)
            out.append(f"<{kind}>{listed}</{kind}>")
            items.clear()

    for line in lines:
        bullet, numbered = _BULLET.match(line), _NUMBERED.match(line)
        if bullet or numbered:
            wanted = "ul" if bullet else "ol"
            if paragraph or (items and kind != wanted):
                flush()
            kind = wanted
            items.append((bullet or numbered).group(1))  # type: ignore[union-attr]
        elif not line.strip():
            flush()
        elif (heading := _HEADING.match(line)) is not None:
            flush()
            out.append(f"<p><strong>{_inline(heading.group(1))}</strong></p>")
        else:
            if items:
                flush()
            paragraph.append(line.strip())
    flush()
    return out


def render(text: str) -> Markup:
    """Safe HTML for a model's answer (see the module docstring)."""
    return Markup("".join(_blocks(text.replace("\r\n", "\n").split("\n"))))
