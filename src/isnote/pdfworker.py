"""Loaded once by the server process that starts the PDF workers (isnote.pdfparts.start_pool):
imports WeasyPrint and lays out one line, so that each worker, forked from that server, starts
with WeasyPrint imported and its fonts and default style sheets loaded instead of paying for them
again. Nothing else imports this module (importing it lays out a page)."""

from __future__ import annotations

from . import pdfparts

try:
    pdfparts._warm_worker()
except Exception:        # noqa: BLE001 - a failed warm-up only costs time: each worker warms itself
    pass
