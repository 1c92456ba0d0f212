"""Excel exports of report tables: bold headers, frozen header row, numbers as numbers, sensible widths."""
from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

PERCENT = "0.0%"
DECIMAL = "0.0"


def table_xlsx(title: str, headers: list[str], rows: list[list], formats: dict[int, str] | None = None) -> bytes:
    """One sheet named `title`; `formats` maps a column index to an Excel number format (e.g. PERCENT)."""
    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center")
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                cell.data_type = "s"  # text that Excel would read as a formula stays text
                cell.quotePrefix = True
    for col, fmt in (formats or {}).items():
        for cell in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
            cell[0].number_format = fmt
    for i, header in enumerate(headers, 1):
        width = max([len(str(header))] + [len(str(r[i - 1])) for r in rows[:500] if i - 1 < len(r)])
        ws.column_dimensions[get_column_letter(i)].width = min(40, max(8, width * 1.8 + 2))
    ws.freeze_panes = "A2"
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()
