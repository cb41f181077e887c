"""The ``gridreg`` command: the composition root wiring registry, schema and loaders.

gridreg serve [--store URL] [--demo] [--processes N] [--production]
                                         run the GraphQL service (uvicorn)
gridreg load PATH [--store URL]          import a canonical folder, all or nothing
gridreg export PATH [--store URL]        write the canonical folder
gridreg export FILE --format popolo [--at DATE] [--with-geometry] [--without-contacts]
                                         write Popolo JSON
gridreg demo [--store URL | --out PATH]  create the demo county
gridreg coverage SCOPE [--format F] [--out FILE]  export the coverage gaps (json, csv, xlsx)
gridreg schema                           print the GraphQL SDL
gridreg token create|list|revoke         API tokens (docs/security.md)
"""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from registry.errors import GridregError, InvalidInput, LoadError
from registry.model import Grid, Place
from registry.queries.coverage import EXPIRING_DAYS
from registry.settings import Settings
from registry.store import GraphStore, open_store

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="gridreg: registry of grassroots governance grids, served over GraphQL.",
)
err = Console(stderr=True)
out = Console()

StoreOpt = Annotated[
    str | None,
    typer.Option(
        "--store",
        "-s",
        help="Store URL: sqlite:///PATH (default ./gridreg.db), "
        "memory://, bolt:// or neo4j:// (env GRIDREG_STORE).",
    ),
]


def _open(url: str | None) -> GraphStore:
    settings = Settings()
    options = {}
    target = url or settings.store
    if not target.startswith(("sqlite:", "memory:")):
        options = {
            "user": settings.neo4j_user,
            "password": settings.neo4j_password.get_secret_value()
            if settings.neo4j_password
            else None,
            "database": settings.neo4j_database,
            "retry_seconds": settings.neo4j_retry_seconds,
        }
    return open_store(target, **options)


def _fail(exc: GridregError) -> None:
    if isinstance(exc, LoadError):
        err.print(f"[bold red]refused[/]: {len(exc.issues)} problem(s), nothing was written")
        for issue in exc.issues[:200]:
            err.print(f"  {issue}", markup=False, highlight=False)
    else:
        err.print(f"[bold red]{exc.code}[/]: ", end="")
        err.print(exc.message, markup=False, highlight=False)
    raise typer.Exit(1)


@app.command()
def serve(
    store: StoreOpt = None,
    host: Annotated[str | None, typer.Option(help="Listen address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    demo: Annotated[
        bool, typer.Option(help="Create the demo county if the store is empty.")
    ] = False,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            min=1,
            help="Server processes (Neo4j only: embedded stores are one process each).",
        ),
    ] = 1,
    production: Annotated[
        bool,
        typer.Option(
            "--production",
            help="No GraphiQL, no introspection, no suggestions (env GRIDREG_PRODUCTION=true; "
            "docs/security.md).",
        ),
    ] = False,
) -> None:
    """Run the GraphQL service: /graphql (GraphiQL in a browser) and /healthz."""
    import uvicorn

    from loaders.demo import load_demo

    settings = Settings()
    if production:
        settings = settings.model_copy(update={"production": True})
        os.environ["GRIDREG_PRODUCTION"] = "true"  # for the processes of --processes
    try:
        the_store = _open(store)
        if demo and the_store.count(Place) == 0:
            err.print("creating the demo county 罗城仫佬族自治县 ...")
            load_demo(the_store)
        if processes > 1 and not the_store.remote:
            raise InvalidInput(
                "--processes above 1 needs a shared store (Neo4j): each process would hold "
                "its own copy of an embedded store",
                field="processes",
            )
    except GridregError as exc:
        _fail(exc)
        return
    bind, at = host or settings.host, port or settings.port
    err.print(f"gridreg on http://{bind}:{at}/graphql  (store {the_store.url})")
    if processes > 1:
        the_store.close()
        os.environ["GRIDREG_STORE"] = store or settings.store
        uvicorn.run("gridreg_cli:service", factory=True, host=bind, port=at, workers=processes)
        return
    uvicorn.run(_service(the_store, settings), host=bind, port=at, log_level="info")


def _service(the_store: GraphStore, settings: Settings) -> Any:
    from registry.auth import Authenticator
    from schema.app import create_app
    from schema.guards import Limits

    settings = settings.effective()
    limits = Limits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        budget_ms=settings.budget_ms,
        introspection=settings.introspection,
        suggestions=settings.suggestions,
    )
    app = create_app(
        the_store,
        max_page_size=settings.max_page_size,
        graphiql=settings.graphiql,
        workers=settings.workers,
        limits=limits,
        auth=Authenticator.from_settings(settings),
    )
    # What start-up built (the schema, the app, the modules imported for them; the store
    # freezes what it loaded) lives as long as the service: keep it out of every later
    # collection, so a full collection under load walks only what requests left behind.
    gc.collect()
    gc.freeze()
    return app


def service() -> Any:
    """The app on the store of the settings (the factory each server process calls)."""
    settings = Settings()
    return _service(_open(settings.store), settings)


@app.command()
def load(
    path: Annotated[Path, typer.Argument(help="Folder in the canonical format.")],
    store: StoreOpt = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
) -> None:
    """Import a canonical folder in one all-or-nothing transaction."""
    from loaders.canonical import load_folder

    try:
        with _open(store) as the_store:
            result = load_folder(the_store, path, reason=reason)
    except GridregError as exc:
        _fail(exc)
        return
    out.print(f"loaded {result.written} records from {path} (audit #{result.audit_id})")


@app.command(name="import")
def import_(
    files: Annotated[
        list[Path], typer.Argument(help="XLSX/CSV sheets and GeoJSON boundaries (or folders).")
    ],
    store: StoreOpt = None,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", "-m", help="Mapping file (TOML or JSON) for other layouts."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and show the diff; write nothing.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a machine-readable JSON report.")
    ] = False,
    effective: Annotated[
        str | None,
        typer.Option(
            help="Day the files hold from, YYYY-MM-DD (default today); "
            "terms they no longer list end the day before."
        ),
    ] = None,
    crs: Annotated[
        str | None,
        typer.Option("--crs", help="Coordinates of GeoJSON files declaring none: WGS84 or GCJ02."),
    ] = None,
    reason: Annotated[str, typer.Option(help="Why (kept in the audit log).")] = "",
) -> None:
    """Import county spreadsheets and boundaries: validate all, then write all or nothing
    (docs/import.md)."""
    from datetime import date

    from loaders.spreadsheet.report import run_import

    try:
        try:
            day = date.fromisoformat(effective) if effective else None
        except ValueError:
            raise InvalidInput(
                f"--effective: {effective!r} is not a day (YYYY-MM-DD)", field="effective"
            ) from None
        with _open(store) as the_store:
            code = run_import(
                the_store,
                files,
                out=out,
                err=err,
                mapping=mapping,
                dry_run=dry_run,
                as_json=as_json,
                effective=day,
                crs=crs,
                reason=reason,
            )
    except GridregError as exc:
        _fail(exc)
        return
    if code:
        raise typer.Exit(code)


@app.command()
def export(
    path: Annotated[
        Path, typer.Argument(help="Folder to write (canonical) or JSON file (popolo).")
    ],
    store: StoreOpt = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="canonical (the folder of CSV files, round trip) or popolo (one Popolo JSON "
            "file: persons, organizations, posts, memberships, areas).",
        ),
    ] = "canonical",
    at: Annotated[
        str | None,
        typer.Option(help="popolo: only records in force on this day, YYYY-MM-DD."),
    ] = None,
    with_geometry: Annotated[
        bool, typer.Option("--with-geometry", help="popolo: add the areas' GeoJSON boundaries.")
    ] = False,
    without_contacts: Annotated[
        bool,
        typer.Option("--without-contacts", help="popolo: leave out phone numbers (personal data)."),
    ] = False,
) -> None:
    """Write the whole store in the canonical format, or as Popolo JSON (--format popolo)."""
    from datetime import date

    from loaders.canonical import export_folder
    from loaders.popolo import write_popolo

    try:
        if fmt not in ("canonical", "popolo"):
            raise InvalidInput(f"--format: {fmt!r} is not canonical or popolo", field="format")
        if fmt == "canonical" and (at or with_geometry or without_contacts):
            raise InvalidInput(
                "--at, --with-geometry and --without-contacts need --format popolo", field="format"
            )
        try:
            day = date.fromisoformat(at) if at else None
        except ValueError:
            raise InvalidInput(f"--at: {at!r} is not a day (YYYY-MM-DD)", field="at") from None
        with _open(store) as the_store:
            if fmt == "popolo":
                counts = write_popolo(
                    the_store, path, day, geometry=with_geometry, contacts=not without_contacts
                )
            else:
                counts = export_folder(the_store, path)
    except GridregError as exc:
        _fail(exc)
        return
    table = Table("kind", "records", title=f"exported to {path}")
    for kind, n in counts.items():
        table.add_row(kind, str(n))
    out.print(table)


@app.command()
def demo(
    store: StoreOpt = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write the canonical folder instead of loading into a store."),
    ] = None,
) -> None:
    """Create the demo county (罗城仫佬族自治县, modelled on the real figures)."""
    from loaders.canonical import export_folder
    from loaders.demo import load_demo

    try:
        if out_dir is not None:
            with open_store("memory://") as mem:
                load_demo(mem)
                export_folder(mem, out_dir)
            out.print(f"demo county written to {out_dir}")
            return
        with _open(store) as the_store:
            if the_store.count(Place):
                err.print("[bold red]refused[/]: the store is not empty")
                raise typer.Exit(1)
            result = load_demo(the_store)
            out.print(
                f"demo county loaded: {result.written} records, "
                f"{the_store.count(Place)} places, {the_store.count(Grid)} grids"
            )
    except GridregError as exc:
        _fail(exc)


@app.command()
def generate(
    scale: Annotated[str, typer.Argument(help="county, city, province or national.")],
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 1,
    store: StoreOpt = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write the canonical folder instead of loading into a store."),
    ] = None,
    counties: Annotated[
        int | None, typer.Option(min=1, help="Only the first N counties (for quick tries).")
    ] = None,
) -> None:
    """Generate a synthetic region (deterministic): one transaction per county into the store,
    or a canonical folder with --out. A progress bar shows on a terminal."""
    from loaders.synthetic import profile_of, write_folder, write_to_store

    try:
        profile_of(scale)  # an unknown scale is refused before a store is opened
        if store is not None and out_dir is not None:
            raise InvalidInput("give --store or --out, not both", field="out")
        if out_dir is not None:
            summary = write_folder(out_dir, scale, seed, counties=counties)
            where = str(out_dir)
        else:
            with _open(store) as the_store:
                summary = write_to_store(the_store, scale, seed, counties=counties)
                where = the_store.url
    except GridregError as exc:
        _fail(exc)
        return
    table = Table("figure", "count", title=f"{scale} (seed {seed}) → {where}")
    for name, n in summary.headline.items():
        table.add_row(name, f"{n:,}")
    out.print(table)
    out.print(f"{summary.records:,} records in {summary.seconds:.1f} s")


@app.command()
def coverage(
    scope: Annotated[str, typer.Argument(help="Place code of the scope (e.g. a county).")],
    store: StoreOpt = None,
    template: Annotated[
        str | None,
        typer.Option(help="One role template (default: every template applying to the scope)."),
    ] = None,
    at: Annotated[str | None, typer.Option(help="The day, YYYY-MM-DD (default today).")] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help="json (the whole report), csv (the gaps, UTF-8 with BOM for Excel) or xlsx "
            "(sheets 缺口, 汇总, 未覆盖).",
        ),
    ] = "json",
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write. Without it json and csv go to standard output, and xlsx is "
            "written to coverage-<scope>-<at>.xlsx in the current directory.",
        ),
    ] = None,
    expiring_days: Annotated[
        int, typer.Option(min=0, help="A term ending within this many days is expiring.")
    ] = EXPIRING_DAYS,
    territory: Annotated[
        bool, typer.Option(help="Add the territory report (xlsx sheet 网格问题, json).")
    ] = False,
) -> None:
    """Export the coverage gaps of SCOPE with Chinese headers: json, csv or xlsx.

    Without --out, json and csv go to standard output and xlsx is written to
    coverage-<scope>-<at>.xlsx in the current directory.
    """
    from datetime import date

    from registry.queries.coverage import MET, coverage_report
    from registry.queries.territory import territory_report
    from schema.coverage_export import export_coverage, export_filename, parse_format

    try:
        kind = parse_format(fmt)
        try:
            day = date.fromisoformat(at) if at else None
        except ValueError:
            raise InvalidInput(f"--at: {at!r} is not a day (YYYY-MM-DD)", field="at") from None
        with _open(store) as the_store:
            report = coverage_report(the_store, scope, template, day, expiring_days)
            found = territory_report(the_store, report.scope.code, report.at) if territory else None
            data = export_coverage(report, the_store, kind, found)
    except GridregError as exc:
        _fail(exc)
        return
    target = out_file
    if target is None and kind == "xlsx":
        target = Path(export_filename(report, kind))
    if target is None:
        typer.echo(data, nl=False)
        return
    target.write_bytes(data)
    gaps = sum(1 for e in report.entries if e.status not in MET)
    err.print(
        f"{gaps} gap(s) of {report.scope.name} on {report.at} written to {target}",
        markup=False,
        highlight=False,
    )


token_app = typer.Typer(
    no_args_is_help=True,
    help="API tokens (docs/security.md): create (shown once), list, revoke.",
)
app.add_typer(token_app, name="token")

ActorOpt = Annotated[
    str | None,
    typer.Option(
        "--actor",
        help="Who makes the change, for the audit trail (default: cli:<your login name>).",
    ),
]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why, for the audit trail.")]


def _cli_actor(actor: str | None) -> str:
    import getpass

    if actor and actor.strip():
        return actor.strip()
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who uses it: the actor in the audit trail.")],
    role: Annotated[str, typer.Option(help="viewer, router, editor or admin.")] = "viewer",
    scope: Annotated[
        str | None, typer.Option(help="Place code (a county or township): the editor's subtree.")
    ] = None,
    expires_days: Annotated[
        int | None, typer.Option("--expires-days", min=1, help="Expire after N days.")
    ] = None,
    store: StoreOpt = None,
    actor: ActorOpt = None,
    reason: ReasonOpt = "",
) -> None:
    """Create a token and print it (only its hash is stored: it cannot be shown again)."""
    from datetime import UTC, datetime, timedelta

    from registry.auth import create_token

    expires = None if expires_days is None else datetime.now(UTC) + timedelta(days=expires_days)
    try:
        with _open(store) as the_store:
            text, token = create_token(
                the_store, name, role, scope, expires, actor=_cli_actor(actor), reason=reason
            )
    except GridregError as exc:
        _fail(exc)
        return
    err.print(
        f"token {token.id} for {token.name} ({token.role}, scope {token.scope or 'all'}); "
        "send it as 'Authorization: Bearer <token>'. It is shown only once:",
        markup=False,
        highlight=False,
    )
    typer.echo(text)


@token_app.command("list")
def token_list(store: StoreOpt = None) -> None:
    """List the tokens (never their secrets)."""
    from datetime import UTC, datetime

    try:
        with _open(store) as the_store:
            tokens = the_store.list_tokens()
    except GridregError as exc:
        _fail(exc)
        return
    now = datetime.now(UTC)
    table = Table("name", "role", "scope", "created", "expires", "status")
    table.add_column("id", no_wrap=True)
    for t in tokens:
        status = "revoked" if t.revoked_at else "live"
        if t.revoked_at is None and t.expires_at is not None and t.expires_at <= now:
            status = "expired"
        table.add_row(
            t.name,
            t.role,
            t.scope or "",
            f"{t.created_at:%Y-%m-%d}",
            "" if t.expires_at is None else f"{t.expires_at:%Y-%m-%d}",
            status,
            t.id,
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (or the token itself).")],
    store: StoreOpt = None,
    actor: ActorOpt = None,
    reason: ReasonOpt = "",
) -> None:
    """Revoke a token: requests using it are refused (401) from now on."""
    from datetime import UTC, datetime

    from registry.auth import parse_token
    from registry.errors import NotFound

    parsed = parse_token(token_id.strip())
    key = parsed[0] if parsed else token_id.strip()
    try:
        with _open(store) as the_store:
            revoked = the_store.revoke_token(
                key, datetime.now(UTC), actor=_cli_actor(actor), reason=reason
            )
            if not revoked:
                raise NotFound(f"no live token {key!r}", [key])
    except GridregError as exc:
        _fail(exc)
        return
    out.print(f"token {key} revoked")


@app.command()
def schema() -> None:
    """Print the GraphQL schema (SDL)."""
    from schema.api import schema as the_schema

    sys.stdout.write(the_schema.as_str() + "\n")


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":
    main()
