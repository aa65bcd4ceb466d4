"""App Home's accuracy chart: a PNG uploaded once per set of runs (files_upload_v2),
shown with an image block pointing at the Slack file."""

from __future__ import annotations

import logging
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from training.pipeline.charts import accuracy_chart

log = logging.getLogger(__name__)


class HomeChart:
    """The Slack file id of the chart of ``runs``; uploaded again only when they change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._uploaded: dict[tuple, str] = {}

    def file_id(self, client: WebClient, runs: Sequence[Any]) -> str | None:
        """None when there is nothing to chart or Slack refused the upload (logged)."""
        key = tuple((run.id, run.accuracy) for run in runs if run.accuracy is not None)
        if not key:
            return None
        with self._lock:
            if key in self._uploaded:
                return self._uploaded[key]
        file_id = self._upload(client, runs)
        if file_id:
            with self._lock:
                self._uploaded = {key: file_id}  # only the newest chart is shown
        return file_id

    @staticmethod
    def _upload(client: WebClient, runs: Sequence[Any]) -> str | None:
        with tempfile.TemporaryDirectory(prefix="sportbot-chart-") as folder:
            path = accuracy_chart(runs, Path(folder) / "accuracy.png")
            if path is None:
                return None
            try:
                response = client.files_upload_v2(
                    file=str(path),
                    filename="accuracy.png",
                    title="sportbot accuracy",
                    request_file_info=False,
                )
            except (SlackApiError, OSError) as error:
                reason = getattr(getattr(error, "response", None), "get", lambda _: None)("error")
                log.warning("App Home chart upload failed: %s", reason or error)
                return None
        files = response.get("files") or []
        return files[0].get("id") if files else None
