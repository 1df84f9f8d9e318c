"""Access control: who may do what. Deny unless a rule grants; one function every caller uses."""

from huitong.access.actor import PUBLIC, SYSTEM, Actor
from huitong.access.policy import Decision, Target, decide, require

__all__ = ["PUBLIC", "SYSTEM", "Actor", "Decision", "Target", "decide", "require"]
