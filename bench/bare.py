"""The floor under intake: a DRF endpoint with the project's authentication that stores one row and nothing else.

`POST /bench/bare/` (only under govdesk.settings.bench, through bench/urls.py) takes {"title": …}, INSERTs it into the
table `bench_bare` (created with raw SQL by bench/intake.py, not a model: the product has no migration for it) and
answers 201 {"id": …}. bench/intake.py --bare compares the intake rate with this one: what is left between them is
what registering an order costs beyond HTTP, authentication, JSON parsing and one committed INSERT.
"""

from __future__ import annotations

from django.db import connection, transaction
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

CREATE_TABLE_SQL = {
    "postgresql": "CREATE TABLE IF NOT EXISTS bench_bare (id BIGSERIAL PRIMARY KEY, title TEXT NOT NULL)",
    "sqlite": "CREATE TABLE IF NOT EXISTS bench_bare (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL)",
}


def bare_table_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(CREATE_TABLE_SQL[connection.vendor])


class BareInsertApi(APIView):
    permission_classes = [IsAuthenticated]

    def post(self, request: Request) -> Response:
        title = str(request.data.get("title", ""))[:200] if hasattr(request.data, "get") else ""
        # One transaction as the intake has (ATOMIC_REQUESTS is off), so both pay one commit.
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("INSERT INTO bench_bare (title) VALUES (%s) RETURNING id", [title])
                row_id = cursor.fetchone()[0]
            else:
                cursor.execute("INSERT INTO bench_bare (title) VALUES (%s)", [title])
                row_id = cursor.lastrowid
        return Response({"id": row_id}, status=201)
