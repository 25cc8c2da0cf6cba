"""moto server, plus ECS task scale-in protection, which moto does not implement.

The zero-watcher reads UpdateTaskProtection's state with GetTaskProtection before it
puts a service to sleep. moto (5.x) has neither call, so this starts moto's own server
with the two added to its ECS responses: protection is kept per task ARN in the
account and region's ECS backend, with its expiry as ECS documents it
(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-scale-in-protection.html:
expiresInMinutes defaults to 120, at most 2880). Everything else is moto as released.
"""

import datetime
import sys

from moto.core.responses import ActionResult
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.server import main

DEFAULT_MINUTES = 120


def _protections(response):
    backend = response.ecs_backend
    if not hasattr(backend, "sluice_task_protection"):
        backend.sluice_task_protection = {}
    return backend.sluice_task_protection


def _known(response, cluster, tasks):
    """Task ARNs of the cluster by ARN and by ID; and the requested ones not found."""
    known = {}
    for task in response.ecs_backend.list_tasks(cluster):
        known[task.task_arn] = task.task_arn
        known[task.task_arn.split("/")[-1]] = task.task_arn
    found = [known[t] for t in tasks if t in known]
    missing = [{"arn": t, "reason": "MISSING"} for t in tasks if t not in known]
    return found, missing


def _answer(store, arns, missing):
    now = datetime.datetime.now(datetime.timezone.utc)
    protected = []
    for arn in arns:
        until = store.get(arn)
        enabled = until is not None and until > now
        entry = {"taskArn": arn, "protectionEnabled": enabled}
        if enabled:
            entry["expirationDate"] = until
        protected.append(entry)
    return ActionResult({"protectedTasks": protected, "failures": missing})


def update_task_protection(self):
    cluster = self._get_param("cluster", "default")
    arns, missing = _known(self, cluster, self._get_param("tasks") or [])
    store = _protections(self)
    enabled = bool(self._get_param("protectionEnabled"))
    minutes = int(self._get_param("expiresInMinutes") or DEFAULT_MINUTES)
    until = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=minutes)
    for arn in arns:
        if enabled:
            store[arn] = until
        else:
            store.pop(arn, None)
    return _answer(store, arns, missing)


def get_task_protection(self):
    cluster = self._get_param("cluster", "default")
    tasks = self._get_param("tasks") or [t.task_arn for t in self.ecs_backend.list_tasks(cluster)]
    arns, missing = _known(self, cluster, tasks)
    return _answer(_protections(self), arns, missing)


EC2ContainerServiceResponse.update_task_protection = update_task_protection
EC2ContainerServiceResponse.get_task_protection = get_task_protection

if __name__ == "__main__":
    main(sys.argv[1:])
