"""The session engine (``SESSION_ENGINE``): Django's database sessions, the session read on every
request written as one compiled statement.

Every request of a signed-in user reads its session row; through the ORM, building and compiling
that ``get`` cost more than the query itself (a scan is one request). The read is the same
(the row whose key is the cookie's and whose expiry is in the future, its data decoded as before); a
missing or expired row leaves the session empty with no key, as Django's own store does. Writes,
expiry and clean-up are Django's (``django.contrib.sessions.backends.db``), on the same table, so
sessions made before the switch keep working."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if key is None:  # no cookie, or not a valid key: no row can match
            return None
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        quote = connection.ops.quote_name
        opts = model._meta
        sql = "SELECT {} FROM {} WHERE {} = %s AND {} > %s".format(
            quote(str(opts.get_field("session_data").column)),
            quote(opts.db_table),
            quote(str(opts.get_field("session_key").column)),
            quote(str(opts.get_field("expire_date").column)),
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=key, session_data=row[0])
