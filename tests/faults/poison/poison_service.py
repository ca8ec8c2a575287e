"""A backend service that dies on one request: the poison message of the fault test.

It is a Tilts service like the others (Operable, its own database, the runtime's RPC
and queues); only its `echo` takes the whole process down when asked to echo "poison",
as a request that crashes the interpreter or exhausts memory would.
"""

import os

from tilts_runtime import operable
from tilts_runtime.dependencies import EventDispatcher, MongoDatabase
from tilts_runtime.store import Store


class PoisonTarget(operable.Operable):
    name = "poison_target"
    store = MongoDatabase(Store)
    dispatch = EventDispatcher()

    @operable.rpc
    def echo(self, text: str) -> str:
        if text == "poison":
            os._exit(70)
        return text
