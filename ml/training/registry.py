"""The only module that talks to the MLflow registry: versions, aliases, promotion history.

Aliases (`champion`, `challenger`) keep no history of who held them, so every alias move is
also appended, in the same step, to the append-only audit store (ml.training.audit), with who,
when, why, from and to; the version's `<alias>_since/_by/_why` tags show the latest in MLflow's
own UI.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from ml.config import Settings
from ml.training import audit
from ml.training.specs import ModelSpec

if TYPE_CHECKING:
    from ml.training.model import ScoringModel

CHAMPION = "champion"
CHALLENGER = "challenger"


class RegistryError(RuntimeError):
    """No model under an alias, or a model that cannot be loaded; says what to run."""


@dataclass(frozen=True)
class LoadedModel:
    model: ScoringModel
    version: int
    feature_version: int


@dataclass(frozen=True)
class Registry:
    """A connection to the model registry: MLflow's store and the alias-move audit."""

    mlflow: MlflowClient
    audit_db: Path


def connect(settings: Settings) -> Registry:
    """Point MLflow at the configured store (SQLite under the data directory by default)."""
    if settings.mlflow_tracking_uri.startswith("sqlite:///"):
        os.makedirs(os.path.dirname(settings.mlflow_tracking_uri.removeprefix("sqlite:///")),
                    exist_ok=True)  # fmt: skip
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.mlflow_tracking_uri)
    return Registry(
        MlflowClient(settings.mlflow_tracking_uri, settings.mlflow_tracking_uri),
        settings.audit_db,
    )


def ensure_experiment(client: Registry, settings: Settings, spec: ModelSpec) -> str:
    """The spec's experiment, with artifacts under the data directory (not ./mlruns)."""
    name = f"scoreline/{spec.name}"
    experiment = client.mlflow.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    settings.mlflow_artifacts_dir.mkdir(parents=True, exist_ok=True)
    return client.mlflow.create_experiment(
        name, artifact_location=(settings.mlflow_artifacts_dir / spec.name).as_uri()
    )


def alias_version(client: Registry, spec: ModelSpec, alias: str) -> int | None:
    """The version number holding an alias, or None."""
    try:
        return int(
            client.mlflow.get_model_version_by_alias(spec.registered_model_name, alias).version
        )
    except MlflowException:
        return None


# A version's model files live under this artifact folder of its run (ml.training.model).
MODEL_ARTIFACT = "model"


def digest_tag(file_name: str) -> str:
    """The model-version tag holding a model file's SHA-256, recorded at registration."""
    return f"sha256.{file_name}"


def load_model(client: Registry, spec: ModelSpec, alias: str) -> LoadedModel:
    """Load the model under an alias: its files are data (LightGBM text and JSON), checked
    against the SHA-256 digests recorded when the version was registered before they are read.

    Raises:
        RegistryError: nothing holds the alias, the files are missing, changed since
            registration, or cannot be read.
    """
    from ml.training.model import MODEL_FILES, ScoringModel, file_digests

    version = alias_version(client, spec, alias)
    if version is None:
        raise RegistryError(
            f"no '{alias}' model for {spec.name}: train one with `scoreline train {spec.name}` "
            f"or promote a version with `scoreline promote {spec.name} VERSION`"
        )
    found = client.mlflow.get_model_version(spec.registered_model_name, str(version))
    expected = {name: found.tags.get(digest_tag(name)) for name in MODEL_FILES}
    if not all(expected.values()):
        raise RegistryError(
            f"{spec.name} v{version} ({alias}) could not be loaded: it has no recorded file "
            f"checksums (registered before models were stored as data); retrain it with "
            f"`scoreline train {spec.name}`"
        )
    try:
        folder = Path(mlflow.artifacts.download_artifacts(artifact_uri=found.source))
        actual = file_digests(folder)
    except Exception as exc:  # MLflow raises several types for missing artifacts
        raise RegistryError(
            f"{spec.name} v{version} ({alias}) could not be loaded: its files are missing "
            f"from {found.source} ({exc})"
        ) from exc
    changed = sorted(name for name in MODEL_FILES if actual[name] != expected[name])
    if changed:
        raise RegistryError(
            f"{spec.name} v{version} ({alias}) could not be loaded: {', '.join(changed)} "
            f"changed since it was registered (SHA-256 differs) in {found.source}; refusing "
            "it. Restore the files, or retrain, or roll back to another version"
        )
    try:
        model = ScoringModel.load(folder)
    except Exception as exc:  # malformed text or JSON: the same outcome for the caller
        raise RegistryError(f"{spec.name} v{version} ({alias}) could not be loaded: {exc}") from exc
    return LoadedModel(model=model, version=version, feature_version=model.feature_version)


def register(
    client: Registry, spec: ModelSpec, model_uri: str, run_id: str, tags: dict[str, str]
) -> int:
    """Register a logged model as a new version of the spec's registered model."""
    try:
        client.mlflow.get_registered_model(spec.registered_model_name)
    except MlflowException:
        client.mlflow.create_registered_model(
            spec.registered_model_name, description=spec.description
        )
    version = client.mlflow.create_model_version(
        spec.registered_model_name, model_uri, run_id=run_id, tags=tags
    )
    return int(version.version)


def move_alias(
    client: Registry, spec: ModelSpec, alias: str, version: int, who: str, why: str
) -> None:
    """Point an alias at a version and record the move (who, when, why, from, to).

    Raises:
        RegistryError: the spec's model has no such version.
    """
    name = spec.registered_model_name
    try:
        client.mlflow.get_model_version(name, str(version))
    except MlflowException as exc:
        raise RegistryError(f"{spec.name} has no version {version}") from exc
    now = datetime.now(UTC).isoformat(timespec="seconds")
    move = audit.AliasMove(
        spec.name, alias, version, alias_version(client, spec, alias), now, who, why
    )
    with audit.recording(client.audit_db, move):
        client.mlflow.set_registered_model_alias(name, alias, str(version))
    client.mlflow.set_model_version_tag(name, str(version), f"{alias}_since", now)
    client.mlflow.set_model_version_tag(name, str(version), f"{alias}_by", who)
    client.mlflow.set_model_version_tag(name, str(version), f"{alias}_why", why[:5000])


def promotion_history(client: Registry, spec: ModelSpec) -> list[dict]:
    """Every recorded alias move of the spec's model, oldest first, none ever dropped."""
    return [asdict(move) for move in audit.moves(client.audit_db, spec.name)]


def model_versions(client: Registry, spec: ModelSpec) -> list[VersionInfo]:
    """Every registered version of the spec's model, oldest first (empty: none yet)."""
    try:
        found = client.mlflow.search_model_versions(
            f"name = '{_quoted(spec.registered_model_name)}'"
        )
    except MlflowException:
        return []
    return sorted((_version_info(v) for v in found), key=lambda v: v.version)


def _quoted(value: str) -> str:
    """A value for MLflow's filter string (its grammar has no bound parameters)."""
    return value.replace("\\", "\\\\").replace("'", "\\'")


def plot_path(client: Registry, run_id: str, name: str) -> str | None:
    """A plot logged with a training run (calibration, importance), as a local path, or None."""
    try:
        return mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=f"plots/{name}", tracking_uri=mlflow.get_tracking_uri()
        )
    except Exception:  # an older run without that plot: MLflow raises several types
        return None


def rollback(client: Registry, spec: ModelSpec, who: str, why: str) -> int:
    """Give `champion` back to the version that held it before the current one.

    Returns:
        The version that is champion again.

    Raises:
        RegistryError: there is no earlier champion to return to.
    """
    current = alias_version(client, spec, CHAMPION)
    # Follow the promotion that made the current champion, not an earlier rollback: a second
    # rollback must go further back, never flip back to the version just rolled away from.
    for move in reversed(promotion_history(client, spec)):
        if (
            move["alias"] == CHAMPION
            and move["version"] == current
            and not move["why"].startswith("rollback:")
        ):
            if move["previous"] is None:
                break
            move_alias(client, spec, CHAMPION, move["previous"], who, f"rollback: {why}")
            return move["previous"]
    raise RegistryError(f"{spec.name}: no earlier champion to roll back to")


DRIFT_REFERENCE = "drift_reference.parquet"
DRIFT_CALIBRATION = "drift_calibration.json"


@dataclass(frozen=True)
class VersionInfo:
    version: int
    created_at: datetime
    validation_auc: float | None
    run_id: str


def version_info(client: Registry, spec: ModelSpec, version: int) -> VersionInfo:
    """When a version was registered and the validation ROC-AUC it was promoted on."""
    return _version_info(client.mlflow.get_model_version(spec.registered_model_name, str(version)))


def _version_info(found) -> VersionInfo:
    auc = found.tags.get("validation_auc")
    return VersionInfo(
        version=int(found.version),
        created_at=datetime.fromtimestamp(found.creation_timestamp / 1000, tz=UTC),
        validation_auc=float(auc) if auc else None,
        run_id=found.run_id,
    )


def _drift_artifact(client: Registry, spec: ModelSpec, version: int, name: str) -> Path:
    run_id = version_info(client, spec, version).run_id
    try:
        return Path(
            mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=name, tracking_uri=mlflow.get_tracking_uri()
            )
        )
    except Exception as exc:  # MLflow raises several types for a missing artifact
        raise RegistryError(
            f"{spec.name} v{version} has no {name}: retrain it with `scoreline train "
            f"{spec.name}` to enable calibrated drift reports"
        ) from exc


def load_drift_reference(client: Registry, spec: ModelSpec, version: int):
    """The drift reference sample (features + score) logged with a version's run, and the
    levels calibrated on its clean history (ml/monitoring/calibration.py).

    Raises:
        RegistryError: the run has no reference or calibration (trained before they existed).
    """
    import pandas as pd

    from ml.monitoring.calibration import DriftCalibration

    reference = pd.read_parquet(_drift_artifact(client, spec, version, DRIFT_REFERENCE))
    calibration = _drift_artifact(client, spec, version, DRIFT_CALIBRATION).read_text()
    return reference, DriftCalibration.from_json(calibration)
