"""The database and its stores: every row sportbot keeps, and the rules for writing them.

``database`` holds the engine (one per process) and runs the Alembic migrations in
``migrations/``; ``schema`` the tables. Each store owns a few tables: ``registry``
(models), ``runs`` (training runs and their lock), ``tags`` (the tagger's work
queue), ``deliveries`` (Slack event dedup), ``votes`` (people's labels, ruled by
``teaching``) and ``spend`` (the daily OpenAI budget).

Imports stay inside ``training``: the stores never import ``bot`` nor ``slack_sdk``;
they store what the Slack app hands them.
"""
