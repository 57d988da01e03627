"""The master keys one instance holds, by key id.

Normally one. During a rotation (ADR 0021) an instance holds the new key and the previous
one, so it opens data keys wrapped by either while the rotation re-wraps them; which key
wraps new data keys is the database's call (`ek_master_key_check`), not the instance's.
"""

from __future__ import annotations

from grassroots_eventkit.personal.cipher import MasterKey, WrongMasterKey


class MasterKeys:
    """Unwraps with whichever held key wrapped a row; names the keys it lacks."""

    __slots__ = ("_by_id", "given")

    def __init__(self, given: MasterKey, previous: MasterKey | None = None) -> None:
        self.given = given  # the settings' key: the first canary of a new database
        held = [given] if previous is None else [given, previous]
        self._by_id = {k.key_id: k for k in held}

    def __repr__(self) -> str:
        return f"MasterKeys({', '.join(self._by_id)})"

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    def get(self, key_id: str) -> MasterKey | None:
        return self._by_id.get(key_id)

    def opening(self, key_id: str | None, check_value: bytes, *, role: str) -> MasterKey:
        """The held key that opens a canary; WrongMasterKey, naming what is missing, if none.
        A canary stored before key ids existed (`key_id` NULL) is tried with every held key."""
        candidates = list(self._by_id.values()) if key_id is None else [self.get(key_id)]
        for key in candidates:
            if key is not None and opens(key, check_value):
                return key
        raise WrongMasterKey(
            f"the database's {role} is master key {key_id or '(from before key ids)'};"
            f" this instance holds {', '.join(self.ids)}. Give it that key"
            " (GRASSROOTS_PERSONAL_DATA_KEY, or GRASSROOTS_PERSONAL_DATA_PREVIOUS_KEY during a"
            " rotation): docs/personal-data.md, Rotating the master key"
        )

    def unwrap(self, subject_id: str, wrapped: bytes, key_id: str | None) -> bytes:
        if key_id is None:  # wrapped before key ids existed: by the database's first key
            for key in self._by_id.values():
                try:
                    return key.unwrap(subject_id, wrapped)
                except WrongMasterKey:
                    continue
            raise WrongMasterKey(
                f"no master key this instance holds ({', '.join(self.ids)}) opens the data"
                f" key of {subject_id}"
            )
        holder = self.get(key_id)
        if holder is None:
            raise WrongMasterKey(
                f"the data key of {subject_id} is wrapped by master key {key_id}, which this"
                f" instance does not hold ({', '.join(self.ids)}): the master key was rotated;"
                " restart this instance with the current secret"
            )
        return holder.unwrap(subject_id, wrapped)


def opens(key: MasterKey, check_value: bytes) -> bool:
    try:
        key.verify(check_value)
    except WrongMasterKey:
        return False
    return True
