"""Decoding carrier pages and a tiny standard-library DOM for the Japanese scrapers.

Pure: bytes/str in, nodes out. No third-party HTML parser is needed for these small pages.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ..errors import ParseFailed


def nfkc(text: str) -> str:
    """NFKC folds full-width parentheses/digits/spaces so （ご不在） and (ご不在) match the same row;
    whitespace is collapsed because pages wrap cells over several lines."""
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_-]+)""", re.IGNORECASE)


# Pages labelled Shift_JIS are really Windows-31J (cp932) in practice, as browsers assume:
# strict shift_jis would reject ①, ㈱ or 髙 in office and company names.
_ALIASES = {"shift_jis": "cp932", "sjis": "cp932", "x_sjis": "cp932", "windows_31j": "cp932"}


def declared_charset(body: bytes) -> str | None:
    """The charset a page declares in its first 2 KB, when it is one Python knows."""
    m = _META_CHARSET.search(body[:2048])
    if not m:
        return None
    name = m[1].decode("ascii").lower()
    name = _ALIASES.get(name.replace("-", "_"), name)
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def decode(body: bytes, encoding: str, carrier: str) -> str:
    """Strictly decode a page: a wrong encoding must fail loudly, not produce mojibake.

    A page's own ``<meta charset>`` wins over ``encoding`` (carriers have moved pages from
    Shift_JIS to UTF-8 before, e.g. Yamato's pre-2020 layout)."""
    if not body or not body.strip():
        raise ParseFailed(f"{carrier}: empty body")
    if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ParseFailed(f"{carrier}: UTF-16 body, expected {encoding}")
    encoding = declared_charset(body) or encoding
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ParseFailed(f"{carrier}: body is not {encoding}: {exc.reason}") from exc
    if "\x00" in text:
        raise ParseFailed(f"{carrier}: binary body")
    if "<" not in text:
        raise ParseFailed(f"{carrier}: body is not HTML")
    return text


# --------------------------------------------------------------------------- tiny DOM

_VOID = frozenset(
    [
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    ]
)
# Sloppy HTML: an opening tag implicitly closes these open elements (e.g. <tr> closes an
# unclosed <td> and its <tr>).
_AUTOCLOSE = {
    "li": {"li"},
    "tr": {"tr", "td", "th"},
    "td": {"td", "th"},
    "th": {"td", "th"},
    "dd": {"dd", "dt"},
    "dt": {"dd", "dt"},
    "p": {"p"},
}


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        """All descendant text, whitespace-collapsed but otherwise as the carrier wrote it
        (descriptions keep the raw text; matching code applies ``nfkc`` itself)."""
        parts: list[str] = []
        self._collect(parts)
        return " ".join(" ".join(parts).split())

    def _collect(self, parts: list[str]) -> None:
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br":
                parts.append(" ")
            elif child.tag not in ("script", "style"):
                child._collect(parts)

    def label_text(self) -> str:
        """The text without what a reader presses: buttons, form controls and elements styled
        as buttons (「お届け完了通知を依頼」 holds status words but is no status)."""
        parts: list[str] = []
        self._collect_label(parts)
        return " ".join(" ".join(parts).split())

    def _collect_label(self, parts: list[str]) -> None:
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag == "br":
                parts.append(" ")
            elif not child.is_control:
                child._collect_label(parts)

    @property
    def is_control(self) -> bool:
        if self.tag in ("script", "style", "button", "input", "select", "textarea", "form"):
            return True
        return self.attrs.get("role") == "button" or any(
            "btn" in c or "button" in c for c in self.classes
        )

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs) -> list[Node]:
        """Descendants matching tag, one class, and exact attribute values (``id_`` for id)."""
        wanted = {k.rstrip("_"): v for k, v in attrs.items()}
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes)
            and all(n.attrs.get(k) == v for k, v in wanted.items())
        ]

    def find(self, tag: str | None = None, cls: str | None = None, **attrs) -> Node | None:
        found = self.find_all(tag, cls, **attrs)
        return found[0] if found else None

    def elements(self, tag: str | None = None) -> list[Node]:
        """Direct element children (optionally of one tag)."""
        return [c for c in self.children if isinstance(c, Node) and (tag is None or c.tag == tag)]


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        closes = _AUTOCLOSE.get(tag, ())
        while len(self.stack) > 1 and self.stack[-1].tag in closes:
            self.stack.pop()
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag):
        # Pop up to the matching open element; ignore stray end tags.
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Node:
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def cells(row: Node) -> list[str]:
    return [c.text() for c in row.elements() if c.tag in ("td", "th")]


def rows(table: Node) -> list[Node]:
    """A table's rows, with or without <thead>/<tbody> (nested tables excluded)."""
    found: list[Node] = []
    for child in table.elements():
        if child.tag == "tr":
            found.append(child)
        elif child.tag in ("thead", "tbody", "tfoot"):
            found.extend(child.elements("tr"))
    return found


def labelled_value(root: Node, label: str) -> str | None:
    """The text of the element right after the label element (<dt>label</dt><dd>value</dd>,
    <th>label</th><td>value</td> ...). The tightest label element wins, so a whole row that
    merely starts with the label does not count."""
    wanted = nfkc(label)
    best: tuple[int, str] | None = None
    for parent in [root, *root.iter()]:
        kids = parent.elements()
        for i, kid in enumerate(kids[:-1]):
            text = nfkc(kid.text())
            if text.startswith(wanted) and (best is None or len(text) < best[0]):
                best = (len(text), kids[i + 1].text())
    return best[1] if best else None


def column_index(
    header: list[str], names: dict[str, tuple[str, ...]], carrier: str, required: bool = True
) -> dict[str, int]:
    """Map logical columns to positions by header text, so a reordered table still parses and a
    renamed/removed column fails loudly instead of shifting every value by one."""
    index: dict[str, int] = {}
    for key, candidates in names.items():
        for pos, title in enumerate(header):
            if any(nfkc(c) in nfkc(title) for c in candidates):
                index[key] = pos
                break
        else:
            if required:
                raise ParseFailed(f"{carrier}: column {candidates[0]!r} missing from {header}")
    return index
