"""The vMCP guardrails policy pack: `pulumi preview --policy-pack policy/run` starts it here."""

from pulumi_policy import PolicyPack

from vmcp_policy.resource_policies import RESOURCE_POLICIES
from vmcp_policy.stack_policies import STACK_POLICIES

PolicyPack(name="vmcp-guardrails", policies=[*RESOURCE_POLICIES, *STACK_POLICIES])
