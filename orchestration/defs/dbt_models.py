"""dbt models as Dagster assets; dbt tests as asset checks (error severity blocks downstream).

Three selections of one project: the nightly models (staging, daily activity, lifetime
aggregates, the feature versions the specs use, marts), partitioned by score date; the realized
labels of published scores (tag monitoring), after each night's publication; and the training
labels, built when a model retrains. A failing feature contract fails the dbt step, so scoring,
publishing and the Redis export of that run never start.

dbt runs inside the Dagster process (ml.warehouse.dbt_in_process): the project is parsed once
per process, and each invocation gets its environment (paths, declarations, the run's score
date) for its duration only, and a target folder of its own for its artifacts.
"""

import json
import shutil
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtProject, dbt_assets
from dagster_dbt.asset_utils import (
    DAGSTER_DBT_EXCLUDE_METADATA_KEY,
    DAGSTER_DBT_SELECT_METADATA_KEY,
    DAGSTER_DBT_SELECTOR_METADATA_KEY,
    get_manifest_and_translator_from_dbt_assets,
    get_subset_selection_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from pydantic import Field

from ml.config import Settings
from ml.ingest.raw_contract import RawContractError
from ml.monitoring.performance import anything_matured
from ml.training.specs import ModelSpec, check_against_manifest
from ml.warehouse.dbt_in_process import DBT
from ml.warehouse.dbt_runner import (
    MONITORING_SELECT,
    NIGHTLY_EXCLUDE,
    TRAINING_SELECT,
    check_build_inputs,
    dbt_environment,
    failure_summary,
    last_loaded_date,
    nightly_selection,
    plan_build,
    project_files_changed_at,
    run_dbt,
    run_settings_env,
)
from orchestration.defs.partitions import ONE_RUN_PER_DATE, daily_partitions, partition_date
from orchestration.lib.resources import WarehouseResource

TRAINING_LABELS = "training_labels"
REALIZED_LABELS = "realized_labels"
# Invocation folders kept under <dbt target>/invocations (each holds a manifest copy and the
# run results); older ones are removed when a new one starts.
KEPT_INVOCATIONS = 30


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
    """Groups dbt assets by their folder (staging, intermediate, features, ...); the realized
    labels read every spec's published predictions, so they follow those assets."""

    def __init__(self, published: list[dg.AssetKey]) -> None:
        super().__init__()
        self.published = published

    def get_asset_spec(self, manifest, unique_id, project) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        if unique_id.startswith("model.") and spec.key.path[-1] == REALIZED_LABELS:
            own = [dep for dep in spec.deps if dep.asset_key.path[0] != "published"]
            spec = spec.replace_attributes(deps=[*own, *self.published])
        return spec

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
    return project_files_changed_at(settings) > manifest.stat().st_mtime


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


def invocation_target(settings: Settings) -> Path:
    """A fresh target folder for one dbt invocation (its run_results.json and log); the
    oldest are removed beyond KEPT_INVOCATIONS."""
    root = settings.dbt_target_dir / "invocations"
    root.mkdir(parents=True, exist_ok=True)
    for old in sorted(root.iterdir(), key=lambda p: p.stat().st_mtime)[:-KEPT_INVOCATIONS]:
        shutil.rmtree(old, ignore_errors=True)
    return root / uuid.uuid4().hex[:12]


def stream_dbt(
    context: dg.AssetExecutionContext,
    settings: Settings,
    args: list[str],
    values: dict[str, object] | None,
):
    """Run `dbt <args>` in process for the assets and checks this step selected, yielding their
    Dagster events as each node finishes (dagster-dbt's own conversion of dbt's results).

    Raises:
        dg.Failure: a model or a blocking test failed; names the failing nodes.
    """
    manifest, translator, project = get_manifest_and_translator_from_dbt_assets(
        [context.assets_def]
    )
    tags = context.op_execution_context.op.tags
    selection, indirect = get_subset_selection_for_context(
        context=context,
        manifest=manifest,
        select=tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
        exclude=tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
        selector=tags.get(DAGSTER_DBT_SELECTOR_METADATA_KEY),
        dagster_dbt_translator=translator,
        current_dbt_indirect_selection_env=None,
    )
    env = {
        **dbt_environment(settings),
        **run_settings_env(values),
        "DBT_INDIRECT_SELECTION": indirect,
    }
    target = invocation_target(settings)
    invocation, events = DBT.invoke(settings, [*args, *selection], env, target)
    for raw in events:
        event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
        yield from event.to_default_asset_events(
            manifest=manifest, dagster_dbt_translator=translator, context=context,
            target_path=target, project=project,
        )  # fmt: skip
    if not invocation.success:
        detail = failure_summary(target) or "\n".join(invocation.errors[-5:])
        raise dg.Failure(
            description=f"`dbt {' '.join(args)}` failed: {detail or invocation.exception}"
        )


def dbt_definitions(
    settings: Settings, specs: list[ModelSpec]
) -> tuple[dg.Definitions, dg.AssetsDefinition, Any, dg.AssetsDefinition]:
    """The nightly, training and monitoring dbt assets, and the Definitions holding them."""
    project = prepared_dbt_project(settings)
    check_against_manifest(
        specs, json.loads(project.manifest_path.read_text()), settings.business_dir
    )
    translator = ScorelineDbtTranslator(
        [dg.AssetKey([spec.name, "published_predictions"]) for spec in specs]
    )

    common = {"manifest": project.manifest_path, "project": project,
              "dagster_dbt_translator": translator}  # fmt: skip
    # one run per score date, like the rest of the nightly graph
    nightly = {**common, "partitions_def": daily_partitions(settings),
               "backfill_policy": ONE_RUN_PER_DATE}  # fmt: skip

    @dbt_assets(
        **nightly,
        select=nightly_selection({spec.name: spec for spec in specs}),
        exclude=NIGHTLY_EXCLUDE,
        name="nightly_dbt_models",
    )
    def nightly_dbt_models(
        context: dg.AssetExecutionContext,
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
        args = ["build", *plan.build_flags, *(["--full-refresh"] if config.full_refresh else [])]
        yield from stream_dbt(context, current, args, plan.vars)

    @dbt_assets(**common, select=TRAINING_SELECT, name="training_dbt_models")
    def training_dbt_models(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        """Training labels of every spec over every as-of date whose label window has closed.
        Refreshes when a model retrains."""
        current = warehouse.settings()
        loaded = last_loaded_date(current)
        if loaded is None:
            raise dg.Failure(description="the warehouse is empty: run the nightly job first")
        # Labels ripen against what is loaded, not against raw folders that may run ahead.
        values = {"score_date": (loaded + timedelta(days=1)).isoformat()}
        yield from stream_dbt(context, current, ["build"], values)

    @dbt_assets(**nightly, select=MONITORING_SELECT, name="monitoring_dbt_models")
    def monitoring_dbt_models(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        """Realized labels of published champion scores whose label windows closed by the
        score date, labelled as training rows are. Refreshes nightly after publication; a night
        on which no published date has matured skips it."""
        current = warehouse.settings()
        score_date = partition_date(context)
        if not anything_matured(current, specs, score_date):
            context.log.info(f"no published score date has matured by {score_date}")
            return
        yield from stream_dbt(context, current, ["build"], {"score_date": score_date.isoformat()})

    definitions = dg.Definitions(
        assets=[
            nightly_dbt_models, training_dbt_models, monitoring_dbt_models,
            *raw_source_specs(nightly_dbt_models),
        ],
    )  # fmt: skip
    return definitions, nightly_dbt_models, training_dbt_models, monitoring_dbt_models


def raw_source_specs(nightly: dg.AssetsDefinition) -> list[dg.AssetSpec]:
    """The raw tables the nightly models read, as assets of their own group (undeclared, the UI
    put them in "default")."""
    return [
        dg.AssetSpec(
            key, group_name="raw",
            description="Raw day folders (Parquet, one per day): checked against the business's "
            "input contract before a build reads them (docs/contract.md).",
        )
        for key in sorted(nightly.dependency_keys - set(nightly.keys), key=str)
        if key.path[0] == "raw"
    ]  # fmt: skip


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
