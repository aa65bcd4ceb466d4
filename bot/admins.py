"""Who people are: users.info answers (cached), who may retrain, who may teach.

Admins: SPORTBOT_ADMINS, or the workspace's admins and owners. Teachers: human
members of this workspace (not bots, not another app's users, not Slack
Connect users of other organisations unless SPORTBOT_EXTERNAL_TEACHERS), in a
channel sportbot serves.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from training.config import SlackSettings, TeachingSettings

log = logging.getLogger(__name__)

SLACKBOT = "USLACKBOT"


class UserDirectory:
    """users.info answers, cached for a few minutes; None when Slack gave none."""

    def __init__(self, *, ttl_seconds: float = 300.0) -> None:
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def user(self, client: WebClient, user_id: str) -> dict[str, Any] | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(user_id)
        if cached and now - cached[0] < self.ttl_seconds:
            return cached[1]
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            # Fail closed: without an answer nobody is an admin or a teacher.
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
            user = None
        with self._lock:
            self._cache[user_id] = (now, user)
        return user


class AdminCheck:
    """Answers ``is_admin(client, user_id)``."""

    def __init__(
        self,
        admins: frozenset[str],
        *,
        ttl_seconds: float = 300.0,
        directory: UserDirectory | None = None,
    ) -> None:
        self.admins = admins
        self.directory = directory or UserDirectory(ttl_seconds=ttl_seconds)

    def is_admin(self, client: WebClient, user_id: str | None) -> bool:
        if not user_id:
            return False
        if user_id in self.admins:
            return True
        user = self.directory.user(client, user_id) or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


class TeacherCheck:
    """Why a person may not teach sportbot here (``refusal``), or None when they may."""

    def __init__(
        self, slack: SlackSettings, teaching: TeachingSettings, directory: UserDirectory
    ) -> None:
        self.slack = slack
        self.teaching = teaching
        self.directory = directory

    def refusal(
        self,
        client: WebClient,
        *,
        user: str | None,
        team: str | None,
        channel: str | None,
        user_team: str | None = None,
        bot_id: str | None = None,
        own_user: str | None = None,
    ) -> str | None:
        """``team`` is this workspace's id; ``user_team`` the person's, when the
        request says it (Slack Connect events and payloads do)."""
        if not user or user in (own_user, SLACKBOT) or bot_id:
            return "not a person"
        if self.slack.channels and channel not in self.slack.channels:
            return "a channel sportbot does not serve"
        if user_team and team and user_team != team and not self.teaching.external_teachers:
            return "a user of another organisation"
        info = self.directory.user(client, user)
        if info is None:
            return "a user Slack does not describe"
        if info.get("is_bot") or info.get("is_app_user") or info.get("deleted"):
            return "a bot or app user"
        external = info.get("is_stranger") or (team and info.get("team_id") not in (None, team))
        if external and not self.teaching.external_teachers:
            return "a user of another organisation"
        return None
