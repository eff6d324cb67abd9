"""A hall's queue-ticket and rating system for the demo (排队叫号、好差评): it posts realistic events
for the scripted hall (``ingest.scripted_hall``) to the intake, in step with its ten-minute cycles —
citizens take tickets through each service period, are called to a window whose clerk is there,
served for one to three minutes and mostly rate well; in every cycle one ticket is called to window 3
after its clerk has gone (叫号无人) and one citizen gives a poor rating (差评). The footage's hall
(configs/demo.yaml) gets one ticket a cycle at its window 1, rated poorly: with the footage served as
a live camera (``make demo``), its 差评 alert carries the recorded clip from the call to the finish.

    python -m ingest.ticket_simulator --url http://127.0.0.1:8080 --start 2026-03-02T09:01:00+08:00 \\
        [--cycles 6] [--history]      # token: HALLWATCH_INTEGRATION_DEMO_QUEUE_TOKEN
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta

import httpx

from configs.env import integration_token_variable
from ingest import scripted_hall as sh

INTEGRATION = "demo-queue"
SERVICES = ("社保", "医保", "公积金", "户籍", "不动产", "营业执照")
# When each window's clerk is at the post in a cycle (seconds), from the scripted hall's own paths.
PRESENT = sh.post_spans(sh.demo_actors())
SETTLE_S = 3.0
FOOTAGE_HALL = "lianhua-center"  # configs/demo.yaml's hall, whose camera plays the real footage


def cycle_events(start: datetime, cycle: int, rng: random.Random) -> list[dict]:
    """The events of one cycle from ``start`` (its period times from ``ingest.scripted_hall``)."""
    base = start + timedelta(seconds=cycle * sh.CYCLE_S)
    events: list[dict] = []
    free_at = dict.fromkeys(PRESENT, 0.0)
    number = 0

    def add(kind: str, at: float, **fields) -> None:
        events.append({"id": f"demo-{base:%Y%m%d%H%M}-{len(events):03d}", "kind": kind, "hall": sh.HALL_ID,
                       "at": (base + timedelta(seconds=at)).isoformat(), **fields})  # fmt: skip

    for period_start, period_end in sh.PERIODS_S:
        t = period_start + rng.uniform(5, 20)
        while t < period_end - 30:
            number += 1
            ticket = f"A{cycle * 100 + number:03d}"
            add("ticket_issued", t, ticket=ticket, service=rng.choice(SERVICES))
            ready = t + rng.uniform(20, 60)
            offers = []  # (when, window): the earliest a clerk who is there and free can call
            for window, spans in PRESENT.items():
                for a, b in spans:
                    call = max(ready, free_at[window], a + SETTLE_S)  # a clerk sits down before calling
                    if call + 60 <= b - SETTLE_S and call < period_end:
                        offers.append((call, window))
                        break
            if offers:
                call, window = min(offers)
                served = rng.uniform(60, 150)
                add("ticket_called", call, window=window, ticket=ticket)
                add("ticket_finished", call + served, window=window, ticket=ticket)
                add("rating", call + served + 5, window=window, ticket=ticket, score=rng.choice((4, 5, 5, 5)))
                free_at[window] = call + served + 10
            t += rng.uniform(25, 70)
    # Window 3's clerk left at +4:05 for good: a citizen is called there at +6:00 (叫号无人).
    number += 1
    add("ticket_issued", 330, ticket=f"A{cycle * 100 + number:03d}", service="社保")
    add("ticket_called", 360, window="w3", ticket=f"A{cycle * 100 + number:03d}")
    # And one citizen of window 2 is not satisfied (差评).
    add("rating", 420, window="w2", score=rng.choice((1, 2)), comment="等候时间太长，窗口人员离开很久")
    # The footage's hall: a citizen at window 1 from +1:30 to +2:20, then a 差评 (its clip recorded).
    ticket = f"B{cycle + 1:03d}"
    add("ticket_issued", 60, ticket=ticket, service="不动产", hall=FOOTAGE_HALL)
    add("ticket_called", 90, window="w1", ticket=ticket, hall=FOOTAGE_HALL)
    add("ticket_finished", 140, window="w1", ticket=ticket, hall=FOOTAGE_HALL)
    add("rating", 150, window="w1", ticket=ticket, score=1, comment="办理人员态度冷淡", hall=FOOTAGE_HALL)
    return sorted(events, key=lambda e: e["at"])


def all_events(start: datetime, cycles: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    return [e for k in range(cycles) for e in cycle_events(start, k, rng)]


def send(client: httpx.Client, url: str, token: str, events: list[dict]) -> None:
    for i in range(0, len(events), 500):
        r = client.post(f"{url}/api/integrations/service-events", json={"events": events[i : i + 500]},
                        headers={"Authorization": f"Bearer {token}"})  # fmt: skip
        r.raise_for_status()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.ticket_simulator", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--url", required=True)
    parser.add_argument("--start", required=True)
    parser.add_argument("--cycles", type=int, default=6)
    parser.add_argument("--history", action="store_true", help="send every event at once (a past hour)")
    args = parser.parse_args(argv)
    token = os.environ.get(integration_token_variable(INTEGRATION), "")
    events = all_events(datetime.fromisoformat(args.start), args.cycles)
    with httpx.Client(timeout=10) as client:
        if args.history:
            send(client, args.url, token, events)
            return 0
        for event in events:  # each at its moment, as the hall's system would
            delay = datetime.fromisoformat(event["at"]).timestamp() - time.time()
            if delay > 0:
                time.sleep(delay)
            try:
                send(client, args.url, token, [event])
            except httpx.HTTPError as error:
                print(f"ticket simulator: {error}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
