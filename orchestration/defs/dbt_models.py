"""dbt models as Dagster assets; dbt tests as asset checks (error severity blocks downstream).

Two selections of one project: the nightly models (staging, daily activity, lifetime aggregates,
the feature versions the specs use, marts), partitioned by score date, and the training labels,
built when a model retrains. A failing feature contract fails the dbt step, so scoring,
publishing and the Redis export of that run never start.
"""

from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets
from pydantic import Field

from ml.config import Settings
from ml.ingest.raw_contract import RawContractError
from ml.training.specs import load_specs
from ml.warehouse.dbt_runner import (
    NIGHTLY_EXCLUDE,
    TRAINING_SELECT,
    check_build_inputs,
    dbt_executable,
    last_loaded_date,
    nightly_selection,
    plan_build,
    run_dbt,
)
from orchestration.defs.partitions import ONE_RUN_PER_DATE, daily_partitions, partition_date
from orchestration.lib.resources import WarehouseResource

TRAINING_LABELS = "training_labels"


class WarehouseBuildConfig(dg.Config):
    """How a warehouse run reads the raw days (the launchpad's config; default: a night)."""

    full_refresh: bool = Field(False, description="Rebuild every model from all history.")
    reload_from: str | None = Field(
        None, description="Reprocess raw days from this date (YYYY-MM-DD) to the score date."
    )

    @property
    def reload_from_date(self) -> date | None:
        try:
            return date.fromisoformat(self.reload_from) if self.reload_from else None
        except ValueError as exc:
            raise dg.Failure(f"reload_from {self.reload_from!r} is not a YYYY-MM-DD date") from exc


class ScorelineDbtTranslator(DagsterDbtTranslator):
    """Groups dbt assets by their folder (staging, intermediate, features, ...)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        if dbt_resource_props.get("resource_type") == "source":
            return "raw"
        return fqn[1] if len(fqn) > 2 else "dbt"


def _manifest_is_stale(manifest: Path, settings: Settings) -> bool:
    """True when the manifest is missing, older than a project or business file, or was parsed
    for another business folder (recorded beside it)."""
    stamp = manifest.with_name("scoreline_business.txt")
    if not manifest.exists() or not stamp.exists():
        return True
    if stamp.read_text() != str(settings.business_dir):
        return True
    built = manifest.stat().st_mtime
    sources = [
        settings.project_dir / "dbt_project.yml",
        *(settings.project_dir / "dbt_project").rglob("*"),
        *(settings.business_dir / "models").rglob("*"),
    ]
    return any(p.is_file() and p.stat().st_mtime > built for p in sources)


def prepared_dbt_project(settings: Settings) -> DbtProject:
    """The dbt project with an up-to-date manifest (parsed when missing or stale)."""
    project = DbtProject(
        project_dir=settings.project_dir,
        profiles_dir=settings.project_dir / "dbt_project",
        target_path=settings.dbt_target_dir,
    )
    if _manifest_is_stale(project.manifest_path, settings):
        run_dbt(settings, ["parse", "--quiet"], capture=True)
        project.manifest_path.with_name("scoreline_business.txt").write_text(
            str(settings.business_dir)
        )
    return project


def dbt_resource(project: DbtProject) -> DbtCliResource:
    # dbt_executable: the venv's dbt, so the UI works without an activated environment.
    return DbtCliResource(project_dir=project, dbt_executable=dbt_executable())


def dbt_definitions(settings: Settings) -> tuple[dg.Definitions, dg.AssetsDefinition, Any]:
    """The nightly and training dbt assets, and the Definitions holding them."""
    project = prepared_dbt_project(settings)
    translator = ScorelineDbtTranslator()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=nightly_selection(load_specs(settings.business_dir)),
        exclude=NIGHTLY_EXCLUDE,
        partitions_def=daily_partitions(settings),
        backfill_policy=ONE_RUN_PER_DATE,
        dagster_dbt_translator=translator,
        name="nightly_dbt_models",
    )
    def nightly_dbt_models(
        context: dg.AssetExecutionContext,
        dbt: DbtCliResource,
        warehouse: WarehouseResource,
        config: WarehouseBuildConfig,
    ):
        """Loads the raw days up to the partition's score date, builds features and scoring
        inputs as of that date, and runs their contract tests. Refreshes nightly."""
        current = warehouse.settings()
        score_date = partition_date(context)
        plan = plan_build(
            score_date, last_loaded_date(current), config.full_refresh, config.reload_from_date
        )
        try:
            checked = check_build_inputs(current, plan, score_date)
        except RawContractError as exc:
            raise dg.Failure(description=str(exc)) from exc
        context.log.info(
            f"raw contract holds for {checked.files_checked} files; run settings {plan.vars}"
        )
        with warehouse.dbt_environment(plan.vars):
            args = [
                "build",
                *plan.build_flags,
                *(["--full-refresh"] if config.full_refresh else []),
            ]
            yield from dbt.cli(args, context=context).stream()

    @dbt_assets(
        manifest=project.manifest_path,
        project=project,
        select=TRAINING_SELECT,
        dagster_dbt_translator=translator,
        name="training_dbt_models",
    )
    def training_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
    ):
        """Training labels of every spec over every as-of date whose label window has closed.
        Refreshes when a model retrains."""
        current = warehouse.settings()
        loaded = last_loaded_date(current)
        if loaded is None:
            raise dg.Failure(description="the warehouse is empty: run the nightly job first")
        # Labels ripen against what is loaded, not against raw folders that may run ahead.
        values = {"score_date": (loaded + timedelta(days=1)).isoformat()}
        with warehouse.dbt_environment(values):
            yield from dbt.cli(["build"], context=context).stream()

    definitions = dg.Definitions(
        assets=[nightly_dbt_models, training_dbt_models],
        resources={"dbt": dbt_resource(project)},
    )
    return definitions, nightly_dbt_models, training_dbt_models


def asset_key_for_relation(assets: dg.AssetsDefinition, relation: str) -> dg.AssetKey:
    """The asset key of the dbt model built as `relation` (the table ml/ reads).

    `get_asset_key_for_model` matches on model name, which a versioned model shares across
    its versions (`customer_features` v1, v2, v3); the relation name tells them apart.
    """
    manifest, translator, project = get_manifest_and_translator_from_dbt_assets([assets])
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] == "model" and node.get("alias") == relation:
            return translator.get_asset_spec(manifest, unique_id, project).key
    raise KeyError(f"no dbt model builds the relation {relation!r}")
