"""GLPI rich text (descriptions, back-out plans, names) as plain text."""

from __future__ import annotations

from html import unescape
from html.parser import HTMLParser
from typing import Any

_BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "tr", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "pre"}
)


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, a line break for every block element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain_text(value: Any) -> str:
    """GLPI rich text as plain text: HTML-encoded (9.5/10) or raw HTML, tags and entities gone."""
    if not isinstance(value, str) or not value.strip():
        return ""
    text = value
    if "<" not in text and "&lt;" in text:  # GLPI's sanitized storage: the HTML is encoded
        text = unescape(text)
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    lines = ("".join(parser.parts).replace("\xa0", " ")).splitlines()
    cleaned = [" ".join(line.split()) for line in lines]
    return "\n".join(line for line in cleaned if line)
