"""Unit tests for trainer.uploads (upload validation, zip-bomb checks, text decoding)."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from trainer import uploads
from trainer.uploads import MAX_UPLOAD_BYTES, UploadError, check_upload, decode_text, harden_xml

CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def make_xlsx() -> bytes:
    wb = Workbook()
    wb.active.append(["工号", "姓名"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_docx() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("第一条 测试")
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def make_zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, payload in entries.items():
            zf.writestr(name, payload)
    return buf.getvalue()


def test_valid_xlsx_returns_extension():
    """A real workbook passes and the lower-case extension is returned."""
    assert check_upload("花名册.XLSX", make_xlsx(), {"xlsx"}) == "xlsx"


def test_valid_docx_returns_extension():
    """A real Word document passes when docx is allowed."""
    assert check_upload("题库.docx", make_docx(), {"xlsx", "docx"}) == "docx"


def test_windows_path_in_filename_is_ignored():
    """Only the base name of a browser-supplied path is used for the extension."""
    assert check_upload("C:\\fakepath\\roster.xlsx", make_xlsx(), {"xlsx"}) == "xlsx"


def test_empty_file_rejected():
    """An empty upload is rejected with 文件为空."""
    with pytest.raises(UploadError, match="文件为空"):
        check_upload("a.xlsx", b"", {"xlsx"})


def test_oversize_file_rejected():
    """A file larger than the 10 MB default limit is rejected before any content check."""
    data = b"PK\x03\x04" + b"\0" * MAX_UPLOAD_BYTES
    with pytest.raises(UploadError, match="文件超过 10 MB 上限"):
        check_upload("a.xlsx", data, {"xlsx"})


def test_custom_size_limit():
    """A caller-supplied max_bytes is enforced and shown in the message."""
    with pytest.raises(UploadError, match="512 KB"):
        check_upload("a.txt", b"a" * (512 * 1024 + 1), {"txt"}, max_bytes=512 * 1024)


def test_exe_extension_rejected():
    """An extension outside the allowed set is rejected, listing what is allowed."""
    with pytest.raises(UploadError) as excinfo:
        check_upload("setup.exe", b"MZ\x90\x00" + b"\0" * 100, {"xlsx"})
    assert str(excinfo.value) == "只支持 .xlsx 文件"


def test_allowed_list_in_message():
    """Several allowed extensions are all listed in the rejection message."""
    with pytest.raises(UploadError, match=r"\.docx、\.xlsx"):
        check_upload("a.pdf", b"%PDF-1.4", {"xlsx", "docx"})


def test_missing_extension_rejected():
    """A file name without extension is rejected."""
    with pytest.raises(UploadError, match="只支持"):
        check_upload("roster", make_xlsx(), {"xlsx"})


def test_png_renamed_xlsx_rejected():
    """A PNG image renamed to .xlsx does not match its extension."""
    png = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + b"\0" * 64
    with pytest.raises(UploadError, match="文件内容与扩展名不符"):
        check_upload("photo.xlsx", png, {"xlsx"})


def test_legacy_xls_rejected_with_hint():
    """An OLE (legacy .xls or encrypted) file named .xlsx is rejected with a save-as hint."""
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512
    with pytest.raises(UploadError, match="文件内容与扩展名不符.*另存为"):
        check_upload("old.xlsx", ole, {"xlsx"})


def test_docx_renamed_xlsx_rejected():
    """A ZIP without xl/workbook.xml (a Word file) is not accepted as .xlsx."""
    with pytest.raises(UploadError, match="文件内容与扩展名不符"):
        check_upload("fake.xlsx", make_docx(), {"xlsx"})


def test_truncated_zip_rejected():
    """A ZIP with a damaged central directory is rejected as not matching."""
    data = make_xlsx()[:200]
    with pytest.raises(UploadError, match="文件内容与扩展名不符"):
        check_upload("broken.xlsx", data, {"xlsx"})


def test_zip_bomb_rejected():
    """A tiny ZIP that declares 50 MB of zeros (ratio > 100) is rejected as a zip bomb."""
    bomb = make_zip({
        "[Content_Types].xml": CONTENT_TYPES,
        "xl/workbook.xml": b"<workbook/>",
        "xl/worksheets/sheet1.xml": b"\0" * (50 * 1024 * 1024),
    })
    assert len(bomb) < 200 * 1024  # it really is tiny
    with pytest.raises(UploadError, match="文件疑似压缩炸弹，已拒绝"):
        check_upload("bomb.xlsx", bomb, {"xlsx"})


def test_too_many_zip_entries_rejected():
    """More than 1000 entries in the container is rejected as a zip bomb."""
    entries = {"[Content_Types].xml": CONTENT_TYPES, "xl/workbook.xml": b"<workbook/>"}
    entries.update({f"xl/media/{i}.bin": b"x" for i in range(1000)})
    with pytest.raises(UploadError, match="文件疑似压缩炸弹"):
        check_upload("many.xlsx", make_zip(entries), {"xlsx"})


def test_total_uncompressed_size_limit(monkeypatch):
    """A total declared uncompressed size over the limit is rejected (limit lowered for speed)."""
    monkeypatch.setattr(uploads, "MAX_ZIP_TOTAL_BYTES", 1000)
    entries = {
        "[Content_Types].xml": CONTENT_TYPES,
        "xl/workbook.xml": b"<workbook/>",
        "xl/sharedStrings.xml": bytes(range(256)) * 4,
    }
    data = make_zip(entries, compression=zipfile.ZIP_STORED)
    with pytest.raises(UploadError, match="文件疑似压缩炸弹.*总大小"):
        check_upload("big.xlsx", data, {"xlsx"})


@pytest.mark.parametrize("name", ["../evil.xml", "xl/../../evil.xml", "/etc/passwd", "C:/evil.xml"])
def test_path_traversal_entry_rejected(name):
    """Entry names with '..' components or absolute paths are rejected."""
    entries = {
        "[Content_Types].xml": CONTENT_TYPES,
        "xl/workbook.xml": b"<workbook/>",
        name: b"x",
    }
    with pytest.raises(UploadError, match="非法路径"):
        check_upload("evil.xlsx", make_zip(entries), {"xlsx"})


def test_txt_in_gb18030_accepted():
    """A .txt file saved in GB18030 (GBK) passes and decodes correctly."""
    text = "第一条 为了规范城市管理执法行为，制定本办法。\n"
    data = text.encode("gb18030")
    assert check_upload("法规.txt", data, {"txt", "md"}) == "txt"
    assert decode_text(data) == text


def test_utf8_bom_is_stripped():
    """UTF-8 with BOM decodes without the BOM character."""
    assert decode_text("\ufeff# 标题".encode("utf-8")) == "# 标题"


def test_markdown_utf8_accepted():
    """A UTF-8 .md file passes."""
    assert check_upload("讲义.md", "# 城管执法\n正文".encode(), {"md"}) == "md"


def test_binary_renamed_txt_rejected():
    """Binary data (NUL bytes) named .txt does not match its extension."""
    png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + b"\0" * 32
    with pytest.raises(UploadError, match="文件内容与扩展名不符"):
        check_upload("a.txt", png, {"txt"})


def test_undecodable_text_rejected():
    """Bytes that are neither UTF-8 nor GB18030 raise 无法识别的文件编码."""
    with pytest.raises(UploadError, match="无法识别的文件编码"):
        decode_text(b"abc\xff\xfe\xff")
    with pytest.raises(UploadError, match="无法识别的文件编码"):
        check_upload("a.txt", b"abc\xff\xff\xff", {"txt"})


def test_utf16_text_rejected_as_encoding():
    """UTF-16 text (Notepad "Unicode") is reported as an unrecognised encoding."""
    with pytest.raises(UploadError, match="无法识别的文件编码"):
        check_upload("a.txt", "测试".encode("utf-16"), {"txt"})


def test_upload_error_is_value_error():
    """UploadError is a ValueError whose str() is the user message."""
    err = UploadError("文件为空")
    assert isinstance(err, ValueError)
    assert str(err) == "文件为空"


def test_unsupported_allowed_extension_is_programming_error():
    """Allowing an extension without a content check is a caller bug (plain ValueError)."""
    with pytest.raises(ValueError) as excinfo:
        check_upload("a.png", b"\x89PNG", {"png"})
    assert not isinstance(excinfo.value, UploadError)


def test_harden_xml_blocks_entities_and_is_idempotent():
    """After harden_xml() (called twice) the stdlib ElementTree refuses entity declarations."""
    harden_xml()
    harden_xml()
    import xml.etree.ElementTree as ET

    from defusedxml import EntitiesForbidden

    with pytest.raises(EntitiesForbidden):
        ET.fromstring('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')
    assert ET.fromstring("<x>1</x>").text == "1"
