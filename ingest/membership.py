"""Scale-out: the pipeline workers of one group divide a site's cameras through a Kafka consumer
group. Cameras are hashed onto the partitions of the cameras topic; Kafka's group coordinator
assigns the partitions to the live workers (no home-made election); a worker runs the cameras of
its partitions, and on a rebalance stops the ones it loses and starts the ones it gains. A worker
that dies stops heartbeating and its partitions move to the others after the session timeout."""

from __future__ import annotations

import logging
import threading
import zlib
from collections.abc import Callable

from kafka import ConsumerRebalanceListener, KafkaConsumer

log = logging.getLogger(__name__)


def camera_partition(camera_id: str, partitions: int) -> int:
    """Stable across processes and Python versions (unlike ``hash``)."""
    return zlib.crc32(camera_id.encode()) % partitions


class _Listener(ConsumerRebalanceListener):
    def __init__(self, membership: CameraMembership):
        self.membership = membership

    def on_partitions_revoked(self, revoked) -> None:
        self.membership._changed(set(), {tp.partition for tp in revoked})

    def on_partitions_assigned(self, assigned) -> None:
        self.membership._changed({tp.partition for tp in assigned}, set())


class CameraMembership:
    """Joins ``group`` on ``topic``; calls ``on_assign(camera_ids)`` and ``on_revoke(camera_ids)``
    from its own thread as partitions come and go."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        group: str,
        worker_id: str,
        camera_ids: list[str],
        on_assign: Callable[[list[str]], None],
        on_revoke: Callable[[list[str]], None],
        session_timeout_s: float = 10,
    ):
        self.topic, self.camera_ids = topic, list(camera_ids)
        self.on_assign, self.on_revoke = on_assign, on_revoke
        self.rebalances = 0
        self.partitions: set[int] = set()
        self.consumer = KafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group,
            client_id=worker_id,
            enable_auto_commit=False,
            session_timeout_ms=int(session_timeout_s * 1000),
            heartbeat_interval_ms=int(session_timeout_s * 250),
            max_poll_interval_ms=max(60000, int(session_timeout_s * 1000)),
        )
        self.count = len(self.consumer.partitions_for_topic(topic) or ()) or 1
        self.consumer.subscribe([topic], listener=_Listener(self))
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="membership", daemon=True)

    def cameras_of(self, partitions: set[int]) -> list[str]:
        return [c for c in self.camera_ids if camera_partition(c, self.count) in partitions]

    def _changed(self, gained: set[int], lost: set[int]) -> None:
        self.rebalances += 1
        if lost:
            self.partitions -= lost
            cameras = self.cameras_of(lost)
            log.info("rebalance: giving up %d camera(s): %s", len(cameras), cameras)
            self.on_revoke(cameras)
        if gained:
            self.partitions |= gained
            cameras = self.cameras_of(gained)
            log.info("rebalance: taking %d camera(s): %s", len(cameras), cameras)
            self.on_assign(cameras)

    def start(self) -> None:
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.consumer.poll(timeout_ms=500)  # keeps the membership; rebalances run in here
            except Exception as error:  # noqa: BLE001 - the broker may be away: keep trying
                log.warning("group membership: %s; retrying", error)
                self._stop.wait(2)

    def stop(self) -> None:
        """Leave the group (the others take the cameras at once) after the caller gave them up."""
        self._stop.set()
        self.thread.join(10)
        self.consumer.close()
