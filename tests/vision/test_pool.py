"""The pool that lends LiteRT interpreters and YuNets to one thread at a time."""
import threading
from concurrent.futures import ThreadPoolExecutor

from app.vision.pool import ObjectPool


def test_callers_at_the_same_time_never_share_an_object():
    pool = ObjectPool(object)
    holders: dict[int, int] = {}
    clash = threading.Event()
    lock = threading.Lock()
    all_in = threading.Barrier(4)

    def borrow(_):
        with pool.borrowed() as item:
            with lock:
                if id(item) in holders:
                    clash.set()
                holders[id(item)] = threading.get_ident()
            all_in.wait(timeout=5)  # four callers hold their objects at once
            with lock:
                del holders[id(item)]

    with ThreadPoolExecutor(max_workers=4) as executor:
        list(executor.map(borrow, range(4)))
    assert not clash.is_set()
    assert pool.created == 4


def test_objects_are_reused_one_after_another():
    pool = ObjectPool(object)
    with pool.borrowed() as first:
        pass
    with pool.borrowed() as second:
        assert second is first
    assert pool.created == 1


def test_an_object_comes_back_even_when_its_user_fails():
    pool = ObjectPool(object)
    try:
        with pool.borrowed() as first:
            raise ValueError("analysis failed")
    except ValueError:
        pass
    with pool.borrowed() as again:
        assert again is first


def test_a_limited_pool_never_builds_more_than_its_limit():
    pool = ObjectPool(object, limit=2)
    inside = []
    most = [0]
    lock = threading.Lock()

    def borrow(_):
        with pool.borrowed():
            with lock:
                inside.append(1)
                most[0] = max(most[0], len(inside))
            threading.Event().wait(0.01)
            with lock:
                inside.pop()

    with ThreadPoolExecutor(max_workers=6) as executor:
        list(executor.map(borrow, range(30)))
    assert pool.created <= 2
    assert most[0] <= 2
