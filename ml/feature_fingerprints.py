"""Fingerprints of released feature versions: a version's logic may never change in place.

A fingerprint hashes the model's SQL, the source of every project macro it calls (recursively:
dagster-dbt's code version misses macros, this does not) and its contract columns. The
committed file `dbt_project/feature_fingerprints.json` holds one per released version;
`scoreline fingerprints --update` rewrites it, which is the explicit, reviewed act of release.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

FINGERPRINTS_FILE = Path("dbt_project") / "feature_fingerprints.json"
FEATURE_PATH_PREFIX = "features/"
PROJECT = "scoreline"


def _macro_closure(manifest: dict, macro_ids: list[str]) -> list[str]:
    seen: set[str] = set()
    stack = list(macro_ids)
    while stack:
        macro_id = stack.pop()
        if macro_id in seen or not macro_id.startswith(f"macro.{PROJECT}."):
            continue
        seen.add(macro_id)
        stack.extend(manifest["macros"][macro_id]["depends_on"]["macros"])
    return sorted(seen)


def compute_fingerprints(manifest: dict) -> dict[str, str]:
    """Fingerprint every versioned model under models/features/ in a dbt manifest.

    Args:
        manifest: Parsed `manifest.json` from `dbt parse`.

    Returns:
        `{"customer_features.v1": sha256, ...}`.
    """
    fingerprints = {}
    for node in manifest["nodes"].values():
        if (
            node["resource_type"] != "model"
            or node["package_name"] != PROJECT
            or node.get("version") is None
            or not node["path"].startswith(FEATURE_PATH_PREFIX)
        ):
            continue
        digest = hashlib.sha256(node["raw_code"].encode())
        for macro_id in _macro_closure(manifest, node["depends_on"]["macros"]):
            digest.update(macro_id.encode())
            digest.update(manifest["macros"][macro_id]["macro_sql"].encode())
        for name, column in sorted(node["columns"].items()):
            digest.update(f"{name}:{column.get('data_type')}".encode())
        fingerprints[f"{node['name']}.v{node['version']}"] = digest.hexdigest()
    return dict(sorted(fingerprints.items()))


def changed_versions(committed: dict[str, str], current: dict[str, str]) -> list[str]:
    """Problems to report: released versions whose logic changed, and unreleased versions."""
    problems = [
        f"{key}: its SQL, macros or contract changed after release. Put the change in a new "
        "version instead; if the change is truly cosmetic, run `scoreline fingerprints --update`."
        for key, digest in committed.items()
        if key in current and current[key] != digest
    ]
    problems += [
        f"{key}: released version is gone from the project (deprecate it, do not delete it)."
        for key in committed
        if key not in current
    ]
    problems += [
        f"{key}: new version has no fingerprint yet; run `scoreline fingerprints --update` to "
        "release it."
        for key in current
        if key not in committed
    ]
    return problems


def read_fingerprints(path: Path) -> dict[str, str]:
    return json.loads(path.read_text()) if path.exists() else {}


def write_fingerprints(path: Path, fingerprints: dict[str, str]) -> None:
    path.write_text(json.dumps(fingerprints, indent=2, sort_keys=True) + "\n")
