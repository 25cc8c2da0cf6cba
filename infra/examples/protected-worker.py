"""A worker that protects its ECS task while it works on a job.

Task scale-in protection is the only way ECS itself keeps a task from being stopped
when its service scales in; Sluice's zero-watcher also reads it and does not put the
service to sleep while any task is protected (docs/zero-watcher.md). The task's own
ARN comes from the task metadata endpoint. Needs ecs:UpdateTaskProtection on the task.
"""

import json
import os
import urllib.request

import boto3

QUEUE_URL = os.environ["QUEUE_URL"]
# Longer than the slowest job: ECS lifts protection by itself after this, so a
# crashed worker cannot keep its service awake for ever.
PROTECT_MINUTES = int(os.environ.get("PROTECT_MINUTES", "30"))


def own_task():
    with urllib.request.urlopen(os.environ["ECS_CONTAINER_METADATA_URI_V4"] + "/task") as r:
        meta = json.load(r)
    return meta["Cluster"], meta["TaskARN"]


def handle(body):
    """The job itself."""


def main():
    sqs, ecs = boto3.client("sqs"), boto3.client("ecs")
    cluster, task = own_task()
    while True:
        got = sqs.receive_message(QueueUrl=QUEUE_URL, WaitTimeSeconds=20, MaxNumberOfMessages=1)
        for message in got.get("Messages", []):
            ecs.update_task_protection(
                cluster=cluster, tasks=[task], protectionEnabled=True, expiresInMinutes=PROTECT_MINUTES
            )
            try:
                handle(message["Body"])
                sqs.delete_message(QueueUrl=QUEUE_URL, ReceiptHandle=message["ReceiptHandle"])
            finally:
                ecs.update_task_protection(cluster=cluster, tasks=[task], protectionEnabled=False)


if __name__ == "__main__":
    main()
