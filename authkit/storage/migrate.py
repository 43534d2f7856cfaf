"""Additive migrations: create missing tables, add missing columns and indexes.

Like Better Auth's ``getMigrations`` it never drops, renames or retypes anything, so it is
safe to run at every start, on a database Better Auth created, and twice in a row (the
second run does nothing). Columns added to an existing table are nullable: a populated table
has no value to backfill, and Better Auth's own migrator warns about exactly that case;
the application enforces ``required`` on new rows.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Connection, Engine, Table, inspect
from sqlalchemy.schema import AddConstraint, ForeignKeyConstraint

from .tables import Tables, index_name


def migrate(engine: Engine, tables: Tables) -> list[str]:
    """Bring the database up to ``tables``; return one line per change made."""
    done: list[str] = []
    with engine.begin() as conn:
        existing = set(inspect(conn).get_table_names())
        for table in tables.metadata.sorted_tables:
            if table.name not in existing:
                table.create(conn)
                done.append(f"create table {table.name}")
                continue
            done.extend(_complete_table(conn, table))
    return done


def _complete_table(conn: Connection, table: Table) -> list[str]:
    inspector = inspect(conn)
    done: list[str] = []
    present = {c["name"] for c in inspector.get_columns(table.name)}
    for column in table.columns:
        if column.name not in present:
            _add_column(conn, table, column)
            done.append(f"add column {table.name}.{column.name}")
    inspector = inspect(conn)  # fresh: the cache does not see the columns just added
    indexes = inspector.get_indexes(table.name)
    names = {ix["name"] for ix in indexes}
    unique_sets = {tuple(ix["column_names"]) for ix in indexes if ix.get("unique")}
    unique_sets |= {tuple(uc["column_names"]) for uc in inspector.get_unique_constraints(table.name)}
    if conn.dialect.name == "sqlite":
        unique_sets |= _sqlite_auto_unique(conn, table.name)
    for index in table.indexes:
        if conn.dialect.name not in index.info.get("dialects", (conn.dialect.name,)):
            continue  # e.g. a PostgreSQL-only pattern index (IndexSpec.pattern)
        if index.name not in names:
            index.create(conn)
            done.append(f"create index {index.name}")
    for column in table.columns:
        if column.unique and (column.name,) not in unique_sets:
            name = index_name(table.name, column.name, unique=True)
            preparer = conn.dialect.identifier_preparer
            # Raw DDL: an Index object would attach itself to the shared metadata.
            conn.exec_driver_sql(
                f"CREATE UNIQUE INDEX {preparer.quote(name)} ON "
                f"{preparer.format_table(table)} ({preparer.format_column(column)})"
            )
            done.append(f"create unique index {name}")
    return done


def _add_column(conn: Connection, table: Table, column: Column[Any]) -> None:
    preparer = conn.dialect.identifier_preparer
    ddl = (
        f"ALTER TABLE {preparer.format_table(table)} ADD COLUMN "
        f"{preparer.format_column(column)} {column.type.compile(dialect=conn.dialect)}"
    )
    fks = list(column.foreign_keys)
    if fks and conn.dialect.name == "sqlite":
        # SQLite cannot add a constraint later, but takes an inline REFERENCES on a
        # nullable column.
        fk = fks[0]
        ddl += (
            f" REFERENCES {preparer.format_table(fk.column.table)} "
            f"({preparer.format_column(fk.column)}) ON DELETE CASCADE"
        )
    conn.exec_driver_sql(ddl)
    if fks and conn.dialect.name != "sqlite":
        constraint = fks[0].constraint
        if isinstance(constraint, ForeignKeyConstraint):
            conn.execute(AddConstraint(constraint))


def _sqlite_auto_unique(conn: Connection, table: str) -> set[tuple[str, ...]]:
    # Inline ``unique`` (Better Auth's DDL) makes a sqlite_autoindex_*, which SQLAlchemy's
    # reflection leaves out of get_indexes.
    out: set[tuple[str, ...]] = set()
    quoted = conn.dialect.identifier_preparer.quote(table)
    for row in conn.exec_driver_sql(f"PRAGMA index_list({quoted})").all():
        name, unique = row[1], row[2]
        if unique:
            info = conn.exec_driver_sql(
                f"PRAGMA index_info({conn.dialect.identifier_preparer.quote(name)})"
            ).all()
            out.add(tuple(r[2] for r in info))
    return out
