"""The Redis users of a production deployment: one that exports, one that reads.

Scoreline's keys share one prefix, `{scoreline:<model>}:...` (the braces keep a model's keys
in one cluster slot), so each user is confined to it:

- the exporter writes staging hashes, switches them live with a Lua script (RENAME, UNLINK,
  EXPIRE inside it) and cleans up orphans: read, write, keyspace and scripting commands on
  Scoreline's keys only, nothing administrative;
- a reader (the applications calling RiskLookup) loads and runs the look-up script, whose
  commands are HGET and EXISTS: those, the script commands and PING, nothing that writes.

A script runs with its caller's permissions, so the reader's script cannot write even though
it may call EVAL. `scoreline redis-acl` prints these users as ACL file lines, with passwords
taken from the environment (never from the command line, where `ps` would show them).
"""

from __future__ import annotations

KEY_PATTERN = "~{scoreline:*}*"

USERS = {
    "scoreline-exporter": (
        f"{KEY_PATTERN} resetchannels -@all +@read +@write +@keyspace +@scripting -@dangerous +ping"
    ),
    "scoreline-reader": (
        f"{KEY_PATTERN} resetchannels -@all +ping +eval +evalsha +script|load +hget +exists"
    ),
}
PASSWORD_VARIABLES = {
    "scoreline-exporter": "SCORELINE_REDIS_EXPORTER_PASSWORD",
    "scoreline-reader": "SCORELINE_REDIS_READER_PASSWORD",
}


def acl_file(passwords: dict[str, str]) -> str:
    """ACL file lines for the two users (and the default user switched off).

    Raises:
        ValueError: a user's password is missing.
    """
    missing = [PASSWORD_VARIABLES[user] for user in USERS if not passwords.get(user)]
    if missing:
        raise ValueError(f"set {', '.join(missing)} (the users' passwords) first")
    lines = ["user default off"]
    lines += [f"user {user} on >{passwords[user]} {rules}" for user, rules in USERS.items()]
    return "\n".join(lines) + "\n"
