"""Errors shared by every access function and service: the same "not found" for records
that do not exist and records the actor may not see (no existence leak)."""


class NotFound(Exception):
    code = "not_found"

    def __init__(self, what: str = "record") -> None:
        super().__init__(f"No such {what}.")
        self.message = f"No such {what}."
