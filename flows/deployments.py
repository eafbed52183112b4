"""The scheduled deployments: the quarterly run and the reminder before it.

Schedules live here, where the flows are deployed, not inside the flows.
Both deployments pass ``quarter=""``: a scheduled run works on the quarter
that has just ended at the moment it runs (in the schedule's timezone), so
the 10 July run reports 2021Q2 and the 5 January reminder asks for 2021Q4.
A run started by hand still names its quarter.

``deployment_specs`` describes the deployments as plain data (for
``plantrack serve --dry-run``, without importing the flows);
``build_deployments`` turns them into Prefect deployments to serve or deploy.
Which quarter a run covers and when a schedule fires next is quarter arithmetic:
``plantrack.periods.resolve_quarter`` and ``next_runs``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.schedules import Cron

from plantrack.settings import Schedule

PREVIOUS_QUARTER = ""  # the parameter value meaning "the quarter that has just ended"


@dataclass(frozen=True)
class DeploymentSpec:
    name: str
    flow_name: str
    entrypoint: str  # module:function
    cron: str
    timezone: str
    description: str
    parameters: dict = field(default_factory=lambda: {"quarter": PREVIOUS_QUARTER})
    concurrency_limit: int | None = None

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{self.name}"


def deployment_specs(schedule: Schedule) -> list[DeploymentSpec]:
    return [
        DeploymentSpec(
            name="quarterly",
            flow_name="plantrack-quarterly",
            entrypoint="flows.quarterly:quarterly_run",
            cron=schedule.quarterly_cron,
            timezone=schedule.timezone,
            description="季度流程：收取、校验、入库、计算进度、生成并发布简报（报告期为刚结束的季度）",
            concurrency_limit=1,  # one writer: a second scheduled run waits its turn
        ),
        DeploymentSpec(
            name="reminder",
            flow_name="plantrack-reminder",
            entrypoint="flows.reminder:reminder_run",
            cron=schedule.reminder_cron,
            timezone=schedule.timezone,
            description="报送提醒：列出尚未报送或数据有误的单位，写入文件并按配置发邮件",
        ),
    ]


def build_deployments(schedule: Schedule) -> list[RunnerDeployment]:
    """Prefect deployments for ``prefect.serve`` (flows imported here, not at module import)."""
    return [
        _load_flow(spec.entrypoint).to_deployment(
            name=spec.name,
            schedules=[Cron(spec.cron, timezone=spec.timezone)],
            parameters=spec.parameters,
            description=spec.description,
            concurrency_limit=spec.concurrency_limit,
            # a module path works from any working directory the runner starts in
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        for spec in deployment_specs(schedule)
    ]


def _load_flow(entrypoint: str):
    module, _, name = entrypoint.partition(":")
    return getattr(importlib.import_module(module), name)
