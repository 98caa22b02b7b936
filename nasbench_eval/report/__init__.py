"""Reports over a result store: Markdown/HTML tables, PNG plots and an IOHanalyzer CSV export."""
from .build import make_report
from .ioh import export_ioh, ioh_frame

__all__ = ["export_ioh", "ioh_frame", "make_report"]
