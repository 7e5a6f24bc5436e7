"""HTML as the text its author typed: the one converter for every source whose posts come as HTML (Mastodon's
statuses, live and archived)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = ("p", "div", "blockquote", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6")
_SOURCE_LINE_BREAK = re.compile(r"[ \t\r]*\n\s*")


def html_to_text(html: str) -> str:
    """A post's HTML (e.g. Mastodon's status content) as the text its author typed."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()


class _TextParser(HTMLParser):
    """Keeps text (entities decoded), turns ``<br>`` into a line break and each block (``<p>``, a list item, a
    quote, ...) after text into a new paragraph: one blank line, however many empty blocks lie between. A line
    break in the HTML source is a space, as a browser shows it (the author's own breaks are ``<br>``), and
    source whitespace between blocks is nothing. Mastodon hides parts of long links in
    ``<span class="invisible">``; their text is kept, so links come out whole."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self._line_break("\n")
        elif tag in BLOCKS and self.parts and not self._ends_paragraph():
            self._line_break("\n\n" if not self.parts[-1].endswith("\n") else "\n")

    def handle_data(self, data):
        data = _SOURCE_LINE_BREAK.sub(" ", data)
        if not self.parts or self.parts[-1].endswith("\n"):
            data = data.lstrip()
        if data:
            self.parts.append(data)

    def _line_break(self, breaks: str) -> None:
        """``breaks`` after the text so far, without the spaces that ended its line."""
        if self.parts:
            self.parts[-1] = self.parts[-1].rstrip(" \t")
        self.parts.append(breaks)

    def _ends_paragraph(self) -> bool:
        return "".join(self.parts[-2:]).endswith("\n\n")
