"""Where export files live and what they are called: folders under EXPORT_DIR, the download's
file name, and the errors a download or an unwritable EXPORT_DIR answers with.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from app.core.config import get_settings
from app.core.errors import DomainError
from app.reports.service import ReportRequest

log = logging.getLogger(__name__)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Gone(DomainError):
    """The export's file has expired and was (or is about to be) deleted."""

    status_code = 410


class StorageUnavailable(DomainError):
    """EXPORT_DIR cannot be written: the server's set-up, not the request, so 503 (the operator
    finds the path and the system's reason in the log)."""

    status_code = 503

    def __init__(self) -> None:
        super().__init__(
            "Exports cannot be written on the server at the moment; "
            "an administrator must check its export storage (EXPORT_DIR)"
        )


def unwritable(path: Path, exc: BaseException) -> StorageUnavailable:
    log.error("export storage %s cannot be written (check EXPORT_DIR): %s", path, exc)
    return StorageUnavailable()


def export_subdir(*parts: str) -> Path:
    """A folder under EXPORT_DIR, made when missing: the directory may be a new, empty volume."""
    path = Path(get_settings().EXPORT_DIR).joinpath(*parts)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unwritable(path, exc) from exc
    return path


# --- names --------------------------------------------------------------------------------------
def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-") or "Organization"


def filename(org_name: str, req: ReportRequest, extension: str, table: str | None = None) -> str:
    """What is inside: Teliporter_Acme-Retail_2026-10-01_2026-10-31_GBP.xlsx (…_item.csv)."""
    parts = ["Teliporter", _slug(org_name), req.date_from.isoformat(), req.date_to.isoformat()]
    parts.append(req.currency)
    if table:
        parts.append(table)
    return "_".join(parts) + "." + extension


def file_chunks(path: Path, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """The file's bytes, then the file is deleted (a direct export is made for one response)."""
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
