"""HTML bodies to plain text. Nothing of the markup survives: no tags, scripts, styles or handlers.

The text is what a person would read in the rendered mail; it is stored and shown as text, so even
an escaped `&lt;script&gt;` in the source ends up as harmless literal characters, never markup.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment

# Elements whose content is not text a reader sees (or is active content).
_INVISIBLE = ["script", "style", "head", "title", "noscript", "template", "iframe", "object", "embed", "svg", "math",
              "meta", "link", "form", "button", "select", "textarea", "applet", "frame", "frameset"]
_BLOCKS = ["p", "div", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
           "section", "article", "header", "footer", "address", "dd", "dt", "hr"]
_SPACES = re.compile(r"[ \t\u00a0\u3000\u200b\ufeff]+")


def html_to_text(html: str) -> str:
    soup = BeautifulSoup(html, "html.parser")
    for element in soup.find_all(_INVISIBLE):
        element.decompose()
    for comment in soup.find_all(string=lambda node: isinstance(node, Comment)):
        comment.extract()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after(" ")
    for block in soup.find_all(_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    return tidy_text(soup.get_text())


def tidy_text(text: str) -> str:
    """Normalise line ends and spaces; at most one blank line in a row; no control characters."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(char for char in text if char.isprintable() or char.isspace())
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()
