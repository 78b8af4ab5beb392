"""Who did it: every money operation and admin change records its actor and an audit event."""
import json
from dataclasses import dataclass

from portal.extensions import db
from portal.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """A person or a key acting on the system; `label` is what the audit log shows."""

    label: str
    role: str

    @classmethod
    def for_user(cls, user):
        return cls(f"user:{user.id}", user.role)

    @classmethod
    def for_api_key(cls, key):
        return cls(f"api_key:{key.id}", key.role)


SYSTEM = Actor("system", "admin")


def record(actor, action, object_type, object_id, **detail):
    """Add an audit event to the current transaction; it commits or rolls back with the change."""
    event = AuditEvent(actor=actor.label, action=action, object_type=object_type, object_id=str(object_id),
                       detail=json.dumps(detail, default=str, sort_keys=True))
    db.session.add(event)
    return event
