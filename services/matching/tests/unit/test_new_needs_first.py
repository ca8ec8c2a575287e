"""Re-matching steps aside for needs just posted (matching.freed.NewNeeds), no broker.

Times here are lower bounds a busy machine cannot shorten, and upper bounds with a wide
margin: the point is whether it waits, not how exactly."""

import time
from types import SimpleNamespace

from matching.freed import QUIET, SHARE, STEP_ASIDE_AT_MOST, NewNeeds


def worker(method_name):
    return SimpleNamespace(entrypoint=SimpleNamespace(method_name=method_name))


def new_needs():
    provider = NewNeeds()
    provider.setup()
    return provider


def waited(provider) -> float:
    began = time.monotonic()
    provider.step_aside()
    return time.monotonic() - began


def test_with_no_new_need_re_matching_goes_on_at_once():
    provider = new_needs()
    provider.worker_setup(worker("on_offer_pledged"))  # other work is no reason to wait
    assert waited(provider) < QUIET


def test_a_need_just_matched_holds_re_matching_until_none_came_for_a_moment():
    provider = new_needs()
    provider.worker_setup(worker("on_need_posted"))
    provider.worker_teardown(worker("on_need_posted"))
    assert QUIET * 0.9 <= waited(provider) < STEP_ASIDE_AT_MOST + 2


def test_a_need_being_matched_holds_re_matching_but_never_for_long():
    provider = new_needs()
    round_ = worker("on_need_posted")
    provider.worker_setup(round_)  # and it never ends
    assert STEP_ASIDE_AT_MOST * 0.9 <= waited(provider) < STEP_ASIDE_AT_MOST + 2
    provider.worker_teardown(round_)
    assert provider.running == {}


def test_under_a_steady_stream_of_needs_re_matching_keeps_a_share_of_the_time():
    provider = new_needs()
    provider.worker_setup(worker("on_need_posted"))  # never ends: always busy
    waited(provider)  # the first wait: a second, re-matching had not run
    began = time.monotonic()
    time.sleep(0.05)  # a round of re-matching
    worked = time.monotonic() - began
    assert waited(provider) < SHARE * worked + 0.15  # SHARE times that, not the cap
    assert waited(provider) < 0.15  # straight after waiting: no work, no wait
