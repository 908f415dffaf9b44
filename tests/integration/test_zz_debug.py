from sqlalchemy import inspect as sa_inspect
from backend.models import Rubric
from tests.integration.test_authorization_matrix import ACTORS, world  # noqa
from tests.integration.test_authorization_matrix import _operations, _outcome


def test_debug(db, world):
    row = _operations()["get_rubric"]
    for name in ACTORS:
        keys = [k for k in db.identity_map.keys() if k[0] is Rubric]
        print(name, "before", keys)
        try:
            print(_outcome(db, lambda a: row.call(row.function, db, world, a), world.users[name]))
        except Exception as e:
            print("ERR", type(e), str(e)[:100])
        keys = [k for k in db.identity_map.keys() if k[0] is Rubric]
        print(
            name,
            "after",
            keys,
            [
                (sa_inspect(o).persistent, sa_inspect(o).transient, sa_inspect(o).deleted)
                for k, o in db.identity_map.items()
                if k[0] is Rubric
            ],
        )
