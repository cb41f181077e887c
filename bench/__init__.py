"""Benchmarks: each prints one JSON document, measures its own baselines in the same run and
reports ratios (speed is measured here, never in timed tests).

- ``python -m bench.neo4j_concurrency``: throughput and latency of ``gridreg serve`` on Neo4j at
  1 and 16 concurrent connections, against a bare endpoint returning the same bytes and a
  Neo4j ``RETURN 1`` round trip.
"""
