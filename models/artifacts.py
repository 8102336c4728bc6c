"""The artifact format: a trained model (feature spec + scorers + calibrators + metadata) as one byte string, stored
in the registry's ``artifact`` column.

Layout::

    b"ADPMODEL"  8-byte magic
    u16          format version (FORMAT_VERSION)
    u32          header length H
    H bytes      header JSON: kind, algo, spec_sha256, payload_sha256, payload_len, members, created_at, meta
    payload      concatenated member blobs (spec JSON, scorer bytes, calibrator JSON), lengths in the header

Nothing is pickled: LightGBM text models, ``torch.save`` state dicts read with ``weights_only=True``, and JSON. Damaged
bytes raise :class:`ArtifactCorrupt`; an intact artifact of another kind / format / feature spec raises
:class:`ArtifactMismatch`. Both name the remedy.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from typing import Any

from models.errors import ArtifactCorrupt, ArtifactMismatch

__all__ = ["FORMAT_VERSION", "MAGIC", "ArtifactHeader", "pack", "unpack"]

MAGIC = b"ADPMODEL"
FORMAT_VERSION = 1
_PREFIX = struct.Struct("<8sHI")


@dataclass(frozen=True)
class ArtifactHeader:
    kind: str
    algo: str
    spec_sha256: str
    payload_sha256: str
    members: dict[str, int]
    meta: dict[str, Any]
    format_version: int = FORMAT_VERSION


def pack(kind: str, algo: str, spec_sha256: str, members: dict[str, bytes], meta: dict[str, Any]) -> bytes:
    """Serialise named member blobs with a checksummed header."""
    payload = b"".join(members.values())
    header = {
        "kind": kind,
        "algo": algo,
        "spec_sha256": spec_sha256,
        "payload_sha256": hashlib.sha256(payload).hexdigest(),
        "payload_len": len(payload),
        "members": [[name, len(blob)] for name, blob in members.items()],
        "meta": meta,
    }
    raw_header = json.dumps(header, sort_keys=True).encode()
    return _PREFIX.pack(MAGIC, FORMAT_VERSION, len(raw_header)) + raw_header + payload


def unpack(
    data: bytes, *, expect_kind: str | None = None, expect_spec_sha256: str | None = None
) -> tuple[ArtifactHeader, dict[str, bytes]]:
    """Verify and split an artifact. Checks run before anything is deserialised."""
    if len(data) < _PREFIX.size:
        raise ArtifactCorrupt(f"artifact is {len(data)} bytes, shorter than its fixed header")
    magic, version, header_len = _PREFIX.unpack_from(data)
    if magic != MAGIC:
        raise ArtifactCorrupt("not an adpilot model artifact (bad magic bytes)")
    if version != FORMAT_VERSION:
        raise ArtifactMismatch(
            f"artifact format version {version}, this adpilot reads version {FORMAT_VERSION}",
            remedy="retrain the model with this adpilot version (`adpilot models train`)",
        )
    try:
        header = json.loads(data[_PREFIX.size : _PREFIX.size + header_len])
        payload = data[_PREFIX.size + header_len :]
        declared_len = int(header["payload_len"])
        declared_sha = str(header["payload_sha256"])
        members = {str(k): int(v) for k, v in header["members"]}
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise ArtifactCorrupt(f"artifact header is unreadable: {exc}") from exc
    if len(payload) != declared_len:
        raise ArtifactCorrupt(f"artifact payload is {len(payload)} bytes, header says {declared_len} (truncated?)")
    if hashlib.sha256(payload).hexdigest() != declared_sha:
        raise ArtifactCorrupt("artifact payload SHA-256 does not match its header (bytes were altered)")
    parsed = ArtifactHeader(
        kind=str(header["kind"]),
        algo=str(header["algo"]),
        spec_sha256=str(header["spec_sha256"]),
        payload_sha256=declared_sha,
        members=members,
        meta=dict(header.get("meta") or {}),
        format_version=version,
    )
    if expect_kind is not None and parsed.kind != expect_kind:
        raise ArtifactMismatch(f"artifact is a {parsed.kind!r} model, a {expect_kind!r} model was expected")
    if expect_spec_sha256 is not None and parsed.spec_sha256 != expect_spec_sha256:
        raise ArtifactMismatch(
            "artifact was trained on another feature spec "
            f"({parsed.spec_sha256[:12]}…, expected {expect_spec_sha256[:12]}…)",
            remedy="retrain on the current feature spec, or serve the artifact with its own spec",
        )
    blobs, offset = {}, 0
    for name, size in members.items():
        blobs[name] = payload[offset : offset + size]
        offset += size
    return parsed, blobs
