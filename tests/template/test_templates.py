"""Asserts the wiring of template.yaml as CloudFormation will see it (after the SAM
transform), of samconfig.toml and of the example worker stack.

Run by infra/check-templates.sh with the tools virtualenv's Python, which has
aws-sam-translator (it comes with aws-sam-cli):
    .venv/tools/bin/python -m unittest discover -s tests/template -v
"""

import json
import os
import re
import tomllib
import unittest
from pathlib import Path

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ["MetricPublisherFunction", "ZeroWatcherFunction", "PrescalerFunction"]

# Actions that change nothing. Anything else is mutating.
READ_ONLY = re.compile(r"^[a-z0-9-]+:(Get|Describe|List|Query|Scan|BatchGet)[A-Za-z]*$")
# Mutating actions that have no resource type in IAM, so "*" is the only valid
# resource; each must carry a condition that scopes it instead.
UNSCOPABLE_WRITES = {"cloudwatch:PutMetricData"}

PARAMETERS = {
    "EnvironmentName": "prod",
    "QueueArns": "arn:aws:sqs:us-east-1:123456789012:jobs-*",
    "ServiceArns": "arn:aws:ecs:us-east-1:123456789012:service/gpu/*",
    "WakeTopicArns": "arn:aws:sns:us-east-1:123456789012:wake-a,arn:aws:sns:us-east-1:123456789012:wake-b",
}


def description(alarm):
    """An alarm's description, plain or with !Sub placeholders."""
    text = alarm["AlarmDescription"]
    return text["Fn::Sub"] if isinstance(text, dict) else text


class ManagedPolicies:
    """The translator asks IAM for managed policy ARNs by name; the template uses none."""

    def load(self):
        return {}


def sam_template():
    template = yaml_parse((ROOT / "template.yaml").read_text())
    # The translator takes a packaged template: code already in S3.
    template["Globals"]["Function"]["CodeUri"] = "s3://bucket/key"
    return template


def transformed():
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return transform(sam_template(), dict(PARAMETERS), ManagedPolicies())


def statements(resources):
    """Every IAM statement of every role, as (role, statement)."""
    for name, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                # A statement only some deployments carry (Fn::If [condition, it,
                # NoValue]) is checked as if present.
                if "Fn::If" in statement:
                    statement = statement["Fn::If"][1]
                yield name, statement


def samconfig():
    return tomllib.loads((ROOT / "samconfig.toml").read_text())


def as_list(value):
    return value if isinstance(value, list) else [value]


def metric_names_the_code_publishes():
    """Every metric name the code publishes: the constants of crates/core/src/names.rs,
    the one place the functions take them from."""
    text = (ROOT / "crates/core/src/names.rs").read_text()
    names = set(re.findall(r'pub const \w+: &str = "([A-Za-z]+)";', text))
    names.discard("Target")  # the dimension, not a metric
    assert len(names) >= 20, f"names.rs no longer reads as expected: {names}"
    return names


def evaluate(node, parameters):
    """The few intrinsic functions the conditions use, as CloudFormation evaluates them."""
    if not isinstance(node, dict):
        return node
    (function, argument), = node.items()
    if function == "Ref":
        return parameters[argument]
    args = [evaluate(a, parameters) for a in argument] if isinstance(argument, list) else argument
    if function == "Fn::Not":
        return not args[0]
    if function == "Fn::Equals":
        return args[0] == args[1]
    if function == "Fn::Select":
        return args[1][args[0]]
    if function == "Fn::Split":
        return args[1].split(args[0])
    if function == "Fn::Join":
        return args[0].join(evaluate(x, parameters) for x in args[1])
    raise ValueError(function)


class TransformedTemplate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.template = transformed()
        cls.resources = cls.template["Resources"]

    def of_type(self, kind):
        return {name: r for name, r in self.resources.items() if r["Type"] == kind}

    def test_functions_run_rust_on_al2023_with_json_logs_in_their_own_log_group(self):
        source = sam_template()["Resources"]
        for name in FUNCTIONS:
            props = self.resources[name]["Properties"]
            self.assertEqual(props["Runtime"], "provided.al2023", name)
            self.assertEqual(props["Architectures"], [{"Ref": "Architecture"}], name)
            self.assertEqual(props["LoggingConfig"]["LogFormat"], "JSON", name)
            group = props["LoggingConfig"]["LogGroup"]["Ref"]
            self.assertEqual(self.resources[group]["Properties"]["RetentionInDays"], {"Ref": "LogRetentionDays"})
            self.assertLessEqual(props["Timeout"], 60, name)
            self.assertEqual(source[name]["Metadata"]["BuildMethod"], "rust-cargolambda", name)

    def test_every_function_knows_the_stacks_account(self):
        """The watcher compares an alarm event's account with its targets' (alarm
        names are unique per account only); the stack's own is the template's."""
        for name in FUNCTIONS:
            variables = self.resources[name]["Properties"]["Environment"]["Variables"]
            self.assertEqual(variables["SLUICE_ACCOUNT_ID"], {"Ref": "AWS::AccountId"}, name)

    def test_trust_bundle_is_the_systems_unless_one_file_is_named(self):
        """SSL_CERT_FILE reaches every function only when TrustBundle names a file;
        the pattern takes absolute paths only, so a stray value cannot be deployed."""
        for name in FUNCTIONS:
            variables = self.resources[name]["Properties"]["Environment"]["Variables"]
            self.assertEqual(
                variables["SSL_CERT_FILE"],
                {"Fn::If": ["HasTrustBundle", {"Ref": "TrustBundle"}, {"Ref": "AWS::NoValue"}]},
                name,
            )
        template = sam_template()
        self.assertEqual(template["Parameters"]["TrustBundle"]["Default"], "")
        pattern = re.compile(template["Parameters"]["TrustBundle"]["AllowedPattern"])
        for value in ["", "/etc/pki/tls/certs/ca-bundle.crt", "/opt/certs/corporate+aws.pem"]:
            self.assertTrue(pattern.fullmatch(value), f"TrustBundle refuses {value!r}")
        for value in ["ca-bundle.crt", "/etc/my bundle.pem", "/a.pem,/b.pem", "$HOME/x.pem"]:
            self.assertFalse(pattern.fullmatch(value), f"TrustBundle accepts {value!r}")

    def test_every_function_has_its_trigger(self):
        schedules = self.of_type("AWS::Scheduler::Schedule")
        scheduled = {s["Properties"]["Target"]["Arn"]["Fn::GetAtt"][0]: s["Properties"] for s in schedules.values()}
        self.assertEqual(
            {fn: props["ScheduleExpression"] for fn, props in scheduled.items()},
            {
                "MetricPublisherFunction": {"Ref": "PublisherSchedule"},
                "ZeroWatcherFunction": {"Ref": "WatcherSchedule"},
                "PrescalerFunction": {"Fn::Sub": "rate(${PrescalerIntervalMinutes} minutes)"},
            },
        )
        # Every function's schedules carry shards 0 to 3 of ShardCount (the slots past
        # the count are conditions of the deployment); the functions parse this input
        # (events/*/scheduler.json, events/metric-publisher/scheduler-shard.json).
        shards = {}
        for schedule in schedules.values():
            props = schedule["Properties"]
            fn = props["Target"]["Arn"]["Fn::GetAtt"][0]
            text = props["Target"]["Input"]["Fn::Sub"].replace("${ShardCount}", "4")
            given = json.loads(text)
            self.assertEqual(given["source"], "sluice.scheduler", fn)
            self.assertEqual(given["shard"]["count"], 4, fn)
            shards.setdefault(fn, set()).add(given["shard"]["index"])
        self.assertEqual(shards, {fn: {0, 1, 2, 3} for fn in scheduled})

        rules = self.of_type("AWS::Events::Rule")
        self.assertEqual(len(rules), 1)
        rule = next(iter(rules.values()))["Properties"]
        self.assertEqual(rule["Targets"][0]["Arn"], {"Fn::GetAtt": ["ZeroWatcherFunction", "Arn"]})
        self.assertEqual(rule["EventPattern"]["detail-type"], ["CloudWatch Alarm State Change"])
        self.assertEqual(rule["EventPattern"]["detail"]["state"]["value"], ["ALARM"])

        subscriptions = {n: r for n, r in self.of_type("AWS::SNS::Subscription").items() if n.startswith("WakeTopic")}
        self.assertEqual(len(subscriptions), 5)
        for index in range(5):
            sub = subscriptions[f"WakeTopic{index + 1}Subscription"]
            self.assertEqual(sub["Condition"], f"HasWakeTopic{index + 1}")
            self.assertEqual(sub["Properties"]["Endpoint"], {"Fn::GetAtt": ["ZeroWatcherFunction", "Arn"]})
            self.assertEqual(sub["Properties"]["TopicArn"], {"Fn::Select": [index, {"Ref": "WakeTopicArns"}]})
            permission = self.resources[f"WakeTopic{index + 1}Permission"]
            self.assertEqual(permission["Condition"], f"HasWakeTopic{index + 1}")
            self.assertEqual(permission["Properties"]["SourceArn"], sub["Properties"]["TopicArn"])

    def test_a_sixth_wake_topic_fails_the_deploy_instead_of_being_ignored(self):
        wait = self.resources["WakeTopicArnsHoldsMoreThanFive"]
        self.assertEqual(wait["Type"], "AWS::CloudFormation::WaitCondition")
        self.assertEqual(wait["Condition"], "HasSixthWakeTopic")
        slot = self.template["Conditions"]["HasSixthWakeTopic"]["Fn::Not"][0]["Fn::Equals"][0]["Fn::Select"]
        self.assertEqual(slot[0], 5)

    def test_wake_topic_slots_follow_the_list_length(self):
        conditions = self.template["Conditions"]
        names = [f"HasWakeTopic{i}" for i in range(1, 6)] + ["HasSixthWakeTopic"]
        for count in [0, 1, 2, 5, 6]:
            topics = [f"arn:aws:sns:us-east-1:123456789012:t{i}" for i in range(count)]
            values = {"WakeTopicArns": topics}
            self.assertEqual(
                [evaluate(conditions[name], values) for name in names],
                [i < count for i in range(6)],
                f"{count} topics",
            )

    def test_every_lambda_permission_names_its_source(self):
        for name, permission in self.of_type("AWS::Lambda::Permission").items():
            props = permission["Properties"]
            self.assertTrue("SourceArn" in props or "SourceAccount" in props, name)

    def test_no_mutating_statement_has_resource_star(self):
        seen = 0
        for role, statement in statements(self.resources):
            actions = as_list(statement["Action"])
            if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource")):
                continue
            seen += 1
            for action in actions:
                if READ_ONLY.match(action):
                    continue
                self.assertIn(action, UNSCOPABLE_WRITES, f"{role}: {action} on '*'")
                self.assertIn("Condition", statement, f"{role}: {action} on '*' without a condition")
        self.assertGreater(seen, 0, "GetMetricData needs '*': the check must have seen it")

    def test_no_wildcard_reaches_past_its_kind_on_a_mutating_action(self):
        """Any wildcard on a mutating action, not only a literal "*": a wildcard resource
        must be narrowed by a condition naming what it may touch, and a parameter that
        may hold wildcards must be confined to its kind by an AllowedPattern."""
        template = sam_template()
        narrowing = {
            "cloudwatch:PutMetricData": {"cloudwatch:namespace"},
            "application-autoscaling:RegisterScalableTarget": {
                "application-autoscaling:service-namespace",
                "application-autoscaling:scalable-dimension",
            },
        }
        confined = {
            "ServiceArns": ":ecs:",
            "QueueArns": ":sqs:",
            "AutoScalingGroupArns": ":autoscaling:",
            "MemberRoleArns": ":iam::",
        }
        seen = 0
        for role, statement in statements(self.resources):
            mutating = [a for a in as_list(statement["Action"]) if not READ_ONLY.match(a)]
            if statement.get("Effect") != "Allow" or not mutating:
                continue
            for resource in as_list(statement.get("Resource")):
                if isinstance(resource, dict) and "Ref" in resource:
                    name = resource["Ref"]
                    if name in confined:
                        pattern = template["Parameters"][name].get("AllowedPattern")
                        self.assertIsNotNone(pattern, f"{role}: {name} needs an AllowedPattern")
                        self.assertIn(confined[name], pattern, f"{role}: {name}'s pattern")
                    continue
                text = json.dumps(resource)
                if "*" not in text:
                    continue
                seen += 1
                keys = set(re.findall(r'"([a-z0-9-]+:[A-Za-z-]+)"', json.dumps(statement.get("Condition", {}))))
                for action in mutating:
                    self.assertIn(action, narrowing, f"{role}: {action} on wildcard {text}")
                    self.assertLessEqual(narrowing[action], keys, f"{role}: {action} on {text} needs {narrowing[action]}")
        self.assertGreater(seen, 0, "PutMetricData and RegisterScalableTarget use wildcards: the check must see them")

    def test_service_and_queue_parameters_accept_only_their_kind(self):
        """The AllowedPatterns, evaluated as CloudFormation does: each list element."""
        template = sam_template()
        cases = {
            "ServiceArns": (
                ["arn:aws:ecs:us-east-1:123456789012:service/gpu/*", "arn:aws:ecs:eu-west-1:123456789012:service/gpu-cluster/face-workers"],
                ["*", "arn:aws:ecs:*:*:*", "arn:aws:ecs:us-east-1:123456789012:*", "arn:aws:ecs:us-east-1:123456789012:cluster/gpu",
                 "arn:aws:sqs:us-east-1:123456789012:jobs", "arn:aws:ecs:us-east-1:*:service/gpu/*"],
            ),
            "QueueArns": (
                ["arn:aws:sqs:us-east-1:123456789012:jobs-*", "arn:aws:sqs:us-east-1:123456789012:orders.fifo"],
                ["*", "arn:aws:sqs:*:*:*", "arn:aws:sqs:us-east-1:123456789012:*", "arn:aws:ecs:us-east-1:123456789012:service/gpu/x"],
            ),
        }
        groups = re.compile(template["Parameters"]["AutoScalingGroupArns"]["AllowedPattern"])
        for value in ["", "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:*:autoScalingGroupName/gpu-asg"]:
            self.assertTrue(groups.fullmatch(value), f"AutoScalingGroupArns refuses {value!r}")
        for value in ["*", "arn:aws:autoscaling:us-east-1:123456789012:*", "arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/x"]:
            self.assertFalse(groups.fullmatch(value), f"AutoScalingGroupArns accepts {value!r}")
        for name, (good, bad) in cases.items():
            pattern = re.compile(template["Parameters"][name]["AllowedPattern"])
            for value in good:
                self.assertTrue(pattern.fullmatch(value), f"{name} refuses {value}")
            for value in bad:
                self.assertFalse(pattern.fullmatch(value), f"{name} accepts {value}")
        for environment in ["dev", "staging", "prod"]:
            overrides = samconfig()[environment]["deploy"]["parameters"]["parameter_overrides"]
            for name in cases:
                value = next(o.split("=", 1)[1] for o in overrides if o.startswith(name + "="))
                pattern = re.compile(template["Parameters"][name]["AllowedPattern"])
                for element in value.split(","):
                    self.assertTrue(pattern.fullmatch(element), f"samconfig {environment}: {name}={element}")

    def test_only_the_named_member_roles_may_be_assumed(self):
        """Targets in other accounts: each function may assume the roles of
        MemberRoleArns and nothing else, and the statement is absent without them."""
        template = sam_template()
        pattern = re.compile(template["Parameters"]["MemberRoleArns"]["AllowedPattern"])
        for value in ["", "arn:aws:iam::111122223333:role/sluice-member", "arn:aws:iam::111122223333:role/teams/sluice-*"]:
            self.assertTrue(pattern.fullmatch(value), f"MemberRoleArns refuses {value!r}")
        for value in ["*", "arn:aws:iam::*:role/x", "arn:aws:iam::111122223333:user/x", "arn:aws:iam::111122223333:*"]:
            self.assertFalse(pattern.fullmatch(value), f"MemberRoleArns accepts {value!r}")
        for role in ["MetricPublisherRole", "ZeroWatcherRole", "PrescalerRole"]:
            text = json.dumps(template["Resources"][role]["Properties"]["Policies"])
            self.assertIn('"HasMemberRoles"', text, role)
            self.assertIn('"Sid": "AssumeMemberRoles"', text, role)
        granted = 0
        for role, statement in statements(self.resources):
            if "sts:AssumeRole" in as_list(statement["Action"]):
                granted += 1
                self.assertEqual(statement["Resource"], {"Ref": "MemberRoleArns"}, role)
        self.assertEqual(granted, 3)

    def test_a_member_role_grants_each_caller_its_own_calls_only(self):
        """infra/examples/member-account-role.yaml: each caller may assume the role
        only tagging its session with its own name (crates/aws/src/accounts.rs,
        Assumer), and each call is granted by that tag to the callers that make it."""
        member = yaml_parse((ROOT / "infra/examples/member-account-role.yaml").read_text())
        role = member["Resources"]["SluiceMemberRole"]["Properties"]
        principals = {
            "publisher": {"Ref": "PublisherRoleArn"},
            "watcher": {"Ref": "WatcherRoleArn"},
            "prescaler": {"Ref": "PrescalerRoleArn"},
            "operator": {"Ref": "OperatorRoleArns"},
        }
        trust = role["AssumeRolePolicyDocument"]["Statement"]
        self.assertEqual(len(trust), len(principals))
        for statement in trust:
            condition = statement["Condition"]
            claimed = condition["StringEquals"]["aws:RequestTag/sluice-function"]
            self.assertEqual(statement["Principal"]["AWS"], principals[claimed], claimed)
            self.assertEqual(condition["StringEquals"]["sts:ExternalId"], {"Ref": "ExternalId"})
            self.assertEqual(condition["ForAllValues:StringEquals"]["aws:TagKeys"], ["sluice-function"])
            self.assertEqual(sorted(statement["Action"]), ["sts:AssumeRole", "sts:TagSession"])
        granted = {who: set() for who in principals}
        for statement in role["Policies"][0]["PolicyDocument"]["Statement"]:
            callers = as_list(statement["Condition"]["StringEquals"]["aws:PrincipalTag/sluice-function"])
            for who in callers:
                granted[who].update(as_list(statement["Action"]))
        # What each caller's adapters in another account call (in_other_account in
        # each function's lib.rs; sluicectl's scaling.rs and why.rs).
        expected = {
            "publisher": {"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "ecs:DescribeServices",
                          "cloudwatch:GetMetricData", "cloudwatch:PutMetricData"},
            "watcher": {"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "ecs:DescribeServices",
                        "ecs:UpdateService", "ecs:ListTasks", "ecs:GetTaskProtection",
                        "application-autoscaling:DescribeScalableTargets", "cloudwatch:GetMetricData"},
            "prescaler": {"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "ecs:DescribeServices",
                          "ecs:UpdateService", "application-autoscaling:DescribeScalableTargets",
                          "application-autoscaling:RegisterScalableTarget"},
            "operator": {"sqs:GetQueueAttributes", "sqs:GetQueueUrl", "ecs:DescribeServices",
                         "application-autoscaling:DescribeScalableTargets",
                         "application-autoscaling:RegisterScalableTarget",
                         "application-autoscaling:DescribeScalingPolicies",
                         "application-autoscaling:PutScalingPolicy",
                         "application-autoscaling:DeleteScalingPolicy",
                         "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"},
        }
        self.assertEqual(granted, expected)

    def test_each_function_may_tag_its_member_session(self):
        for role, statement in statements(self.resources):
            if "sts:AssumeRole" in as_list(statement["Action"]):
                self.assertIn("sts:TagSession", as_list(statement["Action"]), role)

    def test_roles_carry_no_managed_policies(self):
        for name, role in self.of_type("AWS::IAM::Role").items():
            if name.endswith(("EveryRole", "PollRole")):
                continue  # the schedulers' roles: SAM writes them, invoke + DLQ only
            self.assertNotIn("ManagedPolicyArns", role["Properties"], name)

    def test_scaling_is_scoped_to_the_given_services_and_queues(self):
        for role, statement in statements(self.resources):
            actions = as_list(statement["Action"])
            if "ecs:UpdateService" in actions or "ecs:DescribeServices" in actions:
                self.assertEqual(statement["Resource"], {"Ref": "ServiceArns"}, role)
            if "sqs:GetQueueAttributes" in actions:
                self.assertEqual(statement["Resource"], {"Ref": "QueueArns"}, role)
            if any(a.startswith("dynamodb:") for a in actions):
                self.assertEqual(statement["Resource"], {"Fn::GetAtt": ["SluiceTable", "Arn"]}, role)
                self.assertIn("dynamodb:LeadingKeys", json.dumps(statement["Condition"]), role)
            if "cloudwatch:PutMetricData" in actions:
                self.assertEqual(
                    statement["Condition"], {"StringEquals": {"cloudwatch:namespace": {"Ref": "MetricNamespace"}}}
                )

    def test_failed_invocations_reach_the_dead_letter_queue(self):
        queue = {"Fn::GetAtt": ["FailedInvocationsQueue", "Arn"]}
        configs = self.of_type("AWS::Lambda::EventInvokeConfig")
        self.assertEqual(
            sorted(c["Properties"]["FunctionName"]["Ref"] for c in configs.values()), sorted(FUNCTIONS)
        )
        for name, config in configs.items():
            self.assertEqual(config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"], queue, name)
        for name, schedule in self.of_type("AWS::Scheduler::Schedule").items():
            self.assertEqual(schedule["Properties"]["Target"]["DeadLetterConfig"]["Arn"], queue, name)
        for name, rule in self.of_type("AWS::Events::Rule").items():
            self.assertEqual(rule["Properties"]["Targets"][0]["DeadLetterConfig"]["Arn"], queue, name)
        for fn in FUNCTIONS:
            role = self.resources[fn]["Properties"]["Role"]["Fn::GetAtt"][0]
            sends = [
                s for r, s in statements(self.resources) if r == role and s["Action"] == "sqs:SendMessage"
            ]
            self.assertEqual([s["Resource"] for s in sends], [queue], fn)

    def test_alarms_exist_notify_the_operator_and_watch_published_metrics(self):
        alarms = self.of_type("AWS::CloudWatch::Alarm")
        for fn in FUNCTIONS:
            for metric in ["Errors", "Throttles"]:
                self.assertTrue(
                    any(
                        a["Properties"]["MetricName"] == metric
                        and a["Properties"]["Dimensions"][0]["Value"] == {"Ref": fn}
                        for a in alarms.values()
                    ),
                    f"{fn} {metric}",
                )
        by_name = {n: a["Properties"] for n, a in alarms.items()}
        missing = by_name["PublisherMetricsMissingAlarm"]
        self.assertEqual((missing["TreatMissingData"], missing["Period"] * missing["EvaluationPeriods"]), ("breaching", 900))
        at_max = by_name["TargetAtMaxCapacityAlarm"]
        self.assertEqual((at_max["Period"], at_max["EvaluationPeriods"]), (60, {"Ref": "MaxCapacityAlarmMinutes"}))
        self.assertEqual(self.template["Parameters"]["MaxCapacityAlarmMinutes"]["Default"], 15)
        too_often = by_name["ScalingTooOftenAlarm"]
        self.assertEqual(
            (too_often["MetricName"], too_often["EvaluationPeriods"]),
            ("TargetsScalingTooOften", {"Ref": "ScalingTooOftenForMinutes"}),
        )
        prescaler_env = self.resources["PrescalerFunction"]["Properties"]["Environment"]["Variables"]
        # lead: auto adds the interval the schedule runs at: one parameter sets both.
        self.assertEqual(prescaler_env["SLUICE_PRESCALE_INTERVAL_MINUTES"], {"Ref": "PrescalerIntervalMinutes"})
        publisher_env = self.resources["MetricPublisherFunction"]["Properties"]["Environment"]["Variables"]
        self.assertEqual(publisher_env["SLUICE_SCALING_CHANGES"], {"Ref": "ScalingChangesLimit"})
        self.assertEqual(publisher_env["SLUICE_SCALING_CHANGES_MINUTES"], {"Ref": "ScalingChangesMinutes"})
        self.assertIn("WorkWaitingWhileAsleepAlarm", by_name)
        self.assertIn("WatcherFailedAlarm", by_name)
        self.assertIn("FailedInvocationsAlarm", by_name)

        published = metric_names_the_code_publishes()
        for name, alarm in by_name.items():
            self.assertEqual(alarm["AlarmActions"], [{"Ref": "AlarmTopic"}], name)
            self.assertIn("docs/runbook.md#", description(alarm), name)
            if alarm["Namespace"] == {"Ref": "MetricNamespace"}:
                self.assertIn(alarm["MetricName"], published, f"{name} watches a metric nothing publishes")
                self.assertNotIn("Dimensions", alarm, f"{name}: fleet-wide metrics have no dimensions")

    def test_every_runbook_anchor_exists(self):
        runbook = (ROOT / "docs/runbook.md").read_text()
        anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", runbook, re.M)}
        for name, alarm in self.of_type("AWS::CloudWatch::Alarm").items():
            anchor = re.search(r"runbook\.md#([a-z0-9-]+)", description(alarm["Properties"])).group(1)
            self.assertIn(anchor, anchors, name)

    def test_dashboard_is_valid_json_and_graphs_published_metrics(self):
        body, variables = self.resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
        namespace = "Sluice/prod"
        values = {"AWS::Region": "us-east-1", "MetricNamespace": namespace, "Quoted": f'\\"{namespace}\\"'}
        rendered = re.sub(
            r"\$\{([A-Za-z0-9:]+)(\.Arn)?\}",
            lambda m: values.get(m.group(1), f"arn:aws:cloudwatch:us-east-1:1:alarm:{m.group(1)}"),
            body,
        )
        dashboard = json.loads(rendered)
        text = json.dumps(dashboard)
        published = metric_names_the_code_publishes()
        graphed = set(re.findall(r'MetricName=\\"([A-Za-z]+)\\"', text))
        graphed |= {m[1] for w in dashboard["widgets"] for m in w["properties"].get("metrics", []) if isinstance(m[0], str)}
        self.assertGreaterEqual(
            graphed,
            {"Backlog", "BacklogPerTask", "RunningTasks", "DesiredTasks", "GpuUtilizationAverage", "PrescaleFloor", "WatcherWoke",
             "OldestMessageAge", "WakeLatency", "StartLatency"},
        )
        self.assertLessEqual(graphed, published, "the dashboard graphs a metric nothing publishes")
        self.assertIn('{\\"Sluice/prod\\",Target}', text, "namespaces with / are quoted in SEARCH")

    def test_table_is_protected_in_prod(self):
        props = self.resources["SluiceTable"]["Properties"]
        self.assertEqual(props["BillingMode"], "PAY_PER_REQUEST")
        self.assertTrue(props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"])
        self.assertTrue(props["SSESpecification"]["SSEEnabled"])
        self.assertEqual(props["DeletionProtectionEnabled"], {"Fn::If": ["IsProd", True, False]})
        self.assertEqual(self.template["Conditions"]["IsProd"], {"Fn::Equals": [{"Ref": "EnvironmentName"}, "prod"]})

    def test_reserved_concurrency_can_be_turned_off(self):
        for fn in FUNCTIONS:
            reserved = self.resources[fn]["Properties"]["ReservedConcurrentExecutions"]
            self.assertEqual(reserved["Fn::If"][0], "Reserve", fn)
            self.assertEqual(reserved["Fn::If"][2], {"Ref": "AWS::NoValue"}, fn)


class SamConfig(unittest.TestCase):
    def test_each_environment_deploys_its_own_stack(self):
        config = tomllib.loads((ROOT / "samconfig.toml").read_text())
        parameters = sam_template()["Parameters"]
        stacks = set()
        for env in ["dev", "staging", "prod"]:
            deploy = config[env]["deploy"]["parameters"]
            self.assertEqual(config[env]["build"]["parameters"]["beta_features"], True, env)
            stacks.add(deploy["stack_name"])
            self.assertEqual(deploy["s3_prefix"], deploy["stack_name"], env)
            overrides = dict(item.split("=", 1) for item in deploy["parameter_overrides"])
            self.assertEqual(overrides["EnvironmentName"], env)
            self.assertLessEqual(set(overrides), set(parameters), f"{env}: unknown parameters")
            required = {name for name, p in parameters.items() if "Default" not in p}
            self.assertLessEqual(required, set(overrides), f"{env}: required parameters missing")
            self.assertEqual(deploy["confirm_changeset"], env == "prod", env)
        self.assertEqual(len(stacks), 3)


class WorkerStack(unittest.TestCase):
    def test_target_tracking_follows_backlog_per_task_and_leaves_zero_to_the_watcher(self):
        stack = yaml_parse((ROOT / "infra/examples/worker-stack.yaml").read_text())
        resources = stack["Resources"]
        target = resources["WorkerScalableTarget"]["Properties"]
        self.assertEqual(target["MinCapacity"], 0)
        self.assertEqual(target["ScalableDimension"], "ecs:service:DesiredCount")
        policy = resources["BacklogPerTaskPolicy"]["Properties"]
        self.assertEqual(policy["PolicyType"], "TargetTrackingScaling")
        tracking = policy["TargetTrackingScalingPolicyConfiguration"]
        metric = tracking["CustomizedMetricSpecification"]
        self.assertEqual(metric["MetricName"], "BacklogPerTask")
        self.assertEqual(metric["Namespace"], {"Ref": "SluiceNamespace"})
        self.assertEqual(metric["Dimensions"], [{"Name": "Target", "Value": {"Ref": "TargetName"}}])
        self.assertLess(tracking["ScaleOutCooldown"], tracking["ScaleInCooldown"], "out fast, in slowly")
        self.assertIn("RedrivePolicy", resources["JobsQueue"]["Properties"])
        self.assertEqual(resources["JobsDeadLetterQueue"]["Type"], "AWS::SQS::Queue")
        self.assertNotIn("DesiredCount", resources["WorkerService"]["Properties"], "updates would reset the count")


if __name__ == "__main__":
    unittest.main()
