"""A writer process for the crash test: writes persons one by one to a durable store (SQLite or Neo4j) and prints
each id after the store acknowledged it. Killed with SIGKILL by the test."""

from __future__ import annotations

import sys

from registry.model import Person
from registry.store import open_store


def main(url: str, prefix: str) -> None:
    store = open_store(url)
    i = 0
    while True:
        pid = f"{prefix}{i:06d}"
        store.apply([Person(id=pid, name=f"网格员{i}", phone="13800000000")], actor="crash")
        sys.stdout.write(pid + "\n")
        sys.stdout.flush()
        i += 1


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
