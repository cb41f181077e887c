"""What does ``responsibleMany`` save? N routing requests answered one by one versus in one
batch, on the demo county (the issue's requirement: a batch of 1,000 costs far less than 1,000
single calls).

    python -m bench.routing_batch [--smoke] [--requests 1000] [--rounds 3] [--seed 451225]
    python -m bench.routing_batch --start-neo4j        # also on a throwaway Neo4j of its own
    python -m bench.routing_batch --neo4j bolt://HOST:PORT   # also on that Neo4j (ERASED)

The requests are a routing queue's mix drawn with a seeded RNG from the demo county
(``loaders.demo``, answered at ``DEMO_TODAY``): hamlets, villages, lowest-tier grids and a few
map points inside the county, each with a category of the demo catalogue or none. Cases:

1. ``embedded``: in this process on the embedded store (``memory://``):
   ``responsible_for`` once per request versus ``responsible_many`` over all of them (chunks
   of ``MAX_BATCH``); every batch answer must equal the single answer.
2. ``http``: ``gridreg serve --demo`` in a subprocess (free port): N ``responsible`` POSTs
   one after the other over one keep-alive connection versus one ``responsibleMany`` POST per
   ``MAX_BATCH`` requests, with a realistic field set (tiers with seats and holders' names,
   escalation, alliance partners' counties); every response must be 200 without ``errors``,
   with one result per request, and each batch item must equal the single answer.
3. ``graphql``: case 2's two ways through ``schema.execute`` in this process on the embedded
   store (no HTTP, no JSON): how much of case 2 is the GraphQL layer (resolving and
   shaping the field set) rather than the routing queries of case 1 or the transport.
4. ``neo4j`` (only with ``--start-neo4j`` or ``--neo4j``): the store is erased and the demo
   loaded, then case 1 on it, with the Bolt round trips of each way counted
   (``store.round_trips``).

Each case runs ``--rounds`` times after a warm-up (the way measured first alternates); the
fastest round of each way is reported (seconds, per request) with the ratio singles / batch. Baseline rule of the project: only the
ratios measured in one run are meaningful; absolute times are noise on a shared 2-core machine.
``--smoke`` uses 50 requests and one round (a few seconds; Neo4j only when asked). Prints one
JSON document on stdout; exits 1 if any answer was wrong or differed between the two ways.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.procs import Neo4jServer, Server
from bench.workload import load_neo4j
from loaders.demo import DEMO_SEED, DEMO_TODAY, load_demo
from loaders.demo_data import DEMO_COUNTY
from registry.codes import Level
from registry.errors import GridregError
from registry.model import Category, Grid, Place
from registry.queries.responsibility import (
    MAX_BATCH,
    Point,
    Responsibility,
    RoutingRequest,
    responsible_for,
    responsible_many,
)
from registry.store import GraphStore, open_store
from schema.api import schema
from schema.context import Context

SMOKE_REQUESTS = 50
#: The county's rectangle (``loaders.demo``), less a margin: points fall inside the county.
LON = (108.61, 109.09)
LAT = (24.71, 25.19)
#: Shares of the mix (the rest are hamlets) and of requests without a category.
VILLAGES, GRIDS, POINTS, NO_CATEGORY = 0.20, 0.25, 0.05, 0.10
BASELINE_RULE = (
    "ratios measured in the same run are what matter; absolute times are noise on a shared "
    "2-core machine"
)

FIELDS = """
fragment Answer on Responsibility {
  place { code name }
  grid { code name }
  category { code name }
  at
  timeLimitMinutes
  emergency
  tiers {
    rank kind found timeLimitMinutes lead
    grid { code name }
    place { code name }
    organization { code name }
    seats { roleCode status holders { name } inheritedHolders { name } }
  }
  escalation { rank kind timeLimitMinutes cumulativeMinutes organization { code name } }
  alliancePartners { bordering functions county { code name } }
  location { status }
}
"""
SINGLE_QUERY = (
    "query Route($place: String, $grid: String, $point: PointInput, $category: String, "
    "$at: Date) { responsible(place: $place, grid: $grid, point: $point, category: $category, "
    "at: $at) { ...Answer } }" + FIELDS
)
BATCH_QUERY = (
    "query RouteMany($requests: [RoutingRequestInput!]!) { responsibleMany(requests: "
    "$requests) { index error { code message } responsibility { ...Answer } } }" + FIELDS
)

Outcome = Responsibility | GridregError


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.routing_batch",
        description="N responsible requests one by one versus one responsibleMany batch, in "
        "process and over HTTP (and on Neo4j when asked); prints one JSON document. "
        "WARNING: --neo4j ERASES ALL DATA in that store (it loads the demo county).",
    )
    parser.add_argument("--requests", type=int, default=1000, help="N (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds (default 3)")
    parser.add_argument("--seed", type=int, default=DEMO_SEED, help="RNG seed of the mix")
    parser.add_argument(
        "--smoke", action="store_true", help=f"{SMOKE_REQUESTS} requests, one round (for CI)"
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--neo4j", metavar="URL", help="also on this Neo4j (ERASED), bolt://...")
    where.add_argument(
        "--start-neo4j",
        action="store_true",
        help="also on a throwaway Neo4j (scripts/neo4j/neo4j, free port, temporary home), "
        "stopped at the end",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.requests, args.rounds = SMOKE_REQUESTS, 1
    if args.requests < 1 or args.rounds < 1:
        parser.error("--requests and --rounds must be at least 1")
    return args


# ---------------------------------------------------------------------------- the workload


def routing_mix(
    store: GraphStore, count: int, seed: int
) -> tuple[list[RoutingRequest], dict[str, int]]:
    """``count`` requests drawn from the demo county with ``random.Random(seed)``, and how many
    of each subject kind (hamlet, village, grid, point) and without a category."""
    rng = random.Random(seed)
    places = [p for p in store.scan(Place) if p.code.startswith(DEMO_COUNTY[:6])]  # its own
    hamlets = [p.code for p in places if p.level is Level.HAMLET]
    villages = [p.code for p in places if p.level is Level.VILLAGE]
    grids = [g for g in store.scan(Grid) if g.county == DEMO_COUNTY]
    lowest = max(g.tier for g in grids)
    leaves = [g.code for g in grids if g.tier == lowest]
    categories = [c.code for c in store.scan(Category)]
    mix = dict.fromkeys(("hamlet", "village", "grid", "point", "no_category"), 0)
    requests = []
    for _ in range(count):
        draw = rng.random()
        category = None if rng.random() < NO_CATEGORY else rng.choice(categories)
        mix["no_category"] += category is None
        if draw < POINTS:
            point = Point(round(rng.uniform(*LON), 6), round(rng.uniform(*LAT), 6))
            requests.append(RoutingRequest(point=point, category=category, at=DEMO_TODAY))
            mix["point"] += 1
        elif draw < POINTS + GRIDS:
            requests.append(
                RoutingRequest(grid=rng.choice(leaves), category=category, at=DEMO_TODAY)
            )
            mix["grid"] += 1
        elif draw < POINTS + GRIDS + VILLAGES:
            requests.append(
                RoutingRequest(place=rng.choice(villages), category=category, at=DEMO_TODAY)
            )
            mix["village"] += 1
        else:
            requests.append(
                RoutingRequest(place=rng.choice(hamlets), category=category, at=DEMO_TODAY)
            )
            mix["hamlet"] += 1
    return requests, mix


def warmup_mix(store: GraphStore, seed: int) -> list[RoutingRequest]:
    """A few requests of every kind other than the measured ones (another seed), with a point
    first so the boundary index is built before any measurement."""
    requests, _ = routing_mix(store, 20, seed + 1)
    point = RoutingRequest(point=Point(sum(LON) / 2, sum(LAT) / 2), at=DEMO_TODAY)
    return [point, *requests]


def chunks(items: Sequence[Any], size: int = MAX_BATCH) -> Iterator[Sequence[Any]]:
    """``items`` in slices of at most ``size``."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ---------------------------------------------------------------------------- in process


def singles(store: GraphStore, requests: Sequence[RoutingRequest]) -> list[Outcome]:
    """``responsible_for`` once per request (an error is the outcome, as in a batch)."""
    out: list[Outcome] = []
    for r in requests:
        try:
            out.append(
                responsible_for(
                    store,
                    place=r.place,
                    grid=r.grid,
                    category=r.category,
                    at=r.at,
                    point=r.point,
                    near_metres=r.near_metres,
                )
            )
        except GridregError as exc:
            out.append(exc)
    return out


def batch(store: GraphStore, requests: Sequence[RoutingRequest]) -> list[Outcome]:
    """``responsible_many`` per chunk of at most ``MAX_BATCH`` requests."""
    out: list[Outcome] = []
    for part in chunks(requests):
        out.extend(responsible_many(store, part))
    return out


def same(a: Outcome, b: Outcome) -> bool:
    """Equal answers, or errors of the same type and message."""
    if isinstance(a, GridregError) or isinstance(b, GridregError):
        return type(a) is type(b) and str(a) == str(b)
    return a == b


@dataclass
class Way:
    """The rounds of one way of answering: seconds (and Neo4j round trips) of each."""

    seconds: list[float] = field(default_factory=list)
    round_trips: list[int] = field(default_factory=list)

    def figures(self, count: int, unit: str) -> dict[str, Any]:
        """Fastest round, per request in ``unit`` (``us`` or ``ms``), every round."""
        best = min(self.seconds)
        scale = 1e6 if unit == "us" else 1e3
        out: dict[str, Any] = {
            "seconds": round(best, 4),
            f"per_request_{unit}": round(best * scale / count, 3),
            "rounds_seconds": [round(s, 4) for s in self.seconds],
        }
        if self.round_trips:
            out["round_trips"] = self.round_trips[0]
            out["round_trips_per_request"] = round(self.round_trips[0] / count, 3)
            out["round_trips_every_round"] = self.round_trips
        return out


def ratio(a: float, b: float) -> float | None:
    """``a / b`` rounded, or None when ``b`` is 0."""
    return round(a / b, 2) if b else None


def compare_inprocess(
    store: GraphStore,
    requests: Sequence[RoutingRequest],
    warmup: Sequence[RoutingRequest],
    rounds: int,
    unit: str,
    reference: list[Outcome] | None = None,
) -> tuple[dict[str, Any], list[Outcome]]:
    """Singles versus batch on ``store``: the case's figures and the batch's answers.
    ``reference`` (the embedded store's answers) is compared with, when given."""
    singles(store, warmup)
    batch(store, warmup)
    ways = {"singles": Way(), "batch": Way()}
    answers: dict[str, list[Outcome]] = {}
    counted = hasattr(store, "round_trips")
    order = [("singles", singles), ("batch", batch)]
    for turn in range(rounds):  # alternate which way goes first
        for name, run in order if turn % 2 == 0 else order[::-1]:
            trips = getattr(store, "round_trips", 0)
            t0 = time.perf_counter()
            answers[name] = run(store, requests)
            ways[name].seconds.append(time.perf_counter() - t0)
            if counted:
                ways[name].round_trips.append(getattr(store, "round_trips", 0) - trips)
    one, many = answers["singles"], answers["batch"]
    differ = [i for i, (a, b) in enumerate(zip(one, many, strict=True)) if not same(a, b)]
    count = len(requests)
    case: dict[str, Any] = {
        "requests": count,
        "singles": ways["singles"].figures(count, unit),
        "batch": ways["batch"].figures(count, unit),
        "singles_vs_batch": ratio(min(ways["singles"].seconds), min(ways["batch"].seconds)),
        "errors": sum(isinstance(a, GridregError) for a in many),
        "answers_matched": len(many) == count and not differ,
        "differing": differ[:10],
    }
    if counted:
        case["round_trips_singles_vs_batch"] = ratio(
            ways["singles"].round_trips[0], ways["batch"].round_trips[0]
        )
    if reference is not None:
        case["matches_embedded"] = all(same(a, b) for a, b in zip(many, reference, strict=True))
    return case, many


# ---------------------------------------------------------------------------- over HTTP


def variables(r: RoutingRequest) -> dict[str, Any]:
    """The GraphQL variables of one request (also an item of ``responsibleMany``)."""
    point = None if r.point is None else {"lon": r.point.lon, "lat": r.point.lat}
    at = None if r.at is None else r.at.isoformat()
    return {"place": r.place, "grid": r.grid, "point": point, "category": r.category, "at": at}


def post(client: httpx.Client, query: str, values: dict[str, Any]) -> tuple[int, Any]:
    """POST one GraphQL request: the status and the parsed body."""
    response = client.post("/graphql", json={"query": query, "variables": values})
    return response.status_code, response.json()


def http_singles(client: httpx.Client, requests: Sequence[RoutingRequest]) -> list[tuple[int, Any]]:
    """One ``responsible`` POST per request, in turn, over the client's one connection."""
    return [post(client, SINGLE_QUERY, variables(r)) for r in requests]


def http_batch(client: httpx.Client, requests: Sequence[RoutingRequest]) -> list[tuple[int, Any]]:
    """One ``responsibleMany`` POST per chunk of at most ``MAX_BATCH`` requests."""
    return [
        post(client, BATCH_QUERY, {"requests": [variables(r) for r in part]})
        for part in chunks(requests)
    ]


def single_answers(responses: list[tuple[int, Any]]) -> tuple[list[Any], list[str]]:
    """The ``responsible`` answers of single responses, and what was wrong with them."""
    wrong, out = [], []
    for i, (status, body) in enumerate(responses):
        if status != 200 or body.get("errors") or not (body.get("data") or {}).get("responsible"):
            wrong.append(f"single {i}: status {status}, {str(body)[:200]}")
        out.append(((body or {}).get("data") or {}).get("responsible"))
    return out, wrong


def batch_answers(responses: list[tuple[int, Any]], count: int) -> tuple[list[Any], list[str]]:
    """The responsibilities of batch responses (in request order), and what was wrong."""
    wrong, out = [], []
    for part, (status, body) in enumerate(responses):
        items = ((body or {}).get("data") or {}).get("responsibleMany") or []
        if status != 200 or body.get("errors"):
            wrong.append(f"batch {part}: status {status}, {str(body)[:200]}")
        expected = min(MAX_BATCH, count - part * MAX_BATCH)
        if len(items) != expected:
            wrong.append(f"batch {part}: {len(items)} results for {expected} requests")
        for i, item in enumerate(items):
            if item["index"] != i or item["error"] is not None or not item["responsibility"]:
                wrong.append(f"batch {part} item {i}: {str(item)[:200]}")
            out.append(item["responsibility"])
    return out, wrong


def http_case(
    requests: Sequence[RoutingRequest], warmup: Sequence[RoutingRequest], rounds: int, folder: Path
) -> dict[str, Any]:
    """Case 2: ``gridreg serve --demo`` (embedded store) in a subprocess, singles vs batch."""
    argv = [sys.executable, "-m", "gridreg_cli", "serve", "--demo", "--store", "memory://"]
    server = Server("service", argv, folder / "service.log")
    ways = {"singles": Way(), "batch": Way()}
    responses: dict[str, list[tuple[int, Any]]] = {}
    sizes: list[int] = []
    try:
        server.start()
        with httpx.Client(base_url=server.base, timeout=300) as client:
            http_singles(client, warmup)
            http_batch(client, warmup)
            runs: dict[str, Callable[[httpx.Client, Sequence[RoutingRequest]], Any]] = {
                "singles": http_singles,
                "batch": http_batch,
            }
            for turn in range(rounds):  # alternate which way goes first
                for name in runs if turn % 2 == 0 else list(runs)[::-1]:
                    run = runs[name]
                    t0 = time.perf_counter()
                    responses[name] = run(client, requests)
                    ways[name].seconds.append(time.perf_counter() - t0)
            for part in chunks(requests):  # the size of a batch response, untimed
                body = {
                    "query": BATCH_QUERY,
                    "variables": {"requests": [variables(r) for r in part]},
                }
                sizes.append(len(client.post("/graphql", json=body).content))
    finally:
        server.stop()
    count = len(requests)
    one, wrong = single_answers(responses["singles"])
    many, wrong_many = batch_answers(responses["batch"], count)
    wrong += wrong_many
    differ = [i for i, (a, b) in enumerate(zip(one, many, strict=False)) if a != b]
    valid = not wrong and len(many) == count
    return {
        "requests": count,
        "singles": {**ways["singles"].figures(count, "ms"), "posts": count},
        "batch": {
            **ways["batch"].figures(count, "ms"),
            "posts": len(responses["batch"]),
            "response_bytes": sum(sizes),
        },
        "singles_vs_batch": ratio(min(ways["singles"].seconds), min(ways["batch"].seconds)),
        "responses_valid": valid,
        "problems": wrong[:10],
        "items_compared": min(len(one), len(many)),
        "answers_matched": valid and not differ,
        "differing": differ[:10],
    }


def graphql_case(
    store: GraphStore,
    requests: Sequence[RoutingRequest],
    warmup: Sequence[RoutingRequest],
    rounds: int,
) -> dict[str, Any]:
    """Case 3: the HTTP case's queries executed by the schema in this process (one event
    loop), on the embedded ``store``; every result must be free of errors."""

    async def execute(query: str, values: dict[str, Any]) -> None:
        result = await schema.execute(query, variable_values=values, context_value=Context(store))
        if result.errors or not result.data:
            raise RuntimeError(f"GraphQL errors in process: {result.errors}")

    async def one_by_one(items: Sequence[RoutingRequest]) -> None:
        for r in items:
            await execute(SINGLE_QUERY, variables(r))

    async def together(items: Sequence[RoutingRequest]) -> None:
        for part in chunks(items):
            await execute(BATCH_QUERY, {"requests": [variables(r) for r in part]})

    async def measure() -> dict[str, Way]:
        await one_by_one(warmup)
        await together(warmup)
        ways = {"singles": Way(), "batch": Way()}
        order = [("singles", one_by_one), ("batch", together)]
        for turn in range(rounds):  # alternate which way goes first
            for name, run in order if turn % 2 == 0 else order[::-1]:
                t0 = time.perf_counter()
                await run(requests)
                ways[name].seconds.append(time.perf_counter() - t0)
        return ways

    ways = asyncio.run(measure())
    count = len(requests)
    return {
        "requests": count,
        "singles": ways["singles"].figures(count, "ms"),
        "batch": ways["batch"].figures(count, "ms"),
        "singles_vs_batch": ratio(min(ways["singles"].seconds), min(ways["batch"].seconds)),
    }


# ---------------------------------------------------------------------------- Neo4j


def neo4j_case(
    url: str,
    requests: Sequence[RoutingRequest],
    warmup: Sequence[RoutingRequest],
    rounds: int,
    reference: list[Outcome],
) -> dict[str, Any]:
    """Case 4: erase the store at ``url``, load the demo, then singles vs batch on it."""
    loaded = load_neo4j(url)
    with open_store(url) as store:
        case, _ = compare_inprocess(store, requests, warmup, rounds, "ms", reference)
        case["prefetch_responsible"] = hasattr(store, "prefetch_responsible")
        case["prefetch_responsible_many"] = hasattr(store, "prefetch_responsible_many")
    return {"demo_loaded": loaded, **case}


# ---------------------------------------------------------------------------- the document


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def run(args: argparse.Namespace, folder: Path, neo4j_url: str | None) -> dict[str, Any]:
    """All cases; the JSON document."""
    store = open_store("memory://")
    load_demo(store)
    requests, mix = routing_mix(store, args.requests, args.seed)
    warmup = warmup_mix(store, args.seed)
    embedded, reference = compare_inprocess(store, requests, warmup, args.rounds, "us")
    graphql = graphql_case(store, requests, warmup, args.rounds)
    served = http_case(requests, warmup, args.rounds, folder)
    neo4j = None
    if neo4j_url is not None:
        neo4j = neo4j_case(neo4j_url, requests, warmup, args.rounds, reference)
    checks = {
        "embedded_answers_matched": embedded["answers_matched"],
        "http_responses_valid": served["responses_valid"],
        "http_answers_matched": served["answers_matched"],
    }
    if neo4j is not None:
        checks["neo4j_answers_matched"] = neo4j["answers_matched"]
        checks["neo4j_matches_embedded"] = neo4j["matches_embedded"]
    ratios = {
        "embedded_singles_vs_batch": embedded["singles_vs_batch"],
        "graphql_singles_vs_batch": graphql["singles_vs_batch"],
        "http_singles_vs_batch": served["singles_vs_batch"],
    }
    if neo4j is not None:
        ratios["neo4j_singles_vs_batch"] = neo4j["singles_vs_batch"]
        ratios["neo4j_round_trips_singles_vs_batch"] = neo4j["round_trips_singles_vs_batch"]
    return {
        "benchmark": "routing_batch",
        "machine": machine(),
        "baseline_rule": BASELINE_RULE,
        "settings": {
            "requests": args.requests,
            "rounds": args.rounds,
            "smoke": args.smoke,
            "seed": args.seed,
            "at": DEMO_TODAY.isoformat(),
            "max_batch": MAX_BATCH,
            "mix": mix,
            "warmup_requests": len(warmup),
            "reported": "fastest round of each way",
            "neo4j": None
            if neo4j_url is None
            else ("started by the benchmark" if args.start_neo4j else neo4j_url),
            "http_single_query": SINGLE_QUERY,
            "http_batch_query": BATCH_QUERY,
        },
        "embedded": embedded,
        "graphql": graphql,
        "http": served,
        "neo4j": neo4j,
        "ratios": ratios,
        "validation": {**checks, "all_valid": all(checks.values())},
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the JSON document; 1 if any answer was wrong."""
    args = parse(argv)
    neo4j = Neo4jServer() if args.start_neo4j else None
    with tempfile.TemporaryDirectory(prefix="gridreg-bench-") as tmp:
        try:
            if neo4j is not None:
                neo4j.start()
            document = run(args, Path(tmp), neo4j.url if neo4j else args.neo4j)
        finally:
            if neo4j is not None:
                neo4j.stop()
    print(json.dumps(document, indent=2, ensure_ascii=False))
    if not document["validation"]["all_valid"]:
        print("bench: WRONG OR DIFFERING ANSWERS: the figures are not valid", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
