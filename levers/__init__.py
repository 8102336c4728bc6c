"""The levers adpilot can pull on an ad account, one class per change action (issue 11: each action used to be
spread over nine files as if-ladders). A lever knows, for its action: the typed ``after`` payload, how the guardrail
policy clamps its number, the store's current value, the platform call (with external ids resolved), how to read the
platform back to see whether the call already took effect, how to mirror it into the store, its inverse and a
one-line description. Adding a lever means one new class registered in :data:`levers.registry.LEVERS`.
"""

from levers.base import Blocked, Clamped, Lever, PlatformCall
from levers.registry import CONTROL_OF, LEVERS, TARGET_TYPE, lever_for

__all__ = ["CONTROL_OF", "LEVERS", "TARGET_TYPE", "Blocked", "Clamped", "Lever", "PlatformCall", "lever_for"]
