"""Safe handling of uploaded files (pure: no Flask).

Every uploaded file must pass :func:`check_upload` before it is handed to a
parser (openpyxl, python-docx, the question-bank text importer...).  The
checks are deliberately cheap and run on the raw bytes:

* empty file / size limit;
* extension white-list (chosen by the caller);
* content sniffing: Office Open XML files must be real ZIP containers with
  the expected main part, text files must decode as UTF-8 or GB18030;
* zip-bomb and path checks on the ZIP central directory *before* anything
  is decompressed or parsed.

XML hardening: openpyxl automatically uses defusedxml when it is installed
(``openpyxl.DEFUSEDXML``); with lxml present it parses with
``resolve_entities=False`` and uses ``defusedxml.ElementTree.iterparse`` for
worksheets.  python-docx parses with an lxml parser that also has
``resolve_entities=False``.  :func:`harden_xml` additionally monkey-patches
the stdlib XML modules (``xml.etree``, ``xml.dom.minidom``, ``xml.sax``...)
so that any other code path using them is protected as well; call it once at
application start-up (it is idempotent).
"""

from __future__ import annotations

import io
import re
import threading
import warnings
import zipfile

__all__ = [
    "MAX_UPLOAD_BYTES",
    "MAX_ZIP_ENTRIES",
    "MAX_ZIP_TOTAL_BYTES",
    "MAX_ZIP_RATIO",
    "ZIP_RATIO_MIN_ENTRY_BYTES",
    "UploadError",
    "check_upload",
    "decode_text",
    "harden_xml",
]

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# Zip-bomb limits, applied to the declared sizes in the ZIP central directory.
# (CPython's zipfile never yields more than the declared ``file_size`` of an
# entry, so the declared sizes are also an upper bound for what a parser can
# later decompress.)
MAX_ZIP_ENTRIES = 1000
MAX_ZIP_TOTAL_BYTES = 100 * 1024 * 1024
MAX_ZIP_RATIO = 100
ZIP_RATIO_MIN_ENTRY_BYTES = 1024 * 1024  # ratio only checked for entries > 1 MB

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls/.doc or encrypted OOXML

# Extension -> main part that must exist in the ZIP container.
_OOXML_MAIN_PART = {
    "xlsx": "xl/workbook.xml",
    "docx": "word/document.xml",
}
_TEXT_EXTENSIONS = frozenset({"txt", "md", "csv"})
SUPPORTED_EXTENSIONS = frozenset(_OOXML_MAIN_PART) | _TEXT_EXTENSIONS

_WINDOWS_DRIVE_RE = re.compile(r"^[A-Za-z]:")


class UploadError(ValueError):
    """An uploaded file was rejected; ``str(e)`` is a Chinese message for the user."""


# --------------------------------------------------------------------------
# XML hardening
# --------------------------------------------------------------------------

_harden_lock = threading.Lock()
_hardened = False


def harden_xml() -> None:
    """Monkey-patch the stdlib XML parsers with defusedxml (idempotent).

    openpyxl already uses defusedxml automatically when it is installed, and
    python-docx uses an lxml parser with entity resolution disabled; this
    protects every remaining user of the stdlib XML modules.
    """
    global _hardened
    if _hardened:
        return
    with _harden_lock:
        if _hardened:
            return
        import defusedxml

        # defuse_stdlib() imports the deprecated defusedxml.cElementTree
        # alias, which emits a DeprecationWarning; it is harmless here.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            defusedxml.defuse_stdlib()
        _hardened = True


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _human_size(num_bytes: int) -> str:
    """Format a byte limit for a user-facing message ("10 MB", "512 KB")."""
    mb = 1024 * 1024
    if num_bytes >= mb:
        value = num_bytes / mb
        return f"{value:.0f} MB" if value == int(value) else f"{value:.1f} MB"
    if num_bytes >= 1024:
        value = num_bytes / 1024
        return f"{value:.0f} KB" if value == int(value) else f"{value:.1f} KB"
    return f"{num_bytes} 字节"


def _extension(filename: str) -> str:
    """Lower-case extension of the base name ("" if none)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if "." not in name:
        return ""
    return name.rsplit(".", 1)[-1].strip().lower()


def _normalise_allowed(allowed: set[str] | frozenset[str]) -> frozenset[str]:
    result = frozenset(ext.strip().lstrip(".").lower() for ext in allowed)
    unsupported = result - SUPPORTED_EXTENSIONS
    if unsupported:
        # Programming error, not a user error: no content check exists.
        raise ValueError(
            f"check_upload: unsupported extension(s) {sorted(unsupported)}; "
            f"supported: {sorted(SUPPORTED_EXTENSIONS)}"
        )
    if not result:
        raise ValueError("check_upload: 'allowed' must not be empty")
    return result


def _unsafe_member_name(name: str) -> bool:
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or _WINDOWS_DRIVE_RE.match(normalised):
        return True
    if "\x00" in normalised:
        return True
    return ".." in normalised.split("/")


def _check_zip(data: bytes, ext: str) -> None:
    """Container checks for xlsx/docx; nothing is decompressed here."""
    mismatch = f"文件内容与扩展名不符：不是有效的 .{ext} 文件"
    if not data.startswith(_ZIP_MAGIC):
        if data.startswith(_OLE_MAGIC):
            raise UploadError(
                f"文件内容与扩展名不符：可能是旧版 Office 文件或已加密的文件，"
                f"请用 Office/WPS 另存为 .{ext} 格式（不设密码）后重新上传"
            )
        raise UploadError(mismatch)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise UploadError(mismatch) from None

    # --- zip-bomb checks (declared sizes from the central directory) ---
    if len(infos) > MAX_ZIP_ENTRIES:
        raise UploadError(
            f"文件疑似压缩炸弹，已拒绝：压缩包内文件数超过 {MAX_ZIP_ENTRIES} 个"
        )
    total = 0
    for info in infos:
        if info.file_size < 0 or info.compress_size < 0:
            raise UploadError("文件疑似压缩炸弹，已拒绝：压缩包结构异常")
        total += info.file_size
        if total > MAX_ZIP_TOTAL_BYTES:
            raise UploadError(
                f"文件疑似压缩炸弹，已拒绝：解压后总大小超过 {_human_size(MAX_ZIP_TOTAL_BYTES)}"
            )
        if info.file_size > ZIP_RATIO_MIN_ENTRY_BYTES:
            if info.compress_size <= 0 or info.file_size / info.compress_size > MAX_ZIP_RATIO:
                raise UploadError("文件疑似压缩炸弹，已拒绝：压缩比异常")

    # --- path checks ---
    for info in infos:
        if _unsafe_member_name(info.filename):
            raise UploadError("文件包含非法路径，已拒绝")

    # --- expected parts ---
    # OPC part names are case-insensitive.
    names = {info.filename.lower() for info in infos}
    if "[content_types].xml" not in names or _OOXML_MAIN_PART[ext] not in names:
        raise UploadError(mismatch)
    if any(info.flag_bits & 0x1 for info in infos):
        raise UploadError("文件已加密，请取消密码后重新上传")


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """Decode uploaded text: UTF-8 (with or without BOM), then GB18030.

    Raises :class:`UploadError` if neither encoding fits.
    """
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return bytes(data).decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UploadError("无法识别的文件编码，请将文件另存为 UTF-8 编码后重新上传")


def check_upload(
    filename: str,
    data: bytes,
    allowed: set[str],
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> str:
    """Validate an uploaded file and return its lower-case extension ("xlsx").

    ``allowed`` is a set of extensions without dot (case-insensitive), a
    subset of ``SUPPORTED_EXTENSIONS``.  Raises :class:`UploadError` with a
    Chinese message when the file must be rejected.
    """
    allowed_exts = _normalise_allowed(allowed)
    if data is None:
        data = b""
    data = bytes(data)

    if not data:
        raise UploadError("文件为空")
    if len(data) > max_bytes:
        raise UploadError(f"文件超过 {_human_size(max_bytes)} 上限")

    ext = _extension(filename)
    if ext not in allowed_exts:
        listing = "、".join(f".{e}" for e in sorted(allowed_exts))
        raise UploadError(f"只支持 {listing} 文件")

    if ext in _OOXML_MAIN_PART:
        _check_zip(data, ext)
    else:  # text formats
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            # UTF-16 ("Unicode" in Windows Notepad) is not accepted.
            raise UploadError("无法识别的文件编码，请将文件另存为 UTF-8 编码后重新上传")
        if b"\x00" in data:
            # Binary data (an image, an executable...) renamed to .txt/.md.
            raise UploadError(f"文件内容与扩展名不符：不是 .{ext} 文本文件")
        decode_text(data)
    return ext
