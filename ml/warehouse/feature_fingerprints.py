"""Fingerprints of released feature versions: a version's logic may never change in place.

A fingerprint hashes the model's SQL, the source of every project macro it calls (recursively:
dagster-dbt's code version misses macros, this does not), the SQL of every upstream model tagged
`feature_logic` (shared feature computations such as the activity windows) with its macros, and
its contract columns (with a declared version's recipes, which are its logic). The business
folder's committed `feature_fingerprints.json` holds one per released version; `scoreline
fingerprints --update` rewrites it, which is the explicit, reviewed act of release.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

FINGERPRINTS_FILE = "feature_fingerprints.json"  # in the business folder
# The recipe keys of a declared version's column meta (ml/warehouse/feature_families.py): its logic.
RECIPE_KEYS = ("family", "activity", "measure", "window_days", "attribute", "updated_by")
FEATURE_PATH_PREFIX = "features/"
PROJECT = "scoreline"
FEATURE_LOGIC_TAG = "feature_logic"


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


def _feature_logic_ancestors(manifest: dict, node: dict) -> list[str]:
    """Upstream project models tagged `feature_logic`, found through any depth of refs."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = list(node["depends_on"]["nodes"])
    while stack:
        unique_id = stack.pop()
        if unique_id in seen or unique_id not in manifest["nodes"]:
            continue
        seen.add(unique_id)
        parent = manifest["nodes"][unique_id]
        if FEATURE_LOGIC_TAG in parent.get("tags", []):
            found.add(unique_id)
        stack.extend(parent["depends_on"]["nodes"])
    return sorted(found)


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
        macro_ids = list(node["depends_on"]["macros"])
        for ancestor_id in _feature_logic_ancestors(manifest, node):
            ancestor = manifest["nodes"][ancestor_id]
            digest.update(ancestor_id.encode())
            digest.update(ancestor["raw_code"].encode())
            macro_ids += ancestor["depends_on"]["macros"]
        for macro_id in _macro_closure(manifest, macro_ids):
            digest.update(macro_id.encode())
            digest.update(manifest["macros"][macro_id]["macro_sql"].encode())
        for name, column in sorted(node["columns"].items()):
            digest.update(f"{name}:{column.get('data_type')}".encode())
            meta = (column.get("config") or {}).get("meta") or column.get("meta") or {}
            recipe = {key: meta[key] for key in RECIPE_KEYS if key in meta}
            if recipe:
                digest.update(json.dumps(recipe, sort_keys=True).encode())
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
