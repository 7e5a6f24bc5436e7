"""HTML as the text its author typed: the one converter for every source whose posts come as HTML (Mastodon's
statuses, live and archived)."""
from __future__ import annotations

from html.parser import HTMLParser


def html_to_text(html: str) -> str:
    """A post's HTML (e.g. Mastodon's status content) as the text its author typed."""
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts).strip()


class _TextParser(HTMLParser):
    """Keeps text (entities decoded), turns ``<br>`` into a line break and a new ``<p>`` into a blank
    line. Mastodon hides parts of long links in ``<span class="invisible">``; their text is kept, so
    links come out whole."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p" and self.parts:
            self.parts.append("\n\n")

    def handle_data(self, data):
        self.parts.append(data)
