"""Great Expectations: load a committed suite, run it on a frame, read its results.

GX is imported only inside these functions: importing plantrack (``plantrack check``,
the CLI) does not pay for it until a suite runs. Its fixed costs are paid once per
thread, not per call: the in-memory context with its pandas batch definition, and
each suite's GX objects (``_thread_gx``). A validation's own cost is almost all per
expectation, not per row, which is why the quarterly run validates many files in one
call (``plantrack.validate.stacked``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import logging
import os
import sys
import threading
from pathlib import Path

import polars as pl

from plantrack.issues import Severity

log = logging.getLogger("plantrack.validate")


def suite_data(path: Path) -> dict:
    """The parsed suite file, read once per version of the file (callers must not change it)."""
    stat = path.stat()
    return _suite_data(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _suite_data(path: Path, mtime_ns: int, size: int) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def suite_digest(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


# Imported by GX at module level only for expectations no plantrack suite has (KL
# divergence, KS tests), and used only inside them: loaded on first use instead. scipy.stats
# is about a third of GX's import (0.8 s of 2.3 s on the 2-core machine).
DEFERRED_BY_GX = ("scipy.stats",)


def _defer(name: str) -> None:
    """Put ``name`` in ``sys.modules`` as a module that runs its code on first attribute use.

    The standard library's ``importlib.util.LazyLoader``; a module imported already, or
    not installed, is left as it is.
    """
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


def preload() -> None:
    """Import GX and register its expectation types (what a first validation would).

    Every GX import of ours comes here first, so that the modules GX imports but our
    suites never use (``DEFERRED_BY_GX``) are deferred before GX asks for them.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in DEFERRED_BY_GX:  # each deferred once; left alone once imported
        _defer(name)
    import great_expectations  # noqa: F401
    import great_expectations.expectations  # noqa: F401


def load_suite(path: Path | dict):
    """A GX ExpectationSuite from a committed suite file (or its parsed JSON)."""
    preload()  # also registers GX's expectation types
    import great_expectations as gx
    from great_expectations.expectations.registry import get_expectation_impl

    data = path if isinstance(path, dict) else suite_data(path)
    expectations = []
    for exp in data["expectations"]:
        impl = get_expectation_impl(exp["type"])
        expectations.append(impl(**exp["kwargs"], meta=exp["meta"], severity=exp["severity"]))
    return gx.ExpectationSuite(name=data["name"], expectations=expectations)


def ephemeral_context():
    """An in-memory GX context without the temporary Data Docs folder one makes by default."""
    preload()
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


_local = threading.local()


def _thread_gx():
    """This thread's GX context state: (batch definition, {suite digest: ExpectationSuite}).

    One context per thread, kept for the process: GX's context and batch objects are not
    meant to be shared between threads, and building them costs more than a validation.
    """
    state = getattr(_local, "gx", None)
    if state is None:
        definition = (
            ephemeral_context()
            .data_sources.add_pandas("submission")
            .add_dataframe_asset("rows")
            .add_batch_definition_whole_dataframe("whole")
        )
        state = _local.gx = (definition, {})
    return state


def cached_suite(data: dict, key: str | None = None):
    """This thread's ExpectationSuite for the suite ``data`` (built once per content)."""
    _, suites = _thread_gx()
    key = key or suite_digest(data)
    if key not in suites:
        suites[key] = load_suite(data)
    return suites[key]


GX_CONFIGURATION: list = [None]  # GX's own property getter, once replaced (for the tests)


@functools.cache
def _install_configuration_memo() -> None:
    """Within one of our validations, each expectation's configuration is built once.

    GX's ``Expectation.configuration`` is a property that rebuilds the configuration from
    the pydantic model on every access: about ten times per expectation per validation
    (once per domain and success key), over half of a validation's time. The expectations
    GX builds for a validation do not change while it runs, so in ``run_suite`` this
    thread keeps each one's first answer (``_local.configurations``: id → [expectation,
    configuration], holding the expectation so that its id is not reused) and drops them
    all when the validation ends. Everywhere else GX's own property answers.
    """
    from great_expectations.expectations.expectation import Expectation

    build = GX_CONFIGURATION[0] = Expectation.configuration.fget

    def configuration(self):
        kept = getattr(_local, "configurations", None)
        if kept is None:
            return build(self)
        entry = kept.get(id(self))
        if entry is None or entry[0] is not self:
            entry = kept[id(self)] = [self, build(self)]
        return entry[1]

    Expectation.configuration = property(configuration, doc=build.__doc__)


def run_suite(
    frame: pl.DataFrame,
    suite: Path | dict,
    index_column: str | list[str] = "row_number",
    *,
    suite_key: str | None = None,
):
    """Validate a DataFrame with a suite, on this thread's context (thread safe).

    Returns GX's ExpectationSuiteValidationResult (``.results`` holds one per expectation).
    ``suite_key``: the suite's digest when the caller knows it (saves hashing it again).
    """
    data = suite if isinstance(suite, dict) else suite_data(suite)
    definition, _ = _thread_gx()
    batch = definition.get_batch(batch_parameters={"dataframe": frame.to_pandas()})
    index = [index_column] if isinstance(index_column, str) else index_column
    suite_obj = cached_suite(data, suite_key)
    _install_configuration_memo()
    _local.configurations = {}
    try:
        return batch.validate(
            suite_obj,
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": index,
                "return_unexpected_index_query": False,
            },
        )
    finally:
        _local.configurations = None


def add_lookup_columns(frame: pl.DataFrame, suite: dict) -> pl.DataFrame:
    """Add the per-indicator columns (``plausible_max``, ``expected_uom``) that the suite's
    rules compare: text when the table's values are text, numbers otherwise."""
    looked_up = []
    for exp in suite["expectations"]:
        lookup = exp["meta"].get("lookup")
        if lookup:
            values = lookup["values"]
            text = bool(values) and all(isinstance(v, str) for v in values.values())
            looked_up.append(
                pl.col(lookup["key"])
                .replace_strict(values, default=None, return_dtype=pl.String if text else pl.Float64)
                .alias(lookup["column"])
            )
    return frame.with_columns(looked_up) if looked_up else frame


def expectation_severity(config) -> Severity:
    level = getattr(config.severity, "value", config.severity)
    return Severity.WARNING if str(level).lower() == "warning" else Severity.ERROR


def _raised(info: dict | None) -> bool:
    """Whether GX hit an exception (one dict, or one per metric) instead of judging the data."""
    if not info:
        return False
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(_raised(v) for v in info.values() if isinstance(v, dict))


def result_row(suite: str, res) -> dict:
    cfg = res.expectation_config
    kwargs = cfg.kwargs
    return {
        "suite": suite,
        "expectation": cfg.type,
        "code": cfg.meta.get("code", ""),
        "severity": str(expectation_severity(cfg)),
        "column_name": kwargs.get("column") or kwargs.get("column_B"),
        "success": bool(res.success),
        "element_count": int(res.result.get("element_count") or 0),
        "unexpected_count": int(res.result.get("unexpected_count") or 0),
    }


def failed_hits(res) -> list[int] | None:
    """Row numbers a failed expectation points at; None when it failed for the table as a whole."""
    if res.success:
        return []
    if _raised(res.exception_info):
        # e.g. a rule on a column the file lacks (the missing_column issue says so); logged
        # for engineers, since a rule that could not run judged nothing
        log.warning(
            "expectation %s could not run: %s", res.expectation_config.meta.get("code"), res.exception_info
        )
        return []
    hits = res.result.get("unexpected_index_list")
    if hits is None:
        return None
    return [int(h["row_number"]) for h in hits]
