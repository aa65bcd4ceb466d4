"""The tagger: every channel message stored, classified and given its sport's emoji.

* ``tagger``: ``Tagger``, storing a message before the ack (web process) and
  tagging the stored ones (the tagger process, or a thread), fixing corrected tags;
* ``gathering``: when to tag, so that a burst of messages is acknowledged first;
* ``rules``: which messages are tagged, and the emoji of each label;
* ``statuses``: reactions' outcomes written in batches;
* ``slack_reactions``: reactions.add/remove with Slack's expected refusals.

Where its process starts: ``bot.startup.run_tagger``. Imports ``training`` (the tag
store, settings) and ``bot.model_source``; never the listeners or middleware.
"""

from bot.tagger.tagger import DUPLICATE, IGNORED, QUEUED, Tagger

__all__ = ["DUPLICATE", "IGNORED", "QUEUED", "Tagger"]
