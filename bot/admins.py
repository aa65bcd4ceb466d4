"""Who may retrain: SPORTBOT_ADMINS, or the workspace's admins and owners."""

from __future__ import annotations

import logging
import threading
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class AdminCheck:
    """Answers ``is_admin(client, user_id)``; caches users.info answers for a few minutes."""

    def __init__(self, admins: frozenset[str], *, ttl_seconds: float = 300.0) -> None:
        self.admins = admins
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def is_admin(self, client: WebClient, user_id: str | None) -> bool:
        if not user_id:
            return False
        if user_id in self.admins:
            return True
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached and now - cached[0] < self.ttl_seconds:
            return cached[1]
        answer = self._workspace_admin(client, user_id)
        with self._lock:
            self._cache[user_id] = (now, answer)
        return answer

    @staticmethod
    def _workspace_admin(client: WebClient, user_id: str) -> bool:
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            # Fail closed: without an answer nobody is promoted to admin.
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
            return False
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
