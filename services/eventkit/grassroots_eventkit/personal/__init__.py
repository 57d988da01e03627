"""Personal data in the event store: per-subject keys, sealed fields, crypto-shredding."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grassroots_eventkit.domain import Decider
from grassroots_eventkit.personal.cipher import MasterKey, Tampered, WrongMasterKey
from grassroots_eventkit.personal.fields import ERASED_TEXT, Personal, PersonalFields
from grassroots_eventkit.personal.keyring import MasterKeys
from grassroots_eventkit.personal.sealing import SEALED, Sealer, SubjectKeys
from grassroots_eventkit.personal.vault import KEY_VAULT_MIGRATIONS, SUBJECT_KEYS, KeyVault


@dataclass(frozen=True)
class PersonalData:
    """What a service declares (ServiceSpec.personal_data): its personal fields, and the
    deciders whose streams hold them (to seal data stored in plain text before)."""

    fields: PersonalFields
    deciders: Sequence[Decider[Any, Any, Any]]


__all__ = [
    "ERASED_TEXT",
    "KEY_VAULT_MIGRATIONS",
    "SEALED",
    "SUBJECT_KEYS",
    "KeyVault",
    "MasterKey",
    "MasterKeys",
    "Personal",
    "PersonalData",
    "PersonalFields",
    "Sealer",
    "SubjectKeys",
    "Tampered",
    "WrongMasterKey",
]
