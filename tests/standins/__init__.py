"""Local stand-ins for the services sportbot talks to (OpenAI, Slack), served on loopback."""
